"""Search snippets as the words a message shows: its Markdown markup taken out, the matches
still marked.

A snippet is a few words cut out of a message's Markdown (SQLite's `snippet()`, or a window
around a substring), so its markup may be cut too: `Part 1.**` with its opening `**` left out,
a table row without its start. It is not parsed as Markdown, then: each kind of markup is
recognised where it stands (a line's heading, quote and list marks, a fence line, emphasis
runs, a link's brackets and target, a table's pipes), and only markup is taken out. A match
(between `MATCH_START` and `MATCH_END`) keeps every character, so a match inside a link's
target shows the target (`text (target)`), and the marks stay around the same words.
"""

from __future__ import annotations

import re

# Around the matches in a snippet: characters no message text has, unlike brackets (`a[0]`).
MATCH_START, MATCH_END = "\x02", "\x03"

# A snippet is a glance: more is cut (around its first match), so that no message makes a
# search result costly to build or draw.
MAX_SNIPPET_CHARS = 500

# What a line starts with that is markup: indentation, quote marks, then a heading's hashes or
# a bullet (with a task box). An ordered list's number is kept: it reads as text.
_LINE_START = re.compile(
    r"^[ \t]*(?:>[ \t]?)*[ \t]*(?:#{1,6}(?=[ \t]|$)|[-*+](?=[ \t])(?:[ \t]+\[[ xX]\](?=[ \t]))?)?"
    r"[ \t]*", re.MULTILINE)
# Lines that are markup alone: a fence (with its language), a rule, a setext underline, a
# table's delimiter row.
_MARKUP_LINE = re.compile(
    r"^[ \t]*(?:(?:[-*_][ \t]*){3,}|=+[ \t]*"
    r"|\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*)$", re.MULTILINE)
# A fence line: its marks, and its language (kept where it is a match).
_FENCE = re.compile(r"^([ \t]*(?:`{3,}|~{3,})[ \t]*)([^`\n]*)$", re.MULTILINE)
_HEADING_END = re.compile(r"(?<=\S)[ \t]+#+[ \t]*$", re.MULTILINE)
_CODE_SPAN = re.compile(r"(`+)(?!`)([^\n]+?)(?<!`)\1(?!`)")
# A link or an image: `[text](target)`, `[text][label]`, or one the snippet's end cuts in its
# target (`[text](https://exam…`); and the end of one whose start it cuts (`…text](target)`).
_LINK = re.compile(r"(?P<open>!?\[)(?P<text>[^\]\n]{0,200})"
                   r"(?P<close>\]\((?P<target>[^)\n]{0,300})\)|\]\((?P<cut>[^)\s…]{0,300})(?=…?\Z)|\]\[[^\]\n]{0,100}\])")
_LINK_END = re.compile(r"\A…[^\[\]\n]{0,200}(?P<close>\]\((?P<target>[^)\s]{0,300})\))")
_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^>\s]{1,300})>")
_EMPHASIS = re.compile(r"\*{1,3}|_{1,3}|~~")
_ESCAPE = re.compile(r"\\(?=[!-/:-@\[-`{-~])")
_PIPE = re.compile(r"[ \t]*(?<!\\)\|[ \t]*")
# A line with a pipe at either end (a "…" of the snippet aside), or with two pipes: a table row.
_TABLE_ROW = re.compile(r"^[ \t…]*\||\|[ \t…]*$|\|[^\n]*\|", re.MULTILINE)
_SPACE = re.compile(r"\s+")


def plain_snippet(snippet: str) -> str:
    """`snippet` (Markdown, its matches between `MATCH_START` and `MATCH_END`) as plain
    text on one line, its matches marked in the same places; at most about
    `MAX_SNIPPET_CHARS` characters of it are read."""
    text, marks = _unmarked(_bounded(snippet))
    edits = _Edits(len(text), _match_ranges(marks))
    _line_markup(text, edits)
    _inline_markup(text, edits)
    return _SPACE.sub(" ", edits.apply(text, marks)).strip()


def _line_markup(text: str, edits: _Edits) -> None:
    """What lines are or start with: rules, fences, delimiter rows, headings, quotes, bullets."""
    for match in _MARKUP_LINE.finditer(text):
        edits.add(match.start(), match.end())
    for match in _FENCE.finditer(text):
        edits.add(match.start(1), match.end(1))
        edits.add(match.start(2), match.end(2))
    for match in _HEADING_END.finditer(text):
        if text[text.rfind("\n", 0, match.start()) + 1:].lstrip(" \t>").startswith("#"):
            edits.add(match.start(), match.end())
    for match in _LINE_START.finditer(text):
        edits.add(match.start(), match.end())


