"""Tool calls parsed out of an answer and held back from its stream (no model)."""

from __future__ import annotations

import json
import re

import pytest

from app.core.engine.base import Tool, ToolCall, UnsupportedRequestError
from app.core.engine.tool_calls import (
    ToolCallFilter,
    forced_call_schema,
    parse_tool_calls,
    tool_dicts,
)

NAMES = {"get_weather", "search"}
WEATHER = '{"name": "get_weather", "arguments": {"city": "Paris"}}'


def stream(pieces: list[str], names: set[str] = NAMES, parse: bool = True
           ) -> tuple[list[str], str, tuple[ToolCall, ...]]:
    """What a filter sends on while `pieces` come in, then at the end, and what it returns."""
    sent: list[str] = []
    calls = ToolCallFilter(sent.append, names)
    for piece in pieces:
        calls.feed(piece)
    text, found = calls.finish(parse)
    return sent, text, found


def test_a_text_answer_streams_unchanged_piece_by_piece() -> None:
    pieces = ["The", " weather", " in", " Paris", " is", " mild", "."]
    sent, text, calls = stream(pieces)
    assert sent == pieces
    assert text == "The weather in Paris is mild."
    assert calls == ()


def test_a_text_answer_is_held_only_while_it_may_open_a_call() -> None:
    sent: list[str] = []
    calls = ToolCallFilter(sent.append, NAMES)
    calls.feed("\n")
    calls.feed("<to")
    assert sent == []  # still may be "<tool_call>"
    calls.feed("day> is the tag")
    assert sent == ["\n<today> is the tag"]
    calls.feed(" I meant.")
    assert sent[-1] == " I meant."
    assert calls.finish() == ("\n<today> is the tag I meant.", ())


def test_a_piece_ending_in_what_may_open_a_call_waits_for_the_next() -> None:
    sent, text, calls = stream(["Say", " 1 <", " 2", " and <tool", "s>."])
    assert sent == ["Say", " 1 ", "< 2", " and ", "<tools>."]
    assert text == "Say 1 < 2 and <tools>."
    assert calls == ()


def test_a_hermes_block_streamed_in_pieces_is_one_call_and_no_text() -> None:
    pieces = ["<tool", "_call>\n", '{"name": "get_weather", ', '"arguments": {"city": "Paris"}}',
              "\n</tool_call>"]
    sent, text, calls = stream(pieces)
    assert sent == []
    assert text == ""
    assert len(calls) == 1
    assert calls[0].name == "get_weather"
    assert json.loads(calls[0].arguments) == {"city": "Paris"}
    assert re.fullmatch(r"call_[0-9a-f]{24}", calls[0].id)


def test_several_blocks_are_several_calls_with_their_own_ids() -> None:
    answer = (f"<tool_call>\n{WEATHER}\n</tool_call>\n"
              '<tool_call>\n{"name": "search", "arguments": {"q": "rain"}}\n</tool_call>')
    text, calls = parse_tool_calls(answer, NAMES)
    assert text == ""
    assert [c.name for c in calls] == ["get_weather", "search"]
    assert json.loads(calls[1].arguments) == {"q": "rain"}
    assert calls[0].id != calls[1].id


def test_a_last_block_left_open_is_a_call() -> None:
    text, calls = parse_tool_calls(f"<tool_call>\n{WEATHER}\n", NAMES)
    assert (text, [c.name for c in calls]) == ("", ["get_weather"])


def test_text_before_a_block_streams_and_stays_the_answers_text() -> None:
    pieces = ["Let", " me", " check.", "\n<tool_call>", f"\n{WEATHER}\n</tool_call>"]
    sent, text, calls = stream(pieces)
    assert sent == ["Let", " me", " check.", "\n"]
    assert text == "Let me check.\n"
    assert [c.name for c in calls] == ["get_weather"]


def test_a_bare_json_call_is_a_call() -> None:
    sent, text, calls = stream(["{", '"name": "search", ', '"parameters": {"q": "lamps"}}'])
    assert sent == []
    assert text == ""
    assert json.loads(calls[0].arguments) == {"q": "lamps"}


def test_arguments_written_as_a_json_string_are_read_as_the_object() -> None:
    answer = '{"name": "search", "arguments": "{\\"q\\": \\"lamps\\"}"}'
    _, calls = parse_tool_calls(answer, NAMES)
    assert json.loads(calls[0].arguments) == {"q": "lamps"}


def test_a_json_answer_that_is_no_call_is_released_whole_at_the_end() -> None:
    pieces = ['{"name": "Ada",', ' "age": 36}']
    sent, text, calls = stream(pieces)
    assert sent == ['{"name": "Ada", "age": 36}']
    assert text == '{"name": "Ada", "age": 36}'
    assert calls == ()


@pytest.mark.parametrize("answer", [
    '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Par\n</tool_call>',  # malformed
    '<tool_call>\n{"name": "get_weather", "arguments": [1, 2]}\n</tool_call>',  # no object
    '<tool_call>\n{"name": "launch_rockets", "arguments": {}}\n</tool_call>',  # unknown tool
    '{"name": "launch_rockets", "arguments": {}}',  # unknown, bare
    '{"name": "search"}',  # bare, without arguments
    "<tool_call>",  # cut short
])
def test_what_is_no_call_of_a_declared_tool_stays_text(answer: str) -> None:
    sent, text, calls = stream([answer[:9], answer[9:]])
    assert calls == ()
    assert text == answer
    assert "".join(sent) == answer


def test_a_stopped_answer_releases_what_it_held_as_text() -> None:
    sent, text, calls = stream(["<tool_call>", f"\n{WEATHER}\n</tool_call>"], parse=False)
    assert calls == ()
    assert text == "".join(sent) == f"<tool_call>\n{WEATHER}\n</tool_call>"


def test_tools_go_to_the_template_as_openai_has_them() -> None:
    tool = Tool("search", "Search the web", '{"type": "object", "properties": {}}')
    assert tool_dicts([tool]) == [{"type": "function", "function": {
        "name": "search", "description": "Search the web",
        "parameters": {"type": "object", "properties": {}}}}]
    with pytest.raises(UnsupportedRequestError) as caught:
        tool_dicts([Tool("bad", parameters="{not json")])
    assert caught.value.param == "tools"


def test_a_forced_call_schema_names_the_tool_and_its_parameters() -> None:
    weather = Tool("get_weather", parameters='{"type": "object", "properties": '
                   '{"city": {"type": "string"}}, "required": ["city"]}')
    search = Tool("search")
    named = json.loads(forced_call_schema([weather, search], "get_weather"))
    assert named["properties"]["name"] == {"const": "get_weather"}
    assert named["properties"]["arguments"]["required"] == ["city"]
    assert named["required"] == ["name", "arguments"]
    required = json.loads(forced_call_schema([weather, search], "required"))
    assert [s["properties"]["name"]["const"] for s in required["anyOf"]] == [
        "get_weather", "search"]
    with pytest.raises(UnsupportedRequestError) as caught:
        forced_call_schema([weather], "search")
    assert caught.value.param == "tool_choice"
