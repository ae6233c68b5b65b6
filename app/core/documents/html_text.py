"""The visible text of an HTML page, streamed and bounded.

The page goes through lxml's HTML parser (libxml2: linear, where the standard library's
html.parser takes minutes on a few hundred KB of broken markup such as "<a<a<a...") a piece at
a time into `_PageText`, a parser target: no tree is built. A tree cost about 80 bytes a
character of markup (7.7 GB and three and a half minutes for 95 MB of "<p>x"); the target
keeps the open elements and the text so far, and `HtmlLimits` bounds both.

The text: the title, then one line per block (paragraphs and the like apart by a blank line),
spaces collapsed, list items with a dash, table cells joined by " | ", <pre> as it is, and
nothing of scripts, styles, forms' controls, embedded objects or hidden elements.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass

from app.core.documents.docx_text import describe_count
from app.i18n import _

_CHUNK = 1024 * 1024  # characters fed to the parser at a time

_DROPPED = frozenset({"script", "style", "noscript", "template", "svg", "head", "math",
                      "iframe", "object", "embed", "canvas", "select", "button"})
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table",
                         "blockquote", "figure", "hr", "section", "article", "header",
                         "footer", "main", "aside", "nav", "form", "fieldset", "details"})
_LINES = frozenset({"div", "li", "tr", "dt", "dd", "caption", "figcaption", "address",
                    "summary", "legend", "center"})
_CELLS = frozenset({"td", "th"})
_TITLE_PATH = ["html", "head", "title"]


class HtmlTooLargeError(Exception):
    """The page is bigger than a limit allows; the message says which, e.g. "it holds more
    than 4 million HTML elements"."""


@dataclass(frozen=True)
class HtmlLimits:
    """What reading one page may cost."""

    elements: int  # each costs a call into Python
    chars: int     # of text gathered


def page_text(text: str, limits: HtmlLimits) -> str:
    """The title and visible text of the page `text`, one line per block.

    Raises `HtmlTooLargeError`, and lxml's `XMLSyntaxError` when libxml2 gives up.
    """
    import lxml.etree

    target = _PageText(limits)
    parser = lxml.etree.HTMLParser(target=target, remove_comments=True, remove_pis=True,
                                   no_network=True)
    for start in range(0, len(text), _CHUNK):
        parser.feed(text[start:start + _CHUNK])
    body: str = parser.close()
    title = " ".join(target.title.getvalue().split())
    if title and not body.startswith(title):
        body = f"{title}\n\n{body}"
    return body


class _Break:
    """The end of a line in the output: a paragraph's (`blank`), or a <br>'s."""

    LINE: _Break
    PARAGRAPH: _Break
    LINE_BREAK: _Break

    def __init__(self, blank: bool) -> None:
        self.blank = blank


_Break.LINE = _Break(blank=False)
_Break.PARAGRAPH = _Break(blank=True)
_Break.LINE_BREAK = _Break(blank=False)


