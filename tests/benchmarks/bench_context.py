"""Fast follow-ups: time to first token late in a chat, and of a long chat reopened.

Run: python tests/benchmarks/bench_context.py [--turns N] [--rounds R] [--reopen-tokens N]

1. A chat of `--turns` turns (default 20) with SmolLM2, every turn answered the way the window
   answers it (`turns.answer_turn`: measured, then streamed; greedy, 48-token answers). The time
   to first token of turn 2 against the last turn's: a follow-up evaluates only its new tokens
   (the earlier turns render byte-identically, so llama-cpp-python reuses the evaluated prefix).
   For scale, the last turn's prompt is also evaluated from scratch by a second engine.
2. A chat of about `--reopen-tokens` tokens (default 4,000; n_ctx 8,192) answered once, then
   the engine unloaded, as when the app closes: its state goes to disk. A new engine (the app
   started again) reopens the chat and asks a follow-up: the time to first token, from asking
   for the chat's state to the first token, against a third engine evaluating the same prompt
   with nothing kept. Both alternate over `--rounds` rounds; medians. The state file is read
   from the page cache (the file was just written), as it mostly is on a desktop.

Nothing is asserted; targets: turn N ≤ 1.5× turn 2, reopened ≤ 0.25× evaluated.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.core.chat.turns import TurnRequest, answer_turn
from app.core.documents.summary_options import SummaryOptions
from app.core.documents.summary_result import SummaryResult
from app.core.engine import (
    CancelToken,
    ChatMessage,
    GenerationParams,
    GenerationResult,
    LoadSpec,
)
from app.core.engine.hardware import physical_cores
from app.core.engine.llama_cpp_backend import LlamaCppEngine
from app.core.engine.states import StateCache
from app.core.models.library import builtin_model_path

ANSWER = GenerationParams(max_tokens=48, temperature=0.0, seed=0)
SYSTEM = ChatMessage("system", "You are a helpful assistant.")
QUESTIONS = [
    "What is a lighthouse for?", "How did keepers light the lamps?", "What is a Fresnel lens?",
    "Why do lights flash in patterns?", "Which lighthouse is the oldest?",
    "How tall are the tallest ones?", "What replaced the keepers?", "Do ships still need them?",
    "What is a lightship?", "How far can the light be seen?", "What powers them now?",
    "What is a foghorn?", "Were there women keepers?", "What was a keeper's day like?",
    "How were they built on rocks?", "What is the Pharos of Alexandria?",
    "Why are some painted in stripes?", "What is a range light?", "Can you visit them?",
    "What should I read about them?",
]
PARAGRAPH = ("The keeper climbed the spiral stairs each evening at dusk, trimmed the wick, "
             "polished the great lens until it shone, and wound the clockwork that turned it "
             "through the night, so that ships far out at sea could tell this light from every "
             "other on the coast by the rhythm of its flashes. ")


def turn(engine: LlamaCppEngine, messages: list[ChatMessage], session: str | None
         ) -> GenerationResult:
    request = TurnRequest(messages=tuple(messages), fallback=(), text="", name="",
                          options=SummaryOptions(), params=ANSWER, session=session)
    result = answer_turn(engine, request, on_piece=lambda _: None, on_progress=lambda _: None,
                         cancel=CancelToken())
    assert not isinstance(result, SummaryResult)
    return result


def load(path: Path, n_ctx: int, states: StateCache | None = None) -> LlamaCppEngine:
    engine = LlamaCppEngine(states)
    engine.load(LoadSpec(path, n_ctx=n_ctx, seed=0))
    return engine


def bench_follow_ups(path: Path, turns: int) -> None:
    engine = load(path, 4096, StateCache(None))
    messages = [SYSTEM]
    ttfts: list[tuple[int, float, int, int]] = []
    for i in range(turns):
        messages.append(ChatMessage("user", QUESTIONS[i % len(QUESTIONS)]))
        result = turn(engine, messages, "chat-1")
        ttfts.append((i + 1, result.stats.ttft_s, result.stats.prompt_tokens,
                      result.stats.cached_tokens))
        messages.append(ChatMessage("assistant", result.text))
    engine.unload()
    scratch = load(path, 4096)
    cold = turn(scratch, messages[:-1], None).stats  # the last turn's prompt, nothing kept
    scratch.unload()

    print(f"\n1. Follow-ups: {turns} turns, SmolLM2, n_ctx 4096, 48-token greedy answers")
    print(f"{'turn':>6}{'prompt':>9}{'reused':>9}{'ttft':>10}")
    for number, ttft, prompt, cached in ttfts:
        if number in (1, 2, 5, 10, 15, turns):
            print(f"{number:>6}{prompt:>9,}{cached:>9,}{ttft * 1000:>8.0f} ms")
    second, last = ttfts[1][1], ttfts[-1][1]
    print(f"turn {turns} / turn 2: {last / second:.2f}  (target ≤ 1.5)")
    print(f"turn {turns}'s prompt evaluated from scratch: {cold.prompt_tokens:,} tokens, "
          f"ttft {cold.ttft_s * 1000:.0f} ms")


def long_chat(target_tokens: int, engine: LlamaCppEngine) -> list[ChatMessage]:
    messages = [SYSTEM]
    i = 0
    while True:
        question = ChatMessage("user", f"Part {i + 1}. {PARAGRAPH * 2}What happened next?")
        answer = ChatMessage("assistant", f"Then, part {i + 1}: {PARAGRAPH * 2}")
        candidate = [*messages, question, answer]
        if sum(engine.count_tokens(m.content) + 8 for m in candidate) > target_tokens:
            return messages
        messages = candidate
        i += 1


def bench_reopen(path: Path, target_tokens: int, rounds: int) -> None:
    n_ctx = 8192
    with tempfile.TemporaryDirectory(prefix="lamplight-states-") as folder:
        directory = Path(folder)
        first = load(path, n_ctx, StateCache(directory))
        history = long_chat(target_tokens, first)
        history.append(ChatMessage("user", "Summarize the story so far in one line."))
        answered = turn(first, history, "chat-1")
        first.unload()  # the app closes: the state goes to disk
        size = sum(p.stat().st_size for p in directory.iterdir())
        follow_up = [*history, ChatMessage("assistant", answered.text),
                     ChatMessage("user", "And what did the keeper do at dawn?")]

        reopened: list[float] = []
        evaluated: list[float] = []
        reopened_stats = evaluated_stats = None
        for r in range(rounds):
            order = ("reopen", "evaluate") if r % 2 == 0 else ("evaluate", "reopen")
            for kind in order:
                engine = load(path, n_ctx, StateCache(directory) if kind == "reopen" else None)
                start = time.perf_counter()
                engine.use_session("chat-1" if kind == "reopen" else None)
                restore = time.perf_counter() - start
                stats = turn(engine, follow_up, "chat-1" if kind == "reopen" else None).stats
                engine.states = None  # leave the saved state as it was for the next round
                engine.unload()
                if kind == "reopen":
                    reopened.append(restore + stats.ttft_s)
                    reopened_stats = stats
                else:
                    evaluated.append(stats.ttft_s)
                    evaluated_stats = stats
        assert reopened_stats is not None and evaluated_stats is not None
        back, cold = statistics.median(reopened), statistics.median(evaluated)
        print(f"\n2. Reopen a chat of {evaluated_stats.prompt_tokens:,} tokens after a restart "
              f"(SmolLM2, n_ctx {n_ctx}, state file {size / 2**20:.0f} MiB), {rounds} rounds")
        print(f"evaluated from scratch: ttft {cold * 1000:,.0f} ms "
              f"({evaluated_stats.prompt_tokens:,} tokens evaluated)")
        print(f"restored from disk:     ttft {back * 1000:,.0f} ms "
              f"({reopened_stats.prompt_tokens - reopened_stats.cached_tokens:,} tokens "
              f"evaluated)")
        print(f"restored / evaluated: {back / cold:.3f}  (target ≤ 0.25)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reopen-tokens", type=int, default=4000)
    parser.add_argument("--only", choices=["follow-ups", "reopen"])
    args = parser.parse_args()
    print(f"{platform.machine()}, {physical_cores()} physical / {os.cpu_count()} logical cores; "
          f"Python {platform.python_version()}")
    path = builtin_model_path()
    if args.only != "reopen":
        bench_follow_ups(path, args.turns)
    if args.only != "follow-ups":
        bench_reopen(path, args.reopen_tokens, args.rounds)


if __name__ == "__main__":
    main()
