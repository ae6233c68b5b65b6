"""Reading documents: every format's text, every encoding, and one clear line for each bad file."""

from __future__ import annotations

import codecs
import io
import os
import random
import re
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest

from app.core.documents import readers as documents
from app.core.documents.docx_text import DocxLimits, DocxTooLargeError, body_text
from app.core.documents.readers import (
    MAX_FILE_BYTES,
    SUFFIXES,
    Document,
    DocumentError,
    decode_text,
    from_paste,
    read_bytes,
    read_document,
)
from tests.documents import (
    LEGACY_ENCODINGS,
    PARAGRAPHS,
    python_docx_text,
    sentences,
    write_docx,
    write_drawing_pdf,
    write_encrypted_pdf,
    write_huge_file,
    write_image_only_pdf,
    write_text_pdf,
    write_varied_docx,
)

CHINESE = (
    "人工智能是计算机科学的一个分支，它企图了解智能的实质，并生产出一种新的能以人类智能相似的方式"
    "做出反应的智能机器。该领域的研究包括机器人、语言识别、图像识别、自然语言处理和专家系统等。"
    "人工智能从诞生以来，理论和技术日益成熟，应用领域也不断扩大。可以设想，未来人工智能带来的科技"
    "产品，将会是人类智慧的容器。人工智能可以对人的意识、思维的信息过程进行模拟。\n"
) * 3
TRADITIONAL = (
    "臺灣位於東亞，是一個島嶼。這裡的人們說國語和臺語，文化豐富多樣。臺北是最大的城市，有許多著名"
    "的景點，例如故宮博物院和臺北一零一大樓。夜市是臺灣文化的重要部分，遊客可以品嚐各種小吃。"
    "山區的空氣清新，許多人週末會去爬山或泡溫泉。\n"
) * 3
JAPANESE = (
    "東京は日本の首都であり、世界で最も人口の多い都市圏の一つです。春には桜が咲き、多くの人々が"
    "花見を楽しみます。富士山は日本で最も高い山で、美しい景色で知られています。京都には古いお寺や"
    "神社がたくさんあり、毎年多くの観光客が訪れます。\n"
) * 3
DATA = Path(__file__).parent.parent / "data"
LUNYU = DATA / "lunyu.txt"
GPL = DATA / "gpl-3.0.txt"
FRENCH = (
    "Le café était délicieux, et la crème brûlée aussi. « Où êtes-vous allé cet été ? » "
    "demanda-t-elle. Il répondit qu’il avait visité la Côte d’Azur — c’était magnifique.\n"
)
GERMAN = "Größere Straßen führen über die Brücke. Die Bäume blühen im Frühling.\n"


def _error(call: object, *args: object) -> str:
    assert callable(call)
    with pytest.raises(DocumentError) as info:
        call(*args)
    message = str(info.value)
    assert "\n" not in message
    return message


# --- plain text and encodings ----------------------------------------------------------------

def test_text_file_is_normalised(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"\n\n  First line   \r\nsecond line\t\r\n\r\n\r\n\r\n\rthird\n\n")
    doc = read_document(path)
    assert doc == Document("notes.txt", "First line\nsecond line\n\nthird", "text",
                           encoding="utf-8")


def test_markdown_and_unknown_suffixes(tmp_path: Path) -> None:
    (tmp_path / "readme.md").write_text("# Title\n\nSome *text*.", "utf-8")
    (tmp_path / "Makefile").write_text("all:\n\techo hi\n", "utf-8")
    (tmp_path / "notes.weird").write_text("plain words", "utf-8")
    assert read_document(tmp_path / "readme.md").kind == "markdown"
    assert read_document(tmp_path / "readme.md").text == "# Title\n\nSome *text*."
    assert read_document(tmp_path / "Makefile").text == "all:\n\techo hi"
    assert read_document(tmp_path / "notes.weird").kind == "text"


