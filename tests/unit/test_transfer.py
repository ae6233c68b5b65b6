"""Export to Markdown and JSON, and import back: branches, settings and bad files."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from app.core.chat import transfer
from app.core.chat.conversation import INTERRUPTED, Attachment, Conversation, Message
from app.core.chat.store import ConversationStore
from app.core.chat.transfer import ImportFormatError
from app.core.engine import GenerationParams, GenerationStats

STATS = GenerationStats(prompt_tokens=31, completion_tokens=9, ttft_s=0.05, generation_s=0.25,
                        finish_reason="stop")
DOC = Path(__file__).resolve().parents[2] / "docs" / "conversation-json.md"


def _chat() -> Conversation:
    """Q1 → A1 (regenerated as A1b, shown) → Q2 → A2 (stopped); Q1 edited as Q1b → A1c.

    The edit is not shown: the first question's chosen version is Q1.
    """
    c = Conversation.of(
        Message("user", "What is the capital of **France**?", created_at=1_700_000_000.0),
        Message("assistant", "Paris.", model_name="Tiny", stats=STATS),
        title="Capitals", system_prompt="Answer briefly.\n\nBe kind.", model="Tiny",
        model_path="/models/tiny.gguf", preset="Precise",
        params=GenerationParams(max_tokens=200, temperature=0.2, seed=7),
        created_at=1_700_000_000.0, updated_at=1_700_000_100.5)
    q1, _ = c.path()
    assert q1.id is not None
    a1b = c.add(Message("assistant", "It is **Paris**.", parent_id=q1.id, model_name="Tiny",
                        stats=STATS))
    q2 = c.add(Message("user", "And of Italy?", parent_id=a1b.id))
    c.add(Message("assistant", "Ro", parent_id=q2.id, model_name="Tiny",
                  stats=GenerationStats(40, 1, 0.05, 0.01, "cancelled")))
    q1b = c.add(Message("user", "Capital of Spain?", parent_id=None), chosen=False)
    c.add(Message("assistant", "Madrid.", parent_id=q1b.id, error=None))
    return c


def _without_ids(document: dict[str, Any]) -> dict[str, Any]:
    """An export with what an import renumbers or re-stamps left out."""
    document = copy.deepcopy(document)
    document.pop("exported_at")
    return document


# -- Markdown ------------------------------------------------------------------------------


def test_markdown_has_both_sides_of_the_shown_branch_and_notes_versions() -> None:
    text = transfer.to_markdown(_chat())
    assert text.startswith("# Capitals\n")
    assert "- Model: Tiny" in text
    assert "- Preset: Precise" in text
    assert "> Answer briefly.\n>\n> Be kind." in text
    assert re.search(r"- Created: \d{4}-\d\d-\d\d \d\d:\d\d", text)
    headings = re.findall(r"^### (.*)$", text, re.M)
    assert headings == ["You (version 1 of 2)", "Tiny (version 2 of 2)", "You", "Tiny"]
    assert "What is the capital of **France**?" in text  # content verbatim: it is Markdown
    assert "It is **Paris**." in text
    assert "Madrid." not in text  # on a branch not shown
    assert "Paris.\n" not in text.replace("**Paris**.", "")  # the version not shown
    assert text.rstrip().endswith("Ro\n\n*Stopped before the answer was complete.*")


def test_markdown_marks_failed_and_interrupted_answers() -> None:
    failed = transfer.to_markdown(Conversation.of(
        Message("user", "Hi"), Message("assistant", "", error="The model crashed.")))
    assert "### Assistant\n\n*Failed: The model crashed.*" in failed
    cut = transfer.to_markdown(Conversation.of(
        Message("user", "Hi"), Message("assistant", "Hel", error=INTERRUPTED), model="M"))
    assert f"### M\n\nHel\n\n*Interrupted: {INTERRUPTED}*" in cut


def test_markdown_of_an_untitled_chat_is_titled_by_its_first_words() -> None:
    text = transfer.to_markdown(Conversation.of(Message("user", "Tell me about lighthouses")))
    assert text.startswith("# Tell me about lighthouses\n")


# -- JSON ----------------------------------------------------------------------------------


def test_json_round_trip_keeps_every_version_the_choices_and_the_settings() -> None:
    original = _chat()
    document = json.loads(transfer.dumps([original], exported_at=1_700_000_200.0))
    assert document["format"] == "lamplight-conversations"
    assert document["version"] == 1
    assert document["exported_at"] == "2023-11-14T22:16:40.000Z"
    item = document["conversations"][0]
    assert item["created_at"] == "2023-11-14T22:13:20.000Z"
    assert item["updated_at"] == "2023-11-14T22:15:00.500Z"
    assert item["settings"]["max_tokens"] == 200
    assert [m["content"] for m in item["messages"] if m["chosen"]] == [
        "What is the capital of **France**?", "It is **Paris**.", "And of Italy?", "Ro",
        "Madrid."]  # Madrid is the chosen answer under the edit not shown
    assert [m["parent"] for m in item["messages"]] == [None, 1, 1, 3, 4, None, 6]

    (back,) = transfer.from_json(document)
    assert back.id is None
    assert (back.title, back.system_prompt, back.model, back.model_path, back.preset) == (
        "Capitals", "Answer briefly.\n\nBe kind.", "Tiny", "/models/tiny.gguf", "Precise")
    assert back.params == original.params
    assert (back.created_at, back.updated_at) == (original.created_at, original.updated_at)
    assert [m.content for m in back.path()] == [m.content for m in original.path()]
    assert [m.content for m in back.all_messages()] == \
        [m.content for m in original.all_messages()]
    assert [m.stats for m in back.all_messages()] == [m.stats for m in original.all_messages()]
    assert [m.model_name for m in back.all_messages()] == \
        [m.model_name for m in original.all_messages()]
    first = back.path()[0]
    assert first.created_at == 1_700_000_000.0
    assert first.id is not None and back.version_of(first.id) == (1, 2)
    # Switching to the edit not shown brings its own chosen answer.
    (edit,) = [m for m in back.children(None) if m.content == "Capital of Spain?"]
    assert edit.id is not None
    back.choose(edit.id)
    assert [m.content for m in back.path()] == ["Capital of Spain?", "Madrid."]
    assert _without_ids(transfer.to_json([transfer.from_json(document)[0]])) == \
        _without_ids(document)


def test_an_interrupted_answer_stays_incomplete_through_export_and_import() -> None:
    chat = Conversation.of(Message("user", "Hi"), Message("assistant", "Hel", streaming=True))
    (item,) = transfer.to_json([chat])["conversations"]
    assert item["messages"][1]["complete"] is False
    (back,) = transfer.from_json(transfer.to_json([chat]))
    answer = back.path()[1]
    assert (answer.content, answer.error, answer.streaming) == ("Hel", INTERRUPTED, False)
    again = transfer.to_json([back])["conversations"][0]["messages"][1]
    assert (again["complete"], again["error"]) == (False, INTERRUPTED)


def test_through_the_store_into_another_data_dir_and_back_the_export_is_the_same(
        tmp_path: Path) -> None:
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
    first = ConversationStore.open_in(tmp_path / "first")
    second = ConversationStore.open_in(tmp_path / "second")
    try:
        chat = _chat()
        first.create(chat, touch=False)
        plain = Conversation.of(Message("user", "Second chat"), Message("assistant", "Yes."),
                                title="Second")
        first.create(plain)
        exported = transfer.to_json([first.load(chat.id or 0), first.load(plain.id or 0)])
        # The file's ids are its own: the second store numbers the messages afresh.
        second.create(Conversation.of(Message("user", "Hi"), title="Already there"))
        ids = transfer.save_imported(second, transfer.from_json(
            json.loads(json.dumps(exported))))
        assert ids == [2, 3]
        assert [c.title for c in second.list_conversations()] == \
            ["Already there", "Second", "Capitals"]  # by last change, kept
        again = transfer.to_json([second.load(i) for i in ids])
        assert _without_ids(again) == _without_ids(exported)
        assert _without_ids(again) == _without_ids(transfer.to_json([chat, plain]))
    finally:
        first.close()
        second.close()


def test_missing_optional_fields_take_their_defaults_and_unknown_ones_are_ignored() -> None:
    (chat,) = transfer.from_json({
        "format": "lamplight-conversations", "version": 1, "future_field": {"x": 1},
        "conversations": [{"messages": [
            {"id": 10, "role": "user", "content": "Hi", "mood": "curious"},
            {"id": 20, "parent": 10, "role": "assistant", "content": "One",
             "stats": {"finish_reason": "from-the-future"}},
            {"id": 30, "parent": 10, "role": "assistant", "content": "Two"},
        ]}]})
    assert (chat.title, chat.system_prompt, chat.model, chat.params) == ("", "", None, None)
    # No version marked chosen: the last one is shown.
    assert [m.content for m in chat.path()] == ["Hi", "Two"]
    assert chat.message(2).stats is None  # stats this version cannot read are dropped
    assert chat.message(1).created_at == chat.created_at


def test_times_with_an_offset_or_without_one_are_read() -> None:
    (chat,) = transfer.from_json({
        "format": "lamplight-conversations", "version": 1, "conversations": [{
            "created_at": "2023-11-15T00:13:20+02:00", "updated_at": "2023-11-14T22:13:20",
            "messages": []}]})
    assert chat.created_at == chat.updated_at == 1_700_000_000.0


def test_the_example_in_the_format_document_imports() -> None:
    example = re.search(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert example is not None
    (chat,) = transfer.from_json(json.loads(example.group(1)))
    assert [m.content for m in chat.path()] == [
        "What is the capital of France?", "The capital of France is **Paris**.",
        "And of Italy?"]
    assert len(chat) == 4


def _document(**changes: Any) -> dict[str, Any]:
    document = transfer.to_json([_chat(), Conversation.of(
        Message("user", "a"), Message("assistant", "b"), Message("user", "c"),
        Message("assistant", "d"), Message("user", "e"))])
    document.update(changes)
    return document


def _broken_message(number: int, **changes: Any) -> dict[str, Any]:
    """The document with message `number` of the second conversation changed."""
    document = _document()
    message = document["conversations"][1]["messages"][number - 1]
    for key, value in changes.items():
        if value is _DROP:
            del message[key]
        else:
            message[key] = value
    return document


_DROP = object()


@pytest.mark.parametrize(("data", "expected"), [
    ([], "not a Lamplight conversations file: the top level is not an object"),
    ({"conversations": []}, "'format' is missing, not 'lamplight-conversations'"),
    (_document(format="something-else"), "'format' is \"something-else\""),
    (_document(version=2), "the file is format version 2, written by a newer Lamplight; this "
                           "one reads version 1. Update Lamplight to import it."),
    (_document(version="1"), "'version' must be a whole number from 1, not \"1\""),
    (_document(conversations={"a": 1}), "'conversations' must be a list"),
    (_document(conversations=["x"]), "conversation 1: must be an object"),
    (_document(conversations=[{"title": "t"}]), "conversation 1: 'messages' must be a list"),
    (_broken_message(5, content=_DROP), "conversation 2, message 5: 'content' is missing"),
    (_broken_message(5, content=5), "conversation 2, message 5: 'content' must be a string"),
    (_broken_message(5, role="system"),
     "conversation 2, message 5: role must be 'user' or 'assistant', not \"system\""),
    (_broken_message(4, parent=99),
     "conversation 2, message 4: parent 99 is not an earlier message of this conversation"),
    (_broken_message(1, parent=3),
     "conversation 2, message 1: parent 3 is not an earlier message of this conversation"),
    (_broken_message(3, id=1), "conversation 2, message 3: id 1 is used by an earlier message"),
    (_broken_message(2, id="two"), "conversation 2, message 2: 'id' must be a whole number"),
    (_broken_message(2, chosen="yes"),
     "conversation 2, message 2: 'chosen' must be true or false, not \"yes\""),
    (_broken_message(2, created_at="yesterday"),
     "conversation 2, message 2: 'created_at' must be an ISO 8601 time"),
    (_broken_message(2, stats=[1]), "conversation 2, message 2: 'stats' must be an object"),
])
def test_bad_documents_are_refused_saying_what_and_where(data: object, expected: str) -> None:
    with pytest.raises(ImportFormatError) as caught:
        transfer.from_json(data)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_files_that_cannot_be_read_or_are_not_json_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match=r"cannot read .*missing\.json"):
        transfer.load_file(tmp_path / "missing.json")
    notes = tmp_path / "notes.json"
    notes.write_text("shopping list\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"notes\.json is not JSON \(line 1, column 1"):
        transfer.load_file(notes)
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"title": "café"}'.encode("latin-1"))
    with pytest.raises(ImportFormatError, match=r"latin\.json is not a UTF-8 text file"):
        transfer.load_file(latin)
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"format": "lamplight-conversations", "version": 1, '
                     '"conversations": [{"messages": [{"id": 1, "role": "bot", '
                     '"content": ""}]}]}', encoding="utf-8")
    with pytest.raises(ImportFormatError,
                       match=r"wrong\.json: conversation 1, message 1: role must be"):
        transfer.load_file(wrong)


def test_a_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_text(transfer.dumps([_chat()]), encoding="utf-8-sig")
    (chat,) = transfer.load_file(path)
    assert chat.title == "Capitals"


def test_documents_and_summary_parts_survive_export_and_import() -> None:
    document = Attachment("code.md", "Use ```x``` here.", "markdown", 9)
    details = {"name": "code.md", "levels": 1, "document_tokens": 9, "complete": True,
               "parts": [{"index": 1, "start": 0, "end": 17, "tokens": 9, "note": "Code."}]}
    original = Conversation.of(
        Message("user", "Summarize.", attachments=(document,)),
        Message("assistant", "Code.", details=details), title="Docs")
    [back] = transfer.from_json(json.loads(transfer.dumps([original])))
    question, answer = back.path()
    assert question.attachments == (document,)
    assert answer.details == details

    markdown = transfer.to_markdown(original)
    # The document's own backticks cannot close the fence it is quoted in.
    assert "**Attached: code.md**, 9 tokens\n\n````text\nUse ```x``` here.\n````" in markdown


def test_attachments_that_are_not_a_list_are_refused() -> None:
    data = json.loads(transfer.dumps([Conversation.of(Message("user", "hi"))]))
    data["conversations"][0]["messages"][0]["attachments"] = "a.txt"
    with pytest.raises(ImportFormatError, match="'attachments' must be a list"):
        transfer.from_json(data)
