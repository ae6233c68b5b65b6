"""TeX math as Unicode text: what answers commonly write, readable; anything else as written,
and nothing unbounded."""

from __future__ import annotations

import random

import pytest

from app.core.chat.latex import MAX_MATH_CHARS, MAX_MATH_DEPTH, latex_to_html, latex_to_text


@pytest.mark.parametrize(("tex", "text"), [
    # letters, operators, relations, arrows
    (r"\alpha + \beta \leq \Gamma", "α + β ≤ Γ"),
    (r"a \times b \cdot c \div d \pm e", "a × b ⋅ c ÷ d ± e"),
    (r"x \neq y \approx z \equiv w", "x ≠ y ≈ z ≡ w"),
    (r"A \Rightarrow B \to C \iff D \mapsto E", "A ⇒ B → C ⟺ D ↦ E"),
    (r"\forall x \in \mathbb{R}, \exists n \in \mathbb{N}", "∀ x ∈ ℝ, ∃ n ∈ ℕ"),
    (r"\infty, \partial, \nabla, \emptyset, \ldots", "∞, ∂, ∇, ∅, …"),
    (r"a - b", "a − b"),
    # sub- and superscripts: Unicode's where it has them all, else ^(…) and _(…)
    ("E = mc^2", "E = mc²"),
    (r"x_{n+1} = x_n^2", "xₙ₊₁ = xₙ²"),
    (r"e^{i\pi}", "e^(iπ)"),
    (r"\beta_{i,j}", "β_(i,j)"),
    (r"f'(x) + f''(x) + g^\prime", "f′(x) + f′′(x) + g′"),
    # fractions, roots, binomials
    (r"\frac{1}{2}", "1/2"),
    (r"\frac{a+b}{2}", "(a+b)/2"),
    (r"\dfrac{n(n+1)}{2}", "n(n+1)/2"),
    (r"\frac{\frac{1}{2}}{3}", "(1/2)/3"),
    (r"x = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a}", "x = (−b ± √(b² − 4ac))/(2a)"),
    (r"\sqrt{2} \sqrt[3]{8} \sqrt[n]{x}", "√2 ∛8 ⁿ√x"),
    (r"\binom{n}{k}", "C(n, k)"),
    # big operators and functions
    (r"\sum_{i=1}^{n} i", "∑ᵢ₌₁ⁿ i"),
    (r"\lim_{x \to 0} \frac{\sin x}{x} = 1", "lim_(x → 0) (sin x)/x = 1"),
    (r"\sin\theta + \log_2 n", "sin θ + log₂ n"),
    # text, styles, accents, delimiters
    (r"\text{if } x > 0", "if x > 0"),
    (r"\mathbf{v} + \mathrm{d}x + \operatorname{rank} A", "v + dx + rank A"),
    (r"\hat{x} + \vec{v} + \bar{y}", "x̂ + v⃗ + ȳ"),
    (r"\left( \frac{1}{2} \right) \left. x \right|", "( 1/2 ) x |"),
    (r"\{1, 2\} \quad 100\%", "{1, 2} \u2003 100%"),
    (r"x \not= y, a \not\in B", "x ≠ y, a ∉ B"),
    (r"a \equiv b \pmod{n}", "a ≡ b (mod n)"),
    # environments
    (r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}", "( a b; c d )"),
    (r"|x| = \begin{cases} x & x \ge 0 \\ -x & \text{otherwise} \end{cases}",
     "|x| = { x x ≥ 0; −x otherwise"),
    # what it does not know stays as written
    (r"\foo{x} + \weird", r"\foo{x} + \weird"),
])
def test_common_tex_becomes_readable_text(tex: str, text: str) -> None:
    assert latex_to_text(tex) == text


def test_display_formulas_keep_their_lines() -> None:
    tex = r"\begin{aligned} a &= 1 \\ b &= 2 \end{aligned}"
    assert latex_to_text(tex, display=True) == "a = 1\nb = 2"
    assert latex_to_html(tex, display=True) == "a = 1<br>b = 2"


def test_html_raises_and_lowers_with_tags_and_escapes_everything() -> None:
    assert latex_to_html(r"e^{i\pi} < x_2") == "e<sup>iπ</sup> &lt; x<sub>2</sub>"
    assert latex_to_html(r"\text{<img src=x>} & \foo{<b>}") == \
        "&lt;img src=x&gt; \\foo{&lt;b&gt;}"


@pytest.mark.parametrize("tex", [
    "{", "}", "{{{", "}}}x", "^", "_", "x^", r"\frac", r"\frac{1}", r"\sqrt[", r"\sqrt[3",
    r"\begin", r"\begin{", r"\end{cases}", r"\left", r"\not", "\\", r"\\", r"\text{", "&&",
    r"\mathbb{", r"\hat", r"\color", r"\binom{", "'", "~", "]", "[",
])
def test_malformed_tex_never_raises(tex: str) -> None:
    assert isinstance(latex_to_text(tex), str)
    assert isinstance(latex_to_html(tex, display=True), str)


def test_random_tex_never_raises() -> None:
    pieces = ["\\frac", "\\sqrt", "[", "]", "{", "}", "^", "_", "\\left", "\\right", "\\text",
              "\\begin{cases}", "\\end{pmatrix}", "&", "\\\\", "x", " ", "\\alpha", "\\not",
              "\\mathbb", "\\hat", "'", "-", "\\", "\\unknown", "$", "<", "\\color{red}"]
    generator = random.Random(19)
    for _ in range(2000):
        tex = "".join(generator.choice(pieces) for _ in range(generator.randint(1, 30)))
        result = latex_to_text(tex)
        assert result is None or isinstance(result, str)


def test_formulas_too_long_or_too_deep_are_not_converted() -> None:
    assert latex_to_text("x" * (MAX_MATH_CHARS + 1)) is None
    assert latex_to_text("{" * (MAX_MATH_DEPTH + 2) + "x") is None
    assert latex_to_text("x" + "^" * (MAX_MATH_DEPTH + 2) + "y") is None
    assert latex_to_text(r"\frac" * 500) is None
    assert latex_to_text(r"\sqrt[" * 500) is None
    assert latex_to_text("{" * (MAX_MATH_DEPTH - 2) + "x") == "x"  # deep, but within bounds
