"""The local server answering several requests at once (`server.parallel`, `serve --parallel`)
on the real SmolLM2, through the official `openai` client: each answer is the one its request
gets alone from the one-at-a-time server, the answers really run together, a client that leaves
disturbs no other, and a request for another model waits for the answers in flight.

Greedy sampling (temperature 0, a seed) makes an answer a function of its prompt: so "the same
as alone" shows that nothing of another request got into it. Speed is never asserted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import pytest

from app.core.engine.llama_cpp_backend import LlamaCppEngine
from app.core.engine.runner import EngineRunner
from app.core.settings.file import SettingsFile
from app.paths import AppPaths
from app.server.app import ServerConfig
from app.server.run import LocalServer
from tests.integration.test_cli import lamplight
from tests.integration.test_server import Served, _settings, _stop

pytestmark = [pytest.mark.model, pytest.mark.integration]
N_CTX = 1024
MAX_TOKENS = 32
PARALLEL = 4
# Questions whose greedy answers have no near tie: one that has ("Say hello in Spanish.") may
# tip either way with how many rows a step decodes, alone or among seven, which is llama.cpp's
# arithmetic, not a request's text leaking into another's.
PROMPTS = ["Name three colours.", "What is the capital of France?", "Count from one to five.",
           "Write a haiku about rain.", "Name a large animal.", "What is two plus two?",
           "Write a short greeting.", "Name a fruit that is yellow."]


def _small(root: Path) -> SettingsFile:
    """A small context, and flash attention on: the batched engine uses it where it can even
    when the setting is off, the single path only when it is on; compared, both must."""
    settings = _settings(root)
    settings.set("model.n_ctx", N_CTX)
    settings.set("model.flash_attn", True)
    return settings


def _serving(root: Path, parallel: int) -> Iterator[Served]:
    paths = AppPaths.under(root)
    paths.ensure()
    (paths.models_dir / "second.gguf").symlink_to(_builtin())  # another model, same weights
    runner = EngineRunner(LlamaCppEngine)
    server = LocalServer(runner, _small(root), data_dir=paths.data_dir,
                         models_dir=paths.models_dir, window_engine=False, parallel=parallel)
    address = server.start(ServerConfig(port=0))
    served = Served(server, runner, address.url)
    yield served
    for client in served.clients:
        client.close()
    _stop(server, runner)


def _builtin() -> Path:
    from app.core.models.library import builtin_model_path

    path = builtin_model_path()
    assert path is not None
    return path


@pytest.fixture(scope="module")
def together(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The server answering `PARALLEL` at once."""
    yield from _serving(tmp_path_factory.mktemp("parallel"), PARALLEL)


@pytest.fixture(scope="module")
def alone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The server answering one request after another, as before `server.parallel`."""
    yield from _serving(tmp_path_factory.mktemp("alone"), 1)


@dataclass
class Streamed:
    """One streamed answer as the client saw it."""

    text: str = ""
    finish: str | None = None
    usage: tuple[int, int] | None = None  # prompt and completion tokens
    times: list[float] = field(default_factory=list)  # when each piece of text came
    error: BaseException | None = None

    @property
    def answer(self) -> tuple[str, str | None, tuple[int, int] | None]:
        return self.text, self.finish, self.usage


def stream(served: Served, prompt: str, *, model: str = "builtin",
           max_tokens: int = MAX_TOKENS, leave_after: int | None = None) -> Streamed:
    """`prompt` asked greedily as a stream; `leave_after` pieces, then the client goes."""
    out = Streamed()
    try:
        chunks = served.client().chat.completions.create(
            model=model, messages=[{"role": "user", "content": prompt}], stream=True,
            max_tokens=max_tokens, temperature=0, seed=11,
            stream_options={"include_usage": True})
        for chunk in chunks:
            if chunk.usage is not None:
                out.usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
            if not chunk.choices:
                continue
            piece = chunk.choices[0].delta.content or ""
            if piece:
                out.text += piece
                out.times.append(time.monotonic())
            out.finish = chunk.choices[0].finish_reason or out.finish
            if leave_after is not None and len(out.times) >= leave_after:
                chunks.close()  # the connection goes: the server sees a client gone
                break
    except BaseException as exc:
        out.error = exc
    return out


def at_once(jobs: list[tuple[Served, str, dict[str, object]]]) -> list[Streamed]:
    """Each (server, prompt, options) streamed on a thread of its own, all started together."""
    results: list[Streamed] = [Streamed() for _ in jobs]
    start = threading.Barrier(len(jobs))

    def run(i: int) -> None:
        served, prompt, options = jobs[i]
        start.wait(30)
        results[i] = stream(served, prompt, **options)  # type: ignore[arg-type]

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
        assert not thread.is_alive(), "a client got no end"
    return results


class PeakAnswering:
    """The most answers the server held in flight at once, sampled while it runs."""

    def __init__(self, served: Served) -> None:
        self._served = served
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, self._served.server.served.answering)

    def __enter__(self) -> PeakAnswering:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def references(alone: Served, prompts: list[str]) -> list[tuple[str, str | None,
                                                                 tuple[int, int] | None]]:
    """What each prompt gets alone, from the one-at-a-time server."""
    answers = []
    for prompt in prompts:
        got = stream(alone, prompt)
        assert got.error is None, got.error
        answers.append(got.answer)
    return answers


def overlapping(a: Streamed, b: Streamed) -> bool:
    return a.times[0] < b.times[-1] and b.times[0] < a.times[-1]


def wait_until_idle(served: Served) -> None:
    deadline = time.monotonic() + 30
    while (served.server.activity.in_flight or served.server.served.answering) and \
            time.monotonic() < deadline:
        time.sleep(0.02)
    assert served.server.activity.in_flight == 0
    assert served.server.served.answering == 0


def test_eight_streams_at_once_each_get_the_answer_they_get_alone(together: Served,
                                                                  alone: Served) -> None:
    expected = references(alone, PROMPTS)
    with PeakAnswering(together) as peak:
        got = at_once([(together, prompt, {}) for prompt in PROMPTS])
    for prompt, streamed, wanted in zip(PROMPTS, got, expected, strict=True):
        assert streamed.error is None, (prompt, streamed.error)
        assert streamed.text.strip(), prompt
        assert streamed.answer == wanted, prompt  # text, finish_reason, usage
    engine = together.server.served._batched
    assert engine is not None and engine.model is not None
    assert engine.model.parallel == PARALLEL
    # They ran together: several answers held in flight at once, and streams that overlap.
    assert peak.peak >= 2
    pairs = [(i, j) for i in range(len(got)) for j in range(i + 1, len(got))
             if overlapping(got[i], got[j])]
    assert pairs, [(s.times[0], s.times[-1]) for s in got]
    wait_until_idle(together)


def test_one_at_a_time_runs_no_answers_together(alone: Served) -> None:
    """The overlap measured above is the server's doing: with 1, streams follow each other."""
    got = at_once([(alone, prompt, {}) for prompt in PROMPTS[:3]])
    assert all(s.error is None for s in got)
    assert alone.server.served._batched is None
    assert not any(overlapping(got[i], got[j]) for i in range(3) for j in range(i + 1, 3))