class _Lines:
    """The output, written as it comes: spaces collapsed within a line, one blank line between
    blocks. Holds no line apart from the output, so no piece of it costs an object."""

    def __init__(self, max_chars: int) -> None:
        self._out = io.StringIO()
        self._max_chars = max_chars
        self._chars = 0
        self._lines = 0            # lines begun, blank ones included
        self._last_blank = False   # the last line begun is ""
        self._open = False         # the last line begun has words and may get more
        self._space = False        # whitespace came after the open line's last word

    def add_text(self, piece: str) -> None:
        words = piece.split()  # a piece is at most a chunk: its words cost little
        if not words:
            self._space = self._space or bool(piece)
            return
        if self._open:
            if self._space or piece[0].isspace():
                self._write(" ")
        else:
            self._begin_line()
            self._open = True
        self._write(" ".join(words))
        self._space = piece[-1].isspace()

    def add_break(self, item: _Break) -> None:
        if self._open:
            self._open = False
        elif item is _Break.LINE_BREAK:  # <br><br> is a blank line
            self._begin_line()
            self._last_blank = True
        self._space = False
        if item.blank and self._lines and not self._last_blank:
            self._begin_line()
            self._last_blank = True

    def add_preformatted(self, text: str) -> None:
        """A <pre>'s text, its lines as they are, apart by a blank line from what is around."""
        self.add_break(_Break.PARAGRAPH)
        text = text.strip("\n")
        self._begin_line()
        self._write(text)
        self._last_blank = not text
        self._lines += text.count("\n")
        self.add_break(_Break.PARAGRAPH)

    def finish(self) -> str:
        self.add_break(_Break.LINE)
        return self._out.getvalue()

    def _begin_line(self) -> None:
        if self._lines:
            self._out.write("\n")
        self._lines += 1
        self._last_blank = False

    def check_room(self, coming: int) -> None:
        """Raise `HtmlTooLargeError` if `coming` more characters would go past the limit."""
        if self._chars + coming > self._max_chars:
            raise HtmlTooLargeError(_("it holds more than {count} characters of text").format(
                count=describe_count(self._max_chars)))

    def _write(self, text: str) -> None:
        self.check_room(len(text))
        self._chars += len(text)
        self._out.write(text)


class _PageText:
    """An lxml parser target gathering the page's text as elements open and close."""

    def __init__(self, limits: HtmlLimits) -> None:
        self._max_elements = limits.elements
        self._elements = 0
        self._lines = _Lines(limits.chars)
        # The open elements' tags, and the tag of each one's last child element so far.
        self._open: list[str] = []
        self._last_child: list[str | None] = []
        # The depth of the element whose content is left out (a dropped or hidden element,
        # or a <pre>, whose text goes to `_pre`), -1 for none.
        self._skipped = -1
        self._pre: io.StringIO | None = None
        self._in_title = False
        self._title_seen = False
        self.title = io.StringIO()

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        self._elements += 1
        if self._elements > self._max_elements:
            raise HtmlTooLargeError(_("it holds more than {count} HTML elements").format(
                count=describe_count(self._max_elements)))
        depth = len(self._open)
        previous = self._last_child[-1] if depth else None
        self._open.append(tag)
        self._last_child.append(None)
        # The first title in the head (lxml's root.findtext("head/title")).
        self._in_title = (depth == 2 and tag == "title" and not self._title_seen
                          and self._open == _TITLE_PATH)
        self._title_seen = self._title_seen or self._in_title
        if self._skipped >= 0:
            return
        if tag in _DROPPED or "hidden" in attrib:
            self._skipped = depth
        elif tag == "pre":
            self._skipped, self._pre = depth, io.StringIO()
        elif tag == "br":
            self._lines.add_break(_Break.LINE_BREAK)
        elif tag in _PARAGRAPHS:
            self._lines.add_break(_Break.PARAGRAPH)
        elif tag in _LINES:
            self._lines.add_break(_Break.LINE)
            if tag == "li":
                self._lines.add_text("- ")
        elif tag in _CELLS and previous in _CELLS:
            self._lines.add_text(" | ")

    def data(self, text: str) -> None:
        if self._in_title:
            self.title.write(text[:_CHUNK - self.title.tell()])  # a title is a line at most
        if self._pre is not None:
            self._pre.write(text)
            self._lines.check_room(self._pre.tell())
        elif self._skipped < 0:
            self._lines.add_text(text)

    def end(self, tag: str) -> None:
        element = self._open.pop()
        self._last_child.pop()
        self._in_title = False
        depth = len(self._open)
        if depth:
            self._last_child[-1] = element
        if depth == self._skipped:
            self._skipped = -1
            if self._pre is not None:
                self._lines.add_preformatted(self._pre.getvalue())
                self._pre = None
        elif self._skipped < 0:
            if element in _PARAGRAPHS:
                self._lines.add_break(_Break.PARAGRAPH)
            elif element in _LINES:
                self._lines.add_break(_Break.LINE)

    def close(self) -> str:
        return self._lines.finish()

