"""Documents for tests, generated on the spot: real PDFs (with and without a text layer, with a
password), DOCX files and huge sparse files. Nothing binary is kept in the repository."""

from __future__ import annotations

from pathlib import Path


def _pdf_string(text: str) -> bytes:
    """A PDF literal string: parentheses and backslashes escaped, WinAnsi (cp1252) bytes."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("cp1252") + b")"


def _pdf_bytes(contents: list[bytes], font: bool) -> bytes:
    """A PDF of US-Letter pages, one content stream each, with a correct xref table."""
    pages = len(contents)
    # 1 catalog, 2 page tree, 3 font, then a page object and its content stream per page.
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(pages))
    resources = "/Resources << /Font << /F1 3 0 R >> >>" if font else "/Resources << >>"
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, content in enumerate(contents):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] {resources} "
                       f"/Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content
                       + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def write_text_pdf(path: Path, pages: list[str]) -> Path:
    """A real PDF with a text layer: one string per page, its lines set in Helvetica."""
    contents = []
    for page in pages:
        ops = [b"BT", b"/F1 12 Tf", b"72 720 Td"]
        for number, line in enumerate(page.split("\n")):
            if number:
                ops.append(b"0 -16 Td")
            ops.append(_pdf_string(line) + b" Tj")
        ops.append(b"ET")
        contents.append(b"\n".join(ops))
    path.write_bytes(_pdf_bytes(contents, font=True))
    return path


def write_image_only_pdf(path: Path, pages: int = 3) -> Path:
    """A PDF whose pages only draw a grey rectangle, as a scan's would draw an image."""
    contents = [b"0.8 g\n72 72 468 648 re\nf" for _ in range(pages)]
    path.write_bytes(_pdf_bytes(contents, font=False))
    return path


def write_encrypted_pdf(path: Path, password: str = "secret") -> Path:
    """A text PDF encrypted with AES-256; `password` "" leaves it openable by anyone."""
    from pypdf import PdfReader, PdfWriter

    plain = write_text_pdf(path.with_name(path.name + ".plain.pdf"),
                           ["A protected page.\nIt has a text layer under its password."])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password=password, owner_password="owner-" + password,
                   algorithm="AES-256")
    with path.open("wb") as file:
        writer.write(file)
    plain.unlink()
    return path


def write_docx(path: Path, paragraphs: list[str], table: list[list[str]] | None = None) -> Path:
    """A Word document: the paragraphs in order, then the table (rows of cell texts), if any."""
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=max(len(row) for row in table))
        for cells, row in zip(grid.rows, table, strict=False):
            for cell, text in zip(cells.cells, row, strict=False):
                cell.text = text
    document.save(str(path))
    return path


def write_huge_file(path: Path, size: int) -> Path:
    """A sparse file of `size` bytes: it takes no disk space and no time to write."""
    with path.open("wb") as file:
        file.seek(size - 1)
        file.write(b"\0")
    return path
