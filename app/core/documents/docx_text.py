"""The text of a Word document's main part (word/document.xml), streamed and bounded.

A .docx is a zip, and a few MB of it can unpack to a GB of XML: building that as a tree (as
python-docx does) took 9.4 GB of memory for a 2.7 MB file. Here the XML goes through lxml's
parser a chunk at a time into `_BodyText`, a parser target that keeps no tree, only the text so
far and the element path it is in; and what it may cost is bounded by `DocxLimits`.

The text is python-docx's: the body's paragraphs (headings are paragraphs) and tables in
document order, blocks apart by a blank line, a paragraph's runs (direct or in a hyperlink)
with tabs and line breaks, a table row's cells joined by " | " with each cell's whitespace
collapsed, a cell spanning columns once, and a cell merged with the one above it repeating
that one's text.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO

from app.i18n import _

# Transitional (what Word writes) and Strict OOXML.
_W_NAMESPACES = frozenset({"http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                           "http://purl.oclc.org/ooxml/wordprocessingml/main"})
_CHUNK = 1024 * 1024
_MAX_NAMES = 1000
# A run's children that stand for characters (python-docx's CT_R.text); w:br is a line break
# only when it is not a page or column break.
_RUN_CHARACTERS = {"tab": "\t", "ptab": "\t", "cr": "\n", "noBreakHyphen": "-"}

# Depths in the element path: w:document > w:body > w:p | w:tbl > w:tr > w:tc > w:p.
_BLOCK = 2
_ROW = 3
_CELL = 4
_CELL_PARAGRAPH = 5


class DocxTooLargeError(Exception):
    """The part is bigger than a limit allows; the message says which, e.g. "it unpacks to
    more than 512 MB"."""


class DocxRefusedError(Exception):
    """The part holds something a Word document never does; the message says what."""


@dataclass(frozen=True)
class DocxLimits:
    """What reading one document may cost: each bounds the time or memory it takes."""

    xml_bytes: int  # of XML actually unpacked (a zip's declared sizes can lie)
    elements: int   # each costs a call into Python, whatever else it holds
    chars: int      # of text gathered


def body_text(part: IO[bytes], limits: DocxLimits) -> str:
    """The text of the WordprocessingML in `part` (a binary stream, e.g. a zip member).

    Raises `DocxTooLargeError` or `DocxRefusedError`, and lxml's `XMLSyntaxError` for broken XML.
    """
    import lxml.etree

    target = _BodyText(limits)
    # No DTD is loaded and entities are left alone; `_BodyText.doctype` refuses a DOCTYPE
    # anyway, so no libxml2 version's entity handling matters. With a target no tree is
    # built: deep nesting costs a list entry a level, a long text node comes in pieces, and
    # only w:t's text is kept.
    parser = lxml.etree.XMLParser(target=target, resolve_entities=False, no_network=True,
                                  load_dtd=False)
    unpacked = 0
    while chunk := part.read(_CHUNK):
        unpacked += len(chunk)
        if unpacked > limits.xml_bytes:
            raise DocxTooLargeError(_("it unpacks to more than {size}").format(
                size=describe_bytes(limits.xml_bytes)))
        parser.feed(chunk)
    text: str = parser.close()
    return text


@dataclass
class _Cell:
    offset: int              # its first grid column
    continues: bool          # merged with the cell above it: shows that one's text
    text: io.StringIO


