"""Summaries of documents longer than the context: splitting, the real model, stopping."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest

from app.core.chat.turns import TurnRequest, answer_turn
from app.core.documents.language import detect_language
from app.core.documents.splitting import split_document
from app.core.documents.summarize import Summarizer, resumable_notes
from app.core.documents.summary_options import SummaryOptions
from app.core.documents.summary_plan import SummaryError
from app.core.documents.summary_progress import SummaryProgress, format_eta
from app.core.documents.summary_result import SummaryResult, part_notes_from_details
from app.core.engine import (
    CancelToken,
    ChatMessage,
    GenerationError,
    GenerationParams,
    GenerationResult,
    GenerationStats,
    LoadSpec,
)
from app.core.engine.base import PromptProgress
from app.core.engine.llama_cpp_backend import LlamaCppEngine
from app.core.engine.loop_guard import LoopGuard, repeated_tail
from app.core.engine.tokens import JobCancelledError, count_tokens

DATA = Path(__file__).parent.parent / "data"
N_CTX = 512  # the context of the small_engine fixture (tests/unit/conftest.py)
# The real model samples: a fixed seed keeps its notes, and so the test's time, the same.
SEEDED = GenerationParams(seed=1)


def words(text: str) -> int:
    return len(text.split())


def english() -> str:
    return (DATA / "gpl-3.0.txt").read_text(encoding="utf-8")


def chinese() -> str:
    return (DATA / "lunyu.txt").read_text(encoding="utf-8")


# -- splitting -----------------------------------------------------------------------------

def covered(text: str, chunks: list) -> str:
    return "".join(text[c.start:c.end] for c in chunks)


def test_parts_cover_the_text_in_order_and_fit_the_budget() -> None:
    text = english()
    chunks = split_document(text, words, 300)
    assert len(chunks) > 5
    assert all(c.tokens <= 300 for c in chunks)
    assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))
    # Only the blank lines between parts are left out.
    assert covered(text, chunks).split() == text.split()


def test_parts_end_at_paragraphs_when_paragraphs_fit() -> None:
    paragraphs = [" ".join(f"p{i}w{j}" for j in range(40)) for i in range(10)]
    text = "\n\n".join(paragraphs)
    chunks = split_document(text, words, 100)
    # 40-word paragraphs, 100-word parts: two paragraphs each, never one cut in the middle.
    assert [c.tokens for c in chunks] == [80] * 5
    assert all(text[c.start:c.end].rstrip().endswith("w39") for c in chunks)


def test_a_long_paragraph_is_cut_at_sentence_ends() -> None:
    sentences = [f"Sentence number {i} says something short." for i in range(60)]
    text = " ".join(sentences)
    chunks = split_document(text, words, 50)
    assert all(c.tokens <= 50 for c in chunks)
    assert all(text[c.start:c.end].rstrip().endswith(".") for c in chunks)


def test_chinese_is_cut_after_its_sentence_marks() -> None:
    text = "子曰：學而時習之，不亦說乎。" * 50  # one paragraph, no spaces at all
    chunks = split_document(text, len, 100)
    assert all(c.tokens <= 100 for c in chunks)
    assert all(text[c.start:c.end].endswith("。") for c in chunks)
    assert covered(text, chunks) == text


def test_text_without_any_break_is_cut_anyway() -> None:
    text = "字" * 1000
    chunks = split_document(text, len, 64)
    assert all(c.tokens <= 64 for c in chunks)
    assert covered(text, chunks) == text


def test_the_language_of_the_document_is_named() -> None:
    assert detect_language(english()) == "English"
    assert detect_language(chinese()) == "Chinese (Traditional)"
    assert detect_language("这是一个关于我们国家的简单说明。他们说这个问题很重要。") == \
        "Chinese (Simplified)"
    assert detect_language("これは日本語の文章です。ひらがなとカタカナがあります。") == "Japanese"
    assert detect_language("Le chat est sur la table et il ne veut pas descendre.") == "French"
    assert detect_language("Это простой текст на русском языке.") == "Russian"
    assert detect_language("1234 5678") == "English"


def test_a_note_going_round_in_circles_is_stopped_and_cut() -> None:
    cancel = CancelToken()
    guard = LoopGuard(cancel)
    text = "The licence covers source code. It covers Conveying Non-Source Forms, "
    text += "Conveying Non-Source Forms, " * 5
    for i in range(0, len(text), 3):
        guard.add(text[i:i + 3])
        if cancel.cancelled:
            break
    assert cancel.cancelled
    assert guard.trimmed(text) == ("The licence covers source code. It covers Conveying "
                                   "Non-Source Forms")


def test_repeats_that_are_not_words_are_left_alone() -> None:
    table = "| a | b | c |\n| --- | --- | --- | --- | --- |"
    assert repeated_tail(table, 6, 200, 3) is None
    assert repeated_tail("word " * 3, 5, 200, 3) == 5
    assert repeated_tail("an ordinary sentence with nothing repeated.", 6, 200, 3) is None


def test_time_left_reads_as_words() -> None:
    assert format_eta(None) == "estimating the time left"
    assert format_eta(3) == "a few seconds left"
    assert format_eta(42) == "about 40 s left"
    assert format_eta(600) == "about 10 min left"


# -- with the real model -------------------------------------------------------------------

def prefix_of_tokens(engine: LlamaCppEngine, text: str, tokens: int) -> str:
    """The shortest prefix of whole lines that is at least `tokens` long."""
    lines = text.splitlines(keepends=True)
    for end in range(1, len(lines) + 1):
        prefix = "".join(lines[:end])
        if engine.count_tokens(prefix) >= tokens:
            return prefix
    raise AssertionError("the text is too short")


@pytest.mark.model
@pytest.mark.parametrize("text", [english, chinese], ids=["english", "chinese"])
def test_a_document_five_contexts_long_is_summarized_whole(small_engine: LlamaCppEngine,
                                                           text: object) -> None:
    assert callable(text)
    document = prefix_of_tokens(small_engine, text(), int(5.2 * N_CTX))
    progress: list[SummaryProgress] = []
    pieces: list[str] = []
    result = Summarizer(small_engine, SummaryOptions(length="short"), params=SEEDED,
                        on_progress=progress.append, on_piece=pieces.append).run(document,
                                                                                 "doc.txt")

    assert result.document_tokens >= 5 * N_CTX
    assert not result.cancelled
    assert result.text.strip()
    assert "".join(pieces).strip() == result.text  # the final step streamed
    assert len(result.parts) >= 5 and result.levels >= 1
    assert [p.index for p in result.parts] == list(range(1, len(result.parts) + 1))
    assert result.parts[0].start == 0 and result.parts[-1].end >= len(document.rstrip()) - 1
    assert sum(p.tokens for p in result.parts) >= 0.9 * result.document_tokens
    assert all(p.note for p in result.parts)
    reading = [p for p in progress if p.stage == "reading"]
    steps = [p.step for p in reading]  # a step is reported again as it goes (the time left)
    assert sorted(set(steps)) == list(range(1, len(result.parts) + 1)) and steps == sorted(steps)
    assert reading[0].eta_s is None and reading[-1].eta_s is not None
    assert progress[-1].stage == "writing"
    assert f"{len(result.parts)} parts" in result.coverage()
    # What the saved message keeps reads back.
    assert part_notes_from_details(result.details()) == list(result.parts)


@pytest.mark.model
def test_stop_between_parts_keeps_the_notes_so_far(small_engine: LlamaCppEngine) -> None:
    document = prefix_of_tokens(small_engine, english(), 5 * N_CTX)
    cancel = CancelToken()

    def on_progress(p: SummaryProgress) -> None:
        if p.stage == "reading" and p.step == 3:
            cancel.cancel()

    result = Summarizer(small_engine, SummaryOptions(length="short"), params=SEEDED,
                        on_progress=on_progress, cancel=cancel).run(document, "doc.txt")
    assert result.cancelled
    assert len(result.parts) == 2
    assert "Part 1" in result.text and "Part 2" in result.text
    assert result.coverage().startswith("Stopped after 2 parts")


@pytest.mark.model
def test_stop_while_a_part_is_read_stops_at_once(small_engine: LlamaCppEngine) -> None:
    document = prefix_of_tokens(small_engine, english(), 5 * N_CTX)
    cancel = CancelToken()
    timers: list[threading.Timer] = []
    generated_before: list[int] = []

    def on_progress(p: SummaryProgress) -> None:
        if p.stage == "reading" and p.step == 2:
            generated_before.append(summarizer._rates.generated_tokens)
            # Part 2's prompt (some 350 tokens, over a second to evaluate) is well under way.
            timers.append(threading.Timer(0.4, cancel.cancel))
            timers[-1].start()

    summarizer = Summarizer(small_engine, SummaryOptions(length="short"), params=SEEDED,
                            on_progress=on_progress, cancel=cancel)
    result = summarizer.run(document, "doc.txt")
    for timer in timers:
        timer.join()
    assert result.cancelled
    assert len(result.parts) == 1
    # Stopped inside the prompt: part 2 generated nothing (a stop only between tokens would
    # have let it generate its first one).
    assert result.completion_tokens == generated_before[0]
    # The engine is usable at once afterwards.
    again = small_engine.stream_chat([ChatMessage("user", "Say hi.")],
                                     GenerationParams(max_tokens=4), lambda _t: None)
    assert again.stats.completion_tokens > 0


@pytest.mark.model
def test_a_short_document_is_one_step(small_engine: LlamaCppEngine) -> None:
    result = Summarizer(small_engine, SummaryOptions(length="short"), params=SEEDED).run(
        "The lighthouse keeper lit the lamp every night for forty years.", "note.txt")
    assert result.levels == 0
    [part] = result.parts  # the whole document, its note the summary
    assert part.start == 0 and part.note == result.text
    assert result.text
    assert result.coverage().startswith("Summarized all of note.txt: 1 part, ")


@pytest.mark.model
def test_a_tiny_context_is_refused_with_a_reason(smollm2_path: Path) -> None:
    engine = LlamaCppEngine()
    engine.load(LoadSpec(smollm2_path, n_ctx=256))
    try:
        with pytest.raises(SummaryError, match="too small"):
            Summarizer(engine).run(english()[:5000], "gpl")
    finally:
        engine.unload()


@pytest.mark.model
def test_documents_that_fit_go_inline_and_others_are_summarized(
        small_engine: LlamaCppEngine) -> None:
    def request(text: str) -> TurnRequest:
        question = f"Document \"a.txt\":\n\"\"\"\n{text}\n\"\"\"\n\nWhat is it about?"
        return TurnRequest(messages=(ChatMessage("user", question),), fallback=(), text=text,
                               name="a.txt", options=SummaryOptions(length="short"),
                               params=GenerationParams(max_tokens=32, seed=1))

    short = answer_turn(small_engine, request("Cats sleep a lot."), on_piece=lambda _t: None,
                            on_progress=lambda _p: None, cancel=CancelToken())
    assert isinstance(short, GenerationResult)
    long_text = prefix_of_tokens(small_engine, english(), 2 * N_CTX)
    long = answer_turn(small_engine, request(long_text), on_piece=lambda _t: None,
                           on_progress=lambda _p: None, cancel=CancelToken())
    assert isinstance(long, SummaryResult)
    assert len(long.parts) >= 2


# -- the combining, with a stand-in engine ----------------------------------------------------

class WordEngine:
    """Counts words as tokens and answers each step with a note of `note_words` words that
    names the labels it was given, so the structure of the job can be checked exactly."""

    def __init__(self, n_ctx: int, note_words: int, parallel: int = 1,
                 step_s: float = 0.0) -> None:
        self.model = type("Info", (), {"n_ctx": n_ctx, "parallel": parallel})()
        self.note_words = note_words
        self.prompts: list[str] = []
        self.step_s = step_s  # each step takes this long (parts read together overlap)
        self.running = self.most_at_once = 0
        self.fail_on: str | None = None  # a step whose prompt holds this fails
        self._lock = threading.Lock()

    def use_session(self, session: str | None) -> None:
        pass  # it keeps no state between calls

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream_chat(self, messages, params, on_piece, cancel=None, on_prompt=None):  # type: ignore[no-untyped-def]
        prompt = messages[-1].content
        with self._lock:
            self.prompts.append(prompt)
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.fail_on is not None and self.fail_on in prompt:
                raise GenerationError("the server went away")
            wait = 0.0 if "Part 1 of" in prompt else self.step_s  # the first part is quick
            end = time.monotonic() + wait
            while time.monotonic() < end:  # a parent's stop is seen too, as a server's is
                if cancel is not None and cancel.cancelled:
                    return GenerationResult("", GenerationStats(0, 0, 0.0, 0.0, "cancelled"))
                time.sleep(0.005)
            return self._answer(prompt, on_piece, on_prompt)
        finally:
            with self._lock:
                self.running -= 1

    def _answer(self, prompt, on_piece, on_prompt):  # type: ignore[no-untyped-def]
        if on_prompt is not None:  # read in two halves, as llama.cpp reads a batch at a time
            total = self.count_tokens(prompt)
            for done in (total // 2, total):
                on_prompt(PromptProgress(done, total))
        note = " ".join(f"note{i}" for i in range(self.note_words))  # no loop to cut
        on_piece(note)
        stats = GenerationStats(self.count_tokens(prompt), self.note_words, 0.01, 0.01, "stop")
        return GenerationResult(note, stats)


def test_notes_are_combined_level_by_level_under_true_labels() -> None:
    engine = WordEngine(n_ctx=1024, note_words=60)
    text = "\n\n".join(f"Paragraph {i} " + "word " * 150 for i in range(60))
    result = Summarizer(engine, SummaryOptions(length="medium")).run(text, "long.txt")
    assert result.levels >= 2 and not result.cancelled
    combining = [p for p in engine.prompts if p.startswith("Notes on ")]
    labels = [line.split(":")[0] for p in combining for line in p.splitlines()
              if line.startswith("Part")]
    assert any(label.startswith("Parts ") for label in labels)  # a second level's labels
    for label in labels:
        numbers = label.removeprefix("Parts ").removeprefix("Part ").split("–")
        assert 1 <= len(numbers) <= 2 and all(n.isdigit() for n in numbers)


def test_notes_that_cannot_shrink_give_an_error_not_a_loop() -> None:
    engine = WordEngine(n_ctx=1024, note_words=60)
    engine.note_words = 400  # notes longer than two fit a step: a level could never shrink
    text = "\n\n".join("word " * 150 for _ in range(20))
    with pytest.raises(SummaryError, match="too long to combine"):
        Summarizer(engine, SummaryOptions(length="medium")).run(text, "long.txt")


def test_a_stop_while_the_document_is_measured_ends_at_once() -> None:
    engine = WordEngine(n_ctx=1024, note_words=20)
    cancel = CancelToken()
    stages: list[str] = []

    def on_progress(p: SummaryProgress) -> None:
        stages.append(p.stage)
        cancel.cancel()  # at "preparing": before any counting

    result = Summarizer(engine, on_progress=on_progress, cancel=cancel).run(
        "word " * 100_000, "big.txt")
    assert stages == ["preparing"] and result.cancelled and not engine.prompts


def test_a_long_text_is_counted_in_slices_to_about_its_whole_count() -> None:
    text = ("a line of words\n" * 50_000)
    assert count_tokens(lambda t: len(t.split()), text) == len(text.split())
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(JobCancelledError):
        count_tokens(len, text, cancel)


def test_a_follow_up_leaves_earlier_documents_out_when_they_no_longer_fit() -> None:
    engine = WordEngine(n_ctx=1024, note_words=5)
    big = ChatMessage("user", "Document:\n" + "word " * 700 + "\nWhat is it?")
    full = (big, ChatMessage("assistant", "Words."), ChatMessage("user", "And then?"))
    lean = (ChatMessage("user", "(Document attached earlier.) What is it?"), *full[1:])
    request = TurnRequest(messages=full, fallback=lean, text="", name="",
                              options=SummaryOptions(), params=GenerationParams())
    result = answer_turn(engine, request, on_piece=lambda _t: None,
                             on_progress=lambda _p: None, cancel=CancelToken())
    assert isinstance(result, GenerationResult)
    assert engine.prompts == ["And then?"]  # the lean version was sent


def test_a_one_part_summary_estimates_its_time_left_as_it_reads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """It said "estimating the time left" for its whole run (3½ minutes seen): with nothing
    measured before its one step, only the step itself can tell."""
    from app.core.documents import summarize as summarize_module

    monkeypatch.setattr(summarize_module, "STEP_UPDATE_S", 0.0)  # every report, not every 2 s
    engine = WordEngine(n_ctx=4096, note_words=40)
    seen: list[SummaryProgress] = []
    Summarizer(engine, SummaryOptions(length="short"), on_progress=seen.append).run(
        "Paragraph one. " + "word " * 600, "note.txt")
    writing = [p for p in seen if p.stage == "writing"]
    assert writing[0].eta_s is None  # nothing measured yet
    assert any(p.eta_s is not None for p in writing[1:])  # then, from the step itself
    assert "estimating" not in writing[-1].describe()


@pytest.mark.model
def test_llama_cpp_reports_a_long_prompt_as_it_reads_it(smollm2_path: Path) -> None:
    """While a long prompt is read the window showed only "Generating…" (11 s seen)."""
    engine = LlamaCppEngine()
    engine.load(LoadSpec(smollm2_path, n_ctx=1024, n_batch=128))
    reports: list[PromptProgress] = []
    prompt = "Tell me about lighthouses. " * 60  # some 360 tokens: three batches of 128
    try:
        result = engine.stream_chat([ChatMessage("user", prompt)],
                                    GenerationParams(max_tokens=2, seed=1), lambda _t: None,
                                    on_prompt=reports.append)
    finally:
        engine.unload()
    batch = 128
    total = result.stats.prompt_tokens - result.stats.cached_tokens
    assert total > batch, "the prompt must be longer than a batch for this test"
    assert reports[0].done == 0 and reports[-1].done == reports[-1].total == total
    assert [r.done for r in reports[1:-1]] == list(range(batch, total, batch))


def test_a_stopped_summary_goes_on_from_its_notes() -> None:
    """Regenerate read the document again from part 1: going on keeps the notes written."""
    from app.core.documents.summarize import resumable_notes

    engine = WordEngine(n_ctx=1024, note_words=20)
    text = "\n\n".join(f"Paragraph {i} " + "word " * 150 for i in range(12))
    cancel = CancelToken()
    reading: list[int] = []

    def stop_at_part_3(p: SummaryProgress) -> None:
        if p.stage == "reading":
            reading.append(p.step)
            if p.step == 3:
                cancel.cancel()

    stopped = Summarizer(engine, on_progress=stop_at_part_3, cancel=cancel).run(text, "doc")
    assert stopped.cancelled and [n.index for n in stopped.parts] == [1, 2]
    asked_before = len(engine.prompts)

    engine.prompts.clear()
    done = Summarizer(engine).run(text, "doc", done=stopped.parts)
    assert not done.cancelled and done.parts[:2] == stopped.parts  # kept as they were
    read = [p for p in engine.prompts if p.startswith("Part ")]
    assert read[0].startswith(f"Part 3 of {len(done.parts)} ")  # parts 1 and 2 not read again
    assert len(read) == len(done.parts) - 2 and asked_before == 2
    assert [n.index for n in done.parts] == list(range(1, len(done.parts) + 1))

    # Notes that do not belong to the text are not kept: the document is read again.
    assert resumable_notes(stopped.parts, text[:100]) == ()
    assert resumable_notes(stopped.parts[1:], text) == ()  # part 2 without part 1


# -- parts read together, on an engine that takes several requests at once --------------------

def test_parts_are_read_together_up_to_the_engines_limit_and_kept_in_order() -> None:
    text = "\n\n".join(f"Paragraph {i} " + "word " * 150 for i in range(24))
    alone = WordEngine(n_ctx=1024, note_words=20)
    one = Summarizer(alone, SummaryOptions(length="medium")).run(text, "long.txt")
    engine = WordEngine(n_ctx=1024, note_words=20, parallel=4, step_s=0.05)
    progress: list[SummaryProgress] = []
    result = Summarizer(engine, SummaryOptions(length="medium"),
                        on_progress=progress.append).run(text, "long.txt")
    assert 1 < engine.most_at_once <= 4
    assert [(p.index, p.start, p.end) for p in result.parts] == \
        [(p.index, p.start, p.end) for p in one.parts]
    assert result.text == one.text and not result.cancelled
    reading = [p.step for p in progress if p.stage == "reading"]
    assert reading == sorted(reading) and reading[-1] == len(result.parts)


def test_a_stop_while_parts_are_read_together_keeps_the_notes_in_a_row() -> None:
    engine = WordEngine(n_ctx=1024, note_words=20, parallel=3, step_s=5.0)
    cancel = CancelToken()

    def on_progress(p: SummaryProgress) -> None:
        if p.stage == "reading" and p.step == 2:  # part 1 is in; parts 2 and 3 are being read
            cancel.cancel()

    text = "\n\n".join(f"Paragraph {i} " + "word " * 150 for i in range(24))
    result = Summarizer(engine, on_progress=on_progress, cancel=cancel).run(text, "long.txt")
    assert result.cancelled
    assert [p.index for p in result.parts] == [1]
    assert resumable_notes(result.parts, text) == result.parts


def test_a_part_that_fails_stops_the_others_and_says_why() -> None:
    engine = WordEngine(n_ctx=1024, note_words=20, parallel=4, step_s=60.0)
    engine.fail_on = "Part 2 of"
    text = "\n\n".join(f"Paragraph {i} " + "word " * 150 for i in range(24))
    with pytest.raises(GenerationError, match="went away"):
        Summarizer(engine).run(text, "long.txt")
    # The parts under way were stopped (each would take a minute), the rest never asked: at
    # most the four at once, and the two that the quick part 1 and the failing part 2 freed.
    assert len(engine.prompts) <= 6 < len(split_document(text, engine.count_tokens, 600))
