"""The look of the running application: theme, font size, and the design system applied.

The design system itself (spacing, radii, type scale, colour tokens, the style sheet) is
`app.qt.design`; this module applies it. `apply_appearance` sets, from the settings:

- the style: Qt's Fusion in every theme, which looks the same on every platform;
- the theme: "light", "dark", or "system", which follows the platform's colour scheme
  (`QStyleHints.colorScheme`, light where the platform says nothing) and takes the platform's
  accent colour (`QPalette.ColorRole.Accent`) where it gives one that keeps contrast
  (`design.with_accent`);
- one QPalette and one application style sheet (`design.style_sheet`), both from the theme's
  tokens, so what Qt paints from the palette and what the style sheet paints agree;
- the font size; the style sheet's type scale is built for it.

A theme chosen while the window is open, or the system going dark, restyles everything:
`restyle` builds the style sheet again for the palette in use, applies every `set_style` again
and calls every `follow_theme` callback (icons drawn in the theme's colours use it). The main
window calls it when the new palette reaches it.

For widget code:

- `set_variant`, `set_text_style`, `set_tone`, `set_surface`: ask the style sheet for a look
  (see `design`'s table), e.g. `set_variant(send_button, "primary")`.
- `current_colors()` / `colors_for(palette)`: the tokens in use, for what a widget paints
  itself (a delegate, a gauge); read them in the paint event, never keep them.
- `ThemedStyle` and `set_style`: a widget's own style sheet built from the tokens (a banner, a
  line in the error colour), applied again when the theme changes. `ERROR_TEXT`, `NOTE_TEXT`,
  `THINKING_BLOCK` and `NOTICE_BANNER` are the shared ones.
- `follow_theme(widget, callback)`: run `callback` now and after every theme change, for as
  long as `widget` lives.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QApplication, QWidget

from app.core.settings.file import SettingsFile
from app.qt import design
from app.qt.design import RADIUS, SPACE, TYPE, Colors

IMAGE_PX = 10  # the combo and spin boxes' arrows, a check box's mark
DEFAULT_POINTS = 10.0  # the base font where the platform's is sized in pixels
# What Qt's palettes hold where the platform has no accent colour: not an accent to take.
_QT_DEFAULT_ACCENTS = frozenset({"#308cc6", "#3daee9"})
_MIN_ACCENT_SATURATION = 0.25  # a grey is no accent


@dataclass
class _Original:
    palette: QPalette  # the platform's: its dark or light, its accent
    point_size: float


@dataclass
class _State:
    original: _Original | None = None  # the look the app started with
    tokens: Colors | None = None  # what `apply_appearance` applied last, accent included
    theme: str = "system"
    following_system: bool = False  # connected to the platform's colour scheme
    images: Path | None = None  # the style sheet's image files, made for this process
    fusion: bool = False  # the application's style is Fusion


_state = _State()  # one application, one look


def palette_for(c: Colors) -> QPalette:
    """A QPalette of the tokens `c`, for what Qt and our widgets paint from the palette."""
    role = QPalette.ColorRole
    palette = QPalette()
    colours = {
        role.Window: c.window, role.WindowText: c.text, role.Base: c.surface,
        role.AlternateBase: c.window, role.Text: c.text, role.Button: c.surface,
        role.ButtonText: c.text, role.BrightText: c.error, role.Highlight: c.selection,
        role.HighlightedText: c.selection_text, role.ToolTipBase: c.tooltip_background,
        role.ToolTipText: c.tooltip_text, role.PlaceholderText: c.muted, role.Link: c.link,
        role.LinkVisited: c.link, role.Accent: c.accent,
        # Fusion's bevels and frames.
        role.Light: c.surface, role.Midlight: c.raised, role.Mid: c.control_border,
        role.Dark: c.control_border, role.Shadow: c.control_border,
    }
    for colour_role, colour in colours.items():
        palette.setColor(colour_role, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for colour_role in (role.Text, role.WindowText, role.ButtonText, role.PlaceholderText):
        palette.setColor(disabled, colour_role, QColor(c.disabled))
    palette.setColor(disabled, role.Base, QColor(c.window))
    palette.setColor(disabled, role.Highlight, QColor(c.raised))
    return palette


def dark_palette() -> QPalette:
    """The dark theme's palette."""
    return palette_for(design.DARK)


