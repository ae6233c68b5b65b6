"""The app settings that change how the window looks: theme and font size.

Dark and light are Qt's Fusion style with a palette of our own, which looks the same on every
platform; asking the platform for a colour scheme alone does nothing where it has no theme
plugin (a bare X11 session, the offscreen platform of the tests). "System" puts back the style
and palette the app started with.

Colours of our own (error text, banners) come in a light and a dark version (`ThemedStyle`);
`set_style` applies the one that suits the application's palette, and `restyle` applies them all
again when the palette changes, so a theme chosen while a banner shows recolours it.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from app.core.settings.file import SettingsFile


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
    restyle()
    size = settings.get("app.font_size")
    font = QFont(app.font())
    font.setPointSizeF(float(size) if isinstance(size, int) else _original.point_size)
    app.setFont(font)


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether `palette` (by default the application's) has a dark background."""
    palette = palette if palette is not None else QApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


@dataclass(frozen=True)
class ThemedStyle:
    """A style sheet in a version for light and one for dark windows. The text colours keep at
    least 4.5:1 against their background."""

    light: str
    dark: str

    def current(self) -> str:
        return self.dark if is_dark() else self.light


ERROR_TEXT = ThemedStyle("color: #a61b1b;", "color: #ff7b72;")
# Quieter text that explains (a panel's notes). Not `palette(placeholder-text)`: a style sheet
# resolves that once, and the light palette's half-transparent black stays on a dark window.
NOTE_TEXT = ThemedStyle("color: #5f5f5f;", "color: #a8a8a8;")
# A reasoning model's thinking above its answer: a bar at its side, as a quote has, and its
# text as quiet as a note. (A frame draws a border of
# its style sheet only when the rule sets `border` itself.)
THINKING_BLOCK = ThemedStyle(
    "#thinkingBlock { border: none; border-left: 3px solid #c3c9d0; }"
    " #thinkingBlock QTextBrowser, #thinkingBlock QLabel, #thinkingBlock QToolButton"
    " { color: #5f5f5f; }",
    "#thinkingBlock { border: none; border-left: 3px solid #555d67; }"
    " #thinkingBlock QTextBrowser, #thinkingBlock QLabel, #thinkingBlock QToolButton"
    " { color: #a8a8a8; }")
NOTICE_BANNER = ThemedStyle(  # a warning to read, not an error
    "background: #fff4ce; color: #5c4400; padding: 6px; border-radius: 3px;",
    "background: #3b3112; color: #f2d58a; padding: 6px; border-radius: 3px;")


_STYLE_ATTRIBUTE = "_lamplight_themed_style"


def set_style(widget: QWidget, style: ThemedStyle | None) -> None:
    """Give `widget` the style sheet of `style` for the current theme, and again whenever the
    theme changes (`restyle`); None clears it."""
    setattr(widget, _STYLE_ATTRIBUTE, style)
    _apply(widget, style)


def _apply(widget: QWidget, style: ThemedStyle | None) -> None:
    wanted = style.current() if style is not None else ""
    if widget.styleSheet() != wanted:  # setting it again would restyle the widget
        widget.setStyleSheet(wanted)


def restyle() -> None:
    """Apply every `set_style` again for the palette now in use.

    `apply_appearance` calls it at once; the main window again when the new palette reaches it
    (a turn of the event loop later), which is also how the system's light/dark switch arrives.
    A widget's own palette-change event cannot do it: Qt sends none to a
    widget with a style sheet. (Widgets without one, such as the chat view, get theirs, and
    only after the application palette has reached them, in a later turn of the event loop.)
    """
    for widget in QApplication.allWidgets():
        style = getattr(widget, _STYLE_ATTRIBUTE, False)
        if style is not False:
            _apply(widget, style)
