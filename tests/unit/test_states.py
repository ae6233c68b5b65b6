"""Chats' kept states: the cache's bookkeeping, and on the real model, that a restored chat
evaluates only its new tokens and continues exactly as one evaluated from scratch."""

from __future__ import annotations

import array
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.engine import ChatMessage, GenerationParams, GenerationResult, LoadSpec
from app.core.engine.llama_cpp_backend import LlamaCppEngine
from app.core.engine.states import Snapshot, StateCache, chat_session, remove_orphans

GREEDY = GenerationParams(temperature=0.0, max_tokens=24, seed=1)


def snapshot(n_tokens: int, data_bytes: int = 1000, fill: int = 7) -> Snapshot:
    return Snapshot(array.array("i", range(n_tokens)), bytes([fill]) * data_bytes)


# -- the cache ------------------------------------------------------------------------------

def test_memory_keeps_the_most_recently_used_within_its_budget() -> None:
    one = snapshot(100)
    cache = StateCache(None, ram_bytes=3 * one.size)
    for session in ("a", "b", "c"):
        cache.keep(session, "m", snapshot(100))
    assert cache.find("a", "m") is not None  # now the most recent
    cache.keep("d", "m", snapshot(100))
    assert cache.find("b", "m") is None  # the least recently used went
    assert all(cache.find(s, "m") is not None for s in ("a", "c", "d"))
    assert cache.find("a", "other model") is None


def test_short_states_are_not_kept(tmp_path: Path) -> None:
    cache = StateCache(tmp_path, min_tokens=64)
    cache.keep("a", "m", snapshot(63))
    cache.flush()
    assert cache.find("a", "m") is None
    assert not list(tmp_path.iterdir())


def test_a_state_on_disk_outlives_the_process(tmp_path: Path) -> None:
    kept = snapshot(500, fill=3)
    first = StateCache(tmp_path)
    first.keep("chat-1", "m", kept)
    first.flush()
    later = StateCache(tmp_path)  # a restart: nothing in memory
    found = later.find("chat-1", "m")
    assert found is not None
    assert found.tokens == kept.tokens and found.data == kept.data
    assert later.find("chat-1", "another model") is None
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("damage", [b"", b"LLKV", b"garbage" * 100])
def test_a_damaged_file_is_ignored_and_removed(tmp_path: Path, damage: bytes) -> None:
    cache = StateCache(tmp_path)
    cache.keep("chat-1", "m", snapshot(200))
    cache.flush()
    (path,) = tmp_path.iterdir()
    path.write_bytes(damage)
    assert StateCache(tmp_path).find("chat-1", "m") is None
    assert not path.exists()


def test_a_truncated_file_is_ignored(tmp_path: Path) -> None:
    cache = StateCache(tmp_path)
    cache.keep("chat-1", "m", snapshot(200))
    cache.flush()
    (path,) = tmp_path.iterdir()
    path.write_bytes(path.read_bytes()[:100])  # a crash mid-write without the rename
    assert StateCache(tmp_path).find("chat-1", "m") is None


def test_disk_use_stays_within_its_budget_oldest_first(tmp_path: Path) -> None:
    size = snapshot(100, data_bytes=10_000).size
    cache = StateCache(tmp_path, ram_bytes=0, disk_bytes=int(2.5 * size) + 500)
    for i in range(1, 5):
        cache.keep(chat_session(i), "m", snapshot(100, data_bytes=10_000))
        cache.flush()
        os.utime(tmp_path / f"chat-{i}.m.kvstate", (time.time() - 100 + i,) * 2)
    cache.prune()
    assert sorted(p.name.split(".")[0] for p in tmp_path.iterdir()) == ["chat-3", "chat-4"]


def test_a_deleted_chat_takes_its_states_along(tmp_path: Path) -> None:
    cache = StateCache(tmp_path)
    for i in (1, 2, 3):
        cache.keep(chat_session(i), "m", snapshot(100))
    cache.keep(chat_session(1), "other model", snapshot(100))
    cache.remove(chat_session(1))
    assert cache.find(chat_session(1), "m") is None
    assert sorted(p.name.split(".")[0] for p in tmp_path.iterdir()) == ["chat-2", "chat-3"]
    left = tmp_path / "chat-3.m.kvstate.tmp"  # a process killed while writing
    left.write_bytes(b"half")
    os.utime(left, (time.time() - 7200,) * 2)
    assert remove_orphans(tmp_path, live_chats=[3]) == 2
    assert [p.name.split(".")[0] for p in tmp_path.iterdir()] == ["chat-3"]


