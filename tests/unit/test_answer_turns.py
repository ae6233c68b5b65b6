"""Several turns answered as one job (`turns.answer_turns`, Regenerate ×N): together on an
engine that takes several requests, one after another, on the caller's thread, on one that
does not; and the versions `ChatService.regenerate_many` makes for them."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from app.core.chat.service import ChatService, Turn
from app.core.chat.turns import TurnOutcome, TurnProgress, answer_turns
from app.core.engine import (
    CancelToken,
    ChatMessage,
    GenerationParams,
    GenerationResult,
    GenerationStats,
    InferenceEngine,
    LoadSpec,
)
from app.core.engine.base import ModelInfo, OnPrompt
from app.core.engine.switch import EngineSwitch
from app.core.settings.file import SettingsFile
from tests.scripted_engine import ScriptedEngine


class CountingEngine(ScriptedEngine):
    """A scripted engine that keeps which threads answered and how many answered at once;
    `parallel` is what its model says it takes."""

    def __init__(self, parallel: int = 1) -> None:
        super().__init__()
        self.parallel = parallel
        self.threads: list[str] = []
        self.at_once = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def load(self, spec: LoadSpec) -> ModelInfo:
        info = dataclasses.replace(super().load(spec), parallel=self.parallel)
        self._model = info
        return info

    def stream_chat(self, messages: Sequence[ChatMessage], params: GenerationParams,
                    on_piece: Callable[[str], None], cancel: CancelToken | None = None,
                    on_prompt: OnPrompt | None = None) -> GenerationResult:
        with self._lock:
            self.threads.append(threading.current_thread().name)
            self.at_once += 1
            self.most_at_once = max(self.most_at_once, self.at_once)
        try:
            return super().stream_chat(messages, params, on_piece, cancel, on_prompt)
        finally:
            with self._lock:
                self.at_once -= 1


STATS = GenerationStats(1, 1, 0.001, 0.001, "stop")


def loaded(engine: CountingEngine, path: Path) -> CountingEngine:
    engine.load(LoadSpec(path, n_ctx=512))  # the scripted engine reads the file's header only
    return engine


def versions(n: int) -> list[Turn]:
    """`n` versions of an answer to one question, as the window asks for them."""
    service = ChatService(None, SettingsFile.in_memory())
    conversation = service.new()
    first = service.ask(conversation, "Say something about cats.")
    first.finish(GenerationResult("Cats purr.", STATS))
    return service.regenerate_many(conversation, first.answer.id or 0, n)


def run(engine: InferenceEngine, n: int, cancel: CancelToken | None = None
        ) -> tuple[list[TurnOutcome], dict[int, str], list[int]]:
    turns = versions(n)
    pieces: dict[int, str] = {}
    ended: list[int] = []
    lock = threading.Lock()

    def piece(index: int, text: str) -> None:
        with lock:
            pieces[index] = pieces.get(index, "") + text

    def progress(_index: int, _progress: TurnProgress) -> None:
        pass

    outcomes = answer_turns(engine, [turn.request for turn in turns], on_piece=piece,
                            on_progress=progress, cancel=cancel or CancelToken(),
                            on_done=lambda index, _outcome: ended.append(index))
    return outcomes, pieces, ended


def test_an_engine_of_one_request_at_a_time_answers_them_one_after_another_here(
        smollm2_path: Path) -> None:
    engine = loaded(CountingEngine(parallel=1), smollm2_path)
    engine.replies.extend(["One.", "Two.", "Three."])
    outcomes, pieces, ended = run(engine, 3)
    assert [o.text for o in outcomes] == ["One.", "Two.", "Three."]  # type: ignore[union-attr]
    assert pieces == {0: "One.", 1: "Two.", 2: "Three."}
    assert ended == [0, 1, 2]
    assert engine.most_at_once == 1
    assert engine.threads == [threading.current_thread().name] * 3
    # Each as `answer_turn` answers it: its chat's kept state asked for, as a single turn does.
    assert engine.sessions == [None] * 3


def test_an_engine_that_takes_several_answers_them_at_once_from_threads(smollm2_path: Path) -> None:
    engine = loaded(CountingEngine(parallel=3), smollm2_path)
    met = threading.Barrier(3, timeout=10)

    def together(_messages: Sequence[ChatMessage]) -> str:
        met.wait()  # broken (and the test failed) unless all three are being answered at once
        return "Together."

    engine.replies.extend([together] * 3)
    outcomes, pieces, _ended = run(engine, 3)
    assert [o.text for o in outcomes] == ["Together."] * 3  # type: ignore[union-attr]
    assert pieces == {0: "Together.", 1: "Together.", 2: "Together."}
    assert engine.most_at_once == 3
    assert threading.current_thread().name not in engine.threads


def test_more_requests_than_the_engine_takes_wait_for_a_slot(smollm2_path: Path) -> None:
    engine = loaded(CountingEngine(parallel=2), smollm2_path)
    outcomes, _pieces, ended = run(engine, 4)
    assert all(isinstance(o, GenerationResult) for o in outcomes) and sorted(ended) == [0, 1, 2, 3]
    assert engine.most_at_once <= 2


def test_through_the_window_s_engine_switch_the_loaded_engine_answers_them_at_once(
        smollm2_path: Path) -> None:
    inner = CountingEngine(parallel=2)
    switch = EngineSwitch(lambda: inner)
    switch.load(LoadSpec(smollm2_path, n_ctx=512))
    met = threading.Barrier(2, timeout=10)

    def together(_messages: Sequence[ChatMessage]) -> str:
        met.wait()  # broken unless both are being answered at once
        return "Both."

    inner.replies.extend([together, together])
    outcomes, _pieces, _ended = run(switch, 2)
    assert [o.text for o in outcomes] == ["Both.", "Both."]  # type: ignore[union-attr]
    assert inner.most_at_once == 2


def test_a_stop_ends_every_request(smollm2_path: Path) -> None:
    engine = loaded(CountingEngine(parallel=1), smollm2_path)
    cancel = CancelToken()
    cancel.cancel()
    outcomes, pieces, ended = run(engine, 3, cancel)
    assert [o.stats.finish_reason for o in outcomes] == ["cancelled"] * 3  # type: ignore[union-attr]
    assert ended == [0, 1, 2] and not pieces


def test_a_failing_request_is_returned_and_the_others_still_answer(smollm2_path: Path) -> None:
    engine = loaded(CountingEngine(parallel=1), smollm2_path)

    def fails(_messages: Sequence[ChatMessage]) -> str:
        raise RuntimeError("the model fell over")

    engine.replies.extend(["One.", fails, "Three."])
    outcomes, _pieces, ended = run(engine, 3)
    assert isinstance(outcomes[1], RuntimeError)
    assert [outcomes[0].text, outcomes[2].text] == ["One.", "Three."]  # type: ignore[union-attr]
    assert ended == [0, 1, 2]


# -- the versions ----------------------------------------------------------------------------

def test_regenerate_many_makes_sibling_versions_with_seeds_of_their_own() -> None:
    service = ChatService(None, SettingsFile.in_memory())
    service.params = GenerationParams(seed=41)
    conversation = service.new()
    first = service.ask(conversation, "Say something about cats.")
    first.finish(GenerationResult("Cats purr.", STATS))
    assert first.answer.id is not None
    turns = service.regenerate_many(conversation, first.answer.id, 3)
    assert [t.request.params.seed for t in turns] == [41, 42, 43]
    assert len({t.answer.id for t in turns}) == 3
    assert all(t.answer.parent_id == first.question.id for t in turns)
    assert conversation.version_of(turns[-1].answer.id or 0) == (4, 4)  # the last one shown
    assert conversation.path()[-1] is turns[-1].answer
    # The same question for each, without any answer to it.
    assert all(t.request.messages == first.request.messages for t in turns)
    with pytest.raises(ValueError):
        service.regenerate_many(conversation, first.answer.id, 1)
    with pytest.raises(ValueError):
        service.regenerate_many(conversation, first.answer.id, 9)


def test_versions_without_a_seed_each_get_a_fresh_one() -> None:
    assert all(t.request.params.seed is None for t in versions(3))
