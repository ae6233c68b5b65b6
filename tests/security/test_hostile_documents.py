"""Hostile documents (issue 17, items 9 and 15): what a file unpacks to is bounded, and text
whose encoding cannot be told is refused instead of summarized as noise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.documents import (
    LEGACY_ENCODINGS,
    PARAGRAPHS,
    sentences,
    write_docx_bomb,
    write_pdf_bomb,
    write_text_pdf,
)

ROOT = Path(__file__).resolve().parents[2]

# Reads a document in a fresh interpreter and prints what came of it and its peak memory.
_READ = """
import resource, sys
from pathlib import Path
from app.core.documents.readers import DocumentError, read_document
try:
    document = read_document(Path(sys.argv[1]))
    print(f"read {len(document.text)} characters")
except DocumentError as exc:
    print(exc)
# Linux keeps ru_maxrss across exec: a child forked from a big parent (pytest after the window
# tests, over 1 GB) would report the parent's size. VmHWM is this program's own high-water mark.
try:
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) * 1024 for line in status
                    if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = peak if sys.platform == "darwin" else peak * 1024  # Linux counts kB
print(peak)
"""


def _read_in_subprocess(path: Path) -> tuple[list[str], int]:
    """The lines the reader printed, and its peak resident memory in bytes."""
    done = subprocess.run([sys.executable, "-c", _READ, str(path)], cwd=ROOT, check=True,
                          capture_output=True, text=True, timeout=600)
    *lines, peak = done.stdout.splitlines()
    return lines, int(peak)


@pytest.mark.skipif(sys.platform == "win32", reason="resource.getrusage is POSIX")
def test_docx_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """120 MB of one-word paragraphs in a 0.4 MB file. python-docx built the whole tree: 1.7 GB
    for 95 MB (9.4 GB for the issue's 950 MB). Streamed, it stops at the element bound."""
    bomb = write_docx_bomb(tmp_path / "bomb.docx", 120 * 1024 * 1024)
    assert bomb.stat().st_size < 1024 * 1024
    lines, peak = _read_in_subprocess(bomb)
    assert peak < 1024 ** 3, f"{peak >> 20} MB"  # generous: about 50 MB here
    assert lines == [
        "bomb.docx is too large to read: it holds more than 4 million XML elements; split it "
        "or save it as plain text."]


@pytest.mark.skipif(sys.platform == "win32", reason="resource.getrusage is POSIX")
def test_pdf_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """A content stream unpacking to 200 MB: pypdf stops at 75 MB; the user reads why."""
    bomb = write_pdf_bomb(tmp_path / "bomb.pdf", 200 * 1024 * 1024)
    assert bomb.stat().st_size < 1024 * 1024
    lines, peak = _read_in_subprocess(bomb)
    assert peak < 1024 ** 3, f"{peak >> 20} MB"  # generous
    assert lines == ["bomb.pdf is too large to read: a part of it goes past the PDF reader's "
                     "safety limits; split it or save it as plain text."]


def test_pdf_pages_are_bounded(tmp_path: Path) -> None:
    """Each page costs about a millisecond even when empty; 20,000 hold 20 million
    characters. pypdf's own bound is 100,000 pages."""
    from app.core.documents.readers import DocumentError, read_document

    path = write_text_pdf(tmp_path / "pages.pdf", ["A short page."] * 20_001)
    with pytest.raises(DocumentError) as info:
        read_document(path)
    assert str(info.value) == ("pages.pdf is too large to read: it has 20,001 pages, and up to "
                               "20,000 can be read; split it or save it as plain text.")


@pytest.mark.skipif(sys.platform == "win32", reason="resource.getrusage is POSIX")
def test_html_of_many_elements_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """An 18 MB page of 4.5 million paragraphs: lxml's tree took about 320 bytes each (7.7 GB
    and 3.5 minutes for 95 MB of them). Streamed, it stops at the element bound."""
    page = tmp_path / "paragraphs.html"
    page.write_bytes(b"<html><body>" + b"<p>x" * 4_500_000)
    lines, peak = _read_in_subprocess(page)
    assert peak < 1024 ** 3, f"{peak >> 20} MB"  # generous: about 100 MB here
    assert lines == ["paragraphs.html is too large to read: it holds more than 4 million HTML "
                     "elements; split it or save it as plain text."]


@pytest.mark.skipif(sys.platform == "win32", reason="resource.getrusage is POSIX")
@pytest.mark.parametrize(("line", "chars"), [
    (b"ab\n", "99.7"),     # too long before normalizing: not normalized at all
    (b"a    \n", "33.3"),  # too long only once normalized: normalized in pieces
])
def test_long_text_file_in_bounded_memory(tmp_path: Path, line: bytes, chars: str) -> None:
    """95 MB of short lines: normalizing built a list of every line, 2.8 GB for "ab\\n"."""
    path = tmp_path / "lines.txt"
    path.write_bytes(line * (95 * 1024 * 1024 // len(line)))
    lines, peak = _read_in_subprocess(path)
    assert peak < 1024 ** 3, f"{peak >> 20} MB"  # generous: about 300 MB here
    assert lines == [f"lines.txt holds {chars} million characters of text; up to 20 million "
                     "can be read."]


def test_legacy_text_is_read_right_or_refused_never_as_noise() -> None:
    """Every piece of every sample sentence, from two characters up, in every code page it
    is written in: read right, or refused as unclear. Issue 17 found short Shift_JIS read
    as Korean and summarized as garbage; a wrong reading is the one outcome not allowed."""
    from app.core.documents.readers import DocumentError, decode_text

    outcomes = {"right": 0, "unclear": 0}
    for language, paragraph in PARAGRAPHS.items():
        for codec in LEGACY_ENCODINGS[language]:
            for sentence in sentences(paragraph):
                for length in range(2, len(sentence) + 1):
                    for piece in {sentence[:length], sentence[-length:]}:
                        data = piece.encode(codec)
                        if not data.isascii():
                            try:
                                decoded, encoding = decode_text(data, "piece.txt")
                            except DocumentError as exc:
                                assert "Cannot tell the text encoding" in str(exc)
                                outcomes["unclear"] += 1
                            else:
                                assert decoded == piece, (codec, encoding, decoded)
                                outcomes["right"] += 1
    # About nine in ten; the unclear ones are a few characters long.
    assert outcomes["right"] > 8 * outcomes["unclear"], outcomes


def test_summarize_refuses_an_unclear_encoding(tmp_path: Path) -> None:
    """The CLI says so and exits 2 before loading a model; it summarized noise, exit 0."""
    note = tmp_path / "note.txt"
    note.write_bytes("会議は三時からです".encode("euc_jp"))
    done = subprocess.run([sys.executable, "-m", "app", "--data-dir", str(tmp_path / "data"),
                           "summarize", str(note)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        "lamplight: error: Cannot tell the text encoding of note.txt: it reads as Japanese "
        "(EUC-JP) or as Chinese (Big5); save it as UTF-8 and try again."]
