"""The design tokens (app/qt/design.py, plain Python): every text colour readable on what it
is drawn on, in both themes; the style sheet built from them alone."""

from __future__ import annotations

import dataclasses
import re

import pytest
from pygments.styles import get_style_by_name

from app.qt import design
from app.qt.design import (
    DARK,
    LIGHT,
    MIN_OUTLINE_CONTRAST,
    MIN_TEXT_CONTRAST,
    OUTLINE_PAIRS,
    TEXT_PAIRS,
    Colors,
    contrast_ratio,
)

THEMES = pytest.mark.parametrize("tokens", [LIGHT, DARK], ids=["light", "dark"])
COLOUR = re.compile(r"#[0-9a-f]{6}")


def test_contrast_ratio_matches_wcag_examples() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # just fails
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # just passes
    assert contrast_ratio("#fff", "#000") == contrast_ratio("#000000", "#ffffff")  # either order
    with pytest.raises(ValueError):
        contrast_ratio("red", "#ffffff")


@THEMES
@pytest.mark.parametrize(("fg", "bg"), TEXT_PAIRS, ids=[f"{f} on {b}" for f, b in TEXT_PAIRS])
def test_every_text_pair_keeps_4_5_to_1(tokens: Colors, fg: str, bg: str) -> None:
    ratio = contrast_ratio(getattr(tokens, fg), getattr(tokens, bg))
    assert ratio >= MIN_TEXT_CONTRAST, f"{fg} on {bg}: {ratio:.2f}"


@THEMES
@pytest.mark.parametrize(("fg", "bg"), OUTLINE_PAIRS)
def test_the_focus_ring_stands_out(tokens: Colors, fg: str, bg: str) -> None:
    assert contrast_ratio(getattr(tokens, fg), getattr(tokens, bg)) >= MIN_OUTLINE_CONTRAST


def test_every_text_token_is_in_a_checked_pair() -> None:
    """A text colour added to the tokens is added to TEXT_PAIRS too, with what it is on."""
    checked = {fg for fg, _ in TEXT_PAIRS}
    backgrounds = {bg for _, bg in TEXT_PAIRS}
    text_like = {f.name for f in dataclasses.fields(Colors)
                 if f.name not in backgrounds and f.name not in (
                     "dark", "disabled", "border", "control_border", "error_border", "focus",
                     "accent", "accent_hover")}
    assert text_like <= checked, text_like - checked


@THEMES
def test_tokens_are_colours(tokens: Colors) -> None:
    for field in dataclasses.fields(Colors):
        if field.name != "dark":
            assert COLOUR.fullmatch(getattr(tokens, field.name)), field.name
    assert tokens.dark is (tokens is DARK)
    assert contrast_ratio(tokens.text, tokens.window) > contrast_ratio(tokens.muted,
                                                                        tokens.window)


@THEMES
def test_code_is_coloured_readably(tokens: Colors) -> None:
    """The Pygments style code blocks use keeps 4.5:1 on the code block's background."""
    colours = design.markdown_colours(tokens)
    assert colours.dark is tokens.dark
    for token, style in get_style_by_name(colours.pygments_style):
        if style["color"] and not style["bgcolor"] and "Error" not in str(token) \
                and "Whitespace" not in str(token):
            ratio = contrast_ratio("#" + style["color"], tokens.code_background)
            assert ratio >= MIN_TEXT_CONTRAST, (str(token), style["color"], ratio)


@THEMES
def test_the_style_sheet_is_built_from_the_tokens_alone(tokens: Colors) -> None:
    images = {name: f"/tmp/x/{name}.png" for name in design.IMAGES}
    sheet = design.style_sheet(tokens, 11.0, images)
    used = set(COLOUR.findall(sheet))
    values = {getattr(tokens, f.name) for f in dataclasses.fields(Colors) if f.name != "dark"}
    assert used <= values, used - values
    assert sheet.count("{") == sheet.count("}")
    for needed in ('QPushButton[variant="primary"]', "QToolButton:hover", "QLineEdit:focus",
                   "QComboBox", "QAbstractSpinBox", "QCheckBox::indicator", "QSlider::handle",
                   "QAbstractItemView", 'QWidget[surface="sidebar"] QListView::item',
                   "QTabBar::tab:selected", "QMenu::item:selected", "QToolTip",
                   "QScrollBar::handle", "QStatusBar", '[variant="chip"]',
                   'QLabel[textStyle="title"]', "url(/tmp/x/check.png)"):
        assert needed in sheet, needed
    assert f"border: 2px solid {tokens.focus}" in sheet  # the focus ring
    # Without it, a rule's `color` draws placeholders in the text colour at half alpha.
    assert f"placeholder-text-color: {tokens.muted}" in sheet
    assert f"font-size: {design.TYPE.points('title', 11.0)}pt" in sheet
    assert "url(" not in design.style_sheet(tokens, 11.0)  # no images: no arrows, no error


def test_the_type_scale_is_relative_to_the_base_font() -> None:
    assert design.TYPE.points("body", 10) == 10
    assert design.TYPE.points("caption", 10) < 10 < design.TYPE.points("subtitle", 10) \
        < design.TYPE.points("title", 10)
    assert design.TYPE.points("title", 20) == 2 * design.TYPE.points("title", 10)
    assert list(dataclasses.astuple(design.SPACE)) == [2, 4, 8, 12, 16, 24, 32]
    assert (design.RADIUS.small, design.RADIUS.medium, design.RADIUS.large) == (4, 8, 12)
    assert design.pill_radius(24) == 12


@THEMES
def test_a_platform_accent_is_taken_only_where_it_keeps_contrast(tokens: Colors) -> None:
    purple = design.with_accent(tokens, "#6d28d9")  # white text reads on it
    assert purple.accent == "#6d28d9" and purple.on_accent == "#ffffff"
    assert not design.low_contrast_pairs(purple)
    assert purple.link == tokens.link  # links keep ours
    # A ring of it would not stand out on a dark window: the ring stays ours there.
    assert purple.focus == (tokens.focus if tokens.dark else "#6d28d9")
    yellow = design.with_accent(tokens, "#ffd60a")  # dark text reads on it
    assert yellow.accent == "#ffd60a" and yellow.on_accent == "#111111"
    assert contrast_ratio(yellow.on_accent, yellow.accent) >= MIN_TEXT_CONTRAST
    assert not design.low_contrast_pairs(yellow)
    assert design.with_accent(tokens, "#777777") is tokens  # neither text reads on it
    assert design.with_accent(tokens, "not a colour") is tokens
