"""Where a message's Markdown holds TeX math: markdown-it rules for `$…$`, `$$…$$`, `\\(…\\)`
and `\\[…\\]`, inline and as blocks of their own lines.

A dollar is often money, so `$…$` is math only as Pandoc (and markdown-it's dollarmath) has
it: the opening `$` has a non-space right after it, the closing one a non-space right before
it and no digit right after it, so `$5 and $10` stays text. `$$…$$` and the bracket forms are
math wherever they close. mdit-py-plugins has rules for these (dollarmath, texmath); these
are written here instead because each search for a closing mark must be bounded, and the
plugins' are not (texmath copies the rest of the text at every `\\(`, dollarmath's block rule
reads on to the end of the text from every line that starts with `$$`): a formula is at most
`MAX_MATH_CHARS` long and `MAX_MATH_LINES` lines, and the lines block rules read are counted
per parse.

Tokens: `math_inline` (in a line) and `math_display` (`$$…$$` or `\\[…\\]` in a line), with the
TeX as `content`; `math_block` (a block of its own lines).
"""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt

from app.core.chat.latex import MAX_MATH_CHARS

# A display formula spans at most this many lines.
MAX_MATH_LINES = 50
# Lines the block rule may read in one parse, all starts together: past this, a `$$` that
# does not close on its own line is not looked for further (text of 40,000 lines of `$$`
# would otherwise cost 40,000 x MAX_MATH_LINES steps).
MAX_MATH_SCAN_LINES = 2_000
# Each opening mark that is two characters long, and the mark that closes it.
_CLOSERS = {"\\(": "\\)", "\\[": "\\]", "$$": "$$"}


def math_plugin(md: MarkdownIt) -> None:
    """Add the math rules to `md`: inline before escapes (a formula's backslashes are its
    own), the block rule before fences, able to end a paragraph as a fence can."""
    md.inline.ruler.before("escape", "math_inline", _inline_math)
    md.block.ruler.before("fence", "math_block", _block_math,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})


def _inline_math(state: Any, silent: bool) -> bool:
    src: str = state.src
    pos: int = state.pos
    end: int = state.posMax
    opener = src[pos:pos + 2]
    if opener in _CLOSERS:
        closer = _CLOSERS[opener]
        found = _closing(state, closer, pos + 2)
        kind = "math_inline" if opener == "\\(" else "math_display"
        start = pos + 2
    elif src[pos] == "$":
        closer = "$"
        found = _closing_dollar(src, pos, end)
        kind, start = "math_inline", pos + 1
    else:
        return False
    if found < 0 or not src[start:found].strip():
        return False
    if not silent:
        token = state.push(kind, "math", 0)
        token.content = src[start:found]
        token.markup = src[pos:start]
    state.pos = found + len(closer)
    return True


def _closing(state: Any, closer: str, start: int) -> int:
    """Where `closer` is next after `start`, within a formula's length; -1 when it is not.

    Where the next one is, is kept for the text being parsed, so that a text of many openers
    and no closer is read once, not once for each opener.
    """
    src: str = state.src
    # One parse's inline texts all live until it ends, so their ids tell them apart.
    key = closer, id(src), state.posMax
    known: dict[tuple[str, int, int], tuple[int, int]] = state.env.setdefault("math_closers", {})
    searched, found = known.get(key, (len(src) + 1, -1))
    if not (searched <= start and (found < 0 or found >= start)):
        searched, found = start, src.find(closer, start, state.posMax)
        known[key] = searched, found
    return found if 0 <= found - start <= MAX_MATH_CHARS else -1


def _closing_dollar(src: str, pos: int, end: int) -> int:
    """Where the `$` that closes one opening at `pos` is, by Pandoc's rules; -1 if none."""
    if pos + 1 >= end or src[pos + 1].isspace():
        return -1
    search = pos + 1
    limit = min(end, pos + 1 + MAX_MATH_CHARS + 1)
    while (found := src.find("$", search, limit)) >= 0:
        if _escaped(src, found, pos + 1):
            search = found + 1  # `\$` inside a formula is a dollar sign
            continue
        if src[found - 1].isspace() or (found + 1 < end and src[found + 1].isdigit()):
            return -1
        return found
    return -1


def _escaped(src: str, position: int, start: int) -> bool:
    """Whether an odd run of backslashes (after `start`) stands before `position`."""
    run = position
    while run > start and src[run - 1] == "\\":
        run -= 1
    return (position - run) % 2 == 1


def _block_math(state: Any, start: int, end: int, silent: bool) -> bool:
    """`$$` or `\\[` at a line's start, up to the line that ends with `$$` or `\\]`."""
    if state.is_code_block(start):
        return False
    found = _block_content(state, start, end)
    if found is None:
        return False
    if silent:
        return True
    opener, content, last = found
    token = state.push("math_block", "math", 0)
    token.block = True
    token.content = content
    token.markup = opener
    token.map = [start, last + 1]
    state.line = last + 1
    return True


def _block_content(state: Any, start: int, end: int) -> tuple[str, str, int] | None:
    """The opening mark, the formula and its last line, of one that starts at `start`."""
    first = state.src[state.bMarks[start] + state.tShift[start]:state.eMarks[start]]
    opener = first[:2]
    if opener not in ("$$", "\\["):
        return None
    closer = _CLOSERS[opener]
    line_text = first[2:].rstrip()
    if line_text.endswith(closer) and line_text[:-2].strip():
        lines, last = [line_text[:-2]], start
    elif closer in line_text:
        return None  # `$$a$$ and more`: math in a paragraph
    else:
        found = _closing_line(state, start, end, closer)
        if found is None:
            return None
        last = found
        lines = [line_text]
        for line in range(start + 1, last + 1):
            text = state.src[state.bMarks[line] + state.tShift[line]:state.eMarks[line]]
            lines.append(text.rstrip()[:-2] if line == last else text)
    content = "\n".join(lines)
    if len(content) > MAX_MATH_CHARS or not content.strip():
        return None
    return opener, content, last


def _closing_line(state: Any, start: int, end: int, closer: str) -> int | None:
    """The line after `start` that ends with `closer`, before a blank line, within
    MAX_MATH_LINES, while the parse's line count lasts."""
    scanned: int = state.env.get("math_scanned", 0)
    line = start + 1
    found = None
    while line < min(end, start + MAX_MATH_LINES) and scanned < MAX_MATH_SCAN_LINES:
        scanned += 1
        if state.sCount[line] < state.blkIndent:
            break  # the container (a quote, a list item) ended
        text = state.src[state.bMarks[line] + state.tShift[line]:state.eMarks[line]].rstrip()
        if not text:
            break
        if text.endswith(closer):
            found = line
            break
        line += 1
    state.env["math_scanned"] = scanned
    return found
