"""A model's chat template is a program written by whoever made the file (issue 17, class 10).

It compiles and renders within bounds: Stop ends a render at once, a deadline ends one that
never finishes, nothing it builds grows past a few times the chat, and a template that cannot
be used is one clear line, at load or when answering. The hostile templates are put into copies
of the real built-in model and run by the real engine and llama-cpp-python; the size tricks run
through llama-cpp-python's own `Jinja2ChatFormatter`.
"""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.engine import (
    CancelToken,
    ChatMessage,
    GenerationError,
    GenerationParams,
    GenerationResult,
    LoadSpec,
    ModelLoadError,
)
from app.core.engine.llama_cpp_backend import LlamaCppEngine
from app.core.engine.native import load_llama_cpp
from app.core.engine.template_guard import MAX_TEMPLATE_CHARS, TemplateLimitError

# Two nested loops of 100,000 (Jinja's `range` cap): 10^10 iterations, hours of rendering.
NEVER_ENDS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
GREEDY = GenerationParams(temperature=0.0, max_tokens=24, seed=1)
HI = [ChatMessage("user", "hi")]
# What "promptly" means below: generous, for a loaded machine; the hostile renders run for hours.
PROMPT_S = 20.0


def with_templates(source: Path, target: Path, templates: dict[str, str]) -> Path:
    """A copy of the GGUF `source` whose string keys `templates` are set (replaced, or added).

    A GGUF is a header of key/values and tensor descriptions, then the tensor data, aligned;
    the tensors' offsets count from the data's start, so a longer header only moves it.
    """
    data = source.read_bytes()
    pos = 8  # past the magic and the version
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

    def take(fmt: str) -> int:
        nonlocal pos
        value = struct.unpack_from(fmt, data, pos)[0]
        pos += struct.calcsize(fmt)
        return int(value)

    def skip(kind: int) -> None:
        nonlocal pos
        if kind == 8:  # a string
            length = take("<Q")  # first: `pos += take(...)` would read `pos` before it moves
            pos += length
        elif kind == 9:  # an array
            item, count = take("<I"), take("<Q")
            for _ in range(count):
                skip(item)
        else:
            pos += sizes[kind]

    n_tensors, n_kv = take("<Q"), take("<Q")
    kept, alignment = [], 32
    for _ in range(n_kv):
        start = pos
        length = take("<Q")
        key = data[pos:pos + length].decode()
        pos += length
        kind = take("<I")
        if key == "general.alignment":
            alignment = struct.unpack_from("<I", data, pos)[0]
        skip(kind)
        if key not in templates:
            kept.append(data[start:pos])
    kv_end = pos
    for key, text in templates.items():
        name, value = key.encode(), text.encode()
        kept.append(struct.pack("<Q", len(name)) + name + struct.pack("<IQ", 8, len(value)) + value)
    for _ in range(n_tensors):
        skip(8)  # the name
        n_dims = take("<I")
        pos += 8 * n_dims + 4 + 8  # dimensions, type, offset
    data_start = -(-pos // alignment) * alignment
    header = data[:8] + struct.pack("<QQ", n_tensors, len(kept)) + b"".join(kept)
    header += data[kv_end:pos]
    header += b"\0" * (-len(header) % alignment)
    target.write_bytes(header + data[data_start:])
    return target


@pytest.fixture(scope="module")
def hostile_path(tmp_path_factory: pytest.TempPathFactory, smollm2_path: Path) -> Path:
    """SmolLM2 with a chat template that never finishes."""
    folder = tmp_path_factory.mktemp("hostile")
    return with_templates(smollm2_path, folder / "never-ends.gguf",
                          {"tokenizer.chat_template": NEVER_ENDS})


@pytest.fixture
def hostile_engine(hostile_path: Path) -> Iterator[LlamaCppEngine]:
    engine = LlamaCppEngine()
    engine.load(LoadSpec(hostile_path, n_ctx=512))
    yield engine
    engine.unload()


def answer_in_thread(engine: LlamaCppEngine, cancel: CancelToken | None = None,
                     ) -> GenerationResult | BaseException:
    """`stream_chat` on a thread of its own, given `PROMPT_S` to return: a test of a hang must
    not hang itself."""
    outcome: list[GenerationResult | BaseException] = []

    def run() -> None:
        try:
            outcome.append(engine.stream_chat(HI, GREEDY, lambda _piece: None, cancel))
        except BaseException as exc:  # handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(PROMPT_S)
    assert not thread.is_alive(), f"stream_chat still rendering after {PROMPT_S:g} s"
    return outcome[0]


def one_line(error: BaseException) -> str:
    message = str(error)
    assert "\n" not in message and "Traceback" not in message, message
    return message


# -- time and Stop -------------------------------------------------------------------------


@pytest.mark.model
def test_a_stop_ends_a_template_that_never_finishes(hostile_engine: LlamaCppEngine) -> None:
    cancel = CancelToken()
    timer = threading.Timer(0.5, cancel.cancel)
    timer.start()
    try:
        outcome = answer_in_thread(hostile_engine, cancel)
    finally:
        timer.cancel()
    assert isinstance(outcome, GenerationResult), outcome
    assert outcome.cancelled
    assert outcome.text == ""


@pytest.mark.model
def test_the_deadline_ends_it_with_one_clear_message(hostile_engine: LlamaCppEngine) -> None:
    hostile_engine.template_deadline_s = 0.5  # the real one is 10 s
    for _ in range(2):  # and the engine is not left stuck: the next turn ends the same way
        outcome = answer_in_thread(hostile_engine)
        assert isinstance(outcome, GenerationError), outcome
        message = one_line(outcome)
        assert "chat template took more than 0.5 s" in message


@pytest.mark.model
def test_the_engine_answers_normally_afterwards(hostile_engine: LlamaCppEngine,
                                                smollm2_path: Path) -> None:
    cancel = CancelToken()
    cancel.cancel()
    stopped = answer_in_thread(hostile_engine, cancel)
    assert isinstance(stopped, GenerationResult) and stopped.cancelled
    hostile_engine.load(LoadSpec(smollm2_path, n_ctx=512))
    pieces: list[str] = []
    result = hostile_engine.stream_chat(
        [ChatMessage("user", "What is the capital of France? Answer in one sentence.")],
        GREEDY, pieces.append)
    assert result.stats.finish_reason in ("stop", "length")
    assert "Paris" in result.text


@pytest.mark.model
@pytest.mark.integration
def test_lamplight_chat_stops_at_the_first_ctrl_c(tmp_path: Path, hostile_path: Path) -> None:
    """The first Ctrl+C used to set the Stop, which nothing checked while the template ran."""
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--data-dir", str(tmp_path), "chat", "--model",
         str(hostile_path), "hi"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env)
    try:
        log = tmp_path / "logs" / "lamplight.log"
        deadline = time.monotonic() + 120
        while not (log.is_file() and " loaded " in log.read_text()):  # now it renders
            assert process.poll() is None and time.monotonic() < deadline, process.stderr
            time.sleep(0.1)
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)  # once
        stdout, stderr = process.communicate(timeout=PROMPT_S)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    assert stdout.strip() == ""  # the answer was stopped before it began
    assert "Traceback" not in stderr
    assert len(stderr.splitlines()) <= 1


