"""The remote engine against real servers on 127.0.0.1, both with the built-in SmolLM2:
llama.cpp's own `llama-server` (built from the same llama.cpp as the in-process engine by
`tests.llama_tools`; missing, the tests fail, they never skip) and `lamplight serve`.

One `llama-server` with four slots of 1,024 tokens serves most of the module; a test that
kills its server, or wants a key, starts its own. Answers are short and seeded.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.core.documents.summarize import Summarizer
from app.core.documents.summary_options import SummaryOptions
from app.core.engine.base import (
    ChatMessage,
    GenerationParams,
    LoadSpec,
    ModelLoadError,
    TemplateSource,
)
from app.core.engine.cancel import CancelToken
from app.core.engine.connection import Connection, RemoteTarget
from app.core.engine.llama_cpp_backend import LlamaCppEngine
from app.core.engine.remote import (
    AnswerInterruptedError,
    RemoteAuthError,
    RemoteEngine,
    remote_spec,
)
from app.core.settings.file import SettingsFile
from app.paths import AppPaths
from tests import llama_tools
from tests.llama_server import ALIAS, LlamaServer
from tests.served_lamplight import lamplight_serve

pytestmark = [pytest.mark.integration, pytest.mark.model]

SLOT_CTX = 1024
SLOTS = 4
ASK = [ChatMessage("user", "Name three colours.")]
STORY = [ChatMessage("user", "Write a long story about a dragon who learns to bake bread.")]
SHORT = GenerationParams(max_tokens=16, seed=7, temperature=0)
LONG = GenerationParams(max_tokens=400, seed=3)
GPL = Path(__file__).resolve().parents[1] / "data" / "gpl-3.0.txt"
TEXTS = ["Hello, world!", "Ünïcödé — 日本語のテキスト 🙂, tabs\tand\nlines", GPL.read_text()[:4000]]


def needs_llama_server() -> None:
    if llama_tools.program("llama-server") is None:
        pytest.fail(llama_tools.missing_reason())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smollm2_path: Path) -> Iterator[LlamaServer]:
    needs_llama_server()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with LlamaServer(smollm2_path, log, n_ctx=SLOT_CTX * SLOTS, parallel=SLOTS) as running:
        yield running


@pytest.fixture(scope="module")
def local(smollm2_path: Path) -> Iterator[LlamaCppEngine]:
    """The same model in process, to compare token counts with."""
    engine = LlamaCppEngine()
    engine.load(LoadSpec(smollm2_path, n_ctx=256, n_threads=2))
    yield engine
    engine.unload()


_ENGINES: list[RemoteEngine] = []


@pytest.fixture(autouse=True)
def _unload_engines() -> Iterator[None]:
    yield
    while _ENGINES:
        _ENGINES.pop().unload()


def connect(url: str, *, model: str = ALIAS, parallel: int = 1, api_key: str | None = None,
            name: str = "llama") -> RemoteEngine:
    engine = RemoteEngine()
    _ENGINES.append(engine)
    engine.load(remote_spec(RemoteTarget(
        Connection(name, url, parallel=parallel, api_key=api_key), model)))
    return engine


@pytest.fixture
def engine(server: LlamaServer) -> RemoteEngine:
    return connect(server.url)


def one_line(exc: BaseException) -> str:
    message = str(exc)
    assert message and "\n" not in message, message
    return message


def wait_for(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def stop_after_pieces(n: int) -> tuple[CancelToken, list[str], list[float], Callable[[str], None]]:
    """A stop set once `n` pieces came: the token, the pieces, when it was set."""
    cancel, pieces, stopped_at = CancelToken(), [], []

    def on_piece(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == n:
            stopped_at.append(time.perf_counter())
            cancel.cancel()

    return cancel, pieces, stopped_at, on_piece


def stop_later(delay_s: float) -> tuple[CancelToken, threading.Timer]:
    cancel = CancelToken()
    timer = threading.Timer(delay_s, cancel.cancel)
    timer.start()
    return cancel, timer


def long_question(tokens: int, count: Callable[[str], int]) -> list[ChatMessage]:
    """A question of about `tokens` tokens (the licence's text): its prompt takes seconds."""
    text = GPL.read_text()
    cut = len(text) * tokens // count(text)
    return [ChatMessage("user", "Summarize this:\n\n" + text[:cut])]


def document(contexts: float, count: Callable[[str], int], first: int = 0) -> str:
    """About `contexts` contexts of text: the licence's paragraphs from the `first`, again as
    needed."""
    paragraphs = [p.strip() for p in GPL.read_text().split("\n\n") if p.strip()]
    out: list[str] = []
    tokens = 0
    while tokens < contexts * SLOT_CTX:
        paragraph = paragraphs[(first + len(out)) % len(paragraphs)]
        out.append(paragraph)
        tokens += count(paragraph) + 2
    return "\n\n".join(out)


# -- llama-server ---------------------------------------------------------------------------

def test_a_chat_streams_with_the_servers_own_numbers(engine: RemoteEngine) -> None:
    pieces: list[str] = []
    result = engine.stream_chat(ASK, SHORT, pieces.append)
    assert len(pieces) > 1 and "".join(pieces) == result.text
    stats, timings = result.stats, engine.last_timings
    assert stats.finish_reason in ("stop", "length") and stats.seed == 7
    assert stats.completion_tokens == int(timings["predicted_n"]) > 1
    assert stats.prompt_tokens == int(timings["prompt_n"] + timings["cache_n"]) > 10
    assert stats.ttft_s > 0 and stats.tokens_per_s > 0
    again = engine.stream_chat(ASK, SHORT, lambda _p: None)
    assert again.text == result.text  # the same seed: the same answer
    assert again.stats.cached_tokens > 0  # and the server kept the prompt


def test_the_context_and_template_come_from_the_server(engine: RemoteEngine) -> None:
    model = engine.model
    assert model is not None
    assert model.n_ctx == SLOT_CTX  # /props: one slot's context, not the -c of all four
    assert model.template_source is TemplateSource.REMOTE
    assert model.chat_template is not None and "<|im_start|>" in model.chat_template
    assert model.location == "llama" and model.parallel == 1
    assert not model.tokens_estimated


def test_tokens_are_counted_exactly_by_the_server(engine: RemoteEngine,
                                                  local: LlamaCppEngine) -> None:
    for text in TEXTS:
        assert engine.count_tokens(text) == local.count_tokens(text), text[:40]
    assert engine.count_tokens("") == 0


def test_a_stop_mid_answer_returns_at_once_and_frees_the_server(
        engine: RemoteEngine, server: LlamaServer) -> None:
    cancel, pieces, stopped_at, on_piece = stop_after_pieces(3)
    result = engine.stream_chat(STORY, LONG, on_piece, cancel)
    returned = time.perf_counter()
    assert result.stats.finish_reason == "cancelled"
    assert result.text == "".join(pieces) and len(pieces) == 3
    assert returned - stopped_at[0] < 2.0
    assert wait_for(lambda: server.busy_slots() == 0, 10), "the slot kept answering"
    after = engine.stream_chat(ASK, SHORT, lambda _p: None)
    assert after.stats.finish_reason in ("stop", "length") and after.text


def test_a_stop_while_the_prompt_is_read_returns_at_once(engine: RemoteEngine,
                                                         server: LlamaServer) -> None:
    question = long_question(900, engine.count_tokens)
    cancel, timer = stop_later(0.3)
    t0 = time.perf_counter()
    result = engine.stream_chat(question, LONG, lambda _p: None, cancel)
    timer.join()
    assert result.stats.finish_reason == "cancelled"
    assert time.perf_counter() - t0 < 2.0
    assert wait_for(lambda: server.busy_slots() == 0, 15), "the slot kept reading"


@pytest.mark.parametrize("parallel", [1, SLOTS])
def test_a_long_document_is_summarized_with_parts_read_together(
        server: LlamaServer, parallel: int) -> None:
    engine = connect(server.url, parallel=parallel)
    # Each run its own text, so that neither finds its parts' prompts in the server's cache.
    text = document(5, engine.count_tokens, first=40 * parallel)
    busiest = [0]
    done = threading.Event()

    def watch_slots() -> None:
        while not done.wait(0.1):
            busiest[0] = max(busiest[0], server.busy_slots())

    watcher = threading.Thread(target=watch_slots, daemon=True)
    watcher.start()
    t0 = time.perf_counter()
    try:
        result = Summarizer(engine, SummaryOptions(length="short"),
                            params=GenerationParams(seed=1)).run(text, "gpl.txt")
    finally:
        done.set()
        watcher.join()
    elapsed = time.perf_counter() - t0
    print(f"\nsummary of {result.document_tokens:,} tokens, parallel {parallel}: "
          f"{elapsed:.1f} s, {len(result.parts)} parts, {busiest[0]} slots busy at most")
    assert 4 * SLOT_CTX < result.document_tokens < 7 * SLOT_CTX
    assert not result.cancelled and result.text.strip()
    assert len(result.parts) >= 5 and all(p.note for p in result.parts)
    assert [p.index for p in result.parts] == list(range(1, len(result.parts) + 1))
    if parallel == 1:
        assert busiest[0] <= 1
    else:
        assert busiest[0] > 1, "the parts were not read together"


def test_an_unknown_model_names_what_the_server_has(server: LlamaServer) -> None:
    with pytest.raises(ModelLoadError) as caught:
        connect(server.url, model="no-such-model")
    assert f"has no model 'no-such-model' (it has: {ALIAS})" in one_line(caught.value)


def test_a_server_killed_mid_answer_keeps_the_text(tmp_path: Path, smollm2_path: Path) -> None:
    needs_llama_server()
    with LlamaServer(smollm2_path, tmp_path / "server.log", n_ctx=SLOT_CTX) as doomed:
        engine = connect(doomed.url)
        pieces: list[str] = []

        def on_piece(piece: str) -> None:
            pieces.append(piece)
            if len(pieces) == 3:
                doomed.process.kill()

        with pytest.raises(AnswerInterruptedError) as caught:
            engine.stream_chat(STORY, LONG, on_piece)
    assert caught.value.partial == "".join(pieces) and len(pieces) >= 3
    assert "what came is kept" in one_line(caught.value)


def test_a_wrong_key_is_refused_at_load(tmp_path: Path, smollm2_path: Path) -> None:
    needs_llama_server()
    key = "right-key-0123456789"
    with LlamaServer(smollm2_path, tmp_path / "server.log", n_ctx=SLOT_CTX,
                     api_key=key) as locked:
        with pytest.raises(RemoteAuthError) as caught:
            connect(locked.url, api_key="wrong-key-0123456789")
        message = one_line(caught.value)
        assert "refused the API key (401" in message and "wrong-key" not in message
        with pytest.raises(RemoteAuthError):
            connect(locked.url)  # no key at all
        engine = connect(locked.url, api_key=key)
        assert engine.model is not None and not engine.model.tokens_estimated
        assert engine.count_tokens("Hello, world!") > 0
        assert engine.stream_chat(ASK, SHORT, lambda _p: None).text


# -- lamplight serve ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def lamplight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`lamplight serve --model builtin` on a free port, n_ctx 2048, two threads."""
    root = tmp_path_factory.mktemp("lamplight")
    paths = AppPaths.under(root).ensure()
    settings = SettingsFile.load(paths.config_dir)
    settings.set("model.n_ctx", 2048)
    settings.set("hardware.n_threads", 2)
    settings.save()
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    with lamplight_serve(root, "--model", "builtin", env=env) as url:
        yield url


def test_lamplight_serve_as_the_remote(lamplight: str, local: LlamaCppEngine) -> None:
    engine = connect(lamplight, model="builtin", name="lamplight")
    model = engine.model
    assert model is not None and model.n_ctx == 2048 and not model.tokens_estimated
    for text in TEXTS:
        assert engine.count_tokens(text) == local.count_tokens(text), text[:40]

    pieces: list[str] = []
    result = engine.stream_chat(ASK, SHORT, pieces.append)
    assert result.text and "".join(pieces) == result.text
    assert result.stats.finish_reason in ("stop", "length")
    assert result.stats.completion_tokens > 1 and result.stats.prompt_tokens > 10

    cancel, pieces, stopped_at, on_piece = stop_after_pieces(3)
    stopped = engine.stream_chat(STORY, LONG, on_piece, cancel)
    assert stopped.stats.finish_reason == "cancelled" and stopped.text == "".join(pieces)
    assert time.perf_counter() - stopped_at[0] < 2.0


def test_lamplight_serve_stops_while_the_prompt_is_read(lamplight: str) -> None:
    """Lamplight sends no reply until the first token: the stop shuts the connection anyway,
    and the server, seeing it go, stops reading the prompt."""
    engine = connect(lamplight, model="builtin", name="lamplight")
    question = long_question(1500, engine.count_tokens)
    cancel, timer = stop_later(0.5)
    t0 = time.perf_counter()
    result = engine.stream_chat(question, LONG, lambda _p: None, cancel)
    timer.join()
    assert result.stats.finish_reason == "cancelled" and result.text == ""
    assert time.perf_counter() - t0 < 2.5
    t1 = time.perf_counter()
    after = engine.stream_chat(ASK, SHORT, lambda _p: None)
    print(f"\nthe next answer after a stop in the prompt: {time.perf_counter() - t1:.1f} s")
    assert after.text