def light_palette() -> QPalette:
    """The light theme's palette."""
    return palette_for(design.LIGHT)


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether `palette` (by default the application's) has a dark background. A widget the
    style sheet gives a transparent background has no colour in its Window role: its text
    tells (light text, dark theme)."""
    palette = palette if palette is not None else QApplication.palette()
    window = palette.color(QPalette.ColorRole.Window)
    if window.alpha() == 255:
        return window.lightness() < 128
    return palette.color(QPalette.ColorRole.WindowText).lightness() >= 128


def colors_for(palette: QPalette | None = None) -> Colors:
    """The tokens that go with `palette` (by default the application's): those applied when it
    is as light or dark as they are, else the plain light or dark theme's."""
    dark = is_dark(palette)
    tokens = _state.tokens
    return tokens if tokens is not None and tokens.dark == dark else design.colors(dark)


def current_colors() -> Colors:
    """The tokens of the theme in use."""
    return colors_for(None)


def base_points() -> float:
    """The application font's size in points, which the type scale multiplies."""
    size = QApplication.font().pointSizeF()
    return size if size > 0 else DEFAULT_POINTS


def scaled_font(font: QFont, step: str) -> QFont:
    """`font` at the type scale's `step` ("caption", "body", "subtitle", "title") of the
    application's base font; subtitle and title semibold."""
    scaled = QFont(font)
    scaled.setPointSizeF(TYPE.points(step, base_points()))
    if step in ("subtitle", "title"):
        scaled.setWeight(QFont.Weight.DemiBold)
    return scaled


def apply_appearance(settings: SettingsFile) -> None:
    """Apply `app.theme` and `app.font_size` to the running application."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    if _state.original is None:
        _state.original = _Original(app.palette(), app.font().pointSizeF())
    size = settings.get("app.font_size")
    font = QFont(app.font())
    font.setPointSizeF(float(size) if isinstance(size, int) else _state.original.point_size)
    app.setFont(font)
    theme = settings.get("app.theme")
    _state.theme = theme if theme in ("light", "dark") else "system"
    if not _state.following_system:
        _state.following_system = True
        app.styleHints().colorSchemeChanged.connect(lambda _scheme: _follow_system())
    _apply_theme(app)


def _apply_theme(app: QApplication) -> None:
    hints = app.styleHints()
    theme = _state.theme
    if theme == "system":
        hints.unsetColorScheme()
        tokens = design.colors(_system_is_dark(app))
        accent = _platform_accent()
        if accent is not None:
            tokens = design.with_accent(tokens, accent)
    else:
        tokens = design.colors(theme == "dark")
        scheme = Qt.ColorScheme.Dark if tokens.dark else Qt.ColorScheme.Light
        if hints.colorScheme() != scheme:
            hints.setColorScheme(scheme)
    if not _state.fusion:  # (under a style sheet, app.style() is the sheet's, unnamed)
        app.setStyle("Fusion")  # before the palette: a new style brings its own
        _state.fusion = True
    _state.tokens = tokens
    app.setPalette(palette_for(tokens))
    restyle()


def _follow_system() -> None:
    """The platform's colour scheme changed: a "system" theme follows it."""
    app = QApplication.instance()
    if _state.theme != "system" or not isinstance(app, QApplication):
        return
    dark = _system_is_dark(app)
    if _state.tokens is None or _state.tokens.dark != dark:
        _apply_theme(app)


def _system_is_dark(app: QGuiApplication) -> bool:
    scheme = app.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Unknown:  # no theme plugin: as the palette it started with
        original = _state.original
        return original is not None and is_dark(original.palette)
    return scheme == Qt.ColorScheme.Dark


def _platform_accent() -> str | None:
    """The accent colour the platform gave the application, if it gave one."""
    original = _state.original
    if original is None:
        return None
    accent = original.palette.color(QPalette.ColorRole.Accent)
    name = accent.name()
    if (not accent.isValid() or name in _QT_DEFAULT_ACCENTS
            or accent.hslSaturationF() < _MIN_ACCENT_SATURATION):
        return None
    return name


# -- our own style sheets and theme-following widgets -----------------------------------------

@dataclass(frozen=True)
class ThemedStyle:
    """A widget's own style sheet, built from the tokens of the theme in use (`build` takes
    `Colors`). `light` and `dark` are the plain themes' versions."""

    build: Callable[[Colors], str]

    @property
    def light(self) -> str:
        return self.build(design.LIGHT)

    @property
    def dark(self) -> str:
        return self.build(design.DARK)

    def current(self) -> str:
        return self.build(current_colors())


ERROR_TEXT = ThemedStyle(lambda c: f"color: {c.error};")
# Quieter text that explains (a panel's notes). Not `palette(placeholder-text)`: a style sheet
# resolves that once, and a palette change does not reach a widget with a style sheet.
NOTE_TEXT = ThemedStyle(lambda c: f"color: {c.muted};")
# A reasoning model's thinking above its answer: a bar at its side, as a quote has, and its
# text as quiet as a note. (A frame draws a border of its style sheet only when the rule sets
# `border` itself.)
THINKING_BLOCK = ThemedStyle(lambda c: (
    f"#thinkingBlock {{ border: none; border-left: 3px solid {c.control_border}; }}"
    " #thinkingBlock QTextBrowser, #thinkingBlock QLabel, #thinkingBlock QToolButton"
    f" {{ color: {c.muted}; }}"))
NOTICE_BANNER = ThemedStyle(lambda c: (  # a warning to read, not an error
    f"background: {c.warning_background}; color: {c.warning_text};"
    f" padding: {SPACE.s}px; border-radius: {RADIUS.small}px;"))

_STYLE_ATTRIBUTE = "_lamplight_themed_style"
_FOLLOW_ATTRIBUTE = "_lamplight_follow_theme"


def set_style(widget: QWidget, style: ThemedStyle | None) -> None:
    """Give `widget` the style sheet of `style` for the current theme, and again whenever the
    theme changes (`restyle`); None clears it."""
    setattr(widget, _STYLE_ATTRIBUTE, style)
    _apply(widget, style)


def _apply(widget: QWidget, style: ThemedStyle | None) -> None:
    wanted = style.current() if style is not None else ""
    if widget.styleSheet() != wanted:  # setting it again would restyle the widget
        widget.setStyleSheet(wanted)


def follow_theme(widget: QWidget, callback: Callable[[], None]) -> None:
    """Call `callback` now and after every theme change while `widget` lives (one callback a
    widget: a second replaces the first)."""
    setattr(widget, _FOLLOW_ATTRIBUTE, callback)
    callback()


def restyle() -> None:
    """Bring everything to the palette now in use: the application style sheet, every
    `set_style` and every `follow_theme`.

    `apply_appearance` calls it at once; the main window again when the new palette reaches it
    (a turn of the event loop later), which is also how a palette the platform changes
    arrives. A widget's own palette-change event cannot do it: Qt sends none to a
    widget with a style sheet. (Widgets without one, such as the chat view, get theirs, and
    only after the application palette has reached them, in a later turn of the event loop.)
    """
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    if _state.tokens is not None:  # the app's look is ours (not in tests of single widgets)
        tokens = current_colors()
        sheet = design.style_sheet(tokens, base_points(), _image_files(tokens))
        if app.styleSheet() != sheet:
            app.setStyleSheet(sheet)
    for widget in QApplication.allWidgets():
        style = getattr(widget, _STYLE_ATTRIBUTE, False)
        if style is not False:
            _apply(widget, style)
        callback = getattr(widget, _FOLLOW_ATTRIBUTE, None)
        if callback is not None:
            callback()


def _image_files(c: Colors) -> dict[str, str]:
    """The style sheet's images (`design.IMAGES`) as PNG files (and @2x ones for HiDPI
    screens) in a folder of this process, drawn once a colour."""
    if _state.images is None:
        _state.images = Path(tempfile.mkdtemp(prefix="lamplight-style-"))
        atexit.register(shutil.rmtree, _state.images, ignore_errors=True)
    files = {}
    for name in design.IMAGES:
        shape = name.split("_")[0]
        colour = (c.on_accent if shape == "check" else
                  c.disabled if name.endswith("_disabled") else c.muted)
        path = _state.images / f"{shape}-{colour.lstrip('#')}.png"
        if not path.exists():
            for scale, file in ((1, path), (2, path.with_name(f"{path.stem}@2x.png"))):
                _draw_mark(QColor(colour), shape, scale).save(str(file))
        files[name] = str(path)
    return files


def _draw_mark(colour: QColor, shape: str, scale: int) -> QImage:
    """A chevron pointing "up" or "down", or a "check" mark, `IMAGE_PX` square."""
    side = IMAGE_PX * scale
    image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(colour, 1.5 * scale)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    points = {"up": ((0.18, 0.68), (0.5, 0.32), (0.82, 0.68)),
              "down": ((0.18, 0.32), (0.5, 0.68), (0.82, 0.32)),
              "check": ((0.16, 0.52), (0.4, 0.76), (0.84, 0.26))}[shape]
    path = QPainterPath(QPointF(points[0][0] * side, points[0][1] * side))
    for x, y in points[1:]:
        path.lineTo(x * side, y * side)
    painter.drawPath(path)
    painter.end()
    return image


# -- asking the style sheet for a look --------------------------------------------------------

def repolish(widget: QWidget) -> None:
    """Make the style sheet read `widget`'s dynamic properties again (a widget not polished
    yet reads them when it is first shown)."""
    if not widget.testAttribute(Qt.WidgetAttribute.WA_WState_Polished):
        return
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


def _set(widget: QWidget, name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{name} {value!r} is not one of {allowed}")
    if widget.property(name) != value:
        widget.setProperty(name, value)
        repolish(widget)


def set_variant(widget: QWidget, variant: str | None) -> None:
    """"primary" (QPushButton), "chip" (QLabel, QPushButton, QToolButton), "card", "dashed" or
    "bubble" (QFrame); None for the plain look."""
    _set(widget, "variant", variant, ("primary", "chip", "card", "dashed", "bubble"))


def set_text_style(label: QWidget, step: str | None) -> None:
    """A QLabel in the type scale: "caption", "subtitle" or "title" (None: body)."""
    _set(label, "textStyle", step, ("caption", "subtitle", "title"))


def set_tone(label: QWidget, tone: str | None) -> None:
    """A QLabel's text in "muted", "error", "warning" or "success" (None: the text colour)."""
    _set(label, "tone", tone, ("muted", "error", "warning", "success"))


def set_surface(widget: QWidget, surface: str | None) -> None:
    """A panel's background: "sidebar", "conversation" or "raised" (None: the window's)."""
    widget.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, surface is not None)
    _set(widget, "surface", surface, ("sidebar", "conversation", "raised"))
