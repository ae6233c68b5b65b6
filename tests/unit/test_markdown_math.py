"""Formulas in answers are shown as text, prices stay prices, and nothing about them is
unbounded; tables get borders and quotes a bar, in both themes."""

from __future__ import annotations

import re

import pytest

from app.core.chat.markdown import (
    MAX_FORMULA_CHARS,
    MAX_FORMULAS,
    MAX_QUOTE_BARS,
    MAX_RENDER_COST,
    QUOTE_COST,
    MarkdownRenderer,
)
from app.core.chat.math_syntax import MAX_MATH_SCAN_LINES

FORMULA = re.compile(r'<span style="font-style:italic">(.*?)</span>')


def formulas(text: str) -> list[str]:
    return FORMULA.findall(MarkdownRenderer().render(text).html)


@pytest.mark.parametrize(("text", "shown"), [
    (r"Euler: $e^{i\pi} + 1 = 0$.", ["e<sup>iπ</sup> + 1 = 0"]),
    (r"Inline \(\alpha_1 \leq \beta\) too.", ["α<sub>1</sub> ≤ β"]),
    (r"In a line $$\frac{a}{b}$$ and \[x^2\] as well.", ["a/b", "x<sup>2</sup>"]),
    (r"A dollar inside: $a\$b$.", ["a$b"]),
    ("| formula |\n|---|\n| $x_1$ |", ["x<sub>1</sub>"]),
    ("- a list item with $\\pi$", ["π"]),
])
def test_inline_formulas_are_shown_as_text(text: str, shown: list[str]) -> None:
    assert formulas(text) == shown


@pytest.mark.parametrize("text", [
    "It costs $5 and $10.",
    "Between $5 and $6, or $20,000 and $30,000.",
    "Prices: $5, $10, $15 (each).",
    "It costs $5 (or $6).",
    "US$ 5 and $ 6 and 5$ or 6 $.",
    r"Escaped: \$x\$ stays.",
    "Code: `$x$` and\n\n```\n$$y$$\n```",
    "$$ $$ and $ $",
])
def test_dollar_amounts_and_code_stay_text(text: str) -> None:
    rendered = MarkdownRenderer().render(text).html
    assert "font-style:italic" not in rendered
    assert rendered.count("$") >= 2


def test_a_price_beside_a_formula_stays_a_price() -> None:
    rendered = MarkdownRenderer().render("From $5 and $x$ on.").html
    assert "From $5 and " in rendered
    assert FORMULA.findall(rendered) == ["x"]


@pytest.mark.parametrize("text", [
    "$$\nx = \\frac{-b}{2a}\n$$",
    "$$x = \\frac{-b}{2a}$$",
    "\\[\nx = \\frac{-b}{2a}\n\\]",
    "Before it:\n$$\nx = \\frac{-b}{2a}\n$$\nafter it.",
    "> $$\n> x = \\frac{-b}{2a}\n> $$",
])
def test_display_formulas_are_centred_blocks(text: str) -> None:
    rendered = MarkdownRenderer().render(text).html
    assert '<p align="center"><span style="font-style:italic">x = (−b)/(2a)</span></p>' in rendered
    assert "$" not in rendered and "\\[" not in rendered


def test_an_unclosed_or_empty_display_formula_stays_text() -> None:
    for text in ("$$\nx = 1\n\nmore", "$$", "$$\n$$", "\\[ x"):
        assert "font-style:italic" not in MarkdownRenderer().render(text).html


def test_a_formula_too_deep_to_convert_is_shown_as_written() -> None:
    tex = "{" * 40 + "x" + "}" * 40
    rendered = MarkdownRenderer().render(f"Deep: ${tex}$ end").html
    assert f"Deep: ${tex}$ end" in rendered


def test_formulas_past_the_message_s_share_are_shown_as_written() -> None:
    text = " ".join(f"$x_{{{i}}}$" for i in range(MAX_FORMULAS + 50))
    rendered = MarkdownRenderer().render(text).html
    assert len(FORMULA.findall(rendered)) == MAX_FORMULAS
    assert f"$x_{{{MAX_FORMULAS + 49}}}$" in rendered
    long = "a" * 1_500
    text = " ".join(f"${long}$" for _ in range(20))
    assert len(FORMULA.findall(MarkdownRenderer().render(text).html)) == \
        MAX_FORMULA_CHARS // len(long)


def test_hostile_dollars_stay_bounded() -> None:
    for text in ("$" * 100_000, "$ " * 50_000, "\\(" * 50_000, "\\( a " * 20_000,
                 "$a$ " * 20_000, "$" + "{" * 20_000 + "x" + "}" * 20_000 + "$",
                 "$" + "\\frac{" * 10_000 + "$", "$" + "^" * 10_000 + "x$"):
        rendered = MarkdownRenderer().render(text)
        assert rendered.cost <= MAX_RENDER_COST
        assert len(FORMULA.findall(rendered.html)) <= MAX_FORMULAS


def test_lines_of_dollars_are_read_a_bounded_number_of_times() -> None:
    renderer = MarkdownRenderer()
    env: dict[str, object] = {}
    tokens = renderer._md.parse("$$a\n" * 10_000, env)
    assert env["math_scanned"] == MAX_MATH_SCAN_LINES
    assert tokens  # parsed (as paragraphs of text and formulas) all the same


def test_tables_have_borders_in_both_themes() -> None:
    text = "| a | b |\n|---|---|\n| 1 | 2 |"
    light = MarkdownRenderer().render(text).html
    dark = MarkdownRenderer(dark=True).render(text).html
    for rendered in (light, dark):
        assert '<table border="1" cellspacing="0" cellpadding="5"' in rendered
        assert "border-collapse:collapse" in rendered
        assert "<th bgcolor=" in rendered
    colour = re.compile(r"border-color:(#\w+)")
    assert colour.findall(light) != colour.findall(dark)


def test_quotes_have_a_bar_nested_ones_only_a_few_deep() -> None:
    rendered = MarkdownRenderer().render("> " * 10 + "deep").html
    assert rendered.count('<td width="4" bgcolor=') == MAX_QUOTE_BARS
    assert rendered.count("<blockquote") == 10 - MAX_QUOTE_BARS


def test_quotes_are_charged_as_the_tables_they_are_drawn_as() -> None:
    rendered = MarkdownRenderer().render("> a\n\n" * 10_000)
    assert rendered.rest is not None
    assert rendered.html.count("<table") <= MAX_RENDER_COST // QUOTE_COST + 1
