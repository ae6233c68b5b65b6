"""The app settings that change how the window looks: theme and font size.

Dark and light are Qt's Fusion style with a palette of our own, which looks the same on every
platform; asking the platform for a colour scheme alone does nothing where it has no theme
plugin (a bare X11 session, the offscreen platform of the tests). "System" puts back the style
and palette the app started with.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

from app.core.settings import SettingsFile


@dataclass
class _Original:
    style: str
    palette: QPalette
    point_size: float


_original: _Original | None = None  # the look the app started with, to go back to

_DARK = {
    QPalette.ColorRole.Window: "#2b2b2b", QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1f1f1f", QPalette.ColorRole.AlternateBase: "#2b2b2b",
    QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#353535",
    QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.Highlight: "#3d7bd9",
    QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#2b2b2b",
    QPalette.ColorRole.ToolTipText: "#e6e6e6", QPalette.ColorRole.PlaceholderText: "#8c8c8c",
    QPalette.ColorRole.Link: "#6ea8fe", QPalette.ColorRole.BrightText: "#ff6b6b",
}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, color in _DARK.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText,
                 QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return palette


def apply_appearance(settings: SettingsFile) -> None:
    """Apply `app.theme` and `app.font_size` to the running application."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    global _original  # noqa: PLW0603 - one application, one look to go back to
    if _original is None:
        _original = _Original(app.style().name(), app.palette(), app.font().pointSizeF())
    theme = settings.get("app.theme")
    hints = app.styleHints()
    if theme in ("light", "dark"):
        app.setStyle("Fusion")
        dark = theme == "dark"
        app.setPalette(dark_palette() if dark else app.style().standardPalette())
        hints.setColorScheme(Qt.ColorScheme.Dark if dark else Qt.ColorScheme.Light)
    else:
        if app.style().name() != _original.style:
            app.setStyle(_original.style)
        app.setPalette(_original.palette)
        hints.unsetColorScheme()
    size = settings.get("app.font_size")
    font = QFont(app.font())
    font.setPointSizeF(float(size) if isinstance(size, int) else _original.point_size)
    app.setFont(font)