def _inline_markup(text: str, edits: _Edits) -> None:
    """Code spans (their text kept as written), links, escapes, emphasis, table pipes."""
    for match in _CODE_SPAN.finditer(text):
        closing = match.end(2), match.end()
        if edits.free(match.start(1), match.end(1)) and edits.free(*closing):
            edits.add(match.start(1), match.end(1))
            edits.add(*closing)
            edits.keep(match.start(2), match.end(2))
    for match in _AUTOLINK.finditer(text):
        if edits.free(match.start(), match.start() + 1) and \
                edits.free(match.end() - 1, match.end()):
            edits.add(match.start(), match.start() + 1)
            edits.add(match.end() - 1, match.end())
    for match in (*_LINK.finditer(text), *_LINK_END.finditer(text)):
        _link(match, edits)
    for match in _ESCAPE.finditer(text):
        edits.add(match.start(), match.end())
        edits.keep(match.end(), match.end() + 1)  # the character it escapes is text
    for match in _EMPHASIS.finditer(text):
        if _is_emphasis(text, match.start(), match.end()):
            edits.add(match.start(), match.end())
    for row in _TABLE_ROW.finditer(text):
        line_start = text.rfind("\n", 0, row.start()) + 1
        line_end = text.find("\n", row.end())
        _table_row(text, line_start, len(text) if line_end < 0 else line_end, edits)


def _bounded(snippet: str) -> str:
    """At most `MAX_SNIPPET_CHARS` of `snippet`, around its first match, marks balanced."""
    if len(snippet) <= MAX_SNIPPET_CHARS:
        return snippet
    first = snippet.find(MATCH_START)
    start = max(0, first - MAX_SNIPPET_CHARS // 4)
    part = snippet[start:start + MAX_SNIPPET_CHARS]
    if part.rfind(MATCH_START) > part.rfind(MATCH_END):
        part += MATCH_END
    return ("…" if start else "") + part + "…"


def _unmarked(snippet: str) -> tuple[str, dict[int, str]]:
    """The snippet's text without its match marks, and the marks by where they stand in it."""
    marks: dict[int, str] = {}
    text: list[str] = []
    length = 0
    for piece in re.split(f"([{MATCH_START}{MATCH_END}])", snippet):
        if piece in (MATCH_START, MATCH_END):
            marks[length] = marks.get(length, "") + piece
        else:
            text.append(piece)
            length += len(piece)
    return "".join(text), marks


def _match_ranges(marks: dict[int, str]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    start: int | None = None
    for position in sorted(marks):
        for mark in marks[position]:
            if mark == MATCH_START:
                start = position
            elif start is not None:
                ranges.append((start, position))
                start = None
    return ranges


class _Edits:
    """Replacements of spans of a text, none overlapping another or a kept span."""

    def __init__(self, length: int, kept: list[tuple[int, int]]) -> None:
        self._taken = bytearray(length)
        self._edits: dict[int, tuple[int, str]] = {}
        for start, end in kept:
            self.keep(start, end)

    def free(self, start: int, end: int) -> bool:
        return not any(self._taken[start:end])

    def keep(self, start: int, end: int) -> None:
        self._taken[start:end] = b"\1" * len(self._taken[start:end])

    def add(self, start: int, end: int, replacement: str = "") -> bool:
        """Replace `start:end` unless some of it is replaced or kept already."""
        if end <= start or not self.free(start, end):
            return False
        self.keep(start, end)
        self._edits[start] = end, replacement
        return True

    def apply(self, text: str, marks: dict[int, str]) -> str:
        out: list[str] = []
        position = 0
        while position < len(text):
            out.append(marks.get(position, ""))
            edit = self._edits.get(position)
            if edit is None:
                out.append(text[position])
                position += 1
            else:
                out.append(edit[1])
                position = edit[0]
        out.append(marks.get(len(text), ""))
        return "".join(out)


def _link(match: re.Match[str], edits: _Edits) -> None:
    """`[text](target)` as its text; with a match in the target, as `text (target)`."""
    groups = match.groupdict()
    opening = (match.start("open"), match.end("open")) if groups.get("open") else None
    if opening is not None and not edits.free(*opening):
        return
    close = match.start("close"), match.end("close")
    kind = "target" if groups["target"] is not None else "cut" if groups.get("cut") is not None \
        else None
    if kind is not None and not edits.free(match.start(kind), match.end(kind)):
        # The match is in the target: it is shown, after the text.
        close = close[0], match.start(kind)
        replacement = " ("
    else:
        close = (close[0], match.end(kind)) if kind == "cut" else close
        replacement = ""
    if edits.free(*close):
        if opening is not None:
            edits.add(*opening)
        edits.add(*close, replacement)


def _is_emphasis(text: str, start: int, end: int) -> bool:
    """Whether a run of `*`, `_` or `~~` is emphasis rather than text: it touches a word on
    one side at least (`2 * 3` is text), and a single one is not between two letters or digits
    (`snake_case`, `2*3`; `_` never is, as in CommonMark)."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if before.isspace() and after.isspace():
        return False
    run = text[start:end]
    if before.isalnum() and after.isalnum():
        return (run[0] == "*" and len(run) > 1) or run == "~~"
    return True


def _table_row(text: str, start: int, end: int, edits: _Edits) -> None:
    """A table row's pipes out: those at its ends removed, those between cells a dot."""
    pipes = [match for match in _PIPE.finditer(text, start, end)
             if edits.free(match.start(), match.end())]
    for match in pipes:
        edge = not text[start:match.start()].strip(" \t…") or \
            not text[match.end():end].strip(" \t…")
        edits.add(match.start(), match.end(), " " if edge else " · ")