class _BodyText:
    """An lxml parser target gathering the body's text as elements open and close.

    It holds the path of open elements (local names, "" outside WordprocessingML), the text
    so far, and the table row being read; nothing else of the document.
    """

    def __init__(self, limits: DocxLimits) -> None:
        self._limits = limits
        self._path: list[str] = []
        # Local names by tag: every element costs a call here, and a document has few tags.
        self._names: dict[str, str] = {}
        self._max_elements = limits.elements
        self._elements = 0
        self._chars = 0
        self._out = io.StringIO()
        self._blocks = 0
        # Where a paragraph's text goes (the output or a table cell), and the depths of the
        # paragraph, run and w:t being read (-1: none).
        self._sink: io.StringIO | None = None
        self._paragraph = -1
        self._run = -1
        self._text = -1
        # The top-level table being read: its rows so far, the characters counted before the
        # row being read, the row's grid offset, its cells, and the text at each grid offset
        # of the row above (for vertically merged cells).
        self._table = False
        self._rows = 0
        self._row_start = 0
        self._offset = 0
        self._cells: list[_Cell] = []
        self._above: dict[int, str] = {}

    # --- lxml's target interface ---

    def doctype(self, name: str, public_id: str | None, system_url: str | None) -> None:
        raise DocxRefusedError(_("it declares a DTD, which Word never writes"))

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        self._elements += 1
        if self._elements > self._max_elements:
            raise DocxTooLargeError(_("it holds more than {count} XML elements").format(
                count=describe_count(self._max_elements)))
        depth = len(self._path)
        local = self._names.get(tag)
        if local is None:
            local = self._local_name(tag)
        self._path.append(local)
        if self._run >= 0:
            if depth == self._run + 1:
                self._run_child(local, tag, attrib, depth)
        elif self._paragraph >= 0:
            if local == "r" and (depth == self._paragraph + 1 or (
                    depth == self._paragraph + 2 and self._path[-2] == "hyperlink")):
                self._run = depth
        elif depth == _BLOCK:
            if self._path[:2] == ["document", "body"] and local in {"p", "tbl"}:
                if self._blocks:
                    self._out.write("\n\n")
                self._blocks += 1
                if local == "p":
                    self._sink, self._paragraph = self._out, depth
                else:
                    self._table, self._rows, self._above = True, 0, {}
        elif self._table:
            self._table_start(local, tag, attrib, depth)

    def data(self, text: str) -> None:
        if self._text >= 0 and len(self._path) == self._text + 1:
            self._write(text)

    def end(self, tag: str) -> None:
        local = self._path.pop()
        depth = len(self._path)
        if depth == self._text:
            self._text = -1
        elif depth == self._run:
            self._run = -1
        elif depth == self._paragraph:
            self._paragraph, self._sink = -1, None
        elif self._table and local in {"tr", "tbl"}:
            self._table_end(local, depth)

    def close(self) -> str:
        return self._out.getvalue()

    def _local_name(self, tag: str) -> str:
        """`tag`'s local name, "" outside WordprocessingML."""
        namespace, _, local = tag[1:].partition("}")
        if namespace not in _W_NAMESPACES:
            local = ""
        if len(self._names) < _MAX_NAMES:  # a hostile file may use endless names
            self._names[tag] = local
        return local

    # --- runs and tables ---

    def _write(self, text: str) -> None:
        assert self._sink is not None
        self._chars += len(text)
        if self._chars > self._limits.chars:
            raise DocxTooLargeError(_("it holds more than {count} characters of text").format(
                count=describe_count(self._limits.chars)))
        self._sink.write(text)

    def _run_child(self, local: str, tag: str, attrib: Mapping[str, str], depth: int) -> None:
        if local == "t":
            self._text = depth
        elif local in _RUN_CHARACTERS:
            self._write(_RUN_CHARACTERS[local])
        elif local == "br" and attrib.get(_attribute(tag, "type"),
                                          "textWrapping") == "textWrapping":
            self._write("\n")

    def _table_start(self, local: str, tag: str, attrib: Mapping[str, str],
                     depth: int) -> None:
        parent = self._path[-2]
        if depth == _ROW and local == "tr":
            self._offset, self._cells, self._row_start = 0, [], self._chars
        elif depth == _CELL and parent == "tr" and local == "tc":
            self._cells.append(_Cell(self._offset, continues=False, text=io.StringIO()))
            self._offset += 1
        elif depth == _CELL_PARAGRAPH and parent == "tc" and local == "p" and self._cells:
            cell = self._cells[-1].text
            if cell.tell():
                cell.write("\n")  # python-docx joins a cell's paragraphs with line ends
            self._sink, self._paragraph = cell, depth
        elif depth == _CELL_PARAGRAPH + 1 and self._path[-3:-1] == ["tc", "tcPr"]:
            self._cell_property(local, attrib.get(_attribute(tag, "val")))
        elif depth == _CELL + 1 and self._path[-3:-1] == ["tr", "trPr"] and (
                local == "gridBefore"):
            # Columns the row leaves out at its start: they shift its cells' grid offsets.
            self._offset += _count(attrib.get(_attribute(tag, "val")))

    def _cell_property(self, local: str, value: str | None) -> None:
        if not self._cells:
            return
        cell = self._cells[-1]
        if local == "gridSpan":  # the next cell starts that many columns on
            self._offset = cell.offset + max(1, _count(value))
        elif local == "vMerge":  # no value means "continue"
            cell.continues = value in {None, "continue"}

    def _table_end(self, local: str, depth: int) -> None:
        if local == "tr" and depth == _ROW:
            above: dict[int, str] = {}
            texts: list[str] = []
            for cell in self._cells:
                text = (self._above.get(cell.offset, "") if cell.continues
                        else " ".join(cell.text.getvalue().split()))
                above[cell.offset] = text
                texts.append(text)
            self._above, self._cells = above, []
            # The row's cells were counted as they were read; the row is counted instead (its
            # spaces collapsed, a merged cell's text repeated).
            self._chars = self._row_start
            if any(texts):
                if self._rows:
                    self._out.write("\n")
                self._rows += 1
                self._sink = self._out
                self._write(" | ".join(texts))
                self._sink = None
        elif local == "tbl" and depth == _BLOCK:
            self._table = False


def describe_bytes(count: int) -> str:
    """`count` bytes for a message: "512 MB", or exact when not a whole number of MB."""
    whole, rest = divmod(count, 1024 * 1024)
    return f"{whole} MB" if whole and not rest else _("{count} bytes").format(
        count=f"{count:,}")


def describe_count(count: int) -> str:
    """`count` for a message: "4 million", or exact when not a whole number of millions."""
    whole, rest = divmod(count, 1_000_000)
    return millions(whole) if whole and not rest else f"{count:,}"


def millions(number: float) -> str:
    """`number` millions in words ("2 million", "1.5 million"), in the reader's language."""
    shown = f"{number:.0f}" if float(number).is_integer() else f"{number:.1f}"
    # TRANSLATORS: {millions} is a count of millions: "2", "1.5".
    return _("{millions} million").format(millions=shown)


def _attribute(tag: str, name: str) -> str:
    """The name of attribute `name` in `tag`'s namespace (w:val for a w: element)."""
    return tag[:tag.index("}") + 1] + name


def _count(value: str | None) -> int:
    """A small non-negative count from an attribute; anything else is 0 (the caller clamps)."""
    if value is None or not value.isdecimal() or len(value) > 4:
        return 0
    return int(value)

