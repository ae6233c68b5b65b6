"""The app's icons (app/qt/icons.py): every name draws in both themes, in the theme's colours,
and an icon button is never only an icon for a screen reader."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QPushButton, QToolButton, QWidget

from app.qt import design, icons
from app.qt.appearance import dark_palette, light_palette, restyle

pytestmark = pytest.mark.qt


@pytest.fixture(params=["light", "dark"])
def theme(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[design.Colors]:
    """The application in the light or the dark theme's palette for the test."""
    before = qapp.palette()
    qapp.setPalette(dark_palette() if request.param == "dark" else light_palette())
    restyle()
    yield design.colors(request.param == "dark")
    qapp.setPalette(before)
    restyle()


def drawn(image: QImage) -> list[QColor]:
    """The colours of the pixels drawn (nearly opaque) in `image`."""
    return [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())
            if image.pixelColor(x, y).alpha() > 230]


@pytest.mark.parametrize("name", sorted(icons.NAMES))
def test_every_name_gives_an_icon_in_the_theme_s_text_colour(
        name: str, theme: design.Colors) -> None:
    made = icons.icon(name)
    assert not made.isNull()
    pixels = drawn(made.pixmap(32, 32).toImage())
    assert pixels, f"{name} draws nothing"
    text = QColor(theme.text)
    assert any(abs(p.lightness() - text.lightness()) < 16 for p in pixels)


def test_a_role_picks_the_colour_and_disabled_is_quieter(theme: design.Colors) -> None:
    from PySide6.QtGui import QIcon

    on_accent = drawn(icons.icon("send", "on_accent").pixmap(32, 32).toImage())
    assert any(p.name() == theme.on_accent for p in on_accent)
    disabled = drawn(icons.icon("send").pixmap(32, 32, QIcon.Mode.Disabled).toImage())
    assert any(p.name() == theme.disabled for p in disabled)
    with pytest.raises(KeyError):
        icons.icon("no such icon")


def test_an_icon_button_has_a_tooltip_and_a_name_for_screen_readers(qtbot) -> None:  # type: ignore[no-untyped-def]
    button = icons.icon_button("copy", "Copy this message", object_name="copyIt")
    qtbot.addWidget(button)
    assert button.toolTip() == "Copy this message"
    assert button.accessibleName() == "Copy this message"
    assert button.objectName() == "copyIt" and button.autoRaise()
    assert not button.icon().isNull() and button.text() == ""
    named = icons.icon_button("delete", "Delete this message", accessible_name="Delete")
    qtbot.addWidget(named)
    assert named.accessibleName() == "Delete" and named.toolTip() == "Delete this message"


def test_an_icon_set_on_a_button_follows_the_theme(qtbot, qapp: QApplication) -> None:  # type: ignore[no-untyped-def]
    button = QPushButton("Models…")
    qtbot.addWidget(button)
    before = qapp.palette()
    try:
        qapp.setPalette(light_palette())
        restyle()
        icons.set_icon(button, "models")
        light = max(p.lightness() for p in drawn(button.icon().pixmap(24, 24).toImage()))
        qapp.setPalette(dark_palette())
        restyle()  # what a theme change does
        dark = min(p.lightness() for p in drawn(button.icon().pixmap(24, 24).toImage()))
        assert light < 128 < dark
    finally:
        qapp.setPalette(before)
        restyle()


def test_the_window_s_icon_buttons_are_named(window: QWidget) -> None:
    """The buttons this change gave icons: each says what it does without its icon."""
    for name in ("attachButton", "sendButton", "stopButton", "manageModelsButton",
                 "settingsButton", "newChatButton"):
        button = window.findChild(QToolButton, name) or window.findChild(QPushButton, name)
        assert button is not None, name
        assert not button.icon().isNull(), name
        assert button.text() or button.accessibleName(), name
        assert button.toolTip() or button.text(), name
    send = window.findChild(QPushButton, "sendButton")
    assert send.property("variant") == "primary"
    assert window.findChild(QToolButton, "attachButton").accessibleName() == "Attach documents"
    assert window.palette().color(QPalette.ColorRole.Window).name() in (
        design.LIGHT.window, design.DARK.window)
