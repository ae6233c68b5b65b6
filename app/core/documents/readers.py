"""Readable text out of the documents a user gives the app: plain text, Markdown, PDF, DOCX, HTML.

Every way a file can fail becomes one `DocumentError` whose message names the file and says
what to do, so the window and the CLI show it as it is. Size is checked with `stat` before a
byte is read, and our own steps are linear in the input (HTML goes through libxml2, not the
standard library's parser, which is quadratic on broken markup). pypdf is trusted to be
reasonable on damaged PDFs; it is not proven so.
The format libraries (pypdf, lxml) load on first use.
"""

from __future__ import annotations

import codecs
import io
import logging
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.documents.docx_text import (
    DocxLimits,
    DocxRefusedError,
    DocxTooLargeError,
    body_text,
    describe_bytes,
    describe_count,
    millions,
)
from app.core.documents.html_text import HtmlLimits, HtmlTooLargeError, page_text
from app.core.documents.text_encoding import GOOD, guess, utf16_without_bom
from app.files import open_regular, os_reason
from app.i18n import N_, _

log = logging.getLogger(__name__)

# The words `files.os_reason` says why a file cannot be opened with, for the catalog: they are
# shown in the reader's language by `_reason`.
OS_REASONS = (N_("no such file"), N_("it is a folder"), N_("permission denied"),
              N_("it is not a regular file"))

MAX_FILE_BYTES: int = 100 * 1024 * 1024
MAX_TEXT_CHARS: int = 20_000_000

SUFFIXES: dict[str, str] = {
    ".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
    ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".xhtml": "html",
    ".rst": "text", ".csv": "text", ".tsv": "text", ".log": "text", ".json": "text",
    ".jsonl": "text", ".xml": "text", ".yaml": "text", ".yml": "text", ".toml": "text",
    ".ini": "text", ".tex": "text", ".srt": "text", ".vtt": "text", ".py": "text",
}
# Formats people will try, with what to save them as instead.
_AS_TEXT, _AS_PDF = N_(".docx, PDF or plain text"), N_("PDF or plain text")
_UNSUPPORTED: dict[str, str] = {
    ".doc": _AS_TEXT, ".rtf": _AS_TEXT, ".odt": _AS_TEXT, ".pages": _AS_TEXT, ".wps": _AS_TEXT,
    ".epub": _AS_PDF,
    ".xls": "CSV", ".xlsx": "CSV", ".ods": "CSV", ".numbers": "CSV",
    ".ppt": "PDF", ".pptx": "PDF", ".odp": "PDF", ".key": "PDF",
}
_KINDS = frozenset({"text", "markdown", "pdf", "docx", "html"})

# Binary data is told from this much, and the encoding from this much of the lines that hold
# non-ASCII bytes (rating every code page's reading costs about 1 us a character); decoding
# then covers the whole file.
_SAMPLE_BYTES = 1024 * 1024
_ENCODING_SAMPLE_BYTES = 16 * 1024
# A text with more control characters than this (tab, line ends, form feed, escape aside)
# is binary data that happens to decode.
_MAX_CONTROL_SHARE = 0.1
# Work a PDF may cost. pypdf bounds each stream (75 MB unpacked, 2 million operators) and the
# page tree (100,000 pages), not the sum: a page costs about 1 ms even when empty, an operator
# 5 to 10 us. A page of text takes some dozens of operators, a page of vector drawing
# thousands; 20,000 pages hold the text cap's 20 million characters.
_MAX_PDF_PAGES = 20_000
_MAX_PDF_OPERATIONS = 10_000_000
# A PDF averaging fewer visible characters a page than this has no real text layer: a scan
# carries at most a stray page number, a page of prose some thousands.
_MIN_PDF_CHARS_PER_PAGE = 10
# Elements a DOCX or an HTML page may hold: each costs about 1 us of Python, so a bomb of
# empty paragraphs stops within seconds. Word writes a run (3 to 8 elements, 40 to 80 bytes
# each) per change of format: about one element per 10 characters of ordinary prose, one per
# character where every word is formatted. Web pages are between the two. So this admits the
# text cap's 20 million characters of prose, or 1,500 pages formatted word by word.
_MAX_MARKUP_ELEMENTS = 4_000_000
# What a DOCX's XML may unpack to, for the same elements.
_MAX_DOCX_XML_BYTES = 512 * 1024 * 1024
# A .docx holds some dozens of parts (hundreds with many pictures). zipfile reads the whole
# central directory on opening, about 500 bytes of memory and 10 us a member: a 100 MB zip
# of empty members would take a GB and half a minute before a limit could look at it.
_MAX_ZIP_MEMBERS = 20_000
_ZIP_MEMBER_SIGNATURE = b"PK\x01\x02"  # starts each central directory entry

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose BOM it starts with
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# What normalize_text may drop: NULs and whitespace (trailing, or blank lines; "\r" included).
_DROPPABLE_CHARS = "\0" + "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\v\f\r\x1b") + b"\x7f"
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
_CONTROL_CHARS = re.compile("[" + re.escape(_CONTROL_BYTES.decode("ascii")) + "]")
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_BLANK_LINES = re.compile(r"\n{3,}")
# Where normalize_text may cut the text: after a line end, or between two characters that
# are not both line ends.
_PIECE_CHARS = 256 * 1024
_AFTER_LINE_END = re.compile(r"\n")
_OUTSIDE_LINE_ENDS = re.compile(r"(?<!\n)|(?!\n)")
_HTML_START = re.compile(rb"\s*(<\?xml[^>]*>\s*)?<(!doctype\s+html|html[\s>])", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)


