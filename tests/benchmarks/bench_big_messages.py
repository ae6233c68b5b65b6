"""How long one outsized message freezes the window (issue 17, item 12).

Run: QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_big_messages.py
         [--case NAME ...] [--rounds 1] [--stream]

Each case is a conversation of one question and one answer whose Markdown is out of the
ordinary: a 2,000×60 table, one huge code block, a 5 MB answer, one very long line, deeply
nested lists and quotes, thousands of small tables. It is opened in the real `ChatView` of a
shown 900x700 window (`bench_conversations.OpenBench`), and the longest GUI freeze is measured
with its 1 ms precise timer: the largest gap between two ticks from the call until 150 ms
after the answer is drawn. Target <= 100 ms.

`--stream` also feeds the answer to a streaming message, 4,000 characters per update (a fast
server), as `ChatController` does, and reports the slowest redraw and the final render.

Numbers only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.core.chat.conversation import Conversation, Message
from tests.benchmarks.bench_conversations import FREEZE_TARGET_MS, OpenBench


def big_table(rows: int = 2000, columns: int = 60) -> str:
    head = "| " + " | ".join(f"col {c}" for c in range(columns)) + " |"
    rule = "|" + "---|" * columns
    body = ["| " + " | ".join(f"{r * c % 997}" for c in range(columns)) + " |"
            for r in range(rows)]
    return "Here is the table:\n\n" + "\n".join([head, rule, *body]) + "\n\nThat is all."


def big_code(lines: int = 20_000) -> str:
    body = "\n".join(f"    total += compute(value_{i}, limit={i % 97})  # step {i}"
                     for i in range(lines))
    return f"The code:\n\n```python\ndef run():\n    total = 0\n{body}\n```\n\nDone."


def huge_answer(size: int = 5_000_000) -> str:
    paragraph = ("The cache keeps a reference to the value, so it is not freed until you "
                 "**delete** it. Use `weakref` when that is not what you want. ") * 3
    return "\n\n".join([paragraph] * (size // (len(paragraph) + 2)))


def long_line(size: int = 1_000_000) -> str:
    return "word " * (size // 5)


def long_word(size: int = 1_000_000) -> str:
    return "x" * size


def nested_quotes(depth: int = 2000) -> str:
    return ">" * depth + " deep"


def nested_lists(depth: int = 2000) -> str:
    return "\n".join("  " * level + "- item" for level in range(depth))


def many_tables(count: int = 3000) -> str:
    return "\n\n".join(f"| a | b |\n|---|---|\n| {i} | {i * 2} |" for i in range(count))


CASES: dict[str, Callable[[], str]] = {
    "table 2000x60": big_table,
    "code 20000 lines": big_code,
    "answer 5 MB": huge_answer,
    "one line 1 MB": long_line,
    "one word 1 MB": long_word,
    "quotes nested 2000": nested_quotes,
    "lists nested 2000": nested_lists,
    "3000 small tables": many_tables,
}


def conversation_of(answer: str) -> Conversation:
    return Conversation.of(Message("user", "Show me."),
                           Message("assistant", answer, model_name="bench"))


def stream(bench: OpenBench, answer: str, step: int = 4000) -> tuple[float, float]:
    """The slowest redraw while `answer` streams in, and the final render, in ms."""
    bench.clear()
    conversation = Conversation.of(Message("user", "Show me."))
    bench.model.set_conversation(conversation)
    bench.spin(100)
    reply = Message("assistant", "", streaming=True, model_name="bench")
    conversation.add(reply)
    bench.model.sync()
    row = bench.model.rowCount() - 1
    slowest = 0.0
    redraw = bench.view._redraw
    interval, redraw.interval_s = redraw.interval_s, 0  # every update is a redraw that is due
    for end in range(step, len(answer) + step, step):
        reply.content = answer[:end]
        start = time.perf_counter()
        index = bench.model.index(row)
        bench.model.dataChanged.emit(index, index)
        slowest = max(slowest, time.perf_counter() - start)
        bench.app.processEvents()
    redraw.interval_s = interval
    reply.streaming = False
    start = time.perf_counter()
    index = bench.model.index(row)
    bench.model.dataChanged.emit(index, index)
    final = time.perf_counter() - start
    return slowest * 1000, final * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--stream", action="store_true")
    args = parser.parse_args()
    bench = OpenBench()
    idle = bench.idle_freeze()
    print(f"{'case':<24}{'characters':>12}{'freeze median':>16}{'max':>10}   target "
          f"<= {FREEZE_TARGET_MS:.0f} ms")
    for name in args.case or CASES:
        answer = CASES[name]()
        freezes = []
        for _ in range(args.rounds):
            bench.clear()
            freezes.append(bench.open(conversation_of(answer)).freeze_ms)
        print(f"{name:<24}{len(answer):>12,}{statistics.median(freezes):>13.0f} ms"
              f"{max(freezes):>7.0f} ms", flush=True)
        if args.stream:
            slowest, final = stream(bench, answer)
            print(f"{'  streamed':<24}{'':>12}  slowest redraw {slowest:.0f} ms, "
                  f"final render {final:.0f} ms", flush=True)
    print(f"idle: longest tick gap (timer resolution) {idle:.1f} ms")
    bench.window.close()


if __name__ == "__main__":
    main()
