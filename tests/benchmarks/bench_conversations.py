"""Chat history benchmarks: opening a long conversation, and searching many.

Run: QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_conversations.py
         [--rounds 3] [--messages 500] [--search-messages 10000] [--search-runs 7]
         [--only open|search] [--profile]

1. Open: two conversations of `--messages` messages (user/assistant pairs; answers of realistic
   length in Markdown: paragraphs, lists, a fenced Python block of 10-20 lines in most, a table
   in some) are saved in a `ConversationStore` in a temporary dir. A real `ChatView`, bound to a
   `ConversationModel`, fills a shown 900x700 window. Each round, from an empty view:
     store.load   `store.load(id)`, the first conversation read back whole.
     call         how long `model.set_conversation(conv)` itself runs (the view's reset slot
                  draws the last messages synchronously, inside it).
     end shown    from calling `set_conversation` to the first paint event of the last
                  message's text area (its `body.viewport()`) delivered while the vertical
                  scroll bar is at its maximum: the user sees the end of the chat.
     loaded       from calling `set_conversation` to the view's `loaded` signal: every
                  message drawn.
     freeze       the longest time the event loop did not run: a 1 ms precise QTimer ticks
                  from before the call (made from a slot, as a click would make it) until
                  150 ms after both marks above, and the largest gap between two ticks is
                  taken; the synchronous call is such a gap too. Target <= 100 ms.
   then `switch`: the same four numbers for `set_conversation` to the second conversation,
   whose cost includes deleting the first one's widgets. Median and max of the rounds.
   "idle" is the same freeze measure over an idle 300 ms: the timer's own resolution.
   `--profile` runs one more open under cProfile and prints where its time went.
2. Search: a store of `--search-messages` messages of generated English (and some code, and a
   little Chinese) in 200 conversations; `store.search(q)` for ten kinds of query, each run
   `--search-runs` times; median and max per query and over all. Target <= 50 ms.

Text is generated from a fixed `random.Random(seed)`, so every run measures the same chats.
Numbers only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import platform
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.core.chat.conversation import Conversation, Message
from app.core.chat.store import ConversationStore
from app.core.engine import GenerationStats

FREEZE_TARGET_MS = 100.0
SEARCH_TARGET_MS = 50.0
SETTLE_MS = 150  # how long the freeze meter runs on after the open is over
WINDOW_SIZE = (900, 700)

# -- generated text ------------------------------------------------------------------------

NOUNS = ("cache", "request", "function", "list", "dictionary", "file", "thread", "query",
         "index", "table", "server", "client", "buffer", "token", "model", "string", "loop",
         "module", "test", "value", "error", "exception", "parser", "database", "record",
         "column", "process", "timer", "signal", "widget", "layout", "window", "message",
         "response", "handler", "queue", "lock", "pointer", "array", "iterator", "generator",
         "decorator", "class", "method", "argument", "variable", "config", "setting", "path",
         "directory", "log", "stream", "socket", "packet", "schema", "migration", "branch",
         "commit", "release", "user", "session", "password", "account", "report", "chart")
VERBS = ("read", "write", "sort", "filter", "parse", "load", "save", "open", "close", "send",
         "return", "check", "update", "delete", "create", "build", "run", "call", "store",
         "fetch", "cache", "split", "join", "merge", "compare", "convert", "handle", "raise",
         "catch", "measure", "profile", "optimize", "refactor", "validate", "format", "render",
         "compute", "count", "group", "scan")
ADJECTIVES = ("slow", "fast", "large", "small", "empty", "sorted", "stale", "valid",
              "invalid", "nested", "shared", "local", "global", "mutable", "immutable",
              "recursive", "lazy", "simple", "expensive", "cheap", "safe", "unsafe", "new",
              "old", "missing", "duplicate", "temporary", "persistent", "concurrent", "broken")
ADVERBS = ("quickly", "safely", "once", "twice", "again", "lazily", "eagerly", "correctly",
           "in place", "in order", "at startup", "on every call", "in the background")
RARE = ("quokka", "serendipitous", "palimpsest", "zeugma", "quixotic")
CHINESE = ("如何优化数据库查询的性能？", "这个函数返回一个排序后的列表。",
           "请解释一下线程和进程的区别。", "数据库索引可以让查询更快。")
TEMPLATES = (
    "The {n} {v}s the {n2} when it is {a}.",
    "You can {v} the {n} with `{ident}` instead of doing it by hand.",
    "If the {n} is {a}, {v} it before the {n2} starts.",
    "This {v}s {a} {n}s, because every {n2} is {a2}.",
    "A {a} {n} is easier to {v} than a {a2} one.",
    "Most of the time goes into the {n}: {v} it {adv} and the rest follows.",
    "Note that `{ident}` does not {v} the {n} {adv}; it only {v2}s the {n2}.",
    "In short, {v} the {n} {adv}, then {v2} the {n2}.",
    "**Important:** never {v} a {a} {n} from another thread.",
    "The {n2} keeps a reference to the {n}, so it is not freed until you {v} it.",
    "Why does my {n} {v} the {n2} {adv}?",
    "Could you show me how to {v} a {a} {n} in Python?",
)


def _ident(rng: random.Random) -> str:
    return f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}"


def sentence(rng: random.Random) -> str:
    return rng.choice(TEMPLATES).format(
        n=rng.choice(NOUNS), n2=rng.choice(NOUNS), v=rng.choice(VERBS), v2=rng.choice(VERBS),
        a=rng.choice(ADJECTIVES), a2=rng.choice(ADJECTIVES), adv=rng.choice(ADVERBS),
        ident=_ident(rng))


def paragraph(rng: random.Random, sentences: tuple[int, int] = (2, 5)) -> str:
    text = " ".join(sentence(rng) for _ in range(rng.randint(*sentences)))
    if rng.random() < 0.003:
        text += f" It is a {rng.choice(RARE)} case."
    if rng.random() < 0.02:
        text += " " + rng.choice(CHINESE)
    return text


def bullet_list(rng: random.Random) -> str:
    ordered = rng.random() < 0.4
    items = [paragraph(rng, (1, 2)) for _ in range(rng.randint(3, 6))]
    return "\n".join(f"{i + 1}. {item}" if ordered else f"- {item}"
                     for i, item in enumerate(items))


_STATEMENTS = (
    ("{x} = {y}.get({k!r}, 0) + 1",),
    ("if not {x}:", "    continue"),
    ("{x}.append({y})",),
    ("for {x} in sorted({y}, key=len):", "    total += len({x})"),
    ("with open({y}, encoding='utf-8') as f:", "    {x} = f.read().splitlines()"),
    ("try:", "    {x} = int({y})", "except ValueError:", "    {x} = None"),
    ("{x} = [item.strip() for item in {y} if item]",),
    ("log.debug('%s: %d items', {k!r}, len({y}))",),
    ("if {x} is None:", "    raise KeyError({k!r})"),
    ("{x} = {{key: value for key, value in {y}.items() if value}}",),
    ("# {comment}",),
)


def code_block(rng: random.Random) -> str:
    names = [rng.choice(NOUNS) + rng.choice(("", "s", "_map", "_list")) for _ in range(4)]
    lines = [f"def {_ident(rng)}({names[0]}: list[str], limit: int = {rng.randint(2, 99)}) "
             f"-> dict[str, int]:",
             f'    """{sentence(rng)}"""', "    total = 0"]
    want = rng.randint(10, 20)
    while len(lines) < want - 1:
        statement = rng.choice(_STATEMENTS)
        for line in statement:
            lines.append("    " + line.format(x=rng.choice(names), y=rng.choice(names),
                                              k=rng.choice(NOUNS), comment=sentence(rng)))
    lines.append(f"    return {rng.choice(names)}")
    return "```python\n" + "\n".join(lines) + "\n```"


def table(rng: random.Random) -> str:
    head = ["Approach", "Time", "Memory", "Notes"]
    rows = [f"| `{_ident(rng)}` | {rng.randint(1, 900)} ms | {rng.randint(1, 512)} MB | "
            f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} |" for _ in range(rng.randint(3, 6))]
    return "\n".join(["| " + " | ".join(head) + " |", "|---|---|---|---|", *rows])


def question(rng: random.Random) -> str:
    text = paragraph(rng, (1, 3))
    if rng.random() < 0.15:
        text += (f"\n\nI tried `{_ident(rng)}({rng.choice(NOUNS)})` but it is "
                 f"{rng.choice(ADJECTIVES)}.")
    return text


def answer(rng: random.Random) -> str:
    """Between a few hundred and a few thousand characters of Markdown."""
    parts = [paragraph(rng)]
    if rng.random() < 0.8:
        parts += [paragraph(rng, (1, 2)), code_block(rng)]
    if rng.random() < 0.5:
        parts.append(bullet_list(rng))
    if rng.random() < 0.2:
        parts += [f"### {rng.choice(VERBS).capitalize()} the {rng.choice(NOUNS)}", table(rng)]
    parts.append(paragraph(rng, (1, 4)))
    return "\n\n".join(parts)


def make_conversation(rng: random.Random, messages: int, title: str) -> Conversation:
    turns: list[Message] = []
    start = time.time() - 86_400
    for i in range(messages):
        at = start + i * 30
        if i % 2 == 0:
            turns.append(Message("user", question(rng), created_at=at))
        else:
            stats = GenerationStats(prompt_tokens=rng.randint(50, 4000),
                                    completion_tokens=rng.randint(100, 900),
                                    ttft_s=rng.uniform(0.05, 0.8),
                                    generation_s=rng.uniform(2, 30), finish_reason="stop")
            turns.append(Message("assistant", answer(rng), stats=stats,
                                 model_name="SmolLM2-135M-Instruct", created_at=at))
    return Conversation.of(*turns, title=title)


def describe(conversation: Conversation) -> str:
    texts = [m.content for m in conversation.path()]
    code = sum(t.count("```python") for t in texts)
    tables = sum("|---|" in t for t in texts)
    chars = sum(len(t) for t in texts)
    return (f"{len(texts)} messages, {code} code blocks, {tables} tables, "
            f"{chars / 1000:.0f} k characters")


# -- measuring the GUI ---------------------------------------------------------------------


class FreezeMeter:
    """A 1 ms precise timer; the largest gap between its ticks is the longest freeze."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(1)
        self._timer.timeout.connect(self._tick)
        self.ticks: list[float] = []

    def start(self) -> None:
        self.ticks = [time.perf_counter()]
        self._timer.start()

    def _tick(self) -> None:
        self.ticks.append(time.perf_counter())

    def stop(self) -> None:
        self._timer.stop()
        self.ticks.append(time.perf_counter())

    def longest(self) -> tuple[float, float]:
        """The longest gap, and when it began (perf_counter)."""
        gaps = [(b - a, a) for a, b in zip(self.ticks, self.ticks[1:], strict=False)]
        return max(gaps)