def test_a_client_gone_mid_stream_leaves_the_others_whole(together: Served,
                                                         alone: Served) -> None:
    prompts = PROMPTS[:3]
    expected = references(alone, prompts)
    jobs: list[tuple[Served, str, dict[str, object]]] = [(together, p, {}) for p in prompts]
    jobs.append((together, "Write a very long story about a lighthouse.",
                 {"max_tokens": 400, "leave_after": 3}))
    got = at_once(jobs)
    gone = got[-1]
    assert gone.error is None, gone.error
    assert gone.finish is None and len(gone.times) == 3  # it left before its end
    for prompt, streamed, wanted in zip(prompts, got, expected, strict=False):
        assert streamed.error is None, (prompt, streamed.error)
        assert streamed.answer == wanted, prompt
    wait_until_idle(together)  # the one that left stopped too: nothing is left in flight
    last = together.server.activity.last_error
    assert last is not None and last.endswith("The client went away mid-answer.")
    # And the engine answers as before.
    again = stream(together, prompts[0])
    assert again.answer == expected[0]


def test_another_model_waits_for_the_answers_in_flight(together: Served, alone: Served) -> None:
    prompts = PROMPTS[:PARALLEL]
    expected = references(alone, [*prompts, PROMPTS[-1]])
    served = together.server.served
    results: list[Streamed] = []
    asked_at: list[float] = []

    def second() -> None:  # once every answer is in flight, the other model is asked for
        deadline = time.monotonic() + 60
        while served.answering < PARALLEL and time.monotonic() < deadline:
            time.sleep(0.001)
        asked_at.append(time.monotonic())
        results.append(stream(together, PROMPTS[-1], model="second"))

    other = threading.Thread(target=second, daemon=True)
    other.start()
    first = at_once([(together, p, {}) for p in prompts])
    other.join(300)
    [switched] = results
    for prompt, streamed, wanted in zip(prompts, first, expected, strict=False):
        assert streamed.error is None, (prompt, streamed.error)
        assert streamed.answer == wanted, prompt  # none was cut by the other model's load
    assert asked_at[0] < min(s.times[-1] for s in first)  # asked while they all ran
    assert switched.error is None, switched.error
    assert switched.times[0] > max(s.times[-1] for s in first)
    assert switched.answer == expected[-1]  # the same weights under another name
    engine = served._batched
    assert engine is not None and engine.model is not None
    assert engine.model.path.name == "second.gguf"
    wait_until_idle(together)


def test_serve_parallel_flag(tmp_path: Path) -> None:
    refused = lamplight(tmp_path, "serve", "--port", "0", "--parallel", "0")
    assert refused.returncode == 2
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("lamplight: error: argument --parallel: must be ")

    settings = SettingsFile.load(AppPaths.under(tmp_path).config_dir)
    settings.set("model.n_ctx", N_CTX)
    env = {k: v for k, v in os.environ.items() if k != "LAMPLIGHT_DATA_DIR"}
    args = [sys.executable, "-m", "app", "--data-dir", str(tmp_path), "serve", "--port", "0",
            "--model", "builtin", "--parallel", "3"]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env) as process:
        assert process.stdout is not None and process.stderr is not None
        try:
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:"), process.stderr.read()
            body = {"model": "builtin", "max_tokens": 4, "temperature": 0,
                    "messages": [{"role": "user", "content": "Hi"}]}
            reply = httpx.post(f"{url}/chat/completions", json=body, timeout=120)
            assert reply.status_code == 200, reply.text
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(30) == 0
        err = process.stderr.read()
    assert "Answering up to 3 requests at once." in err.splitlines()
    assert "Traceback" not in err
