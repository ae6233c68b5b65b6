"""TeX math as readable Unicode text: `\\frac{a+b}{2}` → `(a+b)/2`, `\\alpha^2` → `α²`.

Models write formulas in TeX (`$…$`, `$$…$$`, `\\(…\\)`, `\\[…\\]`), and Qt's rich text cannot
typeset them. This is no typesetter: it turns what answers commonly use (Greek letters,
operators, relations and arrows, sub- and superscripts, fractions, roots, accents, text,
blackboard bold, matrices and cases) into the characters that say the same, and leaves any
other command as written (`\\foo`), so nothing is lost.

The formula is text from outside: it is converted in one pass over its tokens, at most
`MAX_MATH_CHARS` long and `MAX_MATH_DEPTH` groups deep; anything else is not converted
(None), and the caller shows it as written. Nothing raises on malformed input: a missing
brace ends its group at the formula's end, an extra one is dropped.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

MAX_MATH_CHARS = 2_000
MAX_MATH_DEPTH = 24

def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


# A piece of converted text and where it sits: 0 on the line, 1 raised, -1 lowered.
Piece = tuple[str, int]

_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "omicron": "ο", "pi": "π", "varpi": "ϖ",
    "rho": "ρ", "varrho": "ϱ", "sigma": "σ", "varsigma": "ς", "tau": "τ", "upsilon": "υ",
    "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
_SYMBOLS = {
    # operators
    "times": "×", "cdot": "⋅", "div": "÷", "pm": "±", "mp": "∓", "ast": "∗", "star": "⋆",
    "circ": "∘", "bullet": "∙", "oplus": "⊕", "ominus": "⊖", "otimes": "⊗", "odot": "⊙",
    "cup": "∪", "cap": "∩", "setminus": "∖", "wedge": "∧", "land": "∧", "vee": "∨",
    "lor": "∨", "neg": "¬", "lnot": "¬", "nabla": "∇", "partial": "∂", "sum": "∑",
    "prod": "∏", "coprod": "∐", "int": "∫", "iint": "∬", "iiint": "∭", "oint": "∮",
    "bigcup": "⋃", "bigcap": "⋂", "bigoplus": "⨁", "bigotimes": "⨂", "sqcup": "⊔",
    # relations
    "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈",
    "equiv": "≡", "sim": "∼", "simeq": "≃", "cong": "≅", "propto": "∝", "ll": "≪",
    "gg": "≫", "leqslant": "⩽", "geqslant": "⩾", "prec": "≺", "succ": "≻", "in": "∈",
    "notin": "∉", "ni": "∋", "subset": "⊂", "subseteq": "⊆", "supset": "⊃",
    "supseteq": "⊇", "perp": "⊥", "parallel": "∥", "mid": "∣", "nmid": "∤", "models": "⊨",
    "vdash": "⊢", "doteq": "≐", "asymp": "≍",
    # arrows
    "to": "→", "rightarrow": "→", "leftarrow": "←", "gets": "←", "leftrightarrow": "↔",
    "Rightarrow": "⇒", "Leftarrow": "⇐", "Leftrightarrow": "⇔", "iff": "⟺", "implies": "⟹",
    "impliedby": "⟸", "mapsto": "↦", "longrightarrow": "⟶", "longleftarrow": "⟵",
    "Longrightarrow": "⟹", "Longleftarrow": "⟸", "longmapsto": "⟼", "uparrow": "↑",
    "downarrow": "↓", "updownarrow": "↕", "nearrow": "↗", "searrow": "↘",
    "hookrightarrow": "↪", "rightleftharpoons": "⇌",
    # letters, constants and the rest
    "infty": "∞", "emptyset": "∅", "varnothing": "∅", "forall": "∀", "exists": "∃",
    "nexists": "∄", "hbar": "ℏ", "ell": "ℓ", "Re": "ℜ", "Im": "ℑ", "aleph": "ℵ", "wp": "℘",
    "angle": "∠", "triangle": "△", "square": "□", "degree": "°", "prime": "′",
    "therefore": "∴", "because": "∵", "top": "⊤", "bot": "⊥", "dagger": "†",
    "ldots": "…", "dots": "…", "cdots": "⋯", "vdots": "⋮", "ddots": "⋱", "dotsc": "…",
    "dotsb": "⋯", "langle": "⟨", "rangle": "⟩", "lfloor": "⌊", "rfloor": "⌋",
    "lceil": "⌈", "rceil": "⌉", "vert": "|", "lvert": "|", "rvert": "|", "Vert": "‖",
    "lVert": "‖", "rVert": "‖", "lbrace": "{", "rbrace": "}", "backslash": "\\",
    "surd": "√", "checkmark": "✓", "quad": "\u2003", "qquad": "\u2003\u2003",
    "colon": ":", "bmod": " mod ", "cdotp": "⋅",
}
# Written upright, as their names.
_FUNCTIONS = _names(
    "sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh coth log ln lg exp lim "
    "liminf limsup max min sup inf det dim ker gcd lcm arg deg hom Pr mod")
# Control symbols: a backslash and one character.
_ESCAPED = {
    "{": "{", "}": "}", "%": "%", "$": "$", "&": "&", "#": "#", "_": "_", "|": "‖",
    ",": "\u2009", ":": " ", ";": " ", ">": " ", " ": " ", "\n": " ", "\t": " ", "!": "",
    "\\": "\n",
}
# Commands whose argument is shown as it is (their style is not).
_STYLES = _names(
    "text textrm textit textbf textsf texttt textnormal mbox mathrm mathit mathbf mathsf "
    "mathtt mathcal mathscr mathfrak boldsymbol bm operatorname mathnormal boxed")
# Commands that change only how things look, and take no argument.
_IGNORED = _names(
    "left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr "
    "displaystyle textstyle scriptstyle scriptscriptstyle limits nolimits nonumber notag "
    "rm bf it sf tt cal")
# Commands whose first argument is dropped (a colour, a label).
_DROP_ARGUMENT = _names("label tag color")
_ACCENTS = {
    "hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0305",
    "vec": "\u20d7", "overrightarrow": "\u20d7", "dot": "\u0307", "ddot": "\u0308",
    "tilde": "\u0303", "widetilde": "\u0303", "acute": "\u0301", "grave": "\u0300",
    "check": "\u030c", "breve": "\u0306", "underline": "\u0332",
}
# Accents drawn over every character of their argument rather than over its last.
_LONG_ACCENTS = frozenset({"overline", "underline"})
_FRACTIONS = frozenset({"frac", "dfrac", "tfrac", "cfrac"})
_MATRICES = {"pmatrix": ("(", ")"), "bmatrix": ("[", "]"), "Bmatrix": ("{", "}"),
             "vmatrix": ("|", "|"), "Vmatrix": ("‖", "‖"), "cases": ("{ ", "")}
_NEGATED = {"=": "≠", "∈": "∉", "<": "≮", ">": "≯", "≤": "≰", "≥": "≱", "⊂": "⊄",
            "⊆": "⊈", "∃": "∄", "≡": "≢", "∼": "≁", "≈": "≉", "∣": "∤"}
_ROOTS = {"2": "√", "3": "∛", "4": "∜"}
_DOUBLE_STRUCK = {"C": "ℂ", "H": "ℍ", "N": "ℕ", "P": "ℙ", "Q": "ℚ", "R": "ℝ", "Z": "ℤ"}

_SUPERSCRIPTS = dict(zip("0123456789+-−=()niaeoxhklmnpstijruvwyzABDEGHIJKLMNOPRTUVW′",
                         "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱᵃᵉᵒˣʰᵏˡᵐⁿᵖˢᵗⁱʲʳᵘᵛʷʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ′",
                         strict=True))
_SUBSCRIPTS = dict(zip("0123456789+-−=()aehijklmnoprstuvx",
                       "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True))

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\\$|\s+|.", re.DOTALL)
# One term: a number, a name, a call (`f(x)`), a root of one; or a single character. A
# product (`2a`) is not: `1/2a` would read as half of a.
_ATOM = re.compile(r"[√∛∜]?(?:\d+(?:[.,]\d+)*|[^\W\d][\w′″]*)(?:\([^()]*\))?|.")
_SPACES = re.compile(r"[ \u2009]{2,}")
_LINE_BREAK = re.compile(r" *\n *")


class _TooDeepError(Exception):
    pass


def latex_to_text(tex: str, display: bool = False) -> str | None:
    """`tex` as Unicode text (sub- and superscripts as such characters where Unicode has
    them all, else as `^(…)` and `_(…)`); None when it is too long or too deep to convert."""
    pieces = _convert(tex, display)
    return None if pieces is None else "".join(
        text if level == 0 else _scripted_text(text, level) for text, level in pieces)


def latex_to_html(tex: str, display: bool = False) -> str | None:
    """`tex` as escaped HTML of Qt's subset: the text, `<sup>`/`<sub>` for raised and lowered
    parts, `<br>` between a display formula's lines; None as for `latex_to_text`."""
    pieces = _convert(tex, display)
    if pieces is None:
        return None
    out: list[str] = []
    for text, level in pieces:
        escaped = html.escape(text, quote=False)
        if level == 0:
            out.append(escaped.replace("\n", "<br>"))
        else:
            tag = "sup" if level > 0 else "sub"
            out.append(f"<{tag}>{escaped}</{tag}>")
    return "".join(out)


