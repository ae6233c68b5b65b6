"""The app's icons: Phosphor's (MIT), from the icon fonts QtAwesome ships (MIT; see
resources/README.md), drawn in the theme's colours.

- `icon(name, role="text")`: a QIcon for one of `NAMES`, in the colour token `role` of the
  theme in use (disabled: the `disabled` token). An icon made now keeps its colours: for a
  widget, use `set_icon`, which draws it again when the theme changes.
- `set_icon(button, name, role="text")`: put the icon on a button (anything with `setIcon`)
  and keep it in the theme's colours.
- `icon_button(name, tooltip, ...)`: a flat, icon-only QToolButton with a tooltip and an
  accessible name (the tooltip's text unless one is given): nothing is only an icon for a
  screen reader.

Add a name to `NAMES` (app name → QtAwesome's "ph.<phosphor name>"; the names are listed by
`python -m qtawesome.icon_browser` or in qtawesome/fonts/phosphor-charmap-*.json) rather than
calling QtAwesome elsewhere, so the app keeps one icon set and one place to change it.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QToolButton, QWidget

from app.qt.appearance import current_colors, follow_theme
from app.qt.design import SPACE

NAMES: dict[str, str] = {
    "new_chat": "ph.note-pencil",
    "models": "ph.cube",
    "settings": "ph.gear-six",
    "attach": "ph.paperclip",
    "send": "ph.arrow-up",
    "stop": "ph.stop",
    "copy": "ph.copy",
    "edit": "ph.pencil-simple",
    "regenerate": "ph.arrow-clockwise",
    "delete": "ph.trash",
    "versions_prev": "ph.caret-left",
    "versions_next": "ph.caret-right",
    "thinking": "ph.lightbulb",
    "server": "ph.hard-drives",
    "export": "ph.export",
    "sidebar": "ph.layout",
    "search": "ph.magnifying-glass",
    "more": "ph.dots-three",
    "close": "ph.x",
    "expand": "ph.caret-right",
    "collapse": "ph.caret-down",
    "document": "ph.file-text",
    "check": "ph.check",
    "warning": "ph.warning",
    "info": "ph.info",
    "translate": "ph.translate",
    "question": "ph.chat-circle-text",
    "sampling": "ph.sliders-horizontal",
    "hardware": "ph.cpu",
    "appearance": "ph.palette",
    "connections": "ph.globe",
}
ICON_SIZE = SPACE.l + SPACE.xxs  # 18 px: beside body text
_cache: dict[tuple[str, str, str, str], QIcon] = {}
_MAX_CACHED = 256


def _qtawesome() -> ModuleType:
    # QtAwesome reaches Qt through QtPy, which must pick our binding (it tries PyQt5 first).
    os.environ.setdefault("QT_API", "pyside6")
    import qtawesome

    return qtawesome


def icon(name: str, role: str = "text") -> QIcon:
    """The icon `name` (one of `NAMES`) in the colour token `role` of the theme in use."""
    spec = NAMES[name]  # KeyError for a name the app does not have
    tokens = current_colors()
    colour = getattr(tokens, role)
    key = (spec, colour, tokens.disabled, role)
    made = _cache.get(key)
    if made is None:
        if len(_cache) >= _MAX_CACHED:
            _cache.clear()
        made = _cache[key] = _qtawesome().icon(
            spec, color=colour, color_active=colour, color_selected=colour,
            color_disabled=tokens.disabled)
    return made


def set_icon(button: Any, name: str, role: str = "text") -> None:
    """Give `button` (a QAbstractButton, or any widget with `setIcon`) the icon `name`, drawn
    again in the new theme's colours whenever the theme changes."""
    follow_theme(button, lambda: button.setIcon(icon(name, role)))


def icon_button(name: str, tooltip: str, *, accessible_name: str | None = None,
                object_name: str | None = None, parent: QWidget | None = None,
                size: int = ICON_SIZE) -> QToolButton:
    """A flat, icon-only button: `tooltip` on hover, `accessible_name` (else the tooltip) for
    screen readers, the icon `name` in the theme's text colour."""
    button = QToolButton(parent)
    set_icon(button, name)
    button.setIconSize(QSize(size, size))
    button.setToolTip(tooltip)
    button.setAccessibleName(accessible_name or tooltip)
    button.setAutoRaise(True)
    if object_name:
        button.setObjectName(object_name)
    return button