@pytest.mark.parametrize(("text", "codec", "expected"), [
    (FRENCH, "utf-8", {"utf-8"}),
    (CHINESE, "utf-8-sig", {"utf-8-sig"}),
    (FRENCH, "utf-16-le", {"utf-16"}),
    (CHINESE, "utf-16-be", {"utf-16"}),
    (FRENCH, "utf-32", {"utf-32"}),
    (CHINESE, "gb18030", {"gb18030"}),
    (CHINESE, "gbk", {"gb18030", "gbk"}),
    (TRADITIONAL, "big5", {"big5", "cp950", "big5hkscs"}),
    (JAPANESE, "shift_jis", {"cp932", "shift_jis"}),
    (FRENCH, "cp1252", {"cp1252"}),
    (GERMAN, "latin-1", {"cp1252", "latin_1"}),
    ("A naïve café.", "cp1252", {"cp1252"}),
])
def test_decode_text(text: str, codec: str, expected: set[str]) -> None:
    data = text.encode(codec)
    if codec in {"utf-16-le", "utf-16-be"}:  # these codecs write no BOM of their own
        data = (codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE) + data
    decoded, encoding = decode_text(data, "sample.txt")
    assert decoded == text
    assert encoding in expected


@pytest.mark.parametrize(("language", "codec"), [
    (language, codec) for language, codecs in LEGACY_ENCODINGS.items() for codec in codecs])
def test_legacy_text_of_every_length(language: str, codec: str) -> None:
    """Each sentence on its own (a line), the paragraph, and a file of it, read right."""
    paragraph = PARAGRAPHS[language]
    for text in [*sentences(paragraph), paragraph, "\n\n".join([paragraph] * 50)]:
        decoded, encoding = decode_text(text.encode(codec), "sample.txt")
        assert decoded == text, (encoding, text[:20])


def test_short_shift_jis_is_japanese() -> None:
    """Issue 17's probe: read as Korean (cp949), it was summarized as garbage."""
    text = "お疲れ様です。明日もよろしくお願いします。"
    assert decode_text(text.encode("shift_jis"), "memo.txt") == (text, "cp932")


@pytest.mark.parametrize(("text", "codec", "readings"), [
    ("감사합니다.", "euc_kr", "Japanese (EUC-JP), as Chinese (GB18030) or as Korean (EUC-KR)"),
    ("会議は三時からです", "euc_jp", "Japanese (EUC-JP) or as Chinese (Big5)"),
    ("안녕하세요", "euc_kr",
     "Japanese (EUC-JP), as Chinese (GB18030) or as Korean (EUC-KR)"),
])
def test_unclear_encoding_names_the_readings(text: str, codec: str, readings: str) -> None:
    """A word or two without punctuation or spaces is Korean or Chinese, Japanese or
    Chinese, alike: the user is told so instead of reading noise."""
    assert _error(decode_text, text.encode(codec), "note.txt") == (
        f"Cannot tell the text encoding of note.txt: it reads as {readings}; save it as UTF-8 "
        "and try again.")


@pytest.mark.parametrize("codec", ["cp950", "gb18030"])
def test_classical_chinese_line_by_line(codec: str) -> None:
    """The Analects (tests/data/lunyu.txt), each line alone: read right or refused as
    unclear (a chapter title of four characters), never read as something else."""
    lines = [line for line in LUNYU.read_text("utf-8").splitlines() if line.strip()]
    outcomes: dict[str, int] = {"right": 0, "unclear": 0}
    for line in lines:
        try:
            data = line.encode(codec)
        except UnicodeEncodeError:  # a few characters Big5 lacks
            continue
        try:
            decoded, _ = decode_text(data, "line.txt")
        except DocumentError as exc:
            assert "it reads as" in str(exc) or "Cannot tell" in str(exc)
            outcomes["unclear"] += 1
            continue
        assert decoded == line
        outcomes["right"] += 1
    assert outcomes["right"] >= 0.97 * (outcomes["right"] + outcomes["unclear"]), outcomes


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("language", ["english", "french", "russian", "japanese", "korean"])
def test_utf16_without_bom(codec: str, language: str) -> None:
    """Text, not binary: the zero bytes of spaces and line ends fall on one side."""
    text = GPL.read_text("utf-8")[:3000] if language == "english" else (
        PARAGRAPHS[language] + "\n") * 3
    data = text.encode(codec)
    assert decode_text(data, "notes.txt") == (text, codec)
    # Cut short by a byte: the last character is damaged, the rest is read.
    decoded, encoding = decode_text(data[:-1], "notes.txt")
    assert (decoded[:-1], encoding) == (text[:-1], codec)