# -- size ----------------------------------------------------------------------------------

# Each would build gigabytes, most in one step; Jinja's sandbox stops none of them.
TOO_BIG = {
    "repeat": "{{ 'x' * 10**9 }}",
    "power": "{{ 10 ** 1000000 }}",
    "squaring": "{% set ns = namespace(n=10) %}{% for i in range(40) %}{% set ns.n = ns.n * ns.n"
                " %}{% endfor %}{{ ns.n > 0 }}",
    "doubling with ~": "{% set ns = namespace(s='x') %}{% for i in range(30) %}"
                       "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    "doubling with +": "{% set ns = namespace(s='x') %}{% for i in range(30) %}"
                       "{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}",
    "width": "{{ 'x'|center(1000000000) }}",
    "method width": "{{ 'x'.ljust(1000000000) }}",
    "replace": "{% set s = 'a' * 100000 %}{{ s|replace('a', s) }}",
    "join": "{% set s = 'a' * 100000 %}{{ range(100000)|join(s) }}",
    "join of a map": "{% set s = 'a' * 100000 %}{{ s.join(range(1000)|map('string')) }}",
    "a list as text": "{% set s = 'a' * 100000 %}{{ [s] * 100000 }}",
    "a list literal": "{% set s = 'a' * 100000 %}{% set l = [s, s, s, s, s, s, s, s, s, s] %}"
                      "{% set l = [l, l, l, l, l, l, l, l, l, l] %}{{ l ~ l }}",
    "format width": "{{ '%1000000000d' % 1 }}",
    "format fields": "{% set s = 'a' * 100000 %}{{ ('{0}' * 10000).format(s) }}",
    "output": "{% set s = 'a' * 100000 %}{% for i in range(100000) %}{{ s }}{% endfor %}",
    "a block": "{% set s = 'a' * 100000 %}{% set b %}{% for i in range(100000) %}{{ s }}"
               "{% endfor %}{% endset %}{{ b|length }}",
    "indent": "{{ ('\n' * 100000)|indent(100000, blank=true) }}",
    "json": "{{ messages|tojson(indent=100000000) }}",
}