def _convert(tex: str, display: bool) -> list[Piece] | None:
    if len(tex) > MAX_MATH_CHARS:
        return None
    parser = _Parser(_TOKEN.findall(tex), display)
    try:
        pieces = parser.parse(None, 0)
    except _TooDeepError:
        return None
    return _tidy(pieces, display)


def _tidy(pieces: list[Piece], display: bool) -> list[Piece]:
    """Adjacent pieces of one level joined, runs of spaces made one, the ends trimmed."""
    joined: list[Piece] = []
    for text, level in pieces:
        if not text:
            continue
        if joined and joined[-1][1] == level:
            joined[-1] = joined[-1][0] + text, level
        else:
            joined.append((text, level))
    tidy = []
    for text, level in joined:
        # Composed where Unicode has the character (`\bar{y}` is ȳ): fonts draw those better.
        spaced = unicodedata.normalize("NFC", _SPACES.sub(" ", text))
        if level == 0 and "\n" in spaced:
            spaced = _LINE_BREAK.sub("\n", spaced)
        tidy.append((spaced, level))
    if tidy and tidy[0][1] == 0:
        tidy[0] = tidy[0][0].lstrip(), 0
    if tidy and tidy[-1][1] == 0:
        tidy[-1] = tidy[-1][0].rstrip(), 0
    if not display:
        tidy = [(text.replace("\n", "; "), level) for text, level in tidy]
    return [piece for piece in tidy if piece[0]]


