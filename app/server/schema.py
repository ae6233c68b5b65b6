"""The requests the server takes, as OpenAI's API defines them, checked before anything runs.

Every field is bounded (counts, lengths, ranges). Fields OpenAI has and llama.cpp does not
(`logprobs`, `user`, `metadata`…) are accepted and ignored, as llama.cpp's own server does, so
that clients written for OpenAI work unmodified; a value that would change the answer in a way
we cannot honour (`n` above 1, an image) is refused with the field named.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from app.core.engine.base import ChatMessage, Role, Tool, ToolCall
from app.server.errors import ApiError, bad_request

MAX_MESSAGES = 10_000
MAX_TEXT = 4_000_000  # characters of one message or prompt (the body limit binds first)
MAX_STOPS = 16
MAX_TOOLS = 128
MAX_SCHEMA_CHARS = 64_000  # a JSON schema's text, compiled into a grammar
MAX_TOOLS_CHARS = 256_000  # the schemas of all of a request's tools together
MAX_SCHEMA_COUNT = 1024  # a repetition count in a schema (each is written out in the grammar)
MAX_EMBED_INPUTS = 2048
MAX_TOKENS = 262_144

_RequestT = TypeVar("_RequestT", bound=BaseModel)
Short = Annotated[str, Field(max_length=256)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TextPart(_Request):
    type: Literal["text"]
    text: Text


class FunctionCallIn(_Request):
    name: Short
    arguments: Annotated[str, Field(max_length=MAX_SCHEMA_CHARS)] = "{}"


class ToolCallIn(_Request):
    id: Short
    type: Literal["function"] = "function"
    function: FunctionCallIn


class MessageIn(_Request):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | Annotated[list[TextPart | dict[str, Any]], Field(max_length=1000)] | None \
        = None
    tool_calls: Annotated[list[ToolCallIn], Field(max_length=MAX_TOOLS)] | None = None
    tool_call_id: Short | None = None
    name: Short | None = None


class FunctionIn(_Request):
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    description: Annotated[str, Field(max_length=8_000)] = ""
    parameters: dict[str, Any] | None = None


class ToolIn(_Request):
    type: Literal["function"]
    function: FunctionIn


class NamedFunction(_Request):
    name: Short


class ToolChoiceNamed(_Request):
    type: Literal["function"]
    function: NamedFunction


class JsonSchemaIn(_Request):
    name: Short = "response"
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class ResponseFormatIn(_Request):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchemaIn | None = None


class StreamOptionsIn(_Request):
    include_usage: bool = False


class _Sampling(_Request):
    model: Annotated[str, Field(min_length=1, max_length=512)]
    stream: bool = False
    stream_options: StreamOptionsIn | None = None
    max_tokens: Annotated[int, Field(ge=1, le=MAX_TOKENS)] | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    seed: Annotated[int, Field(ge=-(2**63), le=2**64 - 1)] | None = None
    stop: Annotated[str, Field(max_length=256)] | Annotated[
        list[Annotated[str, Field(max_length=256)]], Field(max_length=MAX_STOPS)] | None = None
    presence_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    frequency_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    n: Annotated[int, Field(ge=1, le=1)] | None = None

    def sampling(self) -> dict[str, Any]:
        """The request's sampling values, named as `GenerationParams` fields (None: not
        given, the model's settings apply)."""
        seed = None if self.seed is None else self.seed % 2**31  # llama.cpp takes 31 bits
        stop = (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())
        return {"max_tokens": self.max_tokens, "temperature": self.temperature,
                "top_p": self.top_p, "seed": seed, "stop": tuple(s for s in stop if s),
                "presence_penalty": self.presence_penalty,
                "frequency_penalty": self.frequency_penalty}

    @property
    def include_usage(self) -> bool:
        return self.stream_options is not None and self.stream_options.include_usage


class ChatTemplateKwargsIn(_Request):
    """Variables for the model's chat template, as llama-server and vLLM take them: the
    Thinking switch (Qwen3's `enable_thinking`) is honoured; others are ignored, as unknown
    fields are: the engine gives a template only the variables it knows."""

    enable_thinking: StrictBool | None = None


class ChatRequest(_Sampling):
    messages: Annotated[list[MessageIn], Field(min_length=1, max_length=MAX_MESSAGES)]
    max_completion_tokens: Annotated[int, Field(ge=1, le=MAX_TOKENS)] | None = None
    response_format: ResponseFormatIn | None = None
    tools: Annotated[list[ToolIn], Field(max_length=MAX_TOOLS)] | None = None
    tool_choice: Literal["none", "auto", "required"] | ToolChoiceNamed | None = None
    # A reasoning model's switch and effort (`GenerationParams.thinking`, `reasoning_effort`);
    # a model whose template reads neither ignores them.
    chat_template_kwargs: ChatTemplateKwargsIn | None = None
    reasoning_effort: Literal["low", "medium", "high"] | None = None

    def sampling(self) -> dict[str, Any]:
        values = super().sampling()
        values["max_tokens"] = self.max_completion_tokens or self.max_tokens
        values["json_schema"] = self._json_schema()
        values["tools"] = self._tools()
        values["tool_choice"] = self._tool_choice(values["tools"])
        kwargs = self.chat_template_kwargs
        values["thinking"] = kwargs.enable_thinking if kwargs is not None else None
        values["reasoning_effort"] = self.reasoning_effort
        return values

    def chat_messages(self) -> tuple[ChatMessage, ...]:
        return tuple(_message(m, i) for i, m in enumerate(self.messages))

    def _json_schema(self) -> str | None:
        form = self.response_format
        if form is None or form.type == "text":
            return None
        if form.type == "json_object":
            return '{"type": "object"}'
        if form.json_schema is None or form.json_schema.schema_ is None:
            raise bad_request("response_format.json_schema.schema is required for the "
                              "json_schema type.", "response_format.json_schema")
        return _schema_text(form.json_schema.schema_, "response_format.json_schema.schema")

    def _tools(self) -> tuple[Tool, ...]:
        tools = []
        for i, tool in enumerate(self.tools or ()):
            parameters = tool.function.parameters or {"type": "object", "properties": {}}
            tools.append(Tool(tool.function.name, tool.function.description,
                              _schema_text(parameters, f"tools.{i}.function.parameters")))
        if sum(len(t.parameters) for t in tools) > MAX_TOOLS_CHARS:
            raise bad_request(f"The tools' schemas are over {MAX_TOOLS_CHARS:,} characters "
                              "together.", "tools")
        return tuple(tools)

    def _tool_choice(self, tools: tuple[Tool, ...]) -> str:
        choice = self.tool_choice
        if choice is None:
            return "auto"
        if isinstance(choice, str):
            if choice == "required" and not tools:
                raise bad_request("tool_choice 'required' needs tools.", "tool_choice")
            return choice
        if choice.function.name not in {t.name for t in tools}:
            raise bad_request(f"tool_choice names '{choice.function.name}', which is not in "
                              "tools.", "tool_choice")
        return choice.function.name