def formatter(template: str) -> Any:
    """llama-cpp-python's own formatter for `template`, as a model's load makes it."""
    load_llama_cpp()  # what the engine's first load does: bounds llama-cpp-python's templates
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    return Jinja2ChatFormatter(template, eos_token="<|im_end|>", bos_token="<|im_start|>")


def peak_bytes(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
    except TemplateLimitError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("template", TOO_BIG.values(), ids=TOO_BIG.keys())
def test_a_template_cannot_build_much_more_than_the_chat(template: str) -> None:
    render = formatter(template)
    with pytest.raises(TemplateLimitError) as refused:
        render(messages=[{"role": "user", "content": "hi"}])
    assert "chat template tried to build a prompt far larger than the chat" in one_line(
        refused.value)
    # The prompt may be about 1 MiB here (four times the chat, plus 1 MiB); nothing built on
    # the way is much more than twice that.
    assert peak_bytes(lambda: render(messages=[{"role": "user", "content": "hi"}])) < 16 << 20


def test_compiling_a_template_works_nothing_out() -> None:
    """Jinja folds constant expressions while compiling, that is while the model loads: it
    made the string of `'x' * 10**8` there."""
    assert peak_bytes(lambda: formatter("{{ 'x' * 10**8 }}")) < 16 << 20


def test_the_bound_grows_with_the_chat() -> None:
    """A long chat renders in full: the bound is four times the chat, plus 1 MiB."""
    messages = [{"role": "user", "content": "word " * 200_000}] * 4  # 4 MB
    prompt = formatter(SMOLLM2_TEMPLATE)(messages=messages).prompt
    assert len(prompt) > 4_000_000


SMOLLM2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
    "Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\n' }}{% endif %}")
# What real templates use, all at once: namespaces, loop variables, macros, `~`, filters,
# formatting, JSON, string methods.
FEATURES = """{%- macro show(m) -%}[{{ m.role|upper }}] {{ m.content|trim }}{%- endmacro -%}
{%- set ns = namespace(system='', count=0) -%}
{%- for m in messages if m.role == 'system' %}{% set ns.system = m.content %}{% endfor -%}
{{ bos_token ~ 'System: ' ~ (ns.system or 'none') }}
{% for m in messages if m.role != 'system' -%}
{% set ns.count = ns.count + 1 -%}
{{ '%d/%d' % (loop.index, loop.length) }} {{ show(m) }}{{ '' if loop.last else '\\n' }}
{%- endfor %}
{{ messages|map(attribute='role')|join(', ') }} {{ messages|length }} {{ ns.count * 2 ** 3 }}
{{ {'tools': [1, 2], 'n': ns.count}|tojson(indent=2) }}
{{ '{0}:{1:>6}'.format('width', 42) }} {{ ('a-' * 3)|replace('-', '+') }} {{ 'x'|center(9) }}
{{ messages[-1].content.split(' ')|first|indent(2, first=true) }} {{ 'ab' in 'cabd' }}
{%- if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"""


