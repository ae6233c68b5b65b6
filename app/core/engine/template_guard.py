"""Chat templates from model files, compiled and rendered within bounds of time, Stop and size.

A GGUF's `tokenizer.chat_template` is a Jinja program written by whoever made the file.
llama-cpp-python compiles every `tokenizer.chat_template*` when the model loads and renders the
one in use for each answer, in Jinja's `ImmutableSandboxedEnvironment`. The sandbox keeps a
template away from files and Python's insides, but not from running for hours (`range` stops at
100,000 items, but loops nest), nor from building a string of gigabytes in one step
(`'x' * 10**10`, which Jinja even works out while compiling, so at load), nor from doubling a
string in a loop. `install` makes llama-cpp-python build its templates in `BoundedSandbox`:

- Time and Stop: the code compiled from a template calls `BoundedSandbox.tick` at every
  iteration of every loop, and every call and filter goes through the sandbox, which ticks too.
  Loops and calls (recursion) are all a template has to repeat itself with, so none can run
  long without a look at the clock and the request's `CancelToken`: a Stop ends the render with
  `RenderCancelled`, the deadline with `TemplateLimitError`. A tick costs a fraction of a
  microsecond; a trace function (`sys.settrace`) would have cost four times the rendering.
- Size: see `template_sizes`. The prompt may be `_OUTPUT_PER_INPUT` times what it is made of
  (the messages) plus `_OUTPUT_OVERHEAD` characters: a real template adds a few tags to each
  message.
- Compiling runs no template code, only Jinja's parser and Python's compiler, in time linear in
  the template's length: a template over `MAX_TEMPLATE_CHARS` is not compiled, and none is
  started once the load's deadline has passed (a file may carry many). One that cannot be
  compiled does not fail the load: it becomes a template that says why when rendered, and the
  engine refuses the model only if it is the template it would use (`Limits.failures`).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.environment import Template
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.core.engine.cancel import CancelToken
from app.core.engine.template_sizes import (
    MAX_INT_BITS,
    TOO_DEEP,
    Call,
    Sizer,
    TemplateLimitError,
)
from app.i18n import _

__all__ = ["MAX_TEMPLATE_CHARS", "RENDER_DEADLINE_S", "BoundedSandbox", "Limits",
           "RenderCancelled", "TemplateLimitError", "install", "limits"]

# Real templates render a long chat in milliseconds (SmolLM2's: about 1 ms for 200 messages)
# and compile in a few; ten seconds is far past anything legitimate, and short enough that nobody
# waits long for a template that will never finish.
RENDER_DEADLINE_S = 10.0
# The longest real templates (tool calling, reasoning modes, a built-in system prompt) are a
# few tens of KB. Compiling takes time in proportion: 256 KiB of dense statements take about
# five seconds on a slow machine, most of it in Python's compiler, which cannot be stopped.
MAX_TEMPLATE_CHARS = 256 * 1024
_OUTPUT_PER_INPUT = 4
_OUTPUT_OVERHEAD = 1 << 20
_FILENAME = "<chat template>"  # what Python's own errors (too deeply nested) call it


class RenderCancelled(Exception):  # noqa: N818 (a Stop, not an error)
    """The request was stopped while its template was being rendered."""


@dataclass
class Limits:
    """What the compiles and renders on this thread are bound by, while `limits` holds: one
    deadline for them all, and a Stop.

    `failures` collects the templates that could not be compiled (their source: why, as a
    clause), for the engine to tell whether the template it uses is one of them.
    """

    cancel: CancelToken | None = None
    deadline_s: float = RENDER_DEADLINE_S
    failures: dict[str, str] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    @property
    def deadline(self) -> float:
        return self.started + self.deadline_s


_limits: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("template_limits",
                                                                      default=None)


@contextlib.contextmanager
def limits(cancel: CancelToken | None = None,
           deadline_s: float = RENDER_DEADLINE_S) -> Iterator[Limits]:
    """Bind the templates compiled and rendered inside the block, on this thread, by
    `deadline_s` seconds from now, and stop a render when `cancel` is set."""
    bound = Limits(cancel, deadline_s)
    reset = _limits.set(bound)
    try:
        yield bound
    finally:
        _limits.reset(reset)


def install(llama_chat_format: Any) -> None:
    """Make llama-cpp-python build its chat templates in `BoundedSandbox`.

    Its `Jinja2ChatFormatter` creates an `ImmutableSandboxedEnvironment`, named through its
    module's globals, and calls only `from_string` and `render`: replacing that name, once,
    before any model loads, bounds every template it compiles and renders, with nothing to
    race. A version that stopped naming it fails here rather than running unbounded.
    """
    current = getattr(llama_chat_format, "ImmutableSandboxedEnvironment", None)
    if current is BoundedSandbox:
        return
    if current is not ImmutableSandboxedEnvironment:
        raise RuntimeError("llama_cpp.llama_chat_format no longer uses Jinja's sandbox")
    llama_chat_format.ImmutableSandboxedEnvironment = BoundedSandbox


class _Render:
    """One render in progress: its bound in size, its Stop and its deadline."""

    def __init__(self, bound: Limits, sizer: Sizer) -> None:
        self.bound = bound
        self.sizer = sizer

    def tick(self) -> None:
        cancel = self.bound.cancel
        if cancel is not None and cancel.cancelled:
            raise RenderCancelled
        if time.monotonic() > self.bound.deadline:
            raise TemplateLimitError(_(
                "The model's chat template took more than {seconds} s to render the prompt "
                "(real ones take milliseconds); it is broken or hostile.").format(
                    seconds=f"{self.bound.deadline_s:g}"))


_render: contextvars.ContextVar[_Render | None] = contextvars.ContextVar("template_render",
                                                                        default=None)


def _sizer() -> Sizer:
    """The bound of the render in progress; outside one (Jinja working out constants while it
    compiles), that of a prompt without messages."""
    render = _render.get()
    return render.sizer if render is not None else Sizer(_OUTPUT_OVERHEAD)


def _prompt_limit(context: Mapping[str, Any]) -> int:
    """The most characters a prompt rendered from `context` (messages, tools...) may have."""
    made_of = Sizer(sys.maxsize).text_size(list(context.values()))
    return _OUTPUT_PER_INPUT * made_of + _OUTPUT_OVERHEAD


# Where an integer argument is a value to show rather than a width or a count.
_FORMATS = frozenset({"format", "format_map", "%"})


def _before_call(call: Call) -> Sizer:
    """Tick, and refuse a call whose result would be too big, before it runs."""
    render = _render.get()
    if render is not None:
        render.tick()
    sizer = _sizer()
    if call.name not in _FORMATS:
        for value in (*call.args, *call.kwargs.values()):
            if isinstance(value, int) and sizer.over(abs(value)):  # a width, a count
                raise sizer.refuse()
    if sizer.over(sizer.estimate(call)):
        raise sizer.refuse()
    return sizer


class _NotWhileCompiling(Exception):  # noqa: N818 (never seen outside Jinja's constant folding)
    """Jinja runs filters on constants while compiling; ours refuse, so that nothing a filter
    makes (`'x'|center(10**6)`, a thousand times over) lands in the compiled code. They run when
    the template renders, within its bounds."""


# Filters that never make text of their input, so need not measure it (a template may ask for
# `messages|length` at every message).
_CHEAP_FILTERS = frozenset({
    "length", "count", "first", "last", "default", "d", "abs", "int", "float", "bool", "round",
    "attr", "list", "reverse", "sort", "unique", "min", "max", "sum", "select", "reject",
    "selectattr", "rejectattr", "map", "items", "dictsort", "groupby", "batch", "slice",
    "random",
})


def _checked_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    # Jinja passes a context, eval context or environment first to the filters marked so.
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(func)  # keeps `jinja_pass_arg`, which Jinja reads off the filter
    def checked(*args: Any, **kwargs: Any) -> Any:
        if _render.get() is None:
            raise _NotWhileCompiling
        if name in _MEASURES_ITEMS and len(args) > skip and _is_iterator(args[skip]):
            args = (*args[:skip], list(args[skip]), *args[skip + 1:])  # to measure it
        own = args[skip:]
        sizer = _before_call(Call(name, own[0] if own else None, own[1:], kwargs, True))
        if name not in _CHEAP_FILTERS:
            sizer.check_text(*own, *kwargs.values())
        return sizer.check(func(*args, **kwargs))

    checked.bounded = True  # type: ignore[attr-defined]
    return checked


# Filters whose estimate measures the items: an iterator (`map`, `select`) becomes a list.
_MEASURES_ITEMS = frozenset({"join", "sum"})


def _is_iterator(value: Any) -> bool:
    return iter(value) is value if hasattr(value, "__iter__") else False


class _CheckedFilters(dict[str, Callable[..., Any]]):
    """The environment's filters, each checked, also those set later (llama-cpp-python's
    `tojson`)."""

    def __setitem__(self, name: str, func: Callable[..., Any]) -> None:
        if not getattr(func, "bounded", False):
            func = _checked_filter(name, func)
        super().__setitem__(name, func)


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with a tick at the top of every loop's body and `~` measured
    before it joins."""

    def blockvisit(self, nodes: Iterable[nodes.Node], frame: Frame) -> None:
        # `loop_frame` is set only on the frame of a `for` loop's body (an `if` inside it gets a
        # soft copy).
        if frame.loop_frame and not frame.soft_frame:
            self.writeline("environment.tick()")
        super().blockvisit(nodes, frame)

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat(context, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedTemplate(Template):
    """A compiled chat template whose `render` is bound in time, Stop and size; or one that
    could not be compiled, whose `render` says why."""

    failure: str | None = None

    def render(self, *args: Any, **kwargs: Any) -> str:
        if self.failure is not None:
            raise TemplateLimitError(self.failure)
        context = dict(*args, **kwargs)
        sizer = Sizer(_OUTPUT_OVERHEAD, lambda: _prompt_limit(context))
        reset = _render.set(_Render(_limits.get() or Limits(), sizer))
        try:
            return self._render_within(context, sizer)
        except RecursionError:
            raise TemplateLimitError(_(TOO_DEEP)) from None
        except MemoryError:
            raise sizer.refuse() from None
        finally:
            _render.reset(reset)

    def _render_within(self, context: dict[str, Any], sizer: Sizer) -> str:
        pieces: list[str] = []
        total = 0
        try:
            for piece in self.root_render_func(self.new_context(context)):
                total += len(piece)
                if total > sizer.limit and sizer.over(total):
                    raise sizer.refuse()
                pieces.append(piece)
        except (TemplateLimitError, RenderCancelled, RecursionError, MemoryError):
            raise
        except Exception:
            self.environment.handle_exception()  # Jinja's message, with the template's line
        return "".join(pieces)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, bound in time, Stop and size (see the module's docstring)."""

    template_class = BoundedTemplate
    code_generator_class = _BoundedCodeGenerator
    # Intercepted operators are never worked out while compiling, either: `'x' * 10**10` waits
    # for `call_binop`, which refuses it, instead of running while the model loads.
    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["finalize"] = self._finalize_output
        super().__init__(*args, **kwargs)
        checked = _CheckedFilters()
        for name, func in self.filters.items():
            checked[name] = func
        self.filters = checked
        # No chat template needs Lorem ipsum, and `lipsum(10**6)` is a million paragraphs.
        self.globals.pop("lipsum", None)

    @staticmethod
    def tick() -> None:
        """Called by the compiled template at each loop iteration: the Stop and the deadline."""
        render = _render.get()
        if render is not None:
            render.tick()

    @staticmethod
    def _finalize_output(value: Any) -> Any:
        """Each `{{ value }}` is measured before it becomes text."""
        if type(value) is not str:  # a string was measured when it was made
            _sizer().check_text(value)
        return value

    def concat(self, pieces: Iterable[str]) -> str:
        """Joins the text of blocks, macros and `{% set %}`: their total is bound."""
        sizer = _sizer()
        parts = list(pieces)
        if sizer.over(sum(map(len, parts))):
            raise sizer.refuse()
        return "".join(parts)

    def bounded_concat(self, context: Any, parts: tuple[Any, ...]) -> str:
        """The `~` operator, measured first."""
        _sizer().check_text(*parts)
        joined: str = (markup_join if context.eval_ctx.autoescape else str_join)(parts)
        return joined

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "+" and type(left) is str and type(right) is str:
            # The common case, kept short: templates build each message of pieces.
            joined = left + right
            if len(joined) > _OUTPUT_OVERHEAD and _sizer().over(len(joined)):
                raise _sizer().refuse()  # at most twice the bound was made
            return joined
        sizer = _sizer()
        if operator == "*":
            _check_repeat(sizer, left, right)
        elif operator == "**":
            _check_power(sizer, left, right)
        elif operator == "+":
            if (isinstance(left, str | bytes | list | tuple) and isinstance(right, type(left))
                    and sizer.over(len(left) + len(right))):
                raise sizer.refuse()
        elif isinstance(left, str | bytes) and sizer.over(sizer.estimate(
                Call("%", left, (right,), {}, is_filter=False))):
            raise sizer.refuse()
        return sizer.check(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any,  # noqa: N805 (Jinja's own names)
             *args: Any, **kwargs: Any) -> Any:
        """Every call a template makes: methods (`'x'.center(...)`), macros, `range`..."""
        method = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps `str.format`
        name = getattr(method, "__name__", "")
        subject = getattr(method, "__self__", None)
        if name == "join" and args and _is_iterator(args[0]):
            args = (list(args[0]), *args[1:])
        sizer = _before_call(Call(name, subject, args, kwargs, is_filter=False))
        return sizer.check(super().call(__context, __obj, *args, **kwargs))

    def from_string(self, source: str | nodes.Template,
                    globals: MutableMapping[str, Any] | None = None,
                    template_class: type[Template] | None = None) -> Template:
        """Compile `source` within the bounds. One that cannot be compiled becomes a template
        that says why when rendered, and is noted in `Limits.failures`: a broken alternative
        template in a model file need not stop the model from loading."""
        if not isinstance(source, str):
            raise TypeError("chat templates are compiled from text")
        cls = template_class or self.template_class
        bound = _limits.get() or Limits()
        if len(source) > MAX_TEMPLATE_CHARS:
            failure = _("it is {length} characters long, where real ones are under "
                        "{most}").format(length=f"{len(source):,}",
                                         most=f"{MAX_TEMPLATE_CHARS:,}")
        elif time.monotonic() > bound.deadline:
            failure = _("the model's templates took more than {seconds} s to compile before "
                        "this one").format(seconds=f"{bound.deadline_s:g}")
        else:
            try:
                code = self.compile(source, filename=_FILENAME)
                return cls.from_code(self, code, self.make_globals(globals), None)
            except RecursionError:
                failure = _("it nests too deeply")
            except Exception as exc:  # a syntax error (Jinja's or Python's), MemoryError...
                failure = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        failure = failure.rstrip(".")
        bound.failures[source] = failure
        broken = cls.from_code(self, self.compile("", filename=_FILENAME), {}, None)
        broken.failure = _(  # type: ignore[attr-defined]
            "The model's chat template cannot be used: {reason}.").format(reason=failure)
        return broken


def _check_repeat(sizer: Sizer, left: Any, right: Any) -> None:
    """`'x' * n`, `[a] * n`, `n * m`: refused before they run when the result is too big."""
    if isinstance(left, int) and not isinstance(right, int):
        left, right = right, left
    if isinstance(left, str | bytes | list | tuple) and isinstance(right, int):
        too_big = right > 0 and sizer.over(sizer.text_size(left) * right)
    else:
        too_big = (isinstance(left, int) and isinstance(right, int)
                   and left.bit_length() + right.bit_length() > MAX_INT_BITS)
    if too_big:
        raise sizer.refuse()


def _check_power(sizer: Sizer, base: Any, exponent: Any) -> None:
    if (isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1
            and base.bit_length() * exponent > MAX_INT_BITS):
        raise sizer.refuse()