@dataclass
class OpenResult:
    call_ms: float
    shown_ms: float
    loaded_ms: float
    freeze_ms: float
    freeze_at_ms: float  # when the longest freeze began, from the call


@dataclass
class Series:
    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)


class OpenBench:
    """A shown 900x700 window holding a real ChatView bound to a ConversationModel."""

    def __init__(self) -> None:
        from PySide6.QtCore import qInstallMessageHandler
        from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

        from app.qt.viewmodels.conversation_model import ConversationModel
        from app.qt.widgets.chat_view import ChatView

        def quiet(_kind: object, _context: object, text: str) -> None:
            # The offscreen platform says this on every top-level show; it would split the table.
            if "propagateSizeHints" not in text:
                print(text, file=sys.stderr)

        qInstallMessageHandler(quiet)
        self.app = QApplication.instance() or QApplication([])
        self.window = QWidget()
        self.window.setWindowTitle("bench_conversations")
        layout = QVBoxLayout(self.window)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view = ChatView()
        layout.addWidget(self.view)
        self.model = ConversationModel()
        self.view.set_model(self.model)
        self.window.resize(*WINDOW_SIZE)
        self.window.show()
        self.spin(200)

    def spin(self, ms: int) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def idle_freeze(self) -> float:
        self.spin(500)  # past the view's one-off warm-up of the code highlighter
        meter = FreezeMeter()
        meter.start()
        self.spin(300)
        meter.stop()
        return meter.longest()[0] * 1000

    def clear(self) -> None:
        """Back to an empty view, the old widgets deleted (not measured)."""
        from PySide6.QtCore import QEvent

        self.model.clear()
        self.app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()
        self.spin(100)

    def open(self, conversation: Conversation) -> OpenResult:
        from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer

        view, bar = self.view, self.view.verticalScrollBar()
        last_row = len(conversation.path()) - 1
        marks: dict[str, float] = {}
        loop = QEventLoop()

        def finish_if_done() -> None:
            if "shown" in marks and "loaded" in marks and "done" not in marks:
                marks["done"] = time.perf_counter()
                QTimer.singleShot(SETTLE_MS, loop.quit)

        class PaintWatch(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint and "shown" not in marks \
                        and bar.value() == bar.maximum():
                    marks["shown"] = time.perf_counter()
                    finish_if_done()
                return False

        watch = PaintWatch()
        watched: list[QObject] = []

        def on_rendered(row: int) -> None:
            if row == last_row and not watched:
                viewport = view.message_widget(row).body.viewport()
                viewport.installEventFilter(watch)
                watched.append(viewport)

        def on_loaded() -> None:
            marks.setdefault("loaded", time.perf_counter())
            finish_if_done()

        def call() -> None:
            marks["start"] = time.perf_counter()
            self.model.set_conversation(conversation)
            marks["returned"] = time.perf_counter()

        view.rendered.connect(on_rendered)
        view.loaded.connect(on_loaded)
        meter = FreezeMeter()
        meter.start()
        QTimer.singleShot(0, call)
        QTimer.singleShot(120_000, loop.quit)  # a guard: the table then shows the gap
        loop.exec()
        meter.stop()
        view.rendered.disconnect(on_rendered)
        view.loaded.disconnect(on_loaded)
        for viewport in watched:
            viewport.removeEventFilter(watch)
        start = marks["start"]
        gap, gap_at = meter.longest()
        call_s = marks["returned"] - start
        return OpenResult(
            call_ms=call_s * 1000,
            shown_ms=(marks.get("shown", float("nan")) - start) * 1000,
            loaded_ms=(marks.get("loaded", float("nan")) - start) * 1000,
            freeze_ms=max(gap, call_s) * 1000,
            freeze_at_ms=(gap_at - start) * 1000)


def bench_open(messages: int, rounds: int, profile: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="lamplight-bench-") as tmp:
        store = ConversationStore(Path(tmp) / "chats.db")
        first = make_conversation(random.Random(1), messages, "First long chat")
        second = make_conversation(random.Random(2), messages, "Second long chat")
        print(f"\n1. Open a conversation: {describe(first)}; "
              f"window {WINDOW_SIZE[0]}x{WINDOW_SIZE[1]}, {rounds} rounds")
        first_id, second_id = store.create(first), store.create(second)
        bench = OpenBench()
        idle = bench.idle_freeze()
        series = Series()
        for _ in range(rounds):
            bench.clear()
            start = time.perf_counter()
            conversation = store.load(first_id)
            series.add("load", (time.perf_counter() - start) * 1000)
            record(series, "open", bench.open(conversation))
            record(series, "switch", bench.open(store.load(second_id)))
        if os.environ.get("BENCH_VERBOSE"):
            print({k: [round(x, 1) for x in v] for k, v in series.values.items()})
        print(f"{'':<44}{'median':>10}{'max':>10}   target")
        row(series, "store.load(id)", "load")
        for what in ("open", "switch"):
            title = ("open (from an empty view)" if what == "open"
                     else "switch to another such chat")
            print(f"{title}:")
            row(series, "  set_conversation() call", f"{what}.call")
            row(series, "  end of the chat shown", f"{what}.shown")
            row(series, "  every message drawn (loaded)", f"{what}.loaded")
            row(series, "  longest GUI freeze", f"{what}.freeze",
                f"<= {FREEZE_TARGET_MS:.0f} ms")
            row(series, "    when it began (from the call)", f"{what}.freeze_at")
        print(f"{'idle: longest tick gap (timer resolution)':<44}{idle:>10.1f} ms")
        if profile:
            profile_open(bench, store.load(first_id))
        bench.window.close()
        store.close()


def record(series: Series, what: str, result: OpenResult) -> None:
    series.add(f"{what}.call", result.call_ms)
    series.add(f"{what}.shown", result.shown_ms)
    series.add(f"{what}.loaded", result.loaded_ms)
    series.add(f"{what}.freeze", result.freeze_ms)
    series.add(f"{what}.freeze_at", result.freeze_at_ms)


def row(series: Series, label: str, key: str, target: str = "") -> None:
    values = series.values[key]
    print(f"{label:<44}{statistics.median(values):>7.1f} ms{max(values):>7.1f} ms   {target}")


def profile_open(bench: OpenBench, conversation: Conversation) -> None:
    bench.clear()
    profiler = cProfile.Profile()
    profiler.enable()
    result = bench.open(conversation)
    profiler.disable()
    print(f"\nProfile of one more open (loaded at {result.loaded_ms:.0f} ms, longest freeze "
          f"{result.freeze_ms:.0f} ms under the profiler):")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print(out.getvalue())


# -- search --------------------------------------------------------------------------------

QUERIES: tuple[tuple[str, str], ...] = (
    ("common word", "function"),
    ("very common word", "the"),
    ("rare word", "quokka"),
    ("two words", "database index"),
    ("prefix", "optim"),
    ("identifier in code", "splitlines"),
    ("question", "how to sort a list"),
    ("matches nothing", "xylophone zebra"),
    ("Chinese (LIKE scan)", "数据库"),
    ("Chinese, no match", "机器学习"),
)


def build_search_store(folder: Path, messages: int, chats: int) -> ConversationStore:
    rng = random.Random(7)
    store = ConversationStore(folder / "chats.db")
    per_chat = messages // chats
    for i in range(chats):
        count = per_chat + (1 if i < messages % chats else 0)
        store.create(make_conversation(rng, count, f"Chat {i + 1}: {sentence(rng)[:40]}"))
    return store


def pad(text: str, width: int) -> str:
    """Left-justify for a terminal, where a CJK character takes two columns."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - columns)


def bench_search(messages: int, chats: int, runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="lamplight-bench-") as tmp:
        start = time.perf_counter()
        store = build_search_store(Path(tmp), messages, chats)
        built = time.perf_counter() - start
        size = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
        print(f"\n2. Search over {messages:,} messages in {chats} chats "
              f"({size:.0f} MB on disk, built in {built:.1f} s); {runs} runs per query")
        print(f"{'query':<44}{'hits':>6}{'median':>10}{'max':>10}   target")
        everything: list[float] = []
        medians: list[float] = []
        for kind, text in QUERIES:
            store.search(text)  # the first run reads the pages in; the rest are the warm case
            times = []
            hits = 0
            for _ in range(runs):
                start = time.perf_counter()
                hits = len(store.search(text))
                times.append((time.perf_counter() - start) * 1000)
            everything += times
            medians.append(statistics.median(times))
            print(f"{pad(f'{kind}: {text}', 44)}{hits:>6}{statistics.median(times):>7.1f} ms"
                  f"{max(times):>7.1f} ms   <= {SEARCH_TARGET_MS:.0f} ms")
        print(f"{'all queries':<44}{'':>6}{statistics.median(everything):>7.1f} ms"
              f"{max(everything):>7.1f} ms   <= {SEARCH_TARGET_MS:.0f} ms")
        store.close()


# -- main ----------------------------------------------------------------------------------


def machine() -> str:
    import PySide6
    from PySide6.QtCore import qVersion

    from app.core.engine.hardware import physical_cores

    return (f"{platform.machine()}, {physical_cores()} physical / {os.cpu_count()} logical "
            f"cores; Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"PySide6 {PySide6.__version__} (Qt {qVersion()}), "
            f"QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--search-messages", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--search-runs", type=int, default=7)
    parser.add_argument("--only", choices=["open", "search"])
    parser.add_argument("--profile", action="store_true",
                        help="profile one more open and print where its time went")
    args = parser.parse_args()
    print(machine())
    steps: list[Callable[[], Any]] = []
    if args.only != "search":
        steps.append(lambda: bench_open(args.messages, args.rounds, args.profile))
    if args.only != "open":
        steps.append(lambda: bench_search(args.search_messages, args.chats, args.search_runs))
    for step in steps:
        step()


if __name__ == "__main__":
    main()
