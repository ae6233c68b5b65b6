"""The design system applied (app/qt/appearance.py; the tokens alone are checked in
tests/unit/test_design.py): the palette agrees with the tokens, the style sheet parses and
draws what it says, and the theme setting picks the tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.settings.file import SettingsFile
from app.qt import appearance, design
from app.qt.appearance import palette_for, set_surface, set_text_style, set_tone, set_variant

pytestmark = pytest.mark.qt
THEMES = pytest.mark.parametrize("tokens", [design.LIGHT, design.DARK], ids=["light", "dark"])


@THEMES
def test_the_palette_agrees_with_the_tokens(tokens: design.Colors) -> None:
    palette = palette_for(tokens)
    role = QPalette.ColorRole
    for colour_role, token in ((role.Window, tokens.window), (role.WindowText, tokens.text),
                               (role.Base, tokens.surface), (role.Text, tokens.text),
                               (role.Button, tokens.surface), (role.ButtonText, tokens.text),
                               (role.Highlight, tokens.selection),
                               (role.HighlightedText, tokens.selection_text),
                               (role.PlaceholderText, tokens.muted), (role.Link, tokens.link),
                               (role.ToolTipBase, tokens.tooltip_background),
                               (role.ToolTipText, tokens.tooltip_text),
                               (role.Accent, tokens.accent)):
        assert palette.color(colour_role).name() == token, colour_role
    assert palette.color(QPalette.ColorGroup.Disabled, role.Text).name() == tokens.disabled
    assert appearance.is_dark(palette) is tokens.dark
    assert appearance.colors_for(palette).dark is tokens.dark


def zoo() -> tuple[QWidget, dict[str, QWidget]]:
    """One of each kind of widget the style sheet styles."""
    root = QWidget()
    layout = QVBoxLayout(root)
    widgets: dict[str, QWidget] = {
        "primary": QPushButton("Send"), "plain": QPushButton("Cancel"),
        "tool": QToolButton(), "chip": QLabel("General chat"), "line": QLineEdit(),
        "text": QPlainTextEdit(), "combo": QComboBox(), "spin": QDoubleSpinBox(),
        "check": QCheckBox("Thinking"), "slider": QSlider(Qt.Orientation.Horizontal),
        "list": QListWidget(), "tabs": QTabWidget(), "caption": QLabel("a note"),
        "error": QLabel("went wrong"), "sidebar": QWidget(),
    }
    widgets["combo"].addItems(["one", "two"])  # type: ignore[attr-defined]
    widgets["list"].addItems(["a chat", "another"])  # type: ignore[attr-defined]
    widgets["tabs"].addTab(QLabel("page"), "Sampling")  # type: ignore[attr-defined]
    widgets["check"].setChecked(True)  # type: ignore[attr-defined]
    for widget in widgets.values():
        layout.addWidget(widget)
    return root, widgets


@THEMES
def test_the_style_sheet_parses_and_draws_what_it_says(qtbot, tokens: design.Colors,  # type: ignore[no-untyped-def]
                                                        tmp_path: Path) -> None:
    """Set on a widget of its own (not the application, which other tests share); a rule Qt
    cannot parse is a warning, which fails the test."""
    root, widgets = zoo()
    qtbot.addWidget(root)
    root.setPalette(palette_for(tokens))
    root.setStyleSheet(design.style_sheet(tokens, 10.0, appearance._image_files(tokens)))
    set_variant(widgets["chip"], "chip")
    set_text_style(widgets["caption"], "caption")
    set_tone(widgets["error"], "error")
    set_surface(widgets["sidebar"], "sidebar")
    widgets["sidebar"].setMinimumHeight(20)
    root.resize(400, 900)
    root.show()
    qtbot.waitExposed(root)
    set_variant(widgets["primary"], "primary")  # after it is shown: polished again

    def centre(widget: QWidget) -> str:
        image = widget.grab().toImage()
        return image.pixelColor(image.width() // 2, image.height() // 2 + 4).name()

    assert centre(widgets["sidebar"]) == tokens.sidebar
    primary = widgets["primary"].grab().toImage()
    assert primary.pixelColor(4, primary.height() // 2).name() == tokens.accent
    chip = widgets["chip"].grab().toImage()
    assert chip.pixelColor(chip.width() // 2, 3).name() == tokens.raised
    assert widgets["error"].palette().color(QPalette.ColorRole.WindowText).name() == tokens.error
    caption = widgets["caption"].font().pointSizeF()
    assert caption == pytest.approx(design.TYPE.points("caption", 10.0))
    with pytest.raises(ValueError):
        set_variant(widgets["plain"], "loud")


def test_a_focused_input_shows_a_2px_ring(qtbot) -> None:  # type: ignore[no-untyped-def]
    tokens = design.LIGHT
    root, widgets = zoo()
    qtbot.addWidget(root)
    root.setPalette(palette_for(tokens))
    root.setStyleSheet(design.style_sheet(tokens))
    root.show()
    qtbot.waitExposed(root)
    line = widgets["line"]
    root.activateWindow()
    line.setFocus()
    qtbot.waitUntil(line.hasFocus)
    image = line.grab().toImage()
    y = image.height() // 2
    assert [image.pixelColor(x, y).name() for x in (0, 1)] == [tokens.focus] * 2
    widgets["plain"].setFocus()
    qtbot.waitUntil(lambda: not line.hasFocus())
    image = line.grab().toImage()
    assert image.pixelColor(0, y).name() == tokens.control_border
    assert image.pixelColor(1, y).name() == tokens.surface


@pytest.fixture
def settings(tmp_path: Path, qapp: QApplication) -> Iterator[SettingsFile]:
    """The app's settings; the system's look again after the test."""
    settings = SettingsFile.load(tmp_path)
    yield settings
    for key in ("app.theme", "app.font_size"):
        settings.reset(key)
    appearance.apply_appearance(settings)


def test_the_theme_setting_picks_the_tokens(settings: SettingsFile, qapp: QApplication) -> None:
    settings.set("app.theme", "dark")
    settings.set("app.font_size", 14)
    appearance.apply_appearance(settings)
    assert appearance._state.fusion  # (app.style() is the style sheet's now, with no name)
    assert qapp.palette().color(QPalette.ColorRole.Window).name() == design.DARK.window
    assert appearance.current_colors() is design.DARK
    assert f"background: {design.DARK.window}" in qapp.styleSheet()
    assert f"font-size: {design.TYPE.points('title', 14)}pt" in qapp.styleSheet()
    settings.set("app.theme", "light")
    appearance.apply_appearance(settings)
    assert qapp.palette().color(QPalette.ColorRole.Window).name() == design.LIGHT.window
    assert f"background: {design.LIGHT.window}" in qapp.styleSheet()
    settings.reset("app.theme")  # "system": the offscreen platform says nothing: light
    appearance.apply_appearance(settings)
    assert appearance.current_colors().dark is False


def test_the_system_theme_takes_the_platform_s_accent_where_it_reads(
        settings: SettingsFile, qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    appearance.apply_appearance(settings)  # keeps the look the application started with
    original = appearance._state.original
    assert original is not None
    platform = QPalette(original.palette)
    monkeypatch.setattr(original, "palette", platform)
    platform.setColor(QPalette.ColorRole.Accent, QColor("#6d28d9"))  # a purple desktop
    appearance.apply_appearance(settings)
    assert appearance.current_colors().accent == "#6d28d9"
    assert qapp.palette().color(QPalette.ColorRole.Accent).name() == "#6d28d9"
    assert "background: #6d28d9" in qapp.styleSheet()  # primary buttons
    platform.setColor(QPalette.ColorRole.Accent, QColor("#308cc6"))  # Qt's own: none given
    appearance.apply_appearance(settings)
    assert appearance.current_colors() is design.LIGHT
    settings.set("app.theme", "light")  # a theme chosen: ours
    platform.setColor(QPalette.ColorRole.Accent, QColor("#6d28d9"))
    appearance.apply_appearance(settings)
    assert appearance.current_colors() is design.LIGHT
