"""How much text a chat template's values and calls make, measured before they are made.

Jinja's sandbox lets a template build a string of gigabytes in one builtin step (`'x' * 10**10`,
`s|replace('', s)`, `'%900000000d' % 1`), where no check between steps can step in. `Sizer`
holds one render's bound and answers, before such a step, how big its result may be; every
value a template makes is also checked after it is made, so one that grows step by step (a
string doubled in a loop) stops at twice the bound at most. `template_guard` calls it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2.utils import Namespace

from app.core.engine.base import GenerationError
from app.i18n import N_, _

# Integers past this many bits only come from a template computing something it should not; a
# product of two takes microseconds, `10 ** 10 ** 10` would take forever.
MAX_INT_BITS = 1 << 14
_MAX_NESTING = 32  # of lists and dicts; real templates' values nest two or three deep

_TOO_BIG = N_("The model's chat template tried to build a prompt far larger than the chat "
              "(over {limit} characters); the template is broken or hostile.")
TOO_DEEP = N_("The model's chat template nests too deeply; the template is broken or hostile.")


class TemplateLimitError(GenerationError):
    """A chat template took too long, or tried to build too much; the message says which."""


class Sizer:
    """The bound of one render, in characters, and how much text values become.

    The bound may be worked out only when something passes a lower one (`full`): for a
    prompt, measuring the whole chat costs more than rendering a normal one. Sizes of lists and
    dicts are kept, with the values themselves so that no id can be reused, since a template
    asks about the same messages again and again.
    """

    def __init__(self, limit: int, full: Callable[[], int] | None = None) -> None:
        self.limit = limit  # the bound as known so far
        self._full = full
        self._known: dict[int, tuple[object, int]] = {}

    def over(self, size: int) -> bool:
        """Whether `size` characters are past the bound."""
        if size <= self.limit:
            return False
        if self._full is None:
            return True
        self.limit, self._full = max(self.limit, self._full()), None
        return size > self.limit

    def refuse(self) -> TemplateLimitError:
        return TemplateLimitError(_(_TOO_BIG).format(limit=f"{self.limit:,}"))

    def check(self, value: Any) -> Any:
        """`value`, if its own length is within the bound (not its items': a list of many
        references to one string costs little until it becomes text)."""
        if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
            if self.over(len(value)):
                raise self.refuse()
        elif isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            raise self.refuse()
        return value

    def check_text(self, *values: Any) -> None:
        """Refuse `values` if together they become more text than the bound (by str(), a join,
        JSON)."""
        total = 0
        for value in values:
            total += self.text_size(value)
            if self.over(total):
                raise self.refuse()

    def text_size(self, value: Any, depth: int = 0) -> int:
        """About how many characters `value` becomes as text; past the bound, any number
        beyond it."""
        if isinstance(value, str | bytes):
            return len(value)
        if isinstance(value, Namespace):
            value = object.__getattribute__(value, "_Namespace__attrs")
        if not isinstance(value, list | tuple | dict | set | frozenset):
            return 24  # a number, None, an Undefined, a macro: a few characters
        known = self._known.get(id(value))
        if known is not None:
            return known[1]
        if depth > _MAX_NESTING:
            raise TemplateLimitError(_(TOO_DEEP))
        # Strings inline: a chat is mostly strings, and this runs over every message. Past the
        # bound, the rest need not be counted: a size cut short is still past it.
        total = 2
        if isinstance(value, dict):
            for key, item in value.items():
                total += (len(key) if type(key) is str else 24) + 4 + (
                    len(item) if type(item) is str else self.text_size(item, depth + 1))
                if total > self.limit and self.over(total):
                    break
        else:
            for item in value:
                total += (len(item) if type(item) is str else self.text_size(item, depth + 1)) + 2
                if total > self.limit and self.over(total):
                    break
        self._known[id(value)] = (value, total)
        return total

    def estimate(self, call: Call) -> int:
        """At most how many characters `call` makes, for the filters and methods whose result
        can be many times their input; 0 for the rest (checked once made)."""
        estimate = _ESTIMATES.get(call.name)
        return estimate(self, call) if estimate is not None else 0


@dataclass(frozen=True)
class Call:
    """A filter or method call about to run: `subject` is the filter's value or the method's
    object (`text` the same, when it is a string)."""

    name: str
    subject: Any
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    is_filter: bool

    @property
    def text(self) -> str:
        return _as_text(self.subject) or ""

    def arg(self, index: int, key: str, default: Any = None) -> Any:
        return self.args[index] if len(self.args) > index else self.kwargs.get(key, default)


def _as_text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("latin-1")  # one character per byte: the same lengths
    return value if isinstance(value, str) else None


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) else default


def _join(sizer: Sizer, call: Call) -> int:
    items, sep = ((call.subject, call.arg(0, "d", "")) if call.is_filter
                  else (call.arg(0, "iterable"), call.text))
    if isinstance(items, range):
        return len(items) * (24 + len(str(sep)))
    if not isinstance(items, list | tuple | set | frozenset | dict):
        return 0  # the guard makes iterators into lists before asking
    return sizer.text_size(items) + len(items) * len(str(sep))


def _replace(_sizer: Sizer, call: Call) -> int:
    text, old, new = call.text, _as_text(call.arg(0, "old")), _as_text(call.arg(1, "new"))
    if old is None or new is None:
        return 0
    times = text.count(old) if old else len(text) + 1
    count = call.arg(2, "count")
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    return len(text) + times * max(0, len(new) - len(old))


def _format(sizer: Sizer, call: Call) -> int:
    """A format string puts an argument in each of its fields, padded to the widths it names;
    `*` and nested fields take their widths from the arguments."""
    fmt = call.text
    values = [*call.args, *call.kwargs.values()]
    if len(values) == 1 and isinstance(values[0], tuple | dict):  # `'%s %s' % (a, b)`
        values = list(values[0].values() if isinstance(values[0], dict) else values[0])
    fields = fmt.count("%") + fmt.count("{")
    largest = max((sizer.text_size(value) for value in values), default=0)
    widths = sum(int(digits) for digits in _DIGITS.findall(fmt))
    if "*" in fmt or _NESTED_FIELD.search(fmt):
        widths += sum(abs(value) for value in values if isinstance(value, int))
    return len(fmt) + fields * largest + widths


def _indent(_sizer: Sizer, call: Call) -> int:
    width = call.arg(0, "width", 4)
    per_line = len(width) if isinstance(width, str) else _int(width, 4)
    return len(call.text) + (call.text.count("\n") + 1) * per_line


def _wordwrap(_sizer: Sizer, call: Call) -> int:
    text, wrap = call.text, _as_text(call.arg(2, "wrapstring")) or "\n"
    lines = len(text) // max(1, _int(call.arg(0, "width", 79), 79)) + text.count("\n") + 1
    return len(text) + lines * len(wrap)


def _expandtabs(_sizer: Sizer, call: Call) -> int:
    return len(call.text) + call.text.count("\t") * _int(call.arg(0, "tabsize", 8), 8)


def _translate(_sizer: Sizer, call: Call) -> int:
    table = call.arg(0, "table")
    values = table.values() if isinstance(table, dict) else ()
    return len(call.text) * max((len(v) for v in values if isinstance(v, str)), default=1)


def _as_json(sizer: Sizer, call: Call) -> int:
    """JSON and pretty-printing start every item on a line of its own, indented by its depth."""
    indent = _int(call.arg(0, "indent"), 0) if call.name == "tojson" else 1
    size = sizer.text_size(call.subject)
    if sizer.over(size):
        return size  # and `_shape` need not walk it
    items, depth = _shape(call.subject)
    return size + items * (1 + abs(indent) * depth)


def _shape(value: Any, depth: int = 0) -> tuple[int, int]:
    """How many items `value` holds at all depths, and how deep they go."""
    if not isinstance(value, list | tuple | dict | set | frozenset):
        return 0, depth
    if depth > _MAX_NESTING:
        raise TemplateLimitError(_(TOO_DEEP))
    items, deepest = len(value), depth + 1
    for item in (value.values() if isinstance(value, dict) else value):
        inner, inner_depth = _shape(item, depth + 1)
        items, deepest = items + inner, max(deepest, inner_depth)
    return items, deepest


def _sum(sizer: Sizer, call: Call) -> int:
    """Summing lists or strings copies the total so far at each step: the work is the items
    times the result."""
    start, items = call.arg(1, "start", 0), call.subject
    if isinstance(start, int | float) or not isinstance(items, list | tuple):
        return 0  # numbers (the guard makes iterators into lists before asking)
    return len(items) * sizer.text_size(items)


def _slice(_sizer: Sizer, call: Call) -> int:
    """`slice(n)` makes n lists, whatever it slices."""
    return _int(call.arg(0, "slices", 0), 0) * _LIST_COST


_LIST_COST = 64  # bytes of an empty list, counted as characters
_ESTIMATES: dict[str, Callable[[Sizer, Call], int]] = {
    "join": _join, "replace": _replace, "format": _format, "format_map": _format, "%": _format,
    "indent": _indent, "wordwrap": _wordwrap, "expandtabs": _expandtabs,
    "translate": _translate, "tojson": _as_json, "pprint": _as_json, "sum": _sum,
    "slice": _slice,
}
_DIGITS = re.compile(r"\d+")
_NESTED_FIELD = re.compile(r"\{[^{}]*\{")
