"""Tool calls in a model's answer, whatever backend wrote it: no llama.cpp here.

Models trained for tools (Qwen 2.5, Hermes and their kin) write a call as a block,
`<tool_call>\\n{"name": ..., "arguments": {...}}\\n</tool_call>`, one or more per answer; others
answer a bare JSON object `{"name": ..., "arguments": {...}}` (or `"parameters"`). `ToolCallFilter`
streams an answer's text while holding back what may still become a call, and parses the calls
out at the end; `forced_call_schema` is the JSON schema a sampler enforces when a call is
required. A call counts only if it names one of the request's tools and its arguments are a JSON
object; anything else stays text.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Collection, Sequence
from typing import Any

from app.core.engine.base import OnPiece, Tool, ToolCall, UnsupportedRequestError

OPEN = "<tool_call>"
CLOSE = "</tool_call>"
# A block, up to its closing tag or, for the last one, to the end of the answer (a model may stop
# right after the JSON).
_BLOCK = re.compile(re.escape(OPEN) + r"(.*?)(?:" + re.escape(CLOSE) + r"|\Z)", re.DOTALL)


def new_call_id() -> str:
    """An id for a call, as OpenAI's look: "call_" and random hex."""
    return "call_" + secrets.token_hex(12)


def tool_parameters(tool: Tool) -> dict[str, Any]:
    """A tool's parameters schema as an object; `UnsupportedRequestError` if it is not one."""
    try:
        schema = json.loads(tool.parameters)
    except ValueError as exc:
        raise UnsupportedRequestError(
            f"The parameters of tool {tool.name!r} are not JSON: {exc}", param="tools") from None
    if not isinstance(schema, dict):
        raise UnsupportedRequestError(
            f"The parameters of tool {tool.name!r} are not a JSON schema object", param="tools")
    return schema


def tool_dicts(tools: Sequence[Tool]) -> list[dict[str, Any]]:
    """The tools as OpenAI's request carries them, which chat templates render."""
    return [{"type": "function",
             "function": {"name": t.name, "description": t.description,
                          "parameters": tool_parameters(t)}}
            for t in tools]


def forced_call_schema(tools: Sequence[Tool], choice: str) -> str:
    """The JSON schema (text) of the one call that `choice` ("required" or a tool's name)
    demands: `{"name": <the tool>, "arguments": <its parameters>}`, any of the tools for
    "required". Raises `UnsupportedRequestError` for a name not among `tools`."""
    chosen = list(tools) if choice == "required" else [t for t in tools if t.name == choice]
    if not chosen:
        raise UnsupportedRequestError(
            f"tool_choice names {choice!r}, which is not one of the request's tools",
            param="tool_choice")
    schemas = [{"type": "object",
                "properties": {"name": {"const": t.name}, "arguments": tool_parameters(t)},
                "required": ["name", "arguments"]}
               for t in chosen]
    return json.dumps(schemas[0] if len(schemas) == 1 else {"anyOf": schemas})


def call_from_json(text: str, names: Collection[str], *, bare: bool = False) -> ToolCall | None:
    """The call that `text` (one JSON object) makes, None if it is not a call of one of
    `names`. A bare answer (not in a block) must carry its arguments, so that a JSON answer
    with a "name" field is not taken for a call."""
    try:
        found = json.loads(text)
    except ValueError:
        return None
    if not isinstance(found, dict) or found.get("name") not in names:
        return None
    key = "arguments" if "arguments" in found else "parameters"
    if bare and key not in found:
        return None
    arguments = found.get(key, {})
    if isinstance(arguments, str):  # some models write the arguments as a JSON string
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return None
    if not isinstance(arguments, dict):
        return None
    return ToolCall(new_call_id(), str(found["name"]), json.dumps(arguments, ensure_ascii=False))


def parse_tool_calls(text: str, names: Collection[str]) -> tuple[str, tuple[ToolCall, ...]]:
    """The calls in an answer and the text left without them (stripped when there were
    calls); `(text, ())` when it makes none. Blocks that do not parse stay in the text."""
    calls: list[ToolCall] = []
    left: list[str] = []
    end = 0
    for block in _BLOCK.finditer(text):
        call = call_from_json(block[1].strip(), names)
        if call is None:
            continue
        calls.append(call)
        left.append(text[end:block.start()])
        end = block.end()
    if calls:
        left.append(text[end:])
        return "".join(left).strip(), tuple(calls)
    stripped = text.strip()
    if stripped.startswith("{"):
        call = call_from_json(stripped, names, bare=True)
        if call is not None:
            return "", (call,)
    return text, ()


def _partial_open(text: str) -> int:
    """How many characters at the end of `text` could begin `<tool_call>`."""
    for n in range(min(len(OPEN) - 1, len(text)), 0, -1):
        if OPEN.startswith(text[-n:]):
            return n
    return 0


class ToolCallFilter:
    """Passes an answer's pieces on to `on_piece`, except those that may be a tool call.

    While the answer so far (less leading whitespace) could still open a call, a prefix of
    `<tool_call>` or anything from a `{` on, it is held; once it cannot, what was held goes on
    as a piece and the rest streams, still holding from a `<tool_call>` in mid-answer (or what
    may begin one at a piece's end). `finish` parses what was held: its calls are returned,
    the rest goes on as a piece. So the pieces always add up to the answer's text without its
    calls.
    """

    def __init__(self, on_piece: OnPiece, names: Collection[str]) -> None:
        self._on_piece = on_piece
        self._names = names
        self._held = ""
        self._at_start = True  # the answer may still open with a call
        self._in_call = False  # a `<tool_call>` was seen: everything from it waits for the end
        self._sent: list[str] = []

    def feed(self, piece: str) -> None:
        self._held += piece
        if self._in_call:
            return
        if self._at_start:
            lead = self._held.lstrip()
            if not lead or OPEN.startswith(lead) or lead.startswith((OPEN, "{")):
                return
            self._at_start = False
        at = self._held.find(OPEN)
        if at >= 0:
            self._in_call = True
        else:
            at = len(self._held) - _partial_open(self._held)
        self._send(self._held[:at])
        self._held = self._held[at:]

    def finish(self, parse: bool = True) -> tuple[str, tuple[ToolCall, ...]]:
        """The answer's text (all the pieces sent) and its calls; with `parse` False (a
        stopped answer) what was held goes on as text, whatever it is."""
        text, calls = (parse_tool_calls(self._held, self._names) if parse
                       else (self._held, ()))
        self._held = ""
        self._send(text)
        return "".join(self._sent), calls

    def _send(self, text: str) -> None:
        if text:
            self._sent.append(text)
            self._on_piece(text)
