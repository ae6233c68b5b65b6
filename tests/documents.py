"""Documents for tests, generated on the spot: real PDFs (with and without a text layer, with a
password), DOCX files and huge sparse files. Nothing binary is kept in the repository."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path
from typing import Any


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
        _HELVETICA,
    ]
    for i, content in enumerate(contents):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] {resources} "
                       f"/Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(_pdf_stream(content))
    return _pdf_file(objects)


_HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def _pdf_stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), entries) + data + b"\nendstream"


def _pdf_file(objects: list[bytes]) -> bytes:
    """Objects 1, 2, ... (1 the catalog) with a correct xref table."""
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


def write_docx_bomb(path: Path, xml_bytes: int) -> Path:
    """A real .docx whose word/document.xml is `xml_bytes` of one-word paragraphs: a few MB
    on disk per GB unpacked (issue 17's was 2.7 MB for 950 MB). Written as a stream, so
    writing it takes no memory."""
    import zipfile

    template = write_docx(path.with_name(path.name + ".template.docx"), ["word"])
    with zipfile.ZipFile(template) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    template.unlink()
    head = parts["word/document.xml"].split(b"<w:body>")[0] + b"<w:body>"
    paragraphs = b"<w:p><w:r><w:t>word</w:t></w:r></w:p>" * 100_000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            if name != "word/document.xml":
                archive.writestr(name, data)
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(head)
            for _ in range(max(1, xml_bytes // len(paragraphs))):
                part.write(paragraphs)
            part.write(b"</w:body></w:document>")
    return path


def python_docx_text(path: Path) -> str:
    """A document's text as python-docx reads it (the reader's rules before issue 17, kept as
    the reference the streaming reader must match)."""
    import docx
    from docx.table import Table

    blocks: list[str] = []
    for block in docx.Document(str(path)).iter_inner_content():
        if not isinstance(block, Table):
            blocks.append(block.text)
            continue
        rows: list[str] = []
        for row in block.rows:
            cells: list[str] = []
            previous = None
            for cell in row.cells:
                if cell._tc is previous:  # a merged cell is listed once per column it spans
                    continue
                previous = cell._tc
                cells.append(" ".join(cell.text.split()))
            if any(cells):
                rows.append(" | ".join(cells))
        blocks.append("\n".join(rows))
    return "\n\n".join(blocks)


def write_varied_docx(path: Path, seed: int) -> Path:
    """A Word document of random blocks: headings, paragraphs whose runs hold line, page and
    column breaks, tabs, non-breaking hyphens and hyperlinks, and tables with cells of several
    paragraphs, nested tables and cells merged across and down."""
    import docx

    rng = random.Random(seed)
    document = docx.Document()
    for _ in range(rng.randint(1, 8)):
        if rng.random() < 0.5:
            _add_varied_paragraph(document, rng)
        else:
            _add_varied_table(document, rng)
    document.save(str(path))
    return path


_WORDS = ["alpha", "beta", "  gamma ", "δέλτα", "中文", "x y", ""]


def _add_varied_paragraph(document: Any, rng: random.Random) -> None:
    from docx.enum.text import WD_BREAK
    from docx.oxml import OxmlElement

    paragraph = (document.add_paragraph() if rng.random() < 0.7 else
                 document.add_heading(rng.choice(_WORDS), level=rng.randint(0, 3)))
    for _ in range(rng.randint(0, 4)):
        run = paragraph.add_run(rng.choice(_WORDS))
        extra = rng.choice(["br", "page", "column", "tab", "noBreakHyphen", "cr", None, None])
        if extra == "br":
            run.add_break()
        elif extra in {"page", "column"}:
            run.add_break(WD_BREAK.PAGE if extra == "page" else WD_BREAK.COLUMN)
        elif extra == "tab":
            run.add_tab()
        elif extra is not None:
            run._r.append(OxmlElement(f"w:{extra}"))
    if rng.random() < 0.3:
        link, run, text = (OxmlElement(tag) for tag in ("w:hyperlink", "w:r", "w:t"))
        text.text = "link text"
        run.append(text)
        link.append(run)
        paragraph._p.append(link)


def _add_varied_table(document: Any, rng: random.Random) -> None:
    from docx.exceptions import InvalidSpanError

    rows, cols = rng.randint(1, 4), rng.randint(1, 4)
    table = document.add_table(rows=rows, cols=cols)
    for i in range(rows):
        for j in range(cols):
            cell = table.cell(i, j)
            cell.text = rng.choice(_WORDS)
            if rng.random() < 0.2:
                cell.add_paragraph(rng.choice(_WORDS))
            if rng.random() < 0.1:
                cell.add_table(rows=1, cols=1).cell(0, 0).text = "nested"
    for _ in range(rng.randint(0, 2)):
        i, j = rng.randrange(rows), rng.randrange(cols)
        corner = table.cell(rng.randrange(i, rows), rng.randrange(j, cols))
        with contextlib.suppress(InvalidSpanError):  # a merge cutting one already made
            table.cell(i, j).merge(corner)


def write_pdf_bomb(path: Path, unpacked: int) -> Path:
    """A one-page PDF whose content stream (FlateDecode) unpacks to `unpacked` bytes of text
    operators: about a thousandth of that on disk. Compressed as a stream, in little memory."""
    import zlib

    line = b"BT /F1 12 Tf 72 720 Td (" + b"A" * 200 + b") Tj ET\n"
    chunk = line * (1024 * 1024 // len(line))
    packer = zlib.compressobj(9)
    packed = b"".join(packer.compress(chunk) for _ in range(max(1, unpacked // len(chunk))))
    packed += packer.flush()
    path.write_bytes(_pdf_file([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        _HELVETICA,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
        _pdf_stream(packed, b"/Filter /FlateDecode"),
    ]))
    return path


def write_drawing_pdf(path: Path, pages: int, operations: int, in_form: bool = False) -> Path:
    """`pages` pages with a line of text, all drawing one shared content stream of
    `operations` path operators, directly or (`in_form`) through a form XObject."""
    drawing = b"BT /F1 12 Tf 72 720 Td (A page with a drawing.) Tj ET\n" + b"0 0 m\n" * operations
    form = b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources 4 0 R"
    content = _pdf_stream(b"/X Do", b"") if in_form else _pdf_stream(drawing)
    kids = " ".join(f"{7 + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        _HELVETICA,
        b"<< /Font << /F1 3 0 R >> /XObject << /X 6 0 R >> >>",
        content,
        _pdf_stream(drawing, form),
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources 4 0 R "
                b"/Contents 5 0 R >>"] * pages
    path.write_bytes(_pdf_file(objects))
    return path


# Real text in the languages whose legacy encodings people still meet, a paragraph each:
# Japanese (Shift_JIS, EUC-JP), Korean (EUC-KR), Chinese (GB18030, Big5), Russian and
# Ukrainian (Windows-1251, KOI8), and Western (Windows-1252).
PARAGRAPHS: dict[str, str] = {
    "japanese": (
        "昨日は雨が降っていたので、一日中家で本を読んでいました。夕方になって雨がやんだので、"
        "近くの公園まで散歩に出かけました。公園では子どもたちが元気に遊んでいて、空には大きな虹が"
        "かかっていました。明日は友達と一緒に京都へ行く予定です。お寺を見たり、おいしい料理を"
        "食べたりするのが楽しみです。"),
    "korean": (
        "어제는 비가 와서 하루 종일 집에서 책을 읽었습니다. 저녁이 되자 비가 그쳐서 근처 공원으로 "
        "산책을 나갔습니다. 공원에서는 아이들이 즐겁게 놀고 있었고, 하늘에는 커다란 무지개가 떠 "
        "있었습니다. 내일은 친구와 함께 부산에 갈 예정입니다. 바다를 보고 맛있는 음식을 먹는 것이 "
        "기대됩니다."),
    "simplified chinese": (
        "昨天下了一整天的雨，我只好待在家里看书。傍晚雨停了，我就到附近的公园去散步。公园里有很多"
        "孩子在玩耍，天空中还挂着一道美丽的彩虹。明天我打算和朋友一起去杭州，看看西湖，尝尝当地的"
        "小吃。"),
    "traditional chinese": (
        "昨天下了一整天的雨，我只好待在家裡看書。傍晚雨停了，我就到附近的公園去散步。公園裡有很多"
        "孩子在玩耍，天空中還掛著一道美麗的彩虹。明天我打算和朋友一起去台南，看看古蹟，嚐嚐當地的"
        "小吃。"),
    "russian": (
        "Вчера весь день шёл дождь, и я сидел дома с книгой. К вечеру дождь закончился, и я "
        "пошёл гулять в парк недалеко от дома. В парке играли дети, а над деревьями висела большая "
        "радуга. Завтра мы с другом собираемся поехать в Санкт-Петербург, чтобы посмотреть музеи "
        "и погулять по набережным."),
    "ukrainian": (
        "Учора весь день ішов дощ, тож я залишився вдома і читав книжку. Увечері дощ припинився, "
        "і я пішов погуляти до парку. Завтра ми з друзями їдемо до Львова, щоб подивитися старе "
        "місто й скуштувати місцеву каву."),
    "french": (
        "Hier, il a plu toute la journée, alors je suis resté à la maison pour lire. Vers le "
        "soir, la pluie s'est arrêtée et je suis allé me promener au parc. Demain, nous irons à "
        "Lyon avec des amis pour goûter la cuisine locale et visiter le vieux quartier."),
    "german": (
        "Gestern hat es den ganzen Tag geregnet, deshalb bin ich zu Hause geblieben und habe "
        "gelesen. Am Abend hörte der Regen auf, und ich bin im Park spazieren gegangen. Morgen "
        "fahren wir mit Freunden nach München, um das Museum zu besuchen und in einem Biergarten "
        "zu essen."),
    "spanish": (
        "Ayer llovió todo el día, así que me quedé en casa leyendo. Por la tarde dejó de llover "
        "y salí a pasear por el parque. Mañana iremos a Sevilla con unos amigos para visitar la "
        "catedral y probar la comida típica."),
}
# The code pages each is written in, as Python names them.
LEGACY_ENCODINGS: dict[str, tuple[str, ...]] = {
    "japanese": ("shift_jis", "cp932", "euc_jp"),
    "korean": ("euc_kr", "cp949"),
    "simplified chinese": ("gb18030", "gbk", "gb2312"),
    "traditional chinese": ("big5", "cp950"),
    "russian": ("cp1251", "koi8_r"),
    "ukrainian": ("cp1251", "koi8_u"),
    "french": ("cp1252", "latin_1"),
    "german": ("cp1252", "latin_1"),
    "spanish": ("cp1252",),
}


def sentences(paragraph: str) -> list[str]:
    """The sentences of `paragraph`, each a line a user might save on its own."""
    import re

    return [found for found in re.split(r"(?<=[。.!?！？])\s*", paragraph) if found]