def test_legacy_encoding_after_a_long_ascii_start(tmp_path: Path) -> None:
    """Detection looks where the non-ASCII bytes are, even past its sample's size."""
    path = tmp_path / "log.txt"
    path.write_bytes(b"ok line\n" * 200_000 + CHINESE.encode("gb18030"))
    doc = read_document(path)
    assert doc.encoding == "gb18030"
    assert doc.text.endswith(CHINESE.strip())


def test_big_legacy_file_is_decoded_whole(tmp_path: Path) -> None:
    """The detection sample ends between characters, never inside one."""
    path = tmp_path / "big.txt"
    path.write_bytes((CHINESE * 1000).encode("gb18030"))
    assert read_document(path).text == (CHINESE * 1000).strip()


def test_unknown_encoding() -> None:
    rng = random.Random(7)
    data = bytes(rng.randrange(0x80, 0x100) for _ in range(4096))  # no NUL: not binary
    assert "Cannot tell the text encoding of x.txt" in _error(decode_text, data, "x.txt")
    assert "UTF-8" in _error(read_bytes, data, "x.txt")


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
    b"\x7fELF\x02\x01\x01\x00" + bytes(56),
    b"GGUF\x03\x00\x00\x00" + bytes(range(256)),
    random.Random(1).randbytes(4096),
    bytes(range(1, 9)) * 100,  # control characters, no NUL
    codecs.BOM_UTF16_LE + ("\x01\x02\x03" * 100).encode("utf-16-le"),
])
def test_binary_data_is_refused(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(data)
    message = _error(read_document, path)
    assert message == "model.gguf is not a text document (it looks like binary data)."


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  "])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(data)
    assert _error(read_document, path) == "empty.txt is empty."


# --- files that cannot be read ---------------------------------------------------------------

def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert "no such file" in _error(read_document, tmp_path / "gone.txt")
    assert "gone.txt" in _error(read_document, tmp_path / "gone.txt")
    assert "no such file" in _error(read_document, tmp_path / "gone" / "deeper.txt")
    assert "folder" in _error(read_document, tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_named_pipe_is_not_read(tmp_path: Path) -> None:
    """Reading a pipe would wait for a writer forever."""
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    assert _error(read_document, pipe) == f"Cannot read {pipe}: it is not a regular file."


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("hidden", "utf-8")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)
    assert _error(read_document, path) == f"Cannot read {path}: permission denied."


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_file_swapped_for_a_pipe_does_not_block(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The file's type is checked on the opened descriptor: a FIFO put in place of the file
    after its path was looked at is refused, not waited on for a writer."""
    regular = tmp_path / "regular.txt"
    regular.write_text("text", "utf-8")
    pipe = tmp_path / "notes.txt"
    os.mkfifo(pipe)
    real_stat = Path.stat

    def swapped(self: Path, *args: Any, **kwargs: Any) -> os.stat_result:
        # The path looked like a regular file, then the FIFO took its place.
        return real_stat(regular if self == pipe else self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", swapped)
    outcome: list[str] = []

    def read() -> None:
        try:
            read_document(pipe)
        except DocumentError as exc:
            outcome.append(str(exc))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():  # blocked opening the FIFO: let it go, then fail
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
    assert outcome == [f"Cannot read {pipe}: it is not a regular file."]


def test_huge_file_is_refused_before_reading(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_huge_file(tmp_path / "huge.txt", 300 * 1024 * 1024)

    def must_not_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", must_not_read)
    monkeypatch.setattr(Path, "read_bytes", must_not_read)
    message = _error(read_document, path)
    assert message == "huge.txt is 300 MB; documents up to 100 MB can be read."


def test_size_limits_on_bytes_and_text(monkeypatch: pytest.MonkeyPatch) -> None:
    assert MAX_FILE_BYTES == 100 * 1024 * 1024
    monkeypatch.setattr(documents, "MAX_FILE_BYTES", 1024 * 1024)
    message = _error(read_bytes, b"x" * (1024 * 1024 + 1), "stdin")
    assert message == "stdin is 1.1 MB; documents up to 1 MB can be read."
    monkeypatch.undo()
    monkeypatch.setattr(documents, "MAX_TEXT_CHARS", 1_000_000)
    message = _error(read_bytes, b"word " * 300_000, "long.txt")
    assert message == "long.txt holds 1.5 million characters of text; up to 1 million can be read."
    assert "million characters" in _error(from_paste, "word " * 300_000)


def test_unsupported_office_formats(tmp_path: Path) -> None:
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    assert _error(read_document, path) == (
        "old.doc: .doc files cannot be read; save it as .docx, PDF or plain text.")
    assert "CSV" in _error(read_bytes, b"PK\x03\x04", "sheet.xlsx")


# --- PDF -------------------------------------------------------------------------------------

def test_pdf_text_layer(tmp_path: Path) -> None:
    path = write_text_pdf(tmp_path / "report.pdf", [
        "Quarterly report\nSales rose (a little) in spring.\nA back\\slash stays.",
        "Second page\nCosts fell.",
    ])
    doc = read_document(path)
    assert (doc.name, doc.kind, doc.pages) == ("report.pdf", "pdf", 2)
    assert doc.text == ("Quarterly report\nSales rose (a little) in spring.\nA back\\slash stays."
                        "\n\nSecond page\nCosts fell.")


def test_one_short_page_is_text(tmp_path: Path) -> None:
    doc = read_document(write_text_pdf(tmp_path / "memo.pdf", ["Meeting moved to Friday 3pm."]))
    assert doc.pages == 1
    assert doc.text == "Meeting moved to Friday 3pm."


@pytest.mark.parametrize("pages", [1, 50])
def test_pdf_without_text_layer(tmp_path: Path, pages: int) -> None:
    path = write_image_only_pdf(tmp_path / "scan.pdf", pages)
    assert _error(read_document, path) == (
        "scan.pdf has no text layer (it may be scanned pages); "
        "run text recognition (OCR) on it first.")


def test_scan_with_page_numbers_has_no_text_layer(tmp_path: Path) -> None:
    """Stray page numbers on 50 scanned pages do not make a text layer."""
    path = write_text_pdf(tmp_path / "book.pdf", [str(n) for n in range(1, 51)])
    assert "no text layer" in _error(read_document, path)


def test_pdf_with_password(tmp_path: Path) -> None:
    path = write_encrypted_pdf(tmp_path / "locked.pdf", "secret")
    assert _error(read_document, path) == (
        "locked.pdf is protected by a password; save an unprotected copy and try again.")


def test_pdf_encrypted_with_empty_password_opens(tmp_path: Path) -> None:
    doc = read_document(write_encrypted_pdf(tmp_path / "restricted.pdf", ""))
    assert "text layer under its password" in doc.text


def test_pdf_missing_dependency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    def no_crypto(self: PdfReader, password: str) -> None:
        raise DependencyError("cryptography>=3.1 is required for AES algorithm")

    monkeypatch.setattr(PdfReader, "decrypt", no_crypto)
    message = _error(read_document, write_encrypted_pdf(tmp_path / "aes.pdf", ""))
    assert message == ("aes.pdf cannot be read: a component is missing "
                       "(cryptography>=3.1 is required for AES algorithm).")


def test_damaged_pdf(tmp_path: Path) -> None:
    data = write_text_pdf(tmp_path / "whole.pdf", ["Some text\non a page"]).read_bytes()
    for damaged in (data[: len(data) // 2], b"%PDF-1.7\n" + bytes(range(256)) * 4):
        message = _error(read_bytes, damaged, "broken.pdf")
        assert message.startswith("broken.pdf cannot be read as a PDF (")
        assert message.endswith(").")
    assert _error(read_bytes, b"<html>a web page</html>", "page.pdf") == (
        "page.pdf cannot be read as a PDF (it has no PDF header).")


@pytest.mark.parametrize("in_form", [False, True])
def test_pdf_drawing_operations_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            in_form: bool) -> None:
    """pypdf bounds each content stream, not pages drawing one stream over and over; inside
    a form XObject pypdf swallows the error that stops it, and the budget still holds."""
    path = write_drawing_pdf(tmp_path / "plan.pdf", pages=3, operations=500, in_form=in_form)
    assert read_document(path).text.count("A page with a drawing.") == 3
    monkeypatch.setattr(documents, "_MAX_PDF_OPERATIONS", 1200)
    assert _error(read_document, path) == (
        "plan.pdf is too large to read: it holds more than 1,200 drawing operations; split it "
        "or save it as plain text.")


def test_pdf_page_count_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents, "_MAX_PDF_PAGES", 10)
    page = "A page of text."
    assert read_document(write_text_pdf(tmp_path / "ten.pdf", [page] * 10)).pages == 10
    assert _error(read_document, write_text_pdf(tmp_path / "more.pdf", [page] * 11)) == (
        "more.pdf is too large to read: it has 11 pages, and up to 10 can be read; split it or "
        "save it as plain text.")


# --- DOCX ------------------------------------------------------------------------------------

def test_docx_paragraphs_and_table_in_order(tmp_path: Path) -> None:
    import docx

    path = write_docx(tmp_path / "plan.docx", ["Project plan", "We start in May."],
                      [["Task", "Owner"], ["Design", "Ann"], ["Build", "Bo"]])
    document = docx.Document(str(path))
    document.add_heading("After the table", level=2)
    document.save(str(path))
    doc = read_document(path)
    assert doc.kind == "docx"
    assert doc.text == ("Project plan\n\nWe start in May.\n\nTask | Owner\nDesign | Ann\nBuild | Bo"
                        "\n\nAfter the table")


def test_docx_merged_cells_are_read_once(tmp_path: Path) -> None:
    import docx

    path = write_docx(tmp_path / "t.docx", ["Merged"], [["a", "b", "c"], ["wide", "", "z"]])
    document = docx.Document(str(path))
    table = document.tables[0]
    table.cell(1, 0).merge(table.cell(1, 1))
    document.save(str(path))
    assert read_document(path).text.endswith("a | b | c\nwide | z")


def test_docx_without_text(tmp_path: Path) -> None:
    assert _error(read_document, write_docx(tmp_path / "blank.docx", ["", " "])) == (
        "blank.docx has no text.")


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_damaged_docx(tmp_path: Path) -> None:
    data = write_docx(tmp_path / "ok.docx", ["Fine text"]).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    broken_xml = _zip(parts | {"word/document.xml": b"<w:document><unclosed"})
    no_types = _zip({k: v for k, v in parts.items() if k != "[Content_Types].xml"})
    cases = {
        data[: len(data) // 2]: "not a valid zip archive",
        b"not a zip at all": "not a valid zip archive",
        _zip({"hello.txt": b"hi"}): "has no word/document.xml",
        broken_xml: "cannot be read as a Word document (",
        no_types: "[Content_Types].xml",
    }
    for damaged, words in cases.items():
        message = _error(read_bytes, damaged, "broken.docx")
        assert message.startswith("broken.docx cannot be read as a Word document (")
        assert words in message
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)
    assert "password" in _error(read_bytes, ole, "locked.docx")


def test_docx_text_is_python_docx_text(tmp_path: Path) -> None:
    """The streaming reader gives python-docx's text: runs, breaks, tabs, hyperlinks, and
    tables with cells of several paragraphs, nested tables and cells merged both ways."""
    for seed in range(25):  # 14 of these merge cells down, 10 across
        path = write_varied_docx(tmp_path / f"varied{seed}.docx", seed)
        expected = documents.normalize_text(python_docx_text(path))
        assert read_document(path).text == expected, f"seed {seed}"


def _document_xml(body: str) -> bytes:
    return (f'<w:document xmlns:w="{_W}"><w:body>{body}</w:body></w:document>').encode()


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def _docx(body: str) -> bytes:
    return _zip({"[Content_Types].xml": _CONTENT_TYPES, "word/document.xml": _document_xml(body)})


def test_docx_runs_breaks_and_merged_rows() -> None:
    body = (
        "<w:p><w:r><w:t>one</w:t><w:tab/><w:t>two</w:t><w:br/><w:t>three</w:t>"
        '<w:br w:type="page"/><w:t>-four</w:t><w:noBreakHyphen/></w:r>'
        "<w:hyperlink><w:r><w:t xml:space='preserve'> linked</w:t></w:r></w:hyperlink>"
        "<w:ins><w:r><w:t>not python-docx's</w:t></w:r></w:ins></w:p>"
        "<w:tbl><w:tr><w:tc><w:tcPr><w:vMerge w:val='restart'/></w:tcPr>"
        "<w:p><w:r><w:t>tall</w:t></w:r></w:p></w:tc>"
        "<w:tc><w:tcPr><w:gridSpan w:val='2'/></w:tcPr><w:p><w:r><w:t>wide</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>  second   line</w:t></w:r></w:p></w:tc></w:tr>"
        "<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc>"
        "<w:tc><w:p><w:r><w:t>b</w:t></w:r></w:p></w:tc>"
        "<w:tc><w:tbl><w:tr><w:tc><w:p><w:r><w:t>nested</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
        "<w:p><w:r><w:t>c</w:t></w:r></w:p></w:tc></w:tr>"
        "<w:tr><w:tc><w:p/></w:tc></w:tr></w:tbl>"
        "<w:sdt><w:sdtContent><w:p><w:r><w:t>in a content control</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt><w:p><w:r><w:t>end</w:t></w:r></w:p>")
    assert read_bytes(_docx(body), "runs.docx").text == (
        "one\ttwo\nthree-four- linked\n\ntall | wide second line\ntall | b | c\n\nend")


def test_docx_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each bound on what a document unpacks to gives one line naming it."""
    data = _docx("<w:p><w:r><w:t>word</w:t></w:r></w:p>" * 1000)
    assert read_bytes(data, "ok.docx").text.count("word") == 1000
    monkeypatch.setattr(documents, "_MAX_MARKUP_ELEMENTS", 2000)
    assert _error(read_bytes, data, "many.docx") == (
        "many.docx is too large to read: it holds more than 2,000 XML elements; split it or "
        "save it as plain text.")
    monkeypatch.undo()
    monkeypatch.setattr(documents, "_MAX_DOCX_XML_BYTES", 20_000)
    assert "it unpacks to more than 20,000 bytes" in _error(read_bytes, data, "big.docx")
    monkeypatch.undo()
    monkeypatch.setattr(documents, "MAX_TEXT_CHARS", 3000)
    assert "it holds more than 3,000 characters of text" in _error(read_bytes, data, "t.docx")


def test_docx_xml_is_counted_as_it_is_read() -> None:
    """The reader counts the bytes it unpacks, whatever the zip declared."""
    xml = _document_xml("<w:p><w:r><w:t>word</w:t></w:r></w:p>" * 2000)  # 76 kB
    limits = DocxLimits(xml_bytes=40_000, elements=10**6, chars=10**6)
    with pytest.raises(DocxTooLargeError, match=r"^it unpacks to more than 40,000 bytes$"):
        body_text(io.BytesIO(xml), limits)
    assert body_text(io.BytesIO(xml), DocxLimits(100_000, 10**6, 10**6)).count("word") == 2000


def test_docx_declaring_a_wrong_size_is_damaged() -> None:
    data = _docx("<w:p><w:r><w:t>word</w:t></w:r></w:p>" * 2000)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        size = archive.getinfo("word/document.xml").file_size
    name_length = len("word/document.xml").to_bytes(2, "little")
    # Its headers say 1,000 bytes: zipfile stops there, and the XML is cut short.
    lying = data.replace(size.to_bytes(4, "little") + name_length,
                         (1000).to_bytes(4, "little") + name_length)
    assert lying != data
    message = _error(read_bytes, lying, "lying.docx")
    assert message.startswith("lying.docx cannot be read as a Word document (")


def test_docx_hostile_parts() -> None:
    laughs = (b'<!DOCTYPE w:document [<!ENTITY a "lol">]>'
              + _document_xml("<w:p><w:r><w:t>&a;</w:t></w:r></w:p>"))
    data = _zip({"[Content_Types].xml": _CONTENT_TYPES, "word/document.xml": laughs})
    assert _error(read_bytes, data, "dtd.docx") == (
        "dtd.docx cannot be read as a Word document (it declares a DTD, which Word never "
        "writes).")
    # No tree is built, so depth costs nothing but the element count.
    deep = _docx("<w:p><w:r><w:t>top</w:t></w:r></w:p>"
                 + "<w:sdt>" * 100_000 + "</w:sdt>" * 100_000)
    assert read_bytes(deep, "deep.docx").text == "top"
    many = _zip({"[Content_Types].xml": _CONTENT_TYPES, "word/document.xml": _document_xml("")}
                | {f"m/{i}": b"" for i in range(20_001)})
    assert _error(read_bytes, many, "many.docx") == (
        "many.docx cannot be read as a Word document (it holds more than 20,000 files).")


# --- HTML ------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head><title>The  Page</title>
<style>body { color: red }</style><script>var s = "<p>not text</p>";</script></head>
<body><h1>Heading</h1>
<p>First   paragraph with <b>bold</b> and
a break<br>here &amp; there.</p>
<!-- a comment -->
<ul><li>one</li><li>two <i>items</i></li></ul>
<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ann</td><td>42</td></tr></table>
<noscript>Enable JavaScript</noscript><template><p>later</p></template>
<svg><title>icon</title><text>drawn</text></svg>
<div><div>nested</div></div>
</body></html>
"""


def test_html_text(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(PAGE, "utf-8")
    doc = read_document(path)
    assert (doc.kind, doc.encoding) == ("html", "utf-8")
    assert doc.text == ("The Page\n\nHeading\n\nFirst paragraph with bold and a break\n"
                        "here & there.\n\n- one\n- two items\n\nName | Age\nAnn | 42\n\nnested")


def test_html_meta_charset(tmp_path: Path) -> None:
    data = '<html><head><meta charset="windows-1252"></head><p>Crème brûlée</p></html>'
    doc = read_bytes(data.encode("cp1252"), "menu.htm")
    assert (doc.text, doc.encoding) == ("Crème brûlée", "cp1252")


def test_html_edge_cases() -> None:
    assert read_bytes(b"report.html", "bare.html").text == "report.html"
    assert read_bytes(b"<?xml version='1.0'?><rss><i>feed</i></rss>", "f.xhtml").text == "feed"
    deep = b"<div>" * 2000 + b"deep" + b"</div>" * 2000  # deeper than Python's recursion
    assert read_bytes(deep, "deep.html").text == "deep"
    # Deeper than libxml2 builds a tree (2048): streamed, nothing is lost.
    deeper = b"<div>" * 3000 + b"kept" + b"</div>" * 3000 + b"<p>after</p>"
    assert read_bytes(deeper, "deeper.html").text == "kept\n\nafter"
    # Quadratic in the standard library's html.parser (minutes), linear in libxml2's.
    assert read_bytes(b"<p>ok</p>" + b"<a" * 200_000, "broken.html").text == "ok"
    assert _error(read_bytes, b"<html><script>x()</script></html>", "s.html") == (
        "s.html has no text.")


def test_html_blocks_pre_and_hidden() -> None:
    page = (b"<html><head><title>First</title><title>Second</title></head><body>"
            b"<p>a<span hidden>not shown</span> b</p><pre>  code\n    indented\n</pre>tail"
            # A cell after a script is not told apart (lxml's getprevious() was the rule).
            b"<table><tr><td>x</td><script>y</script><td>z</td><th>w</th></tr></table>"
            b"<ul><li></li><li>item <b>bold</b></li></ul>x<br><br>y<select><option>o</select>"
            b"</body></html>")
    assert read_bytes(page, "p.html").text == (
        "First\n\na b\n\n  code\n    indented\n\ntail\n\nxz | w\n\n-\n- item bold\n\nx\n\ny")


def test_html_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    page = b"<p>word</p>" * 1000
    assert read_bytes(page, "ok.html").text.count("word") == 1000
    monkeypatch.setattr(documents, "_MAX_MARKUP_ELEMENTS", 500)
    assert _error(read_bytes, page, "many.html") == (
        "many.html is too large to read: it holds more than 500 HTML elements; split it or "
        "save it as plain text.")
    monkeypatch.undo()
    monkeypatch.setattr(documents, "MAX_TEXT_CHARS", 3000)
    assert "it holds more than 3,000 characters of text" in _error(read_bytes, page, "t.html")
    pre = b"<pre>" + b"word " * 1000 + b"</pre>"
    assert "it holds more than 3,000 characters of text" in _error(read_bytes, pre, "pre.html")


def _normalized_whole(text: str) -> str:
    """`normalize_text`'s rules, applied to the whole text at once."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


@pytest.mark.parametrize("piece", [1, 2, 3, 7])
def test_normalize_text_in_pieces(monkeypatch: pytest.MonkeyPatch, piece: int) -> None:
    """Cut into pieces, the text comes out as if normalized whole: no line's trailing space
    and no run of blank lines is split."""
    monkeypatch.setattr(documents, "_PIECE_CHARS", piece)
    alphabet = ["a", "b", " ", "\n", "\n", "\r", "\r\n", "\t", "\0", "\u3000", "é", "xyz "]
    rng = random.Random(piece)
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert documents.normalize_text(text) == _normalized_whole(text), repr(text)
        assert len(documents.normalize_text(text)) >= documents._at_least_kept(text)


# --- sniffing, paste, constants --------------------------------------------------------------

def test_read_bytes_sniffs_stdin(tmp_path: Path) -> None:
    pdf = write_text_pdf(tmp_path / "a.pdf", ["Piped in\nthrough stdin"]).read_bytes()
    assert read_bytes(pdf, "stdin") == Document("stdin", "Piped in\nthrough stdin", "pdf",
                                                pages=1)
    docx_data = write_docx(tmp_path / "a.docx", ["Word on stdin"]).read_bytes()
    assert read_bytes(docx_data, "stdin").kind == "docx"
    html = b"\xef\xbb\xbf  <!doctype html><p>Web</p>"
    assert (read_bytes(html, "stdin").kind, read_bytes(html, "stdin").text) == ("html", "Web")
    assert read_bytes(b"just <b>words</b>", "stdin").kind == "text"
    assert read_bytes(pdf, "stdin", kind="pdf").pages == 1
    with pytest.raises(ValueError, match="kind"):
        read_bytes(pdf, "stdin", kind="paste")


def test_paste() -> None:
    assert from_paste("\n  Hello \r\n\n\n\nworld\0  ") == Document("Pasted text",
                                                                   "Hello\n\nworld", "paste")
    assert _error(from_paste, " \n\t ") == "Pasted text is empty."


def test_suffixes() -> None:
    kinds = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".pdf": "pdf",
             ".docx": "docx", ".html": "html", ".htm": "html", ".xhtml": "html"}
    assert kinds.items() <= SUFFIXES.items()
    assert set(SUFFIXES.values()) == {"text", "markdown", "pdf", "docx", "html"}