class DocumentError(Exception):
    """One line fit to show the user as it is (it names the file)."""


@dataclass(frozen=True)
class Document:
    """A document's readable text, normalised (see `normalize_text`), and where it came from."""

    name: str
    text: str
    kind: str
    encoding: str | None = None
    pages: int | None = None


def read_document(path: Path) -> Document:
    """The text of the file at `path`, read by its suffix (an unknown one is sniffed).

    Raises `DocumentError`. The size is checked before anything is read, on the file opened
    (`files.open_regular`: a FIFO put in its place cannot block the read).
    """
    name = path.name or str(path)
    try:
        file, size = open_regular(path)
    except OSError as exc:
        raise DocumentError(_cannot_read(path, exc)) from exc
    with file:
        _check_size(size, name)
        chunks: list[bytes] = []
        room = MAX_FILE_BYTES + 1  # it may have grown since it was opened
        try:
            while room > 0 and (chunk := file.read(room)):  # one read, one chunk, usually
                chunks.append(chunk)
                room -= len(chunk)
        except OSError as exc:
            raise DocumentError(_cannot_read(path, exc)) from exc
    return read_bytes(b"".join(chunks), name)


def read_bytes(data: bytes, name: str, kind: str | None = None) -> Document:
    """The text of a document already read (the CLI's stdin is named "stdin").

    `kind` None: from `name`'s suffix, else sniffed from the content. Raises `DocumentError`.
    """
    _check_size(len(data), name)
    if kind is None:
        suffix = Path(name).suffix.lower()
        if suffix in _UNSUPPORTED:
            raise DocumentError(_("{name}: {suffix} files cannot be read; save it as {other}.")
                                .format(name=name, suffix=suffix,
                                        other=_(_UNSUPPORTED[suffix])))
        kind = SUFFIXES.get(suffix) or _sniff(data)
    elif kind not in _KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    if not data:
        raise DocumentError(_("{name} is empty.").format(name=name))
    if kind == "pdf":
        text, pages = _pdf_text(data, name)
        return Document(name, _checked(text, name), kind, pages=pages)
    if kind == "docx":
        return Document(name, _checked(_docx_text(data, name), name), kind)
    if kind == "html":
        text, encoding = _html_text(data, name)
        return Document(name, _checked(text, name), kind, encoding=encoding)
    text, encoding = decode_text(data, name)
    return Document(name, _checked(text, name, empty=True), kind, encoding=encoding)


