"""Thinking told apart from the answer (`engine.thinking`), on any cut of the stream, and kept
apart by the chat: stored, exported, imported, never sent back."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from app.core.chat.conversation import Conversation, Message
from app.core.chat.store import ConversationStore
from app.core.chat.transfer import ImportFormatError, from_json, to_json, to_markdown
from app.core.engine import GenerationResult, GenerationStats
from app.core.engine.thinking import (
    Split,
    ThinkingSplitter,
    ThinkingWatch,
    split_thinking,
)

QWEN = "<think>\nThe user wants 2+2. That is 4 — 四.\n</think>\n\nIt is **4**. 四 🎉"
R1_OPENED = "Opened by the template; 思考 here.\n</think>\n\nThe answer."
GPT_OSS = ("<|channel|>analysis<|message|>Need to add 2 and 2.<|end|>"
           "<|start|>assistant<|channel|>final<|message|>4.")
TAGS_LATER = "Use <think> and </think> in your template, then <thinking>."


def streamed(pieces: list[str | bytes]) -> Split:
    splitter = ThinkingSplitter()
    parts = [splitter.feed(p) for p in pieces] + [splitter.end()]
    return Split("".join(p.thinking for p in parts), "".join(p.answer for p in parts))


def whole(text: str) -> Split:
    return streamed([text])


@pytest.mark.parametrize(("text", "thinking", "answer"), [
    (QWEN, "The user wants 2+2. That is 4 — 四.\n", "It is **4**. 四 🎉"),
    (GPT_OSS, "Need to add 2 and 2.", "4."),
    (TAGS_LATER, "", TAGS_LATER),  # tags past the answer's start are its text
    ("No thinking at all.", "", "No thinking at all."),
    ("<think>Cut off while thinking", "Cut off while thinking", ""),
    ("<thinking>Other tag</thinking>Done", "Other tag", "Done"),
    ("<think></think>\n\nEmpty thinking", "", "Empty thinking"),  # Qwen3 with thinking off
])
def test_a_whole_text_is_split(text: str, thinking: str, answer: str) -> None:
    assert whole(text) == Split(thinking, answer)


@pytest.mark.parametrize("text", [QWEN, GPT_OSS, TAGS_LATER, "<think>x</think>y<think>z"])
def test_every_cut_of_the_bytes_gives_the_same_split(text: str) -> None:
    """Two cuts anywhere in the UTF-8 bytes (a tag, a CJK character or an emoji cut across
    pieces): the pieces add up to the whole text's split, not a character lost or doubled."""
    data = text.encode()
    expected = whole(text)
    for i in range(len(data) + 1):
        for j in range(i, len(data) + 1, 3):
            assert streamed([data[:i], data[i:j], data[j:]]) == expected, (i, j)


def test_one_character_a_piece_gives_the_same_split() -> None:
    for text in (QWEN, GPT_OSS, R1_OPENED):
        assert streamed(list(text)) == whole(text)


def test_a_closing_tag_first_means_the_template_opened_it() -> None:
    assert split_thinking(R1_OPENED) == Split("Opened by the template; 思考 here.", "The answer.")
    assert split_thinking("Just an answer with </think> later? <think>") == Split(
        "Just an answer with", "later? <think>")
    assert split_thinking(TAGS_LATER) == Split("", TAGS_LATER)  # opened first: text about tags


def test_nothing_but_the_tags_and_the_blank_lines_after_them_is_left_out() -> None:
    for text in (QWEN, GPT_OSS, "<think>a\n</think>\n\n  b </think> c"):
        split = whole(text)
        kept = split.thinking + split.answer
        markers = ("<think>", "</think>", "<|channel|>analysis<|message|>", "<|end|>",
                   "<|start|>assistant", "<|channel|>final<|message|>")
        bare = text
        for marker in markers:
            bare = bare.replace(marker, "", 1)
        assert "".join(kept.split()) == "".join(bare.split())


