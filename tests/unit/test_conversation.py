from __future__ import annotations

from app.core.chat.conversation import (
    Attachment,
    Conversation,
    Message,
    attachments_from_json,
    overflow_from_json,
    params_from_json,
    settings_to_json,
    stats_from_json,
    stats_to_json,
)
from app.core.engine import ChatMessage, GenerationParams, GenerationStats


def test_the_model_sees_finished_turns_after_the_system_prompt() -> None:
    conversation = Conversation.of(
        Message("user", "Hi"),
        Message("assistant", "Hello!"),
        Message("user", "Again"),
        Message("assistant", "", error="the model failed"),  # failed before its first token
        Message("user", "Once more"),
        Message("assistant", "Work in", streaming=True),  # the answer being written
        system_prompt="Be brief.",
    )
    assert conversation.chat_messages() == [
        ChatMessage("system", "Be brief."),
        ChatMessage("user", "Hi"),
        ChatMessage("assistant", "Hello!"),
        ChatMessage("user", "Again"),
        ChatMessage("user", "Once more"),
    ]


def test_a_blank_system_prompt_is_left_out() -> None:
    conversation = Conversation.of(Message("user", "Hi"), system_prompt="  ")
    assert conversation.chat_messages() == [ChatMessage("user", "Hi")]


def _branched() -> tuple[Conversation, dict[str, Message]]:
    """Q1 → A1 → Q2 → A2a, with A2 regenerated (A2b) and Q2 edited (Q2b → A2c)."""
    c = Conversation.of(Message("user", "Q1"), Message("assistant", "A1"),
                        Message("user", "Q2"), Message("assistant", "A2a"))
    q1, a1, q2, a2a = c.path()
    a2b = c.add(Message("assistant", "A2b", parent_id=q2.id))
    q2b = c.add(Message("user", "Q2b", parent_id=a1.id))
    a2c = c.add(Message("assistant", "A2c", parent_id=q2b.id))
    return c, {"q1": q1, "a1": a1, "q2": q2, "a2a": a2a, "a2b": a2b, "q2b": q2b, "a2c": a2c}


def test_edits_and_regenerations_are_versions_and_the_path_follows_the_choice() -> None:
    c, m = _branched()
    assert [x.content for x in c.path()] == ["Q1", "A1", "Q2b", "A2c"]
    assert c.version_of(m["q2b"].id) == (2, 2)
    previous = c.sibling(m["q2b"].id, -1)
    assert previous is m["q2"]
    c.choose(m["q2"].id)
    # Below the first question the version chosen there before comes back: the regenerated one.
    assert [x.content for x in c.path()] == ["Q1", "A1", "Q2", "A2b"]
    assert c.version_of(m["a2b"].id) == (2, 2)
    assert c.sibling(m["a2b"].id, +1) is None
    assert len(c) == 7
    assert [x.content for x in c.all_messages()] == ["Q1", "A1", "Q2", "A2a", "A2b", "Q2b", "A2c"]


def test_the_model_is_sent_the_chosen_branch_up_to_a_message() -> None:
    c, m = _branched()
    assert [t.content for t in c.chat_messages(through=m["a1"])] == ["Q1", "A1"]
    assert [t.content for t in c.chat_messages()] == ["Q1", "A1", "Q2b", "A2c"]


def test_removing_a_chosen_version_chooses_a_neighbour_and_drops_what_is_below() -> None:
    c, m = _branched()
    removed = c.remove(m["q2b"].id)
    assert set(removed) == {m["q2b"].id, m["a2c"].id}
    assert [x.content for x in c.path()] == ["Q1", "A1", "Q2", "A2b"]
    c.remove(m["q1"].id)
    assert c.path() == [] and len(c) == 0


def test_first_exchange_waits_for_a_complete_answer() -> None:
    c = Conversation.of(Message("user", "Q"), Message("assistant", "A", streaming=True))
    assert c.first_exchange() is None
    c.path()[1].streaming = False
    assert c.first_exchange() == ("Q", "A")


def test_settings_and_stats_survive_json_and_bad_values_are_dropped() -> None:
    params = GenerationParams(temperature=0.2, max_tokens=100, seed=7)
    stored = settings_to_json(Conversation(params=params, overflow="stop"))
    assert params_from_json(stored) == params
    assert overflow_from_json(stored) == "stop"
    assert params_from_json(settings_to_json(Conversation(overflow="stop"))) is None
    assert overflow_from_json({"overflow": "sideways"}) is None
    assert settings_to_json(Conversation()) == {}
    assert params_from_json({"temperature": "hot", "top_k": 5, "bogus": 1}) == \
        GenerationParams(top_k=5)
    assert params_from_json("nonsense") is None
    stats = GenerationStats(10, 20, 0.5, 1.0, "cancelled", cached_tokens=6)
    assert stats_from_json(stats_to_json(stats)) == stats
    assert stats_from_json({"finish_reason": "odd"}) is None


def test_documents_go_inline_before_the_question_unless_the_answer_summarized_them() -> None:
    document = Attachment("notes.txt", "The keeper lit the lamp.", tokens=7)
    question = Message("user", "Who lit it?", attachments=(document,))
    answer = Message("assistant", "The keeper.")
    conversation = Conversation.of(question, answer)
    sent = conversation.chat_messages()[0].content
    assert sent == 'Document "notes.txt":\n"""\nThe keeper lit the lamp.\n"""\n\nWho lit it?'

    answer.details = {"parts": [{"index": 1, "start": 0, "end": 24, "tokens": 7, "note": "x"}]}
    sent = conversation.chat_messages()[0].content
    assert "The keeper lit the lamp." not in sent
    assert sent.startswith('(Document "notes.txt", 7 tokens: too long to include here;')
    assert sent.endswith("Who lit it?")


def test_attachments_read_back_from_json_skip_what_is_malformed() -> None:
    good = Attachment("a.txt", "text", "text", 3)
    data = [good.to_json(), {"name": 1}, "nonsense", {"name": "b", "text": "t", "tokens": True}]
    assert attachments_from_json(data) == (good, Attachment("b", "t", "text", None))
    assert attachments_from_json(None) == ()


def test_earlier_documents_can_be_left_out_to_make_room() -> None:
    first = Message("user", "Summarize.", attachments=(Attachment("a.txt", "AAAA", tokens=2),))
    second = Message("user", "Compare.", attachments=(Attachment("b.txt", "BBBB", tokens=2),))
    conversation = Conversation.of(first, Message("assistant", "About A."), second)
    full = [m.content for m in conversation.chat_messages()]
    assert "AAAA" in full[0] and "BBBB" in full[2]
    lean = [m.content for m in conversation.chat_messages(earlier_documents=False)]
    assert lean[0] == '(Document "a.txt", 2 tokens: attached earlier, not repeated here.)' \
        "\n\nSummarize."
    assert "BBBB" in lean[2]  # the question being asked keeps its own


def test_a_stopped_summary_is_sent_as_one_line_not_its_notes() -> None:
    question = Message("user", "Summarize.", attachments=(Attachment("a.txt", "x" * 50),))
    notes = "**Part 1.** " + "note " * 500
    answer = Message("assistant", notes, stats=GenerationStats(10, 0, 1.0, 0.0, "cancelled"),
                     details={"complete": False, "parts": [
                         {"index": 1, "start": 0, "end": 50, "tokens": 20, "note": "note"}]})
    conversation = Conversation.of(question, answer, Message("user", "Go on."))
    sent = conversation.chat_messages()
    assert sent[1].content == "(The summary was stopped after 1 part; its notes are not " \
        "repeated here.)"
    assert "x" * 50 not in sent[0].content