def test_a_full_disk_only_costs_the_state(tmp_path: Path) -> None:
    blocked = tmp_path / "states"
    blocked.write_text("a file where the folder should be")
    cache = StateCache(blocked)
    cache.keep("chat-1", "m", snapshot(100))
    cache.flush()  # the write failed on its thread, logged
    assert cache.find("chat-1", "m") is not None  # memory still has it


# -- on the real model ----------------------------------------------------------------------

HISTORY = [
    # Long enough that both models' first turns pass the cache's 64-token minimum.
    ChatMessage("system", "You are a helpful assistant who answers briefly, in plain words, "
                          "for a curious reader who knows little about the sea."),
    ChatMessage("user", "Tell me about lighthouses: what they are for, how their lights "
                        "work, and why fewer of them have keepers today than a century ago."),
]
FOLLOW_UP = ChatMessage("user", "And which is the oldest lighthouse still standing?")


def load(path: Path, states: StateCache | None) -> LlamaCppEngine:
    engine = LlamaCppEngine(states)
    engine.load(LoadSpec(path, n_ctx=1024, seed=1))
    return engine


def ask(engine: LlamaCppEngine, messages: list[ChatMessage]) -> GenerationResult:
    return engine.stream_chat(messages, GREEDY, lambda _: None)


@pytest.fixture(params=["smollm2", "gemma"])
def model_path(request: pytest.FixtureRequest) -> Path:
    """SmolLM2 (a llama), and Gemma 3, whose sliding-window attention layers keep a cache of
    their own that a state must bring back too."""
    path: Path = request.getfixturevalue(f"{request.param}_path")
    return path


@pytest.fixture
def first_turn(model_path: Path) -> Iterator[tuple[list[ChatMessage], GenerationResult]]:
    engine = load(model_path, None)
    result = ask(engine, HISTORY)
    engine.unload()
    yield [*HISTORY, ChatMessage("assistant", result.text)], result


@pytest.mark.model
def test_a_chat_restored_after_a_restart_continues_as_if_evaluated_anew(
        model_path: Path, tmp_path: Path,
        first_turn: tuple[list[ChatMessage], GenerationResult]) -> None:
    history, _ = first_turn
    second = [*history, FOLLOW_UP]

    scratch = load(model_path, None)
    expected = ask(scratch, second)
    scratch.unload()
    assert expected.stats.cached_tokens == 0

    before = load(model_path, StateCache(tmp_path))
    before.use_session("chat-1")
    ask(before, HISTORY)
    before.use_session("chat-2")  # another chat takes the cache...
    ask(before, [ChatMessage("user", "Name three colours.")])
    before.unload()  # ...and the app closes: chat-1's state is on disk
    assert list(tmp_path.glob("chat-1.*.kvstate"))

    after = load(model_path, StateCache(tmp_path))
    after.use_session("chat-1")
    restored = ask(after, second)
    after.unload()
    assert restored.text == expected.text
    # Only the answer of turn 1 (replayed from its text) and the follow-up were evaluated.
    assert restored.stats.cached_tokens > 0.6 * expected.stats.prompt_tokens
    assert restored.stats.prompt_tokens == expected.stats.prompt_tokens


@pytest.mark.model
def test_switching_chats_keeps_each_ones_state_in_memory(
        model_path: Path, first_turn: tuple[list[ChatMessage], GenerationResult]) -> None:
    history, first = first_turn
    engine = load(model_path, StateCache(None))
    engine.use_session("chat-1")
    assert ask(engine, HISTORY).text == first.text
    engine.use_session("chat-2")
    other = ask(engine, [ChatMessage("user", "Name three colours.")])
    assert other.stats.cached_tokens < 10  # chat 1 shares only the template's first tokens
    engine.use_session("chat-1")
    again = ask(engine, [*history, FOLLOW_UP])
    # Everything up to the end of turn 1 came back; the follow-up alone (and the template
    # around it) was evaluated.
    assert again.stats.prompt_tokens - again.stats.cached_tokens < 40
    engine.use_session(None)  # a title: chat 1 is kept aside...
    ask(engine, [ChatMessage("user", "A title for this chat?")])
    engine.use_session("chat-1")  # ...and back untouched
    assert ask(engine, [*history, FOLLOW_UP]).text == again.text
    engine.unload()


@pytest.mark.model
def test_a_state_from_another_context_length_is_not_used(
        smollm2_path: Path, tmp_path: Path) -> None:
    engine = load(smollm2_path, StateCache(tmp_path))
    engine.use_session("chat-1")
    ask(engine, HISTORY)
    engine.unload()
    other = LlamaCppEngine(StateCache(tmp_path))
    other.load(LoadSpec(smollm2_path, n_ctx=2048, seed=1))
    other.use_session("chat-1")
    result = ask(other, HISTORY)
    other.unload()
    assert result.stats.cached_tokens == 0
