"""Render resources/icons/lamplight.svg into the icon files the platforms take.

    .venv/bin/python packaging/make_icons.py

Writes, next to the SVG: `lamplight-<N>.png` for N in 16…512 (the Linux icon theme sizes, also
the window icon), `lamplight.ico` (Windows: 16…256) and `lamplight.icns` (macOS: 16…512, with
the @2x variants). The outputs are committed; run this again after changing the SVG.

Both containers are written here rather than with Pillow: each is a small header and a list of
PNG images (ICO with PNG entries since Windows Vista; ICNS with the PNG types since 10.7), so a
build needs no image library.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SVG = ICONS / "lamplight.svg"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # 256 is the largest an ICO entry can say
# ICNS element types holding PNG data, by pixel size; 1x and @2x share sizes.
ICNS_TYPES = (
    (b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256),
    (b"ic09", 512), (b"ic10", 1024),  # 512@2x
    (b"ic11", 32), (b"ic12", 64), (b"ic13", 256), (b"ic14", 512),  # 16@2x … 256@2x
)


def render(size: int) -> bytes:
    """The SVG drawn at size×size pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {SVG}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file: ICONDIR, one 16-byte ICONDIRENTRY per image, then the PNGs."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, images = b"", b""
    for size in sizes:
        data = pngs[size]
        side = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        images += data
        offset += len(data)
    return header + entries + images


def icns(pngs: dict[int, bytes]) -> bytes:
    """An ICNS file: 'icns' and the total length, then (type, length, PNG) elements."""
    body = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
                    for kind, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    sizes = set(PNG_SIZES) | set(ICO_SIZES) | {size for _, size in ICNS_TYPES}
    pngs = {size: render(size) for size in sorted(sizes)}
    for size in PNG_SIZES:
        (ICONS / f"lamplight-{size}.png").write_bytes(pngs[size])
    (ICONS / "lamplight.ico").write_bytes(ico({s: pngs[s] for s in ICO_SIZES}))
    (ICONS / "lamplight.icns").write_bytes(icns(pngs))
    del app
    print(f"wrote {len(PNG_SIZES)} PNGs, lamplight.ico and lamplight.icns in {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