def test_the_watch_counts_the_pieces_written_while_thinking() -> None:
    seen: list[str] = []
    watch = ThinkingWatch(seen.append)
    pieces = ["<think>", "Let", " me", " see", "</think>", "\n\n", "Four", "."]
    for piece in pieces:
        watch.piece(piece)
    assert seen == pieces  # passed on as they came
    stats = GenerationStats(10, 8, 0.1, 0.5, "stop")
    result = watch.finish(GenerationResult("".join(pieces), stats))
    assert (result.text, result.thinking) == ("Four.", "Let me see")
    assert result.stats.thinking_tokens == 5 and result.stats.answer_tokens == 3
    assert result.stats.thinking_s >= 0
    plain = ThinkingWatch(lambda _p: None)
    plain.piece("Just text")
    answer = GenerationResult("Just text", stats)
    assert plain.finish(answer) is answer  # no thinking: the result as it was


def test_a_piece_that_ends_the_thinking_and_starts_the_answer_counts_for_both() -> None:
    """A server that sends several tokens a piece: each part counts its share of the piece."""
    watch = ThinkingWatch(lambda _p: None)
    for piece in ("<think>Let me see", " more</think>Four and more."):
        watch.piece(piece)
    result = watch.finish(GenerationResult("", GenerationStats(10, 20, 0.1, 0.5, "stop")))
    assert 0 < result.stats.answer_tokens < 20 and 0 < result.stats.thinking_tokens < 20


def test_a_watch_on_a_template_that_opened_the_tag_starts_the_stream_with_it() -> None:
    seen: list[str] = []
    watch = ThinkingWatch(seen.append, opened=True)
    watch.piece("Still thinking when stopped")
    result = watch.finish(GenerationResult("Still thinking when stopped",
                                           GenerationStats(5, 4, 0.1, 0.2, "cancelled")))
    assert seen[0] == "<think>" and streamed(list(seen)) == Split(
        "Still thinking when stopped", "")
    assert (result.text, result.thinking) == ("", "Still thinking when stopped")
    assert result.stats.thinking_tokens == 4  # the server's count, where it gives one, wins
    assert watch.finish(GenerationResult("x</think>y", GenerationStats(5, 4, 0.1, 0.2, "stop")),
                        thinking_tokens=3).stats.thinking_tokens == 3


def _thinking_chat() -> Conversation:
    chat = Conversation(title="Sums")
    question = chat.add(Message("user", "2+2?"))
    chat.add(Message("assistant", "It is 4.", parent_id=question.id,
                     thinking="Two and two </details> make four.",
                     stats=GenerationStats(9, 12, 0.1, 0.4, "stop", thinking_tokens=8,
                                           thinking_s=1.5)))
    return chat


def test_thinking_is_stored_apart_and_never_sent_back(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "chats.db")
    chat = _thinking_chat()
    store.create(chat)
    again = store.load(chat.id or 0)
    answer = again.path()[-1]
    assert answer.thinking == "Two and two </details> make four."
    assert answer.stats is not None and answer.stats.thinking_tokens == 8
    assert answer.stats.thinking_s == 1.5
    sent = [m.content for m in again.chat_messages()]
    assert "It is 4." in sent and not any("Two and two" in m for m in sent)
    assert not store.search("make")  # thinking is not in the search index
    store.close()


def test_export_and_import_keep_the_thinking() -> None:
    chat = _thinking_chat()
    data = json.loads(json.dumps(to_json([chat])))
    entry = data["conversations"][0]["messages"][1]
    assert entry["content"] == "It is 4." and entry["thinking"].startswith("Two and two")
    back = from_json(data)[0].path()[-1]
    assert back.thinking == "Two and two </details> make four." and back.content == "It is 4."
    assert back.stats is not None and back.stats.thinking_tokens == 8
    markdown = to_markdown(chat)
    assert "<details>\n<summary>Thinking</summary>" in markdown
    assert markdown.count("</details>") == 1  # the thinking's own cannot close it early
    entry["thinking"] = 5
    with pytest.raises(ImportFormatError, match="'thinking' must be a string"):
        from_json(data)
    assert dataclasses.replace(chat.path()[-1], thinking="").thinking == ""
