"""Markdown to the HTML subset Qt's rich text engine draws, with highlighted code blocks.

Model output, imported chats and documents are untrusted, and this is where their text becomes
something Qt interprets:

- raw HTML in it is shown as text, never interpreted;
- nothing in the HTML makes Qt read a resource: an image is shown as its alt text (a web image
  as a link to it, which opens in the browser), and an attribute never holds outside text
  except through `literal_html`;
- a link's target is not put in the HTML: `open-link:N` stands for `links[N]`, which the view
  opens only for http, https and mailto, after showing the target when the text differs;
- what is rendered is bounded, so that no message can stall the window: a long message, table
  or code block is shown in part, the rest behind a Show all link (`show-all:`,
  `show-table:N`, `show-code:N`) that opens it in a view made for big data.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_block import blockquote as _blockquote_rule
from markdown_it.rules_block import fence as _fence_rule
from markdown_it.rules_block import table as _table_rule
from markdown_it.rules_block.table import escapedSplit
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from app.core.chat.latex import latex_to_html
from app.core.chat.math_syntax import math_plugin
from app.i18n import _

COPY_SCHEME = "copy-code"  # copy-code:N copies code_blocks[N]
LINK_SCHEME = "open-link"  # open-link:N opens links[N]
TABLE_SCHEME = "show-table"  # show-table:N shows tables[N] whole
CODE_SCHEME = "show-code"  # show-code:N shows code_blocks[N] whole
ALL_SCHEME = "show-all"  # show-all: shows the whole message as text
CENTRED = '<p align="center">'  # how a display formula's block starts

# What rendering costs, in the time one character of prose takes (about 0.7 µs to parse,
# convert and lay out in Qt, measured on a 2-core machine): a table cell costs a hundred
# (70 µs), a character of highlighted code six (Pygments is slow).
CELL_COST = 100
HIGHLIGHT_COST = 6
# One message renders for at most about this cost (its first block is shown whatever it
# costs, and a table or code block is bounded on its own): some 30 ms of work on that
# machine, so that opening a chat with such a message, with the widget's own layout and
# paint, freezes the window for well under 100 ms (a 2,000x60 table took 9 s, a 1 MB word
# 42 s). It is also the most of a message's text that is parsed at all: what is not shown is
# not read either. 40,000 characters is some 10,000 tokens, more than most answers.
MAX_RENDER_COST = 40_000
# Qt lays out an unbroken run of characters in a time that grows faster than its length
# (50,000 characters: 0.26 s): a longer one ends the rendered part.
MAX_WORD_CHARS = 5_000
# A table shows at most this many rows (fewer when its cells would pass the cost), and at
# least a few; one wider than this many columns is shown only behind its Show all.
MAX_TABLE_ROWS = 100
MIN_TABLE_ROWS = 3
MAX_TABLE_COLUMNS = 64
# A code block shows at most this many lines; Copy still copies all of them.
MAX_CODE_LINES = 300
# The room, in px, around the words of the bar above a code block and before its code; and
# above the bar.
CODE_PADDING = 6
CODE_GAP = 8
# A block quote is drawn as a table (see `_quote_open`): it costs what two cells cost. Qt's
# layout time doubles with each table nested in another from about the fifth (20 deep: 16 s),
# so quotes deeper than this are drawn as indented blocks, without their bar.
QUOTE_COST = 2 * CELL_COST
MAX_QUOTE_BARS = 3
# Formulas converted to text in one message, and their TeX's length in all (conversion takes
# about 1 µs a character, and 4 a formula): later ones are shown as written.
MAX_FORMULAS = 300
MAX_FORMULA_CHARS = 10_000
# A question's attached documents, one line each: more are counted, not listed.
MAX_ATTACHMENT_LINES = 20


@dataclass(frozen=True)
class MarkdownColours:
    """The colours rendered Markdown is written in: Qt's rich text has no CSS classes to
    restyle, so they go into the HTML and a theme change renders again. The window passes its
    design tokens' (`app.qt.design.markdown_colours`); the defaults here serve the rest.

    `pygments_style` names the Pygments style that colours code; pick one made for a dark
    background when `dark` is true."""

    dark: bool
    code_background: str  # a code block's background...
    code_text: str  # ...and its plain text
    muted: str  # a quote's text
    border: str  # a table's lines
    table_header: str  # a header cell's background
    quote_bar: str  # the bar beside a block quote
    pygments_style: str
    code_header: str  # the bar above a code block (its language, Copy)...
    code_header_text: str  # ...and its text


LIGHT_COLOURS = MarkdownColours(False, code_background="#f3f4f6", code_text="#1f2328",
                                muted="#57606a", border="#d0d7de", table_header="#f6f8fa",
                                quote_bar="#d0d7de", pygments_style="friendly",
                                code_header="#e8eaed", code_header_text="#4d535c")
DARK_COLOURS = MarkdownColours(True, code_background="#161b22", code_text="#e6edf3",
                               muted="#9198a1", border="#3d444d", table_header="#1c2128",
                               quote_bar="#3d444d", pygments_style="github-dark",
                               code_header="#22272e", code_header_text="#9da5ae")


@dataclass(frozen=True)
class _Theme:
    """`MarkdownColours` as the pieces of HTML that use them."""

    formatter: HtmlFormatter  # type: ignore[type-arg]
    block: str  # the <pre>'s style
    head: str  # the attributes of the bar above it (a table of one row)...
    head_text: str  # ...and the style of its text (the language, Copy)
    table: str  # a table's attributes: its borders and their colour
    header: str  # a header cell's background
    quote_bar: str  # the colour of the bar beside a block quote
    quote: str  # a block quote's text colour


@functools.lru_cache(maxsize=8)
def _theme(colours: MarkdownColours) -> _Theme:
    return _Theme(
        HtmlFormatter(noclasses=True, nowrap=True, style=colours.pygments_style),
        f"background-color:{colours.code_background}; color:{colours.code_text}; "
        # (Qt keeps no padding of a <pre>, but paints its background under its left margin.)
        "font-family:monospace; white-space:pre-wrap; margin:0; "
        f"margin-left:{CODE_PADDING}px",
        f'width="100%" cellspacing="0" cellpadding="{CODE_PADDING}" '
        f'bgcolor="{colours.code_header}" style="margin-top:{CODE_GAP}px; margin-bottom:0"',
        f"color:{colours.code_header_text}; font-size:small; text-decoration:none",
        # Qt draws a table's borders from these: one line between cells (collapsed), in the
        # theme's colour; `cellpadding` is the room around a cell's text.
        f'border="1" cellspacing="0" cellpadding="5" '
        f'style="border-collapse:collapse; border-color:{colours.border}; border-style:solid"',
        colours.table_header, colours.quote_bar, colours.muted)


OPENABLE_SCHEMES = ("http", "https", "mailto")


@dataclass(frozen=True)
class Link:
    """A link as the reader sees it (`text`) and where it really goes (`url`)."""

    text: str
    url: str

    @property
    def openable(self) -> bool:
        """Only web pages and mail open: never a local file, `data:` or an unknown scheme."""
        try:
            parts = urlsplit(self.url)
        except ValueError:
            return False
        if parts.scheme.lower() not in OPENABLE_SCHEMES:
            return False
        return bool(parts.path) if parts.scheme.lower() == "mailto" else bool(parts.netloc)

    @property
    def needs_confirmation(self) -> bool:
        """The text does not say where the link goes, so the reader is shown before it opens."""
        text = self.text.strip()
        url = self.url.strip()
        bare = re.sub(r"^(?:https?://|mailto:)", "", url, flags=re.IGNORECASE)
        return text not in (url, bare, bare.rstrip("/"))


_ROW_START = re.compile(r"[ ]{0,3}\|")
# A line that starts another block, so ends a table (markdown-it's terminators for a table:
# a fence, a quote, a rule, a list item, a heading), or a blank one.
_TABLE_END = re.compile(r"[ ]{0,3}(?:```|~~~|>|#{1,6}(?:[ \t]|$)|[*+-](?:[ \t]|$)"
                        r"|\d{1,9}[.)](?:[ \t]|$)|(?:[*_-][ \t]*){3,}$)|[ \t]*$|[ ]{4}")


@dataclass
class Table:
    """A table for Show all: its header and its rows as Markdown cells, each row split only
    when asked for, so a table of any length opens at once.

    Rows are the ones found with the part of the message that was parsed (`rows`), then, for
    a table that goes on past that part, those found by reading on in the text.
    """

    header: list[str]
    rows: list[str] = field(default_factory=list)  # the body's lines, unsplit
    shown: int = 0  # rows shown in the message
    _text: str = ""
    _next: int | None = None  # where reading on resumes in _text; None once the table ended
    _end: int | None = None  # where the table ends in _text, when that is known
    _split: dict[int, list[str]] = field(default_factory=dict, repr=False)

    @property
    def complete(self) -> bool:
        """Every row is known."""
        return self._next is None

    def row(self, index: int) -> list[str]:
        """The cells of body row `index`, as many as the header has."""
        cells = self._split.get(index)
        if cells is None:
            cells = _split_row(self.rows[index])
            cells = (cells + [""] * len(self.header))[:len(self.header)]
            self._split[index] = cells
        return cells

    def more_rows(self, count: int) -> list[str]:
        """Up to `count` rows after those known, found by reading on in the text past the part
        that was parsed; the caller adds them to `rows` (a Qt model, between its signals)."""
        if self._next is None:
            return []
        found: list[str] = []
        text, position = self._text, self._next
        while len(found) < count and position < len(text):
            end = text.find("\n", position)
            end = len(text) if end < 0 else end
            line = text[position:end]
            if not _ROW_START.match(line) and _TABLE_END.match(line):
                position = len(text)
                break
            found.append(line)
            position = end + 1
        if position >= len(text):
            self._next = None
        else:
            self._next = position
        return found

    def count_rows(self) -> tuple[int, bool]:
        """How many body rows the table has, and whether that is exact (else it has more)."""
        if self._next is None:
            return len(self.rows), True
        if self._end is None:
            return len(self.rows), False
        lines = self._text.count("\n", self._next, self._end)
        unended = self._end == len(self._text) and not self._text.endswith("\n")
        return len(self.rows) + lines + unended, True


# Rows of a table that goes on past the parsed part are counted up to this many lines that
# do not start with a pipe (each costs a step of Python; the others are skipped in bulk).
_COUNTED_ROWS = 10_000


def _table_end(text: str, start: int, limit: int) -> int | None:
    """Where a table that goes on at `start` ends in `text` (after its last row's line break),
    or None when that is more than `limit` lines away."""
    position = start
    for _line in range(limit):
        # Most tables start every row with a pipe, and no other block starts that way: the rows
        # up to the first line that does not are skipped at the speed of a regular expression.
        match = _NOT_A_PIPE_ROW.search(text, position)
        if match is None:
            return len(text)
        position = match.start()
        end = text.find("\n", position)
        line = text[position:len(text) if end < 0 else end]
        if _TABLE_END.match(line):
            return position
        if end < 0:
            return len(text)
        position = end + 1
    return None


_NOT_A_PIPE_ROW = re.compile(r"^(?![ ]{0,3}\|)", re.MULTILINE)


def _split_row(line: str) -> list[str]:
    cells = escapedSplit(line.strip())
    if cells and cells[0] == "":
        cells.pop(0)
    if cells and cells[-1] == "":
        cells.pop()
    return [cell.strip() for cell in cells]


_INLINE = MarkdownIt("commonmark", {"html": False}).enable(["strikethrough"])


def cell_text(cell: str) -> str:
    """A table cell's Markdown as the words it shows (`**a**` → `a`)."""
    if not any(mark in cell for mark in "*_`[!~&\\<"):
        return cell
    out: list[str] = []
    for token in _INLINE.parseInline(cell[:MAX_WORD_CHARS])[0].children or []:
        if token.type in ("text", "code_inline"):
            out.append(token.content)
        elif token.type == "image":
            out.append(_("[image: {alt}]").format(alt=token.content))
        elif token.type in ("softbreak", "hardbreak"):
            out.append(" ")
    return "".join(out)


@dataclass
class RenderedMarkdown:
    """One message's HTML and what its links stand for.

    `rest`: where the part of the text that is not shown begins (None: all of it is shown);
    `notice` says so, with a Show all link, and goes after `html`.
    """

    html: str
    code_blocks: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    rest: int | None = None
    cost: int = 0  # what rendering it cost, in the units of MAX_RENDER_COST
    notice: str = ""  # HTML to show after `html` when `rest` is set: how much more, Show all


@dataclass
class _Budget:
    """What a render may still cost, shared by the rules of one parse."""

    text: str  # the whole (normalized) text, of which a prefix is parsed
    parsed: int  # how much of it is parsed
    extra: int = 0  # cost beyond one per character: table cells, highlighted code
    rest: int | None = None  # set when the rules stop early: where the unshown part begins

    def spent(self, offset: int) -> int:
        return offset + self.extra

    @property
    def cut(self) -> bool:
        return self.parsed < len(self.text)


def _highlight(code: str, language: str, formatter: HtmlFormatter) -> str:  # type: ignore[type-arg]
    try:
        lexer = get_lexer_by_name(language) if language else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return html.escape(code)
    return str(highlight(code, lexer, formatter)).rstrip("\n")


def literal_html(text: str) -> str:
    """`text` as HTML that Qt shows exactly as written, where Qt guesses whether a string is
    rich text (tooltips, message boxes, AutoText labels): outside text that merely starts with
    a tag would otherwise be rendered, and an `<img>` in it read from disk."""
    if not text:
        return ""
    return '<p style="white-space:pre-wrap">' + html.escape(text, quote=False) + "</p>"


def shown_length(text: str, limit: int = MAX_RENDER_COST) -> int:
    """How much of `text` is rendered: at most `limit` characters, ending at a line break when
    there is one, and within `MAX_WORD_CHARS` of an unbroken run's start."""
    end = len(text)
    if end > limit:
        end = limit
        line_end = text.rfind("\n", 0, end)
        if line_end > 0:
            end = line_end + 1
    head = text[:end]
    if max(map(len, head.split()), default=0) > MAX_WORD_CHARS:
        for match in re.finditer(r"\S+", head):
            if match.end() - match.start() > MAX_WORD_CHARS:
                return match.start() + MAX_WORD_CHARS
    return end


def _normalized(text: str) -> str:
    # What markdown-it does first; done here so that offsets into its source are offsets
    # into the text.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\0", "\ufffd") if "\0" in text else text


_VISIBLE = re.compile(r"\S")


def rest_html(text: str, rest: int) -> str:
    """The line that ends a message shown in part: how much is not shown, and Show all."""
    hidden = len(text) - rest
    words = _("{n} more characters of this message are not shown here.").format(
        n=f"{hidden:,}")
    return f'<p><i>{html.escape(words)}</i> <a href="{ALL_SCHEME}:">{_show_all()}</a></p>'


def _show_all() -> str:
    """The link to the whole of something shown in part, as HTML."""
    return html.escape(_("Show all"))


class MarkdownRenderer:
    """Renders one message; `code_blocks[i]` is the text behind the link `copy-code:i`,
    `links[i]` the one behind `open-link:i`, `tables[i]` the one behind `show-table:i`.

    `colours` are the colours it writes (`dark` picks the default light or dark ones); set
    `colours` again for a theme chosen later, and render again.
    """

    def __init__(self, dark: bool = False, colours: MarkdownColours | None = None) -> None:
        self.colours = colours or (DARK_COLOURS if dark else LIGHT_COLOURS)
        self._md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
        self._md.enable(["table", "strikethrough"])
        self._blocks: list[str] = []
        self._links: list[Link] = []
        self._tables: list[Table] = []
        self._quotes: list[bool] = []  # the quotes open while rendering: with a bar or not

        # The block rules that bound what is parsed (see `_Budget`).
        self._md.block.ruler.at("table", _bounded_table, {"alt": ["paragraph", "reference"]})
        self._md.block.ruler.at("fence", _measured_fence,
                                {"alt": ["paragraph", "reference", "blockquote", "list"]})
        self._md.block.ruler.before("table", "budget", _stop_when_spent)
        self._md.block.ruler.at("blockquote", _charged_quote,
                                {"alt": ["paragraph", "reference", "blockquote", "list"]})
        math_plugin(self._md)

        # markdown-it calls a render rule with its renderer first, so they are closures.
        def code(_renderer: Any, tokens: Any, idx: int, _options: Any, _env: Any) -> str:
            return self._render_fence(tokens[idx])

        def link_open(_renderer: Any, tokens: Any, idx: int, _options: Any, _env: Any) -> str:
            return self._render_link_open(tokens, idx)

        def link_close(_renderer: Any, tokens: Any, idx: int, _options: Any, _env: Any) -> str:
            return "</a>" if tokens[idx].meta.get("open") else ""

        def image(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
            return self._render_image(tokens[idx], renderer.renderInlineAsText(
                tokens[idx].children, options, env))

        def more_rows(_renderer: Any, tokens: Any, idx: int, _options: Any, _env: Any) -> str:
            return self._render_more_rows(tokens[idx].meta["table"])

        def header_cell(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
            tokens[idx].attrSet("bgcolor", self._theme.header)
            return str(renderer.renderToken(tokens, idx, options, env))

        self._md.add_render_rule("fence", code)
        self._md.add_render_rule("code_block", code)
        self._md.add_render_rule("link_open", link_open)
        self._md.add_render_rule("link_close", link_close)
        self._md.add_render_rule("image", image)
        self._md.add_render_rule("table_more", more_rows)
        for kind in ("math_inline", "math_display", "math_block"):
            self._md.add_render_rule(kind, lambda _r, tokens, idx, _o, env: self._render_math(
                tokens[idx], env))
        self._md.add_render_rule("table_open", lambda *_: f"<table {self._theme.table}>\n")
        self._md.add_render_rule("th_open", header_cell)
        self._md.add_render_rule("blockquote_open", lambda *_: self._quote_open())
        self._md.add_render_rule("blockquote_close", lambda *_: self._quote_close())
        self._md.add_render_rule("rest", lambda *_: "")

    @property
    def dark(self) -> bool:
        """Whether the colours are for a dark window."""
        return self.colours.dark

    @property
    def _theme(self) -> _Theme:
        return _theme(self.colours)

    # -- rendering ---------------------------------------------------------------------------

    def render(self, text: str, first_code_block: int = 0, first_link: int = 0,
               first_table: int = 0) -> RenderedMarkdown:
        """Render `text`, as much of it as `MAX_RENDER_COST` allows; its code blocks, links
        and tables are numbered from `first_…`, so a message rendered in parts keeps one
        numbering of each."""
        text = _normalized(text)
        budget = _Budget(text, shown_length(text))
        env: dict[str, Any] = {"budget": budget}
        tokens = self._md.parse(text[:budget.parsed], env)
        self._blocks = [""] * first_code_block
        self._links = [Link("", "")] * first_link
        self._tables = [Table([])] * first_table
        self._quotes = []
        rest = budget.rest if budget.rest is not None else self._read_on(tokens, budget)
        body = self._md.renderer.render(tokens, self._md.options, env)
        notice = ""
        if rest is not None and _VISIBLE.search(text, rest):
            notice = rest_html(text, rest)
        else:
            rest = None
        return RenderedMarkdown(body, self._blocks[first_code_block:],
                                self._links[first_link:], self._tables[first_table:], rest,
                                budget.spent(budget.parsed if rest is None else rest), notice)

    def _read_on(self, tokens: list[Any], budget: _Budget) -> int | None:
        """Where the unshown part of a text cut at `budget.parsed` begins: there, or after the
        table or code block that the cut went through (read on to its end, for Show all and
        Copy)."""
        if not budget.cut:
            return None
        last = tokens[-1] if tokens else None
        if last is not None and last.type == "table_more" and last.meta["reads_on"]:
            table: Table = last.meta["table"]
            assert table._next is not None
            table._end = _table_end(budget.text, table._next, _COUNTED_ROWS)
            return table._end if table._end is not None else table._next
        if last is not None and last.type == "fence" and "reads_on" in last.meta:
            return _read_fence_on(last, budget.text)
        return budget.parsed

    def _render_fence(self, token: Any) -> str:
        code = token.meta.get("whole", token.content).rstrip("\n")
        language = (token.info or "").strip().split(" ")[0]
        index = len(self._blocks)
        self._blocks.append(code)
        lines = code.split("\n")
        shown = "\n".join(lines[:MAX_CODE_LINES]) if len(lines) > MAX_CODE_LINES else code
        # TRANSLATORS: the label of a code block whose language is not named.
        label = html.escape(language if language else _("code"))
        theme = self._theme
        # The budget may let only the first lines be coloured (Pygments is the slow part).
        coloured = token.meta.get("highlight", len(shown))
        if coloured < len(shown):
            head = shown[:coloured]
            stripped = head.rstrip("\n")
            body = (_highlight(stripped, language, theme.formatter) if stripped else "") + \
                "\n" * (len(head) - len(stripped)) + html.escape(shown[coloured:])
        else:
            body = _highlight(shown, language, theme.formatter)
        more = ""
        if shown is not code:
            words = _("{shown} of {total} lines shown.").format(shown=f"{MAX_CODE_LINES:,}",
                                                                total=f"{len(lines):,}")
            more = (f'<p><i>{html.escape(words)}</i> '
                    f'<a href="{CODE_SCHEME}:{index}">{_show_all()}</a></p>')
        # The bar above the code: its language at the left, Copy at the right. (Not inside
        # the f-string: Babel does not look into one for messages.)
        copy = html.escape(_("Copy"))
        return (f'<table {theme.head}><tr><td><span style="{theme.head_text}">{label}</span>'
                f'</td><td align="right"><a href="{COPY_SCHEME}:{index}" '
                f'style="{theme.head_text}">{copy}</a></td></tr></table>'
                f'<pre style="{theme.block}">{body}</pre>\n{more}')

    def _quote_open(self) -> str:
        # Qt draws no border beside a block of text; a narrow coloured cell beside a cell
        # holding the quote is the bar.
        bar = sum(self._quotes) < MAX_QUOTE_BARS
        self._quotes.append(bar)
        theme = self._theme
        if not bar:
            return f'<blockquote style="color:{theme.quote}">\n'
        return ('<table cellspacing="0" cellpadding="0" style="margin-top:4px; '
                f'margin-bottom:4px"><tr><td width="4" bgcolor="{theme.quote_bar}"></td>'
                f'<td style="padding-left:10px; color:{theme.quote}">')

    def _quote_close(self) -> str:
        bar = self._quotes.pop() if self._quotes else False
        return "</td></tr></table>\n" if bar else "</blockquote>\n"

    def _render_math(self, token: Any, env: dict[str, Any]) -> str:
        """A formula as Unicode text in italics (a display one centred on its own line), or,
        when it is too long or deep to convert or past the message's formulas, as written."""
        display = token.type != "math_inline"
        converted = None
        spent = env.setdefault("formulas", [0, 0])  # converted so far: formulas, characters
        if spent[0] < MAX_FORMULAS and spent[1] + len(token.content) <= MAX_FORMULA_CHARS:
            spent[0] += 1
            spent[1] += len(token.content)
            converted = latex_to_html(token.content, display)
        if converted is None:
            closing = {"\\(": "\\)", "\\[": "\\]"}.get(token.markup, token.markup)
            shown = html.escape(token.markup + token.content + closing, quote=False)
        else:
            shown = f'<span style="font-style:italic">{converted}</span>'
        return f"{CENTRED}{shown}</p>\n" if token.type == "math_block" else shown

    def _link(self, text: str, url: str) -> str | None:
        """The anchor's href for a link that may open; None for one that never will."""
        link = Link(text, url)
        if not link.openable:
            return None
        self._links.append(link)
        # The title is the tooltip Qt shows on hover: the real target, as literal text.
        tip = html.escape(literal_html(url))
        return f'href="{LINK_SCHEME}:{len(self._links) - 1}" title="{tip}"'

    def _render_link_open(self, tokens: Any, idx: int) -> str:
        token = tokens[idx]
        text: list[str] = []
        for inner in tokens[idx + 1:]:
            if inner.type == "link_close":
                break
            if inner.type in ("text", "code_inline"):
                text.append(inner.content)
        anchor = self._link("".join(text), str(token.attrGet("href") or ""))
        if anchor is None:
            return ""  # the text alone: a link that would never open is not drawn as one
        token.meta["open"] = True
        # link_close finds its opening token's flag through this pairing.
        for inner in tokens[idx + 1:]:
            if inner.type == "link_close":
                inner.meta["open"] = True
                break
        return f"<a {anchor}>"

    def _render_image(self, token: Any, alt: str) -> str:
        label = html.escape(_("[image: {alt}]").format(alt=alt) if alt else _("[image]"))
        anchor = self._link(label, str(token.attrGet("src") or ""))
        # Never an <img>: Qt would read its source, a local file included, to draw it.
        return f"<a {anchor}>{label}</a>" if anchor else label

    def _render_more_rows(self, table: Table) -> str:
        index = len(self._tables)
        self._tables.append(table)
        total, exact = table.count_rows()
        rows = f"{total:,}" if exact else f"{total:,}+"
        if table.shown == 0:
            words = _("A table of {columns} columns and {rows} rows.").format(
                columns=f"{len(table.header):,}", rows=rows)
        else:
            words = _("{shown} of {rows} rows shown.").format(shown=f"{table.shown:,}",
                                                              rows=rows)
        return (f'<p><i>{html.escape(words)}</i> '
                f'<a href="{TABLE_SCHEME}:{index}">{_show_all()}</a></p>\n')


def _stop_when_spent(state: Any, start: int, end: int, silent: bool) -> bool:
    """A block rule tried before all others: once the render's cost is spent, the rest of the
    text (from a block at the top level) becomes one `rest` token."""
    budget: _Budget | None = state.env.get("budget")
    if silent or budget is None or state.level > 0 or start == 0:
        return False
    offset = state.bMarks[start]
    if budget.spent(offset) <= MAX_RENDER_COST:
        return False
    budget.rest = offset
    state.push("rest", "", 0)
    state.line = end
    return True


def _charged_quote(state: Any, start: int, end: int, silent: bool) -> bool:
    """markdown-it's block quote rule, charging the budget for the table it is drawn as."""
    if not _blockquote_rule(state, start, end, silent):
        return False
    budget: _Budget | None = state.env.get("budget")
    if budget is not None and not silent:
        budget.extra += QUOTE_COST
    return True


def _bounded_table(state: Any, start: int, end: int, silent: bool) -> bool:
    """markdown-it's table rule, on the rows the budget allows; the other rows are kept as
    lines for Show all, without being parsed."""
    if silent or not _table_rule(state, start, end, True):
        return bool(silent and _table_rule(state, start, end, True))
    budget: _Budget | None = state.env.get("budget")
    if budget is None:
        return bool(_table_rule(state, start, end, False))
    header = _split_row(state.getLines(start, start + 1, state.blkIndent, False))
    columns = len(header)
    left = (MAX_RENDER_COST - budget.spent(state.bMarks[start])) // CELL_COST
    rows = 0 if columns > MAX_TABLE_COLUMNS else \
        min(MAX_TABLE_ROWS, max(MIN_TABLE_ROWS, left // columns - 1))
    shown = 0
    line = start + 2
    if rows:
        _table_rule(state, start, min(end, start + 2 + rows), False)
        line = state.line
        shown = line - start - 2
        budget.extra += CELL_COST * columns * (shown + 1)
    hidden, line = _hidden_rows(state, line, end)
    state.line = line
    reads_on = line >= end and budget.cut and state.level == 0
    if hidden or reads_on or not rows:
        if reads_on and hidden and not budget.text[:budget.parsed].endswith("\n"):
            hidden.pop()  # the text was cut inside this row: it is read again whole
        src = state.src
        table = Table(header, [src[state.bMarks[row] + state.tShift[row]:state.eMarks[row]]
                               for row in range(start + 2, start + 2 + shown)] + hidden, shown)
        if reads_on:
            table._text = budget.text
            # from the start of the line the text was cut in
            table._next = budget.text.rfind("\n", 0, budget.parsed) + 1
        token = state.push("table_more", "", 0)
        token.meta = {"table": table, "reads_on": reads_on}
        token.map = [start, line]
    return True


def _hidden_rows(state: Any, line: int, end: int) -> tuple[list[str], int]:
    """The table rows from `line` on, as markdown-it would take them, unparsed, and the line
    after them."""
    src = state.src
    if state.level == 0 and state.blkIndent == 0 and line < end:
        # At the top level a line is the text's own: its end is found at the speed of a
        # regular expression, however many rows there are.
        first = state.bMarks[line]
        stop = _table_end(src, first, end - line) if first < len(src) else len(src)
        stop = min(len(src) if stop is None else stop, state.bMarks[end])
        lines = src[first:stop].split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return lines, bisect.bisect_left(state.bMarks, stop, line, end)
    rows: list[str] = []
    terminators = state.md.block.ruler.getRules("blockquote")
    while line < end:
        if state.sCount[line] < state.blkIndent or state.is_code_block(line):
            break
        text = src[state.bMarks[line] + state.tShift[line]:state.eMarks[line]]
        if not text.startswith("|") and (
                not text.strip() or any(rule(state, line, end, True) for rule in terminators)):
            break
        rows.append(text)
        line += 1
    return rows, line


_CLOSING_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})[ \t]*$", re.MULTILINE)


def _measured_fence(state: Any, start: int, end: int, silent: bool) -> bool:
    """markdown-it's fence rule, noting how much of the block the budget lets be highlighted,
    and where its code begins when it runs into the end of the parsed part."""
    if silent or not _fence_rule(state, start, end, False):
        return bool(silent and _fence_rule(state, start, end, True))
    token = state.tokens[-1]
    budget: _Budget | None = state.env.get("budget")
    if budget is None:
        return True
    lines = token.content.split("\n", MAX_CODE_LINES)[:MAX_CODE_LINES]
    shown = sum(len(line) + 1 for line in lines)
    # Its shown lines cost one each wherever the block starts (the first block of a message is
    # shown whatever it costs); what is left of the budget colours its first lines.
    left = (MAX_RENDER_COST - budget.spent(state.bMarks[start]) - shown) // (HIGHLIGHT_COST - 1)
    highlighted = 0
    for line in lines:
        if highlighted + len(line) + 1 > left:
            break
        highlighted += len(line) + 1
    budget.extra += (HIGHLIGHT_COST - 1) * highlighted
    token.meta = {"highlight": highlighted}
    if state.line >= end and budget.cut and state.level == 0 and not _closed(state, token):
        token.meta["reads_on"] = state.eMarks[start] + 1  # where its code begins in the text
    return True


def _closed(state: Any, token: Any) -> bool:
    """Whether a fence token ends with its closing fence (rather than with the text)."""
    last = token.map[1] - 1
    if last <= token.map[0]:
        return False
    line = state.src[state.bMarks[last] + state.tShift[last]:state.eMarks[last]].rstrip()
    return len(line) >= len(token.markup) and set(line) == {token.markup[0]}


def _read_fence_on(token: Any, text: str) -> int:
    """A code block cut with the text: its whole code (for Copy and Show all) read from `text`,
    and where the text after it begins."""
    marker: str = token.markup
    start: int = min(token.meta["reads_on"], len(text))
    for match in _CLOSING_FENCE.finditer(text, start):
        fence = match[1]
        if fence[0] == marker[0] and len(fence) >= len(marker):
            token.meta["whole"] = text[start:match.start()]
            return min(match.end() + 1, len(text))
    token.meta["whole"] = text[start:]
    return len(text)


def plain_text_html(text: str) -> str:
    """A user's message as typed: escaped, line breaks kept; a very long one in part, the rest
    behind Show all."""
    text = _normalized(text)
    shown = shown_length(text)
    body = "<p>" + html.escape(text[:shown]).replace("\n", "<br>") + "</p>"
    return body + rest_html(text, shown) if _VISIBLE.search(text, shown) else body


_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


def stable_prefix_length(text: str, start: int = 0) -> int:
    """How much of a growing Markdown text is final: the part before its last blank line that
    is outside a code fence and not followed by an indented line.

    Text appended later cannot change how that part renders (with one cosmetic exception: a
    list whose items are separated by blank lines renders as several lists until the whole
    text is rendered again), so a streaming view renders it once and re-renders only the rest.
    `start` is 0 or what this returned for an earlier state of the same text: the scan resumes
    there, so each call costs the new text only.
    """
    stable = position = start
    fence: str | None = None
    previous_blank = start > 0  # a stable prefix ends after a blank line outside any fence
    for line in text[start:].splitlines(keepends=True):
        if not line.endswith("\n"):
            break  # the last line is still being written
        match = _FENCE.match(line)
        if fence is None:
            if previous_blank and line.strip() and not line[0].isspace():
                stable = position
            if match:
                fence = match[1]
        elif match and match[1][0] == fence[0] and len(match[1]) >= len(fence) \
                and not line[match.end():].strip():
            fence = None
        previous_blank = fence is None and not line.strip()
        position += len(line)
    return stable
