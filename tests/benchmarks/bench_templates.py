"""What the bounds on chat templates cost a normal chat (`template_guard`).

Run: python tests/benchmarks/bench_templates.py [--messages N] [--rounds R]

SmolLM2's own chat template renders a chat of `--messages` messages (default 200, about 80 KB)
through llama-cpp-python's `Jinja2ChatFormatter`, as the engine renders every prompt: once in
Jinja's sandbox as llama-cpp-python comes, once bounded. The two alternate over `--rounds`
rounds of 50 renders each; the medians per render, and the difference. Compiling the template
(at load) is timed the same way. Nothing is asserted; target: the difference is well under a
millisecond, against the tens of milliseconds or more a turn's prompt takes to evaluate.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def _timed(work: Callable[[], Any], times: int) -> float:
    started = time.perf_counter()
    for _ in range(times):
        work()
    return (time.perf_counter() - started) / times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()

    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from llama_cpp import llama_chat_format

    from app.core.engine.gguf import read_header
    from app.core.engine.native import load_llama_cpp
    from app.core.models.library import builtin_model_path

    path = builtin_model_path()
    assert path is not None
    template = read_header(path).chat_template
    assert template is not None
    chat = [{"role": "user" if i % 2 == 0 else "assistant",
             "content": f"message {i}: " + "a lamp in a room of the old house " * 10}
            for i in range(args.messages)]
    load_llama_cpp()  # installs the bounds, as the engine's first load does
    bounded_sandbox = llama_chat_format.ImmutableSandboxedEnvironment

    def formatter(sandbox: type) -> Any:
        llama_chat_format.ImmutableSandboxedEnvironment = sandbox
        try:
            return llama_chat_format.Jinja2ChatFormatter(template, "<|im_end|>", "<|im_start|>")
        finally:
            llama_chat_format.ImmutableSandboxedEnvironment = bounded_sandbox

    variants = {"as it comes": ImmutableSandboxedEnvironment, "bounded": bounded_sandbox}
    renders: dict[str, list[float]] = {name: [] for name in variants}
    compiles: dict[str, list[float]] = {name: [] for name in variants}
    for round_ in range(args.rounds):
        order = list(variants) if round_ % 2 == 0 else list(reversed(variants))
        for name in order:
            compiles[name].append(_timed(lambda s=variants[name]: formatter(s), 5))
            render = formatter(variants[name])
            renders[name].append(_timed(lambda r=render: r(messages=chat), 50))
    size = len(formatter(bounded_sandbox)(messages=chat).prompt)
    print(f"SmolLM2's template, {args.messages} messages ({size:,} characters rendered), "
          f"medians of {args.rounds} rounds")
    for label, numbers in (("render", renders), ("compile", compiles)):
        plain, bounded = (statistics.median(numbers[name]) * 1000 for name in variants)
        print(f"  {label:8} as it comes {plain:7.3f} ms   bounded {bounded:7.3f} ms   "
              f"difference {bounded - plain:+.3f} ms")


if __name__ == "__main__":
    main()