@pytest.mark.parametrize("template", [SMOLLM2_TEMPLATE, FEATURES], ids=["smollm2", "features"])
def test_real_templates_render_exactly_as_in_jinjas_own_sandbox(
        template: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Byte for byte: a follow-up reuses the evaluated prompt only if it renders the same."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from llama_cpp import llama_chat_format

    chat = [{"role": "system", "content": "Be brief."}] + [
        {"role": "user" if i % 2 == 0 else "assistant",
         "content": f" message {i}: a lamp in room {i * 7 % 101}.  "} for i in range(200)]
    rendered = formatter(template)(messages=chat).prompt
    with monkeypatch.context() as unbounded:  # llama-cpp-python as it comes
        unbounded.setattr(llama_chat_format, "ImmutableSandboxedEnvironment",
                          ImmutableSandboxedEnvironment)
        expected = formatter(template)(messages=chat).prompt
    assert rendered == expected
    assert len(rendered) > 8_000


# -- at load -------------------------------------------------------------------------------

BROKEN = {
    "a syntax error": ("{% for %}", "Expected an expression"),
    "nesting": ("{% if true %}" * 5000 + "{% endif %}" * 5000, "nests too deeply"),
    "length": ("{{ messages }}" + "x" * MAX_TEMPLATE_CHARS, "characters long"),
}


@pytest.mark.model
@pytest.mark.parametrize("template, reason", BROKEN.values(), ids=BROKEN.keys())
def test_a_template_that_cannot_be_used_is_one_line_at_load(
        tmp_path: Path, smollm2_path: Path, template: str, reason: str) -> None:
    broken = with_templates(smollm2_path, tmp_path / "broken.gguf",
                            {"tokenizer.chat_template": template})
    engine = LlamaCppEngine()
    with pytest.raises(ModelLoadError) as refused:
        engine.load(LoadSpec(broken, n_ctx=512))
    message = one_line(refused.value)
    assert message.startswith("Cannot load broken.gguf: its chat template cannot be used (")
    assert reason in message
    assert engine.model is None

    # With a format of its own chosen, the model loads and answers.
    info = engine.load(LoadSpec(broken, n_ctx=512, chat_format="chatml"))
    assert info.chat_format == "chatml"
    result = engine.stream_chat(
        [ChatMessage("user", "What is the capital of France? Answer in one sentence.")],
        GREEDY, lambda _piece: None)
    assert "Paris" in result.text
    engine.unload()


@pytest.mark.model
def test_a_broken_template_the_model_does_not_use_is_left_aside(
        tmp_path: Path, smollm2_path: Path) -> None:
    extra = with_templates(smollm2_path, tmp_path / "extra.gguf",
                           {"tokenizer.chat_template.tool_use": "{% if %}"})
    engine = LlamaCppEngine()
    engine.load(LoadSpec(extra, n_ctx=512))
    result = engine.stream_chat(
        [ChatMessage("user", "What is the capital of France? Answer in one sentence.")],
        GREEDY, lambda _piece: None)
    assert "Paris" in result.text
    engine.unload()


@pytest.mark.model
def test_a_model_that_works_out_gigabytes_loads_and_is_refused_when_it_answers(
        tmp_path: Path, smollm2_path: Path) -> None:
    folds = with_templates(smollm2_path, tmp_path / "folds.gguf",
                           {"tokenizer.chat_template": "{{ 'x' * 10**8 }}"})
    engine = LlamaCppEngine()
    engine.load(LoadSpec(folds, n_ctx=512))
    outcome = answer_in_thread(engine)
    assert isinstance(outcome, TemplateLimitError), outcome
    assert "far larger than the chat" in one_line(outcome)
    engine.unload()


@pytest.mark.model
def test_many_templates_share_one_deadline_at_load(tmp_path: Path, smollm2_path: Path) -> None:
    """A file may carry any number of templates; compiling stops once the load's deadline has
    passed, so the last (llama-cpp-python compiles the one it would use last) is refused."""
    dense = "{{ a }}" * 4000  # 28 KB of statements: tens of milliseconds each to compile
    many = {f"tokenizer.chat_template.t{i}": dense + f"{i}" for i in range(200)}
    crowded = with_templates(smollm2_path, tmp_path / "crowded.gguf", many)
    engine = LlamaCppEngine()
    engine.template_deadline_s = 0.5
    started = time.monotonic()
    with pytest.raises(ModelLoadError) as refused:
        engine.load(LoadSpec(crowded, n_ctx=512))
    elapsed = time.monotonic() - started
    assert "templates took more than 0.5 s to compile" in one_line(refused.value)
    assert elapsed < PROMPT_S  # all 200 take minutes