def from_paste(text: str) -> Document:
    """Text the user pasted, as a document (named in the reader's language). Raises
    `DocumentError` when there is none."""
    name = _("Pasted text")
    return Document(name, _checked(text, name, empty=True), "paste")


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """`data` decoded, and the encoding used: a BOM's, else UTF-16 when it plainly is, else
    UTF-8, else the legacy code page `app.core.text_encoding` can tell.

    Raises `DocumentError` for binary data, for bytes no encoding explains, and for bytes
    that read as text in more than one encoding, naming them.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            # A BOM is a confident answer: a damaged character becomes U+FFFD.
            text = data.decode(encoding, errors="replace")
            if _looks_binary(text[:_SAMPLE_BYTES]):
                raise DocumentError(_binary_message(name))
            return text, encoding
    head = data[:_SAMPLE_BYTES]
    if b"\0" in head and (utf16 := utf16_without_bom(head)) is not None:
        return _decoded(data, utf16, name), utf16
    controls = len(head.translate(None, _NOT_CONTROL_BYTES))
    if b"\0" in head or controls > _MAX_CONTROL_SHARE * len(head):
        raise DocumentError(_binary_message(name))
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    encoding = _legacy_encoding(data, name)
    return _decoded(data, encoding, name), encoding


def _decoded(data: bytes, encoding: str, name: str) -> str:
    """`data` in `encoding`, which was told from a sample: a few bad bytes elsewhere are
    damage (each a U+FFFD), many a wrong guess."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        pass
    text = data.decode(encoding, errors="replace")
    if text.count("\ufffd") > max(8, len(text) // 1000):
        raise DocumentError(_encoding_message(name))
    return text


def normalize_text(text: str) -> str:
    """`\\n` line ends, no NULs, no trailing spaces, at most one blank line in a row, and
    nothing blank at either end.

    A piece at a time, cut where no line and no run of blank lines is: a list of every line
    of a 100 MB file cost 2.8 GB.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "")
    text = "".join("\n".join(line.rstrip() for line in piece.split("\n"))
                   for piece in _pieces(text, _AFTER_LINE_END))
    text = "".join(_BLANK_LINES.sub("\n\n", piece)
                   for piece in _pieces(text, _OUTSIDE_LINE_ENDS))
    return text.strip()


def _pieces(text: str, cut: re.Pattern[str]) -> Iterator[str]:
    """`text` in pieces of about `_PIECE_CHARS`, each ending where `cut` first matches from
    there on (or at the end)."""
    start = 0
    while start < len(text):
        found = cut.search(text, start + _PIECE_CHARS)
        end = found.end() if found else len(text)
        yield text[start:end]
        start = end


# --- checks and messages ---------------------------------------------------------------------

def _cannot_read(path: Path, exc: OSError) -> str:
    return _("Cannot read {path}: {reason}.").format(path=path, reason=_(os_reason(exc)))


def _check_size(size: int, name: str) -> None:
    if size > MAX_FILE_BYTES:
        raise DocumentError(_("{name} is {size}; documents up to {most} can be read.").format(
            name=name, size=_megabytes(size), most=_megabytes(MAX_FILE_BYTES)))


def _checked(text: str, name: str, *, empty: bool = False) -> str:
    """`text` normalised; `DocumentError` when it is too long, or when nothing is left
    (`empty`: the file itself held nothing, else it held no text)."""
    if len(text) > MAX_TEXT_CHARS and _at_least_kept(text) > MAX_TEXT_CHARS:
        raise DocumentError(_too_long_message(name, len(text)))  # spare normalizing it
    text = normalize_text(text)
    if not text:
        raise DocumentError((_("{name} is empty.") if empty else
                             _("{name} has no text.")).format(name=name))
    if len(text) > MAX_TEXT_CHARS:
        raise DocumentError(_too_long_message(name, len(text)))
    return text


def _at_least_kept(text: str) -> int:
    """How many characters of `text` `normalize_text` surely keeps: all but NULs, carriage
    returns and whitespace."""
    return len(text) - sum(text.count(char) for char in _DROPPABLE_CHARS)


def _too_long_message(name: str, chars: int) -> str:
    return _("{name} holds {count} characters of text; up to {most} can be read.").format(
        name=name, count=_millions(chars), most=_millions(MAX_TEXT_CHARS))


def _megabytes(size: int) -> str:
    tenths = math.ceil(size * 10 / (1024 * 1024))  # up, so a file over the limit never reads as it
    return f"{tenths // 10} MB" if tenths % 10 == 0 else f"{tenths / 10:.1f} MB"


def _millions(count: int) -> str:
    tenths = math.ceil(count / 100_000)
    return millions(tenths / 10)


def _binary_message(name: str) -> str:
    return _("{name} is not a text document (it looks like binary data).").format(name=name)


def _encoding_message(name: str) -> str:
    return _("Cannot tell the text encoding of {name}; save it as UTF-8 and try again.").format(
        name=name)


# What a file could not be read as, and why: a message each, with {name} and {reason}.
_AS_A_PDF = N_("{name} cannot be read as a PDF ({reason}).")
_AS_A_WORD_DOCUMENT = N_("{name} cannot be read as a Word document ({reason}).")
_AS_HTML = N_("{name} cannot be read as HTML ({reason}).")


def _damaged(name: str, what: str, exc: BaseException) -> DocumentError:
    """The error for a file the library could not parse (`what`: one of the messages above);
    the traceback goes to the log."""
    log.info("cannot read %s: %s", name, what, exc_info=exc)
    detail = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc  # no quotes
    reason = " ".join(str(detail).split()) or type(exc).__name__
    if reason[:1].isupper() and not reason[1:2].isupper():  # "Stream ..." but "EOF ..."
        reason = reason[0].lower() + reason[1:]
    if len(reason) > 80:
        reason = reason[:77] + "..."
    return DocumentError(_(what).format(name=name, reason=reason))


def _looks_binary(text: str) -> bool:
    controls = sum(1 for _match in _CONTROL_CHARS.finditer(text))
    return "\0" in text or controls > _MAX_CONTROL_SHARE * len(text)


# --- plain text ------------------------------------------------------------------------------

def _legacy_encoding(data: bytes, name: str) -> str:
    """The code page of `data`, told from a sample of its non-ASCII lines."""
    sample, whole_characters = _detection_sample(data)
    # A sample cut inside a character fails every multi-byte candidate: trim up to 3 bytes.
    for trim in range(1 if whole_characters else 4):
        guessed = guess(sample[:len(sample) - trim])
        if guessed.encoding is not None:
            return guessed.encoding
    if not guessed.contenders or guessed.contenders[0].plausibility < GOOD:
        raise DocumentError(_encoding_message(name))
    *others, last = [reading.label for reading in guessed.contenders]
    raise DocumentError(_("Cannot tell the text encoding of {name}: it reads as {some} or as "
                          "{last}; save it as UTF-8 and try again.").format(
                              name=name, some=_(", as ").join(others), last=last))


def _detection_sample(data: bytes) -> tuple[bytes, bool]:
    """Up to `_ENCODING_SAMPLE_BYTES` of the lines that hold non-ASCII bytes, and whether it
    surely ends between characters.

    Lines of ASCII decode alike in every candidate and would only dilute the evidence (a log
    with one accented name after megabytes of ASCII). Line ends cut no character in any
    ASCII-based encoding; only a line longer than the whole sample is cut elsewhere.
    """
    parts: list[bytes] = []
    room = _ENCODING_SAMPLE_BYTES
    pos = 0
    while (found := _NON_ASCII.search(data, pos)) is not None:
        start = data.rfind(b"\n", pos, found.start()) + 1 or pos
        end = data.find(b"\n", found.end())
        end = len(data) if end < 0 else end + 1
        if end - start > room:
            if parts:
                break
            # One long line: from a little before its first non-ASCII byte (ASCII before it,
            # so no character is cut there).
            start = max(start, found.start() - 4096)
            return _cut_line(data[start:start + room])
        parts.append(data[start:end])
        room -= end - start
        pos = end
    return b"".join(parts), True


def _cut_line(sample: bytes) -> tuple[bytes, bool]:
    """`sample` up to its last byte below 0x30, which is never part of a multi-byte character
    in UTF-8, GB18030, Big5, Shift_JIS or EUC, if one is near the end."""
    for cut in range(len(sample), max(0, len(sample) - 64 * 1024), -1):
        if sample[cut - 1] < 0x30:
            return sample[:cut], True
    return sample, False


# --- PDF -------------------------------------------------------------------------------------

def _pdf_text(data: bytes, name: str) -> tuple[str, int]:
    """The text layer, pages apart by a blank line, and the number of pages."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, LimitReachedError

    if b"%PDF-" not in data[:1024]:
        raise DocumentError(_("{name} cannot be read as a PDF (it has no PDF header).").format(
            name=name))
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(_("{name} is protected by a password; save an unprotected "
                                  "copy and try again.").format(name=name))
        pages = len(reader.pages)  # pypdf stops at 100,000
        if pages > _MAX_PDF_PAGES:
            raise _too_large(name, _("it has {pages} pages, and up to {most} can be read")
                             .format(pages=f"{pages:,}", most=f"{_MAX_PDF_PAGES:,}"))
        texts, failure = _pdf_pages_text(reader, name)
    except DependencyError as exc:
        raise DocumentError(_("{name} cannot be read: a component is missing ({reason}).")
                            .format(name=name, reason=exc)) from exc
    except DocumentError:
        raise
    except LimitReachedError as exc:
        # A stream that unpacks to more than 75 MB, a page tree of 100,000 pages, ...
        log.info("%s: %s", name, exc)
        raise _too_large(name, _("a part of it goes past the PDF reader's safety "
                                 "limits")) from exc
    except Exception as exc:
        # pypdf meets damaged files with whatever exception the damage provokes.
        raise _damaged(name, _AS_A_PDF, exc) from exc
    if failure is not None and not texts:
        raise _damaged(name, _AS_A_PDF, failure)
    text = "\n\n".join(texts)
    visible = sum(len(word) for word in text.split())
    if visible < _MIN_PDF_CHARS_PER_PAGE * pages:
        raise DocumentError(_("{name} has no text layer (it may be scanned pages); run text "
                              "recognition (OCR) on it first.").format(name=name))
    return text, pages


def _pdf_pages_text(reader: Any, name: str) -> tuple[list[str], Exception | None]:
    """Each page's text, and the last error of the pages that could not be read."""
    from pypdf.errors import LimitReachedError

    work = _PdfWork(_MAX_PDF_OPERATIONS)
    texts: list[str] = []
    chars = 0
    failure: Exception | None = None
    for page in reader.pages:
        try:
            text = page.extract_text(visitor_operand_before=work.count)
        except LimitReachedError:
            raise
        except Exception as exc:
            # One damaged page costs its own text, not the document's.
            log.info("%s: skipping a page", name, exc_info=True)
            failure = exc
            continue
        finally:
            # Whatever came of the page: pypdf swallows errors inside a form XObject, and a
            # page that failed for the budget is not a damaged page.
            if work.exceeded:
                raise _too_large(name, _("it holds more than {count} drawing operations")
                                 .format(count=describe_count(work.limit)))
        chars += len(text)
        if chars > MAX_TEXT_CHARS:
            raise DocumentError(_too_long_message(name, chars))
        texts.append(text)
    return texts, failure


class _PdfWork:
    """Counts the content-stream operators pypdf runs through for the text (pypdf bounds each
    stream, but a page may draw the same 2-million-operator stream as 100,000 others do)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.operations = 0
        self.exceeded = False

    def count(self, operator: bytes, operands: object, cm: object, tm: object) -> None:
        """pypdf's `visitor_operand_before`: called before each operator."""
        self.operations += 1
        if self.operations > self.limit:
            self.exceeded = True
            raise _PdfWorkError


class _PdfWorkError(Exception):
    """Raised into pypdf to stop a page's extraction; `_PdfWork.exceeded` says why."""


def _too_large(name: str, reason: str) -> DocumentError:
    return DocumentError(_("{name} is too large to read: {reason}; split it or save it as "
                           "plain text.").format(name=name, reason=reason))


# --- DOCX ------------------------------------------------------------------------------------

def _docx_text(data: bytes, name: str) -> str:
    """Paragraphs (headings included) and tables, in the order of the document, streamed out
    of the zip (see `app.core.docx_text`)."""
    if data.startswith(_OLE_MAGIC):
        # Password-protected .docx files are OLE containers too, as are old .doc files.
        raise DocumentError(_("{name} is password-protected or an old Word (.doc) file; save "
                              "an unprotected .docx, PDF or plain-text copy and try again.")
                            .format(name=name))
    if data.count(_ZIP_MEMBER_SIGNATURE) > _MAX_ZIP_MEMBERS:  # a bound on what zipfile reads
        raise DocumentError(_("{name} cannot be read as a Word document (it holds more than "
                              "{most} files).").format(name=name, most=f"{_MAX_ZIP_MEMBERS:,}"))
    limits = DocxLimits(_MAX_DOCX_XML_BYTES, _MAX_MARKUP_ELEMENTS, MAX_TEXT_CHARS)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            main = _docx_main_part(archive, name, limits)
            with archive.open(main) as part:
                return body_text(part, limits)
    except DocumentError:
        raise
    except DocxTooLargeError as exc:
        raise _too_large(name, str(exc)) from exc
    except DocxRefusedError as exc:
        raise DocumentError(_(_AS_A_WORD_DOCUMENT).format(name=name, reason=exc)) from exc
    except zipfile.BadZipFile as exc:
        if "CRC" in str(exc):  # a member is not what its header says
            raise _damaged(name, _AS_A_WORD_DOCUMENT, exc) from exc
        raise DocumentError(_("{name} cannot be read as a Word document (it is not a valid "
                              "zip archive).").format(name=name)) from exc
    except Exception as exc:
        # lxml, zipfile and zlib raise XMLSyntaxError, ValueError, OSError, ... on damage.
        raise _damaged(name, _AS_A_WORD_DOCUMENT, exc) from exc


def _docx_main_part(archive: zipfile.ZipFile, name: str, limits: DocxLimits) -> zipfile.ZipInfo:
    """word/document.xml, checked before a byte of it is unpacked."""
    names = set(archive.namelist())
    for part in ("word/document.xml", "[Content_Types].xml"):
        if part not in names:
            raise DocumentError(_("{name} cannot be read as a Word document (it has no "
                                  "{part}).").format(name=name, part=part))
    main = archive.getinfo("word/document.xml")
    if main.flag_bits & 0x1:  # zip encryption: Word never writes it
        raise DocumentError(_("{name} is password-protected; save an unprotected copy and "
                              "try again.").format(name=name))
    if main.file_size > limits.xml_bytes:  # what it declares; what it holds is counted
        raise DocxTooLargeError(_("it unpacks to more than {size}").format(
            size=describe_bytes(limits.xml_bytes)))
    return main


# --- HTML ------------------------------------------------------------------------------------

def _html_text(data: bytes, name: str) -> tuple[str, str]:
    """The page's title and visible text, one line per block (see `app.core.html_text`)."""
    import lxml.etree

    text, encoding = _decode_html(data, name)
    text = text.replace("\0", "")
    if not text.strip():
        return "", encoding
    limits = HtmlLimits(_MAX_MARKUP_ELEMENTS, MAX_TEXT_CHARS)
    try:
        return page_text(text, limits), encoding
    except HtmlTooLargeError as exc:
        raise _too_large(name, str(exc)) from exc
    except lxml.etree.XMLSyntaxError as exc:  # libxml2 recovers from nearly anything
        raise _damaged(name, _AS_HTML, exc) from exc


def _decode_html(data: bytes, name: str) -> tuple[str, str]:
    """A BOM wins, then a <meta charset> that decodes the bytes, then `decode_text`."""
    declared = _META_CHARSET.search(data[:4096])
    if declared and not any(data.startswith(bom) for bom, _ in _BOMS):
        label = declared.group(1).decode("ascii").lower()
        # As browsers do: a Latin-1 label means cp1252, and a page that could state its
        # charset in ASCII is not UTF-16.
        if label in {"iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii"}:
            label = "cp1252"
        elif label.startswith(("utf-16", "utf-32")):
            label = "utf-8"
        try:
            return data.decode(label), codecs.lookup(label).name
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data, name)


# --- sniffing --------------------------------------------------------------------------------

def _sniff(data: bytes) -> str:
    """The kind of a document with no telling suffix, from its first bytes."""
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04") and b"word/document.xml" in data:
        # Its name, not the zip's directory: that is read (within bounds) by `_docx_text`.
        return "docx"
    head = data[:1024].removeprefix(codecs.BOM_UTF8)
    if _HTML_START.match(head):
        return "html"
    return "text"
