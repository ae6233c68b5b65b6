"""Lamplight's design system: every size and colour of the window, in one place.

This module is plain Python (no Qt) so its numbers can be tested and read anywhere; applying
them to the running application is `app.qt.appearance`'s job, and icons are `app.qt.icons`'.
The core (`app.core`) never imports it.

What there is
-------------
- `SPACE`: the spacing scale, in px: `SPACE.xxs` 2, `xs` 4, `s` 8, `m` 12, `l` 16, `xl` 24,
  `xxl` 32. Layout margins and spacings take these, never other numbers:
  `layout.setContentsMargins(SPACE.m, SPACE.s, SPACE.m, SPACE.s)`.
- `RADIUS`: corner radii, in px: `small` 4 (chips inside text, badges), `medium` 8 (buttons,
  inputs, list rows), `large` 12 (cards, bubbles, the composer), `pill` (fully round ends:
  `pill_radius(height)` gives the radius for a widget of that height).
- `TYPE`: the type scale, as factors of the application's base font (which the Text size
  setting chooses): `caption` 0.85, `body` 1, `subtitle` 1.15, `title` 1.45;
  `TYPE.points(step, base)` gives the point size.
- `Colors`: the colour tokens, one field per role (see the class), in two themes, `LIGHT` and
  `DARK` (`colors(dark)`); `with_accent` puts the platform's accent colour in where it keeps
  contrast. `TEXT_PAIRS` lists every (text, background) pair the window draws; each keeps
  4.5:1 (`contrast_ratio`, WCAG 2), which `tests/unit/test_design.py` checks in both themes.
- `style_sheet(colors, base_points, images)`: the one application style sheet, built from the
  tokens (`images`: the arrows and check mark it shows, which `appearance` draws as files).
  `appearance.apply_appearance` sets it on the QApplication (with a QPalette of the same
  tokens, so what paints with the palette matches) and builds it again when the theme or the
  font size changes. Widget code sets no colours of its own. A new text colour is a token
  here and a pair in `TEXT_PAIRS` (the test then checks it), never a hex string in a widget.
- `markdown_colours(colors)`: the tokens as the Markdown renderer of the core takes them.

How a widget asks for a look (dynamic properties the style sheet reads; set them with
`appearance.set_variant`, `set_text_style`, `set_tone`, `set_surface`, which also re-polish
the widget when it is already shown):

========================  ==================================================================
property = value          what it looks like
========================  ==================================================================
variant = "primary"       QPushButton filled with the accent (Send; one per view at most)
variant = "chip"          QLabel / QPushButton / QToolButton as a small rounded pill (the
                          preset, the model, a tag); checkable chips show their checked state
variant = "card"          QFrame: a rounded, bordered box on the conversation's surface;
                          QPushButton: a card to click (the empty chat's starters)
variant = "dashed"        QFrame: a dashed rounded outline (something arriving, a drop zone)
variant = "bubble"        QFrame: the user's message bubble (user_bubble / user_text)
textStyle = "caption" |   QLabel in the type scale's size (caption is quieter too; subtitle
  "subtitle" | "title"    and title are semibold)
tone = "muted" | "error"  QLabel text in the muted, error, warning or success colour
  | "warning" | "success"
surface = "sidebar" |     a panel's background: the chat list's, the conversation's, or a
  "conversation" |        raised one (menus, popovers); item views inside a sidebar get
  "raised"                rounded, inset rows
========================  ==================================================================

Flat icon buttons are plain QToolButtons (`icons.icon_button`): transparent, a rounded hover
background, a focus ring. Inputs (QLineEdit, QPlainTextEdit, an editable QTextEdit, QComboBox,
spin boxes) are rounded with a 1px border and a 2px accent ring while focused.

For colours a widget paints itself (a delegate, a gauge), read them from
`appearance.current_colors()` (or `colors_for(palette)` in a paint event) and never keep them
past a theme change: `appearance.restyle` runs again then, and a `PaletteChange` event reaches
widgets without a style sheet of their own. Rich text holds its colours: write it in
`appearance.follow_theme(label, write)` so it is written again in a new theme's.

Where the next pieces go: the user's bubble is a QFrame with variant "bubble" (radius
`RADIUS.large`); a code block's header bar takes `code_header` / `code_header_text` (add them
to `markdown_colours` and the core's `MarkdownColours` when the renderer draws the bar); the
composer is a "card" frame holding the text edit (add a rule to `style_sheet` for an edit
without its own border inside it, and keep a visible focus ring on the card or the edit) with
`icons.icon_button("attach", ...)` and the primary Send inside; the preset and model chips are
QPushButtons with variant "chip"; message actions are `icons.icon_button`s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from app.core.chat.markdown import MarkdownColours


@dataclass(frozen=True)
class Spacing:
    """The spacing scale, in px."""

    xxs: int = 2
    xs: int = 4
    s: int = 8
    m: int = 12
    l: int = 16  # noqa: E741 - the scale's name for it
    xl: int = 24
    xxl: int = 32


@dataclass(frozen=True)
class Radii:
    """Corner radii, in px; `pill` means fully round ends (see `pill_radius`)."""

    small: int = 4
    medium: int = 8
    large: int = 12
    pill: int = 999


@dataclass(frozen=True)
class TypeScale:
    """Font sizes as factors of the application's base font."""

    caption: float = 0.85
    body: float = 1.0
    subtitle: float = 1.15
    title: float = 1.45

    def points(self, step: str, base: float) -> float:
        """The point size of `step` ("caption", "body", "subtitle", "title") for a base font
        of `base` points, to a tenth of a point."""
        return round(float(getattr(self, step)) * base, 1)