def _scripted_text(text: str, level: int) -> str:
    table = _SUPERSCRIPTS if level > 0 else _SUBSCRIPTS
    if all(char in table for char in text):
        return "".join(table[char] for char in text)
    mark = "^" if level > 0 else "_"
    return mark + (text if len(text) == 1 else f"({text})")


def _flat(pieces: list[Piece]) -> str:
    """Pieces as text on one level (a script in a script is written with `^` and `_`)."""
    return "".join(text if level == 0 else _scripted_text(text, level)
                   for text, level in pieces)


def _wrapped(pieces: list[Piece]) -> list[Piece]:
    """Pieces in parentheses unless they are one term already (`x²`, `12`, `(a+b)`)."""
    text = "".join(text for text, _ in pieces).strip()
    if not text or _ATOM.fullmatch(text) or _enclosed(text):
        return _strip(pieces)
    return [("(", 0), *_strip(pieces), (")", 0)]


def _enclosed(text: str) -> bool:
    """Whether `text` is one pair of brackets and what is between them: `(a+b)`, `|x|`."""
    pair = text[:1] + text[-1:]
    if pair in ("()", "[]", "{}", "⟨⟩"):
        return text.count(pair[0]) == text.count(pair[1]) == 1
    return pair in ("||", "‖‖") and text.count(pair[0]) == 2


def _strip(pieces: list[Piece]) -> list[Piece]:
    if pieces and pieces[0][1] == 0:
        pieces = [(pieces[0][0].lstrip(), 0), *pieces[1:]]
    if pieces and pieces[-1][1] == 0:
        pieces = [*pieces[:-1], (pieces[-1][0].rstrip(), 0)]
    return pieces


