"""Our own colours (error text, banners) in light and dark windows."""

from __future__ import annotations

import re

import pytest
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from app.qt.appearance import (
    ERROR_TEXT,
    NOTICE_BANNER,
    THINKING_BLOCK,
    ThemedStyle,
    dark_palette,
    restyle,
    set_style,
)
from app.qt.widgets.error_banner import ERROR_BANNER, ErrorBanner
from app.qt.widgets.models.page import FOUND_BANNER

pytestmark = pytest.mark.qt


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio."""
    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
        r, g, b_, _ = c.getRgbF()
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b_)
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def colour(style: str, prop: str) -> QColor | None:
    found = re.search(rf"(?<![-\w]){prop}:\s*(#\w+)", style)
    return QColor(found.group(1)) if found else None


def light_palette() -> QPalette:
    return QApplication.style().standardPalette()


@pytest.mark.parametrize("style", [ERROR_TEXT, NOTICE_BANNER, ERROR_BANNER, FOUND_BANNER,
                                   THINKING_BLOCK],
                         ids=["error text", "notice", "error banner", "found banner", "thinking"])
def test_text_stays_readable_in_both_themes(qapp: QApplication, style: ThemedStyle) -> None:
    for sheet, palette in ((style.light, light_palette()), (style.dark, dark_palette())):
        background = colour(sheet, "background") or palette.color(QPalette.ColorRole.Window)
        text = colour(sheet, "color") or palette.color(QPalette.ColorRole.WindowText)
        assert contrast(text, background) >= 4.5, (sheet, text.name(), background.name())


def test_a_theme_change_recolours_what_is_shown(qtbot) -> None:  # type: ignore[no-untyped-def]
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    window = QWidget()
    qtbot.addWidget(window)
    banner = ErrorBanner(window)
    label = QLabel("Download failed", window)
    set_style(label, ERROR_TEXT)
    assert (banner.styleSheet(), label.styleSheet()) == (ERROR_BANNER.light, ERROR_TEXT.light)
    try:
        app.setPalette(dark_palette())
        restyle()  # what choosing the dark theme does after setting the palette
        assert (banner.styleSheet(), label.styleSheet()) == (ERROR_BANNER.dark, ERROR_TEXT.dark)
    finally:
        app.setPalette(before)
        restyle()
    assert (banner.styleSheet(), label.styleSheet()) == (ERROR_BANNER.light, ERROR_TEXT.light)
    set_style(label, None)  # no longer an error
    assert label.styleSheet() == ""


def test_the_system_going_dark_recolours_the_window(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """No theme setting involved: the platform changes the application palette (as a desktop
    switching to dark does), and the main window restyles what it shows."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    banner = window.error_banner
    assert darkest_drawn(window.attach_button.icon().pixmap(20, 20).toImage()) < 128
    try:
        app.setPalette(dark_palette())
        qtbot.waitUntil(lambda: banner.styleSheet() == ERROR_BANNER.dark)
        # The paperclip, drawn in the text's colour, is light on the dark window.
        assert darkest_drawn(window.attach_button.icon().pixmap(20, 20).toImage()) > 128
    finally:
        app.setPalette(before)
    qtbot.waitUntil(lambda: banner.styleSheet() == ERROR_BANNER.light)
    assert darkest_drawn(window.attach_button.icon().pixmap(20, 20).toImage()) < 128


def darkest_drawn(image: QImage) -> int:
    """The lightness of the darkest pixel drawn (not transparent) in `image`."""
    return min(image.pixelColor(x, y).lightness()
               for x in range(image.width()) for y in range(image.height())
               if image.pixelColor(x, y).alpha() > 200)