SPACE = Spacing()
RADIUS = Radii()
TYPE = TypeScale()
TEXT_STYLES = ("caption", "body", "subtitle", "title")


def pill_radius(height: int) -> int:
    """The corner radius that gives a widget `height` px tall fully round ends (Qt draws no
    rounded corner at all for a radius over half the height)."""
    return max(0, height // 2)


@dataclass(frozen=True)
class Colors:
    """The colour tokens of one theme, as #rrggbb. Text tokens keep 4.5:1 against the
    backgrounds they are drawn on (`TEXT_PAIRS`)."""

    dark: bool
    # Backgrounds, from the back forwards.
    window: str  # the window behind everything: top bar, composer row, dialogs, pages
    surface: str  # the conversation, and the inside of inputs and lists
    sidebar: str  # the chat list beside the conversation
    raised: str  # hover on rows and flat buttons, chips, cards that stand out
    pressed: str  # a pressed or checked flat button
    border: str  # hairlines between areas, cards' and lists' edges
    control_border: str  # the 1px edge of buttons and inputs, scroll bar handles
    # Text.
    text: str  # body text, on every background above
    muted: str  # secondary text: notes, footers, captions, placeholders
    disabled: str  # text of disabled controls (exempt from the contrast rule, as WCAG allows)
    # The accent: one blue.
    accent: str  # primary buttons, checked states, slider and progress fill
    accent_hover: str  # a primary button under the pointer
    on_accent: str  # text and icons on the accent
    accent_soft: str  # a quiet accent background: info banners, a highlighted message
    focus: str  # the 2px focus ring
    selection: str  # selected text and selected rows (the chat list)
    selection_text: str  # text on `selection`
    link: str  # links in text
    # The conversation.
    user_bubble: str  # the user's message bubble
    user_text: str  # text in it
    code_background: str  # a code block
    code_text: str  # code's plain text
    code_header: str  # the bar above a code block (language, Copy)
    code_header_text: str  # text in that bar
    # States.
    error: str  # error text on window / surface
    error_background: str  # an error banner...
    error_text: str  # ...its text...
    error_border: str  # ...and edge
    warning: str  # warning text (and the context gauge's fill) on window / surface
    warning_background: str  # a notice banner, the "tight" badge
    warning_text: str  # text on it
    success: str  # success text on window / surface
    success_background: str  # the "fits" badge (text: success)
    # Popups.
    tooltip_background: str
    tooltip_text: str


LIGHT = Colors(
    dark=False,
    window="#f9f9fa", surface="#ffffff", sidebar="#f3f3f5", raised="#ececef",
    pressed="#e2e2e6", border="#e3e3e8", control_border="#cdcfd5",
    text="#1f2328", muted="#5e6370", disabled="#a0a3ab",
    accent="#2563eb", accent_hover="#1d4ed8", on_accent="#ffffff", accent_soft="#e8effd",
    focus="#2563eb", selection="#d3e2fc", selection_text="#1f2328", link="#1f5fd1",
    user_bubble="#eef1f6", user_text="#1f2328",
    code_background="#f5f6f8", code_text="#1f2328", code_header="#eceef2",
    code_header_text="#565b66",
    error="#b42318", error_background="#fdecea", error_text="#7a1616", error_border="#f3c4bf",
    warning="#8a5300", warning_background="#fff4ce", warning_text="#5c4400",
    success="#1a7f37", success_background="#dafbe1",
    tooltip_background="#1f2328", tooltip_text="#f3f3f5",
)

DARK = Colors(
    dark=True,
    window="#1e1f22", surface="#232428", sidebar="#18191b", raised="#2d2e33",
    pressed="#37383e", border="#34353a", control_border="#4a4c53",
    text="#ececf1", muted="#a6a8b0", disabled="#6c6e76",
    accent="#2f66dc", accent_hover="#2858c2", on_accent="#ffffff", accent_soft="#1f2c45",
    focus="#5b95ff", selection="#294a7e", selection_text="#f3f5f9", link="#8ab4f8",
    user_bubble="#2f3137", user_text="#ececf1",
    code_background="#17181b", code_text="#e6edf3", code_header="#26272c",
    code_header_text="#a6a8b0",
    error="#ff8a80", error_background="#3a1d1d", error_text="#ffb4ab", error_border="#6e2c2c",
    warning="#f2b84b", warning_background="#3b3112", warning_text="#f2d58a",
    success="#6fdc9a", success_background="#12361f",
    tooltip_background="#3a3b41", tooltip_text="#f3f3f5",
)

# Every (text, background) pair the window draws, as `Colors` field names.
TEXT_PAIRS: tuple[tuple[str, str], ...] = (
    *((role, background) for role in ("text", "muted")
      for background in ("window", "surface", "sidebar", "raised", "pressed")),
    ("text", "accent_soft"),
    ("muted", "accent_soft"),
    ("on_accent", "accent"),
    ("on_accent", "accent_hover"),
    ("selection_text", "selection"),
    ("link", "surface"),
    ("link", "window"),
    ("link", "user_bubble"),
    ("user_text", "user_bubble"),
    ("code_text", "code_background"),
    ("muted", "code_background"),
    ("code_header_text", "code_header"),
    ("error", "window"),
    ("error", "surface"),
    ("error", "error_background"),
    ("error_text", "error_background"),
    ("warning", "window"),
    ("warning", "surface"),
    ("warning_text", "warning_background"),
    ("success", "window"),
    ("success", "surface"),
    ("success", "success_background"),
    ("tooltip_text", "tooltip_background"),
)
# Edges that must be seen (WCAG 2's 3:1 for parts of controls): the focus ring.
OUTLINE_PAIRS: tuple[tuple[str, str], ...] = (
    ("focus", "window"), ("focus", "surface"), ("focus", "sidebar"),
)
MIN_TEXT_CONTRAST = 4.5
MIN_OUTLINE_CONTRAST = 3.0


def colors(dark: bool) -> Colors:
    """The tokens of the light or the dark theme."""
    return DARK if dark else LIGHT


# -- contrast ---------------------------------------------------------------------------------

def _rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if len(value) != 6:
        raise ValueError(f"not a #rrggbb colour: {color!r}")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def relative_luminance(color: str) -> float:
    """WCAG 2's relative luminance of `color` (#rrggbb or #rgb), 0 for black to 1 for white."""
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = _rgb(color)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(fg: str, bg: str) -> float:
    """WCAG 2's contrast ratio of two colours, 1 to 21 (the order does not matter)."""
    high, low = sorted((relative_luminance(fg), relative_luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def mix(color: str, other: str, share: float) -> str:
    """`color` moved `share` (0..1) of the way to `other`."""
    a, b = _rgb(color), _rgb(other)
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


def low_contrast_pairs(tokens: Colors) -> list[tuple[str, str, float]]:
    """The pairs of `TEXT_PAIRS` and `OUTLINE_PAIRS` below their minimum in `tokens`."""
    found = []
    for pairs, minimum in ((TEXT_PAIRS, MIN_TEXT_CONTRAST), (OUTLINE_PAIRS, MIN_OUTLINE_CONTRAST)):
        for fg, bg in pairs:
            ratio = contrast_ratio(getattr(tokens, fg), getattr(tokens, bg))
            if ratio < minimum:
                found.append((fg, bg, ratio))
    return found


def with_accent(tokens: Colors, accent: str) -> Colors:
    """`tokens` with the platform's `accent` colour (#rrggbb) for the accent's fills (primary
    buttons, checked boxes, sliders), where text on it (white, else near-black) keeps
    4.5:1; otherwise `tokens` unchanged. The focus ring takes it too where it keeps 3:1 against
    the backgrounds, else stays ours; links stay ours."""
    try:
        _rgb(accent)
    except ValueError:
        return tokens
    accent = accent.lower()
    on_accent = next((ink for ink in ("#ffffff", "#111111")
                      if contrast_ratio(ink, accent) >= MIN_TEXT_CONTRAST), None)
    if on_accent is None:
        return tokens
    hover = mix(accent, "#000000" if on_accent == "#ffffff" else "#ffffff", 0.12)
    ring = all(contrast_ratio(accent, getattr(tokens, background)) >= MIN_OUTLINE_CONTRAST
               for _, background in OUTLINE_PAIRS)
    changed = dataclasses.replace(tokens, accent=accent, accent_hover=hover, on_accent=on_accent,
                                  focus=accent if ring else tokens.focus)
    return tokens if low_contrast_pairs(changed) else changed


# -- the style sheet --------------------------------------------------------------------------

def _line_px(points: float) -> int:
    """About how tall a line of text of `points` is, in px at 96 dpi."""
    return round(points * 96 / 72 * 1.35)


IMAGES = ("down", "up", "down_disabled", "up_disabled", "check")


def style_sheet(c: Colors, base_points: float = 10.0, images: Mapping[str, str] | None = None
                ) -> str:
    """The application's style sheet for the tokens `c` and a base font of `base_points`.

    `images` are image files (paths) by name (`IMAGES`): the small arrows of combo and spin
    boxes (in `c.muted`, and `c.disabled` for disabled boxes) and a check box's mark (in
    `c.on_accent`): a style sheet shows them only as images. Without them the boxes have no
    arrows and a checked box is a plain accent square."""
    chip_height = _line_px(TYPE.points("caption", base_points)) + 2 * SPACE.xxs + 2
    chip = pill_radius(chip_height)
    caption, subtitle, title = (TYPE.points(step, base_points)
                                for step in ("caption", "subtitle", "title"))
    return f"""
QMainWindow, QDialog {{ background: {c.window}; }}
QMainWindow::separator {{ background: {c.border}; width: 1px; height: 1px; }}
QSplitter::handle {{ background: transparent; }}
QSplitter::handle:horizontal {{ width: 5px; border-left: 1px solid {c.border}; }}
QSplitter::handle:vertical {{ height: 5px; border-top: 1px solid {c.border}; }}

QToolTip {{
    color: {c.tooltip_text}; background: {c.tooltip_background};
    border: 1px solid {c.tooltip_background}; padding: {SPACE.xs}px {SPACE.s}px;
}}

/* Push buttons: neutral, or filled with the accent (variant="primary"). */
QPushButton {{
    color: {c.text}; background: {c.surface};
    border: 1px solid {c.control_border}; border-radius: {RADIUS.medium}px;
    padding: {SPACE.xs + 1}px {SPACE.m}px; min-height: {_line_px(base_points) - 2}px;
}}
QPushButton:hover {{ background: {c.raised}; }}
QPushButton:pressed, QPushButton:checked {{ background: {c.pressed}; }}
QPushButton:focus {{ border: 2px solid {c.focus}; padding: {SPACE.xs}px {SPACE.m - 1}px; }}
QPushButton:disabled {{ color: {c.disabled}; background: {c.window}; border-color: {c.border}; }}
QPushButton[variant="primary"] {{
    color: {c.on_accent}; background: {c.accent}; border-color: {c.accent};
}}
QPushButton[variant="primary"]:hover {{
    background: {c.accent_hover}; border-color: {c.accent_hover};
}}
QPushButton[variant="primary"]:focus {{ border-color: {c.text}; }}
QPushButton[variant="primary"]:disabled {{
    color: {c.disabled}; background: {c.raised}; border-color: {c.raised};
}}
QPushButton::menu-indicator {{ subcontrol-position: right center; right: {SPACE.s}px; }}

/* Flat icon buttons. */
QToolButton {{
    color: {c.text}; background: transparent;
    border: 2px solid transparent; border-radius: {RADIUS.medium}px; padding: {SPACE.xxs}px;
}}
QToolButton:hover {{ background: {c.raised}; }}
QToolButton:pressed, QToolButton:checked {{ background: {c.pressed}; }}
QToolButton:focus {{ border-color: {c.focus}; }}
QToolButton:disabled {{ color: {c.disabled}; }}
QToolButton[popupMode="1"], QToolButton[popupMode="2"] {{ padding-right: {SPACE.l}px; }}

/* Chips: small pills for the preset, the model, tags. */
QLabel[variant="chip"], QPushButton[variant="chip"], QToolButton[variant="chip"] {{
    color: {c.text}; background: {c.raised}; border: 1px solid {c.border};
    border-radius: {chip}px; padding: {SPACE.xxs}px {SPACE.s + SPACE.xxs}px;
    font-size: {caption}pt; min-height: 0;
}}
QPushButton[variant="chip"]:hover, QToolButton[variant="chip"]:hover {{
    background: {c.pressed};
}}
QPushButton[variant="chip"]:checked, QToolButton[variant="chip"]:checked {{
    color: {c.selection_text}; background: {c.selection}; border-color: {c.selection};
}}
QPushButton[variant="chip"]:focus, QToolButton[variant="chip"]:focus {{
    border: 1px solid {c.focus};
}}

/* Inputs: rounded, a 1px edge, a 2px accent ring while focused. */
QLineEdit, QPlainTextEdit, QTextEdit[readOnly="false"], QComboBox, QAbstractSpinBox {{
    color: {c.text}; background: {c.surface}; placeholder-text-color: {c.muted};
    border: 1px solid {c.control_border}; border-radius: {RADIUS.medium}px;
    padding: {SPACE.xs}px {SPACE.s}px;
    selection-color: {c.selection_text}; selection-background-color: {c.selection};
}}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit[readOnly="false"]:focus, QComboBox:focus,
QAbstractSpinBox:focus {{
    border: 2px solid {c.focus}; padding: {SPACE.xs - 1}px {SPACE.s - 1}px;
}}
QLineEdit:disabled, QPlainTextEdit:disabled, QTextEdit:disabled, QComboBox:disabled,
QAbstractSpinBox:disabled {{
    color: {c.disabled}; background: {c.window}; border-color: {c.border};
}}
QComboBox {{ padding-right: {SPACE.xl}px; }}
QComboBox:focus {{ padding-right: {SPACE.xl - 1}px; }}
QComboBox::drop-down {{
    subcontrol-origin: padding; subcontrol-position: center right;
    width: {SPACE.xl - SPACE.xs}px; border: none;
}}
{_image_rules(images)}
QComboBox QAbstractItemView {{
    color: {c.text}; background: {c.surface}; border: 1px solid {c.border};
    selection-color: {c.selection_text}; selection-background-color: {c.selection};
    outline: 0; padding: {SPACE.xs}px;
}}
QComboBox QLineEdit, QAbstractSpinBox QLineEdit {{
    border: none; padding: 0; background: transparent;
}}
QAbstractSpinBox {{ padding-right: {SPACE.l + SPACE.xs}px; }}
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {{
    subcontrol-origin: padding; width: {SPACE.l}px; border: none; background: transparent;
    right: {SPACE.xxs}px;
}}
QAbstractSpinBox::up-button {{ subcontrol-position: top right; }}
QAbstractSpinBox::down-button {{ subcontrol-position: bottom right; }}
QAbstractSpinBox::up-button:hover, QAbstractSpinBox::down-button:hover {{
    background: {c.raised}; border-radius: {RADIUS.small}px;
}}

QCheckBox, QRadioButton {{
    color: {c.text}; spacing: {SPACE.s}px; padding: {SPACE.xxs}px;
    border: 2px solid transparent; border-radius: {RADIUS.small}px;
}}
QCheckBox:focus, QRadioButton:focus {{ border-color: {c.focus}; }}
QCheckBox:disabled, QRadioButton:disabled {{ color: {c.disabled}; }}
QCheckBox::indicator, QRadioButton::indicator {{
    width: 14px; height: 14px; background: {c.surface};
    border: 1px solid {c.control_border}; border-radius: {RADIUS.small}px;
}}
QRadioButton::indicator {{ border-radius: 8px; }}
QCheckBox::indicator:hover, QRadioButton::indicator:hover {{ border-color: {c.accent}; }}
QCheckBox::indicator:checked {{ background: {c.accent}; border-color: {c.accent}; }}
QRadioButton::indicator:checked {{ background: {c.on_accent}; border: 4px solid {c.accent};
    width: 8px; height: 8px; }}
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {{
    background: {c.window}; border-color: {c.border};
}}
QCheckBox::indicator:checked:disabled {{
    background: {c.control_border}; border-color: {c.control_border};
}}

QSlider::groove:horizontal {{
    height: 4px; background: {c.control_border}; border-radius: 2px;
}}
QSlider::sub-page:horizontal {{ background: {c.accent}; border-radius: 2px; }}
QSlider::handle:horizontal {{
    background: {c.surface}; border: 2px solid {c.accent};
    width: 12px; height: 12px; margin: -6px 0; border-radius: 8px;
}}
QSlider::handle:horizontal:focus {{ background: {c.accent}; border-color: {c.focus}; }}
QSlider::handle:horizontal:disabled {{ border-color: {c.control_border}; }}
QSlider::sub-page:horizontal:disabled {{ background: {c.control_border}; }}

QProgressBar {{
    color: {c.text}; background: {c.raised}; border: none;
    border-radius: {RADIUS.small}px; text-align: center;
}}
QProgressBar::chunk {{ background: {c.accent}; border-radius: {RADIUS.small}px; }}

/* Lists and trees; in the sidebar, rounded rows set in from its edges. */
QAbstractItemView {{
    color: {c.text}; background: {c.surface}; alternate-background-color: {c.window};
    border: 1px solid {c.border}; border-radius: {RADIUS.medium}px; outline: 0;
    selection-color: {c.selection_text}; selection-background-color: {c.selection};
}}
QAbstractItemView:focus {{ border-color: {c.focus}; }}
QListView::item {{ padding: {SPACE.xs}px {SPACE.s}px; }}
QListView::item:hover, QTreeView::item:hover {{ background: {c.raised}; }}
QListView::item:selected, QTreeView::item:selected {{
    color: {c.selection_text}; background: {c.selection};
}}
QHeaderView::section {{
    color: {c.muted}; background: {c.window}; border: none;
    border-bottom: 1px solid {c.border}; padding: {SPACE.xs}px {SPACE.s}px;
}}
QTableCornerButton::section {{ background: {c.window}; border: none; }}

/* Tabs: a quiet row with an accent line under the chosen one. */
QTabWidget::pane {{
    background: {c.window}; border: 1px solid {c.border}; border-radius: {RADIUS.medium}px;
    top: -1px;
}}
QTabBar::tab {{
    color: {c.muted}; background: transparent; border: none;
    border-bottom: 2px solid transparent; padding: {SPACE.s}px {SPACE.m}px;
    margin-right: {SPACE.xs}px;
}}
QTabBar::tab:hover {{ color: {c.text}; }}
QTabBar::tab:selected {{ color: {c.text}; border-bottom-color: {c.accent}; }}
QTabBar::tab:focus {{ border-bottom-color: {c.focus}; }}
QTabBar::tab:disabled {{ color: {c.disabled}; }}

QGroupBox {{
    border: 1px solid {c.border}; border-radius: {RADIUS.medium}px;
    margin-top: {SPACE.l}px; padding: {SPACE.m}px {SPACE.s}px {SPACE.s}px {SPACE.s}px;
}}
QGroupBox::title {{
    subcontrol-origin: margin; left: {SPACE.m}px; padding: 0 {SPACE.xs}px; color: {c.text};
}}

/* Menus. */
QMenuBar {{ background: {c.window}; color: {c.text}; }}
QMenuBar::item {{ background: transparent; padding: {SPACE.xs}px {SPACE.s + 2}px;
    border-radius: {RADIUS.small}px; }}
QMenuBar::item:selected {{ background: {c.raised}; }}
QMenu {{
    color: {c.text}; background: {c.surface}; border: 1px solid {c.border};
    padding: {SPACE.xs}px;
}}
QMenu::item {{
    padding: {SPACE.xs + 2}px {SPACE.xl}px {SPACE.xs + 2}px {SPACE.m}px;
    border-radius: {RADIUS.small}px; background: transparent;
}}
QMenu::item:selected {{ background: {c.raised}; }}
QMenu::item:disabled {{ color: {c.disabled}; }}
QMenu::separator {{ height: 1px; background: {c.border}; margin: {SPACE.xs}px {SPACE.s}px; }}

/* Thin scroll bars. */
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 0; }}
QScrollBar:horizontal {{ background: transparent; height: 10px; margin: 0; }}
QScrollBar::handle:vertical {{
    background: {c.control_border}; border-radius: 3px; min-height: {SPACE.xxl}px;
    margin: 2px;
}}
QScrollBar::handle:horizontal {{
    background: {c.control_border}; border-radius: 3px; min-width: {SPACE.xxl}px;
    margin: 2px;
}}
QScrollBar::handle:hover {{ background: {c.muted}; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; border: none; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: none; }}

QStatusBar {{ background: {c.window}; color: {c.muted}; border-top: 1px solid {c.border}; }}
QStatusBar::item {{ border: none; }}
QStatusBar QLabel {{ color: {c.muted}; }}

/* Text in the type scale and in the state colours. */
QLabel[textStyle="caption"] {{ font-size: {caption}pt; color: {c.muted}; }}
QLabel[textStyle="subtitle"] {{ font-size: {subtitle}pt; font-weight: 600; }}
QLabel[textStyle="title"] {{ font-size: {title}pt; font-weight: 600; }}
QLabel[tone="muted"] {{ color: {c.muted}; }}
QLabel[tone="error"] {{ color: {c.error}; }}
QLabel[tone="warning"] {{ color: {c.warning}; }}
QLabel[tone="success"] {{ color: {c.success}; }}

/* Panels and boxes. */
QWidget[surface="sidebar"] {{ background: {c.sidebar}; }}
QWidget[surface="conversation"] {{ background: {c.surface}; }}
QWidget[surface="raised"] {{ background: {c.raised}; }}
QAbstractScrollArea[surface="conversation"] {{ border: none; }}
QWidget[surface="sidebar"] QAbstractItemView {{ background: {c.sidebar}; border: none; }}
QWidget[surface="sidebar"] QListView::item {{
    border-radius: {RADIUS.medium}px; margin: 1px {SPACE.xs}px;
    padding: {SPACE.xs}px {SPACE.s}px;
}}
QFrame[variant="card"] {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: {RADIUS.large}px;
}}
/* The composer: a card whose edit has no edge of its own; the card takes the focus ring
   (focusWithin, set while the edit has the focus), and round Send and Stop inside. */
QFrame#composerCard {{ border: 1px solid {c.control_border}; padding: 1px; }}
QFrame#composerCard[focusWithin="true"] {{ border: 2px solid {c.focus}; padding: 0; }}
QFrame#composerCard QPlainTextEdit, QFrame#composerCard QPlainTextEdit:focus,
QFrame#composerCard QPlainTextEdit:disabled {{
    border: none; padding: 0; background: transparent;
}}
QFrame#composerCard QPushButton {{
    min-width: {SPACE.xxl - 2}px; max-width: {SPACE.xxl - 2}px;
    min-height: {SPACE.xxl - 2}px; max-height: {SPACE.xxl - 2}px;
    padding: 0; border-width: 1px; border-radius: {pill_radius(SPACE.xxl)}px;
}}
QFrame#composerCard QPushButton:focus {{ padding: 0; border-width: 1px; }}
QPushButton[variant="chip"]::menu-indicator {{ image: none; width: 0; }}
QFrame[variant="dashed"] {{
    border: 1px dashed {c.control_border}; border-radius: {RADIUS.medium}px;
}}
QFrame[variant="bubble"] {{
    background: {c.user_bubble}; color: {c.user_text}; border: none;
    border-radius: {RADIUS.large}px;
}}
/* A push button drawn as a card (the empty chat's starters): its words are its own labels. */
QPushButton[variant="card"] {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: {RADIUS.large}px;
    padding: 0;
}}
QPushButton[variant="card"]:hover {{ background: {c.raised}; border-color: {c.control_border}; }}
QPushButton[variant="card"]:pressed {{ background: {c.pressed}; }}
QPushButton[variant="card"]:focus {{ border: 2px solid {c.focus}; padding: 0; }}
/* A label chip as tall as the pill its radius is for (shorter, Qt would draw square corners). */
QLabel[variant="chip"] {{ min-height: {chip_height - 2 * SPACE.xxs - 2}px; }}
"""


def _image_rules(images: Mapping[str, str] | None) -> str:
    if not images:
        return ""
    url = {name: Path(images[name]).as_posix() for name in IMAGES}
    return f"""QComboBox::down-arrow, QAbstractSpinBox::down-arrow {{
    image: url({url["down"]}); width: 10px; height: 10px;
}}
QAbstractSpinBox::up-arrow {{ image: url({url["up"]}); width: 10px; height: 10px; }}
QComboBox::down-arrow:disabled, QAbstractSpinBox::down-arrow:disabled {{
    image: url({url["down_disabled"]});
}}
QAbstractSpinBox::up-arrow:disabled {{ image: url({url["up_disabled"]}); }}
QCheckBox::indicator:checked {{ image: url({url["check"]}); }}"""


def markdown_colours(c: Colors) -> MarkdownColours:
    """The tokens as the core's Markdown renderer writes them into a message's HTML."""
    return MarkdownColours(
        c.dark, code_background=c.code_background, code_text=c.code_text, muted=c.muted,
        border=c.control_border if c.dark else c.border, table_header=c.code_header,
        quote_bar=c.control_border, pygments_style="github-dark" if c.dark else "xcode",
        code_header=c.code_header, code_header_text=c.code_header_text)