class _Parser:
    """One pass over a formula's tokens, a group at a time (`{…}`, an argument)."""

    def __init__(self, tokens: list[str], display: bool) -> None:
        self.tokens = tokens
        self.position = 0
        self.display = display
        self.text_mode = False  # inside \text{…}: spaces and hyphens are as written

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _skip_spaces(self) -> None:
        while (token := self._peek()) is not None and token.isspace():
            self.position += 1

    def parse(self, stop: str | None, depth: int) -> list[Piece]:
        """Tokens up to `stop` (`}` or `]`, consumed) or the end, as pieces."""
        if depth > MAX_MATH_DEPTH:
            raise _TooDeepError
        pieces: list[Piece] = []
        while (token := self._peek()) is not None:
            self.position += 1
            if token == stop:
                break
            pieces.extend(self._token(token, depth))
        return pieces

    def _token(self, token: str, depth: int) -> list[Piece]:
        if depth > MAX_MATH_DEPTH:
            raise _TooDeepError
        if token == "{":
            return self.parse("}", depth + 1)
        if token in ("^", "_"):
            return self._script(1 if token == "^" else -1, depth)
        if token.startswith("\\") and len(token) > 1:
            return self._command(token[1:], depth)
        return [(self._character(token), 0)]

    def _character(self, token: str) -> str:
        if token.isspace():
            return " "
        if self.text_mode:
            return token
        return {"}": "", "&": " ", "~": " ", "-": "−", "'": "′", "\\": "\\"}.get(token, token)

    def _script(self, level: int, depth: int) -> list[Piece]:
        argument = self.argument(depth)
        text = _flat(argument)
        if text and set(text) <= {"′", "″"}:  # x^\prime is x′
            return [(text, 0)]
        return [(text, level)]

    def argument(self, depth: int) -> list[Piece]:
        """The next group, or the next token alone."""
        self._skip_spaces()
        token = self._peek()
        if token is None:
            return []
        self.position += 1
        if token == "{":
            return self.parse("}", depth + 1)
        if token == "}":
            self.position -= 1  # a missing argument: the brace ends the group around it
            return []
        return self._token(token, depth + 1)

    def _raw_argument(self) -> str:
        """The next group's source as written (an environment's name, a colour)."""
        self._skip_spaces()
        token = self._peek()
        if token is None:
            return ""
        self.position += 1
        if token != "{":
            return token
        start = self.position
        while self.position < len(self.tokens) and self.tokens[self.position] != "}":
            self.position += 1
        raw = "".join(self.tokens[start:self.position])
        self.position += 1  # the closing brace (past the end when it is missing)
        return raw

    def _optional(self, depth: int) -> list[Piece] | None:
        self._skip_spaces()
        if self._peek() != "[":
            return None
        self.position += 1
        return self.parse("]", depth + 1)

    def _command(self, name: str, depth: int) -> list[Piece]:
        if len(name) == 1 and not name.isalpha():
            return [(_ESCAPED.get(name, name), 0)]
        if name in _GREEK:
            return [(_GREEK[name], 0)]
        if name in _SYMBOLS:
            return [(_SYMBOLS[name], 0)]
        if name in _FUNCTIONS:
            return [(name + self._space_after_function(), 0)]
        return _HANDLERS.get(name, _Parser._unknown)(self, name, depth)

    def _styled(self, name: str, depth: int) -> list[Piece]:
        text_mode = self.text_mode
        self.text_mode = text_mode or name.startswith("text") or name == "mbox"
        try:
            return self.argument(depth)
        finally:
            self.text_mode = text_mode

    def _ignored(self, name: str, _depth: int) -> list[Piece]:
        if name in ("left", "right", "middle") and self._peek() == ".":
            self.position += 1  # no delimiter
        return []

    def _dropped(self, _name: str, _depth: int) -> list[Piece]:
        self._raw_argument()
        return []

    def _unknown(self, name: str, depth: int) -> list[Piece]:
        """A command this does not know, as written: its name and its groups in braces."""
        pieces: list[Piece] = [("\\" + name, 0)]
        while self._peek() == "{":
            self.position += 1
            pieces += [("{", 0), *self.parse("}", depth + 1), ("}", 0)]
        return pieces

    def _space_after_function(self) -> str:
        token = self._peek()
        if token is None or token.isspace() or token in "(^_[|{}.,;" or \
                token in ("\\left", "\\right", "\\{", "\\|"):
            return ""
        return " "

    def _fraction(self, _name: str, depth: int) -> list[Piece]:
        numerator = self.argument(depth)
        denominator = self.argument(depth)
        return [*_wrapped(numerator), ("/", 0), *_wrapped(denominator)]

    def _root(self, _name: str, depth: int) -> list[Piece]:
        index = self._optional(depth)
        radicand = _wrapped(self.argument(depth))
        degree = _flat(index).strip() if index else "2"
        if degree in _ROOTS:
            return [(_ROOTS[degree], 0), *radicand]
        return [(degree, 1), ("√", 0), *radicand]

    def _binomial(self, _name: str, depth: int) -> list[Piece]:
        top = _strip(self.argument(depth))
        bottom = _strip(self.argument(depth))
        return [("C(", 0), *top, (", ", 0), *bottom, (")", 0)]

    def _negated(self, _name: str, depth: int) -> list[Piece]:
        negated = self.argument(depth)
        text = _flat(negated)
        return [(_NEGATED.get(text, text + "\u0338"), 0)]

    def _accent(self, name: str, depth: int) -> list[Piece]:
        text = _flat(self.argument(depth))
        mark = _ACCENTS[name]
        if name in _LONG_ACCENTS or len(text) == 1:
            return [("".join(char + mark for char in text), 0)]
        return [(text + mark, 0)]

    def _double_struck(self, _name: str, depth: int) -> list[Piece]:
        text = _flat(self.argument(depth))
        return [("".join(_DOUBLE_STRUCK.get(char) or _double_struck_char(char)
                         for char in text), 0)]

    def _begin(self, _name: str, _depth: int) -> list[Piece]:
        environment = self._raw_argument().strip()
        if environment == "array":
            self._raw_argument()  # the column layout
        opening = _MATRICES.get(environment, ("", ""))[0]
        return [(opening, 0)] if opening else []

    def _end(self, _name: str, _depth: int) -> list[Piece]:
        closing = _MATRICES.get(self._raw_argument().strip(), ("", ""))[1]
        return [(closing, 0)] if closing else []

    def _pmod(self, _name: str, depth: int) -> list[Piece]:
        return [(" (mod ", 0), *_strip(self.argument(depth)), (")", 0)]

    def _over_under(self, name: str, depth: int) -> list[Piece]:
        mark = _flat(self.argument(depth))
        base = self.argument(depth)
        return [*base, (mark, -1 if name == "underset" else 1)]

    def _brace(self, _name: str, depth: int) -> list[Piece]:
        return self.argument(depth)  # its label follows as a script

    def _coloured(self, _name: str, depth: int) -> list[Piece]:
        self._raw_argument()
        return self.argument(depth)