class CompletionRequest(_Sampling):
    prompt: Text | Annotated[list[Text], Field(min_length=1, max_length=1)]
    echo: bool = False
    suffix: str | None = None

    def prompt_text(self) -> str:
        if self.suffix:
            raise bad_request("suffix is not supported.", "suffix")
        return self.prompt if isinstance(self.prompt, str) else self.prompt[0]


class EmbeddingRequest(_Request):
    model: Annotated[str, Field(min_length=1, max_length=512)]
    input: Text | Annotated[list[Text], Field(min_length=1, max_length=MAX_EMBED_INPUTS)]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = None

    def texts(self) -> list[str]:
        if self.dimensions is not None:
            raise bad_request("dimensions is not supported: the model's own size is used.",
                              "dimensions")
        texts = [self.input] if isinstance(self.input, str) else list(self.input)
        for i, text in enumerate(texts):
            if not text:
                raise bad_request("An input is empty.", f"input.{i}" if len(texts) > 1
                                  else "input")
        return texts


class TokenizeRequest(_Request):
    model: Annotated[str, Field(min_length=1, max_length=512)]
    content: Text


def parse(model: type[_RequestT], body: bytes) -> _RequestT:
    """The request in `body`, checked; `ApiError` 400 naming the field at fault."""
    try:
        data = json.loads(body)
    except RecursionError:
        raise bad_request("The JSON is nested too deeply.") from None
    except ValueError as exc:  # also bytes that are not UTF-8
        raise bad_request(f"The body is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise bad_request("The body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        place = ".".join(str(p) for p in first["loc"] if not _is_union_tag(p))
        raise bad_request(f"{place or 'body'}: {first['msg']}.", place or None) from None
    except RecursionError:
        raise bad_request("The JSON is nested too deeply.") from None


def _is_union_tag(part: object) -> bool:
    """Pydantic's names for the branch of a union it tried ("str", "list[...]")."""
    return isinstance(part, str) and ("[" in part or part in ("str", "int", "float", "bool")
                                      or part.endswith("In") or part.startswith("function-"))


def _schema_text(schema: dict[str, Any], param: str) -> str:
    try:
        text = json.dumps(schema)
    except (ValueError, RecursionError):
        raise bad_request("The schema is nested too deeply.", param) from None
    if len(text) > MAX_SCHEMA_CHARS:
        raise bad_request(f"The schema is over {MAX_SCHEMA_CHARS:,} characters.", param)
    _check_counts(schema, param)
    return text


def _check_counts(node: object, param: str) -> None:
    """Refuse a repetition count past `MAX_SCHEMA_COUNT`: the grammar built from a schema
    writes each required repetition out (`minItems: 30000000` made a 540 MB grammar and 1.6 GB
    of memory from a 100-byte request)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in _COUNTS and isinstance(value, int | float) and \
                        not isinstance(value, bool) and value > MAX_SCHEMA_COUNT:
                    raise bad_request(f"The schema's {key} of {value:,} is over "
                                      f"{MAX_SCHEMA_COUNT:,}.", param)
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


_COUNTS = frozenset({"minItems", "maxItems", "minLength", "maxLength", "minProperties",
                     "maxProperties", "minContains", "maxContains"})


_ROLES: dict[str, Role] = {"system": "system", "developer": "system", "user": "user",
                           "assistant": "assistant", "tool": "tool"}


def _message(message: MessageIn, index: int) -> ChatMessage:
    content = message.content
    if isinstance(content, list):
        texts = []
        for j, part in enumerate(content):
            if isinstance(part, TextPart):
                texts.append(part.text)
            else:
                kind = part.get("type", "unknown") if isinstance(part, dict) else "unknown"
                raise ApiError(400, f"Content of type '{str(kind)[:40]}' is not supported: "
                                    "only text is.", param=f"messages.{index}.content.{j}")
        text = "".join(texts)
    else:
        text = content or ""
    calls = tuple(ToolCall(c.id, c.function.name, c.function.arguments)
                  for c in message.tool_calls or ())
    if message.role == "tool" and not message.tool_call_id:
        raise bad_request("A tool message needs its tool_call_id.",
                          f"messages.{index}.tool_call_id")
    return ChatMessage(_ROLES[message.role], text, tool_calls=calls,
                       tool_call_id=message.tool_call_id)