# What the commands with arguments (or a structure) do.
_HANDLERS: dict[str, Callable[[_Parser, str, int], list[Piece]]] = {
    **dict.fromkeys(_FRACTIONS, _Parser._fraction),
    "sqrt": _Parser._root, "binom": _Parser._binomial, "not": _Parser._negated,
    "begin": _Parser._begin, "end": _Parser._end, "pmod": _Parser._pmod,
    "overset": _Parser._over_under, "stackrel": _Parser._over_under,
    "underset": _Parser._over_under, "overbrace": _Parser._brace,
    "underbrace": _Parser._brace, "textcolor": _Parser._coloured,
    "mathbb": _Parser._double_struck,
    **dict.fromkeys(_STYLES, _Parser._styled),
    **dict.fromkeys(_ACCENTS, _Parser._accent),
    **dict.fromkeys(_IGNORED, _Parser._ignored),
    **dict.fromkeys(_DROP_ARGUMENT, _Parser._dropped),
}


def _double_struck_char(char: str) -> str:
    if "A" <= char <= "Z":
        return chr(0x1D538 + ord(char) - ord("A"))
    if "a" <= char <= "z":
        return chr(0x1D552 + ord(char) - ord("a"))
    if "0" <= char <= "9":
        return chr(0x1D7D8 + ord(char) - ord("0"))
    return char
