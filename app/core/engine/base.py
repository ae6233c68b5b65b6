"""What every inference backend offers, whatever runs the model.

The GUI, the CLI and the worker talk only to `InferenceEngine`. llama.cpp in-process is the first
backend; an OpenAI-compatible HTTP server (llama-server, Ollama, vLLM) fits the same protocol: its
`load` would pick a remote model, `stream_chat` would read server-sent events, and `request_stop`
would close the connection.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from app.core.engine.cancel import CancelToken
from app.core.engine.connection import RemoteTarget
from app.i18n import _

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolCall:
    """A call of one of the request's tools that the model asked for: `arguments` is the JSON
    text of the arguments, as OpenAI's API carries it."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Tool:
    """A function the model may call (OpenAI's `tools`): `parameters` is its JSON schema, as
    JSON text."""

    name: str
    description: str = ""
    parameters: str = '{"type": "object", "properties": {}}'


@dataclass(frozen=True)
class ChatMessage:
    """One turn as a backend sees it. An assistant's turn may carry the tool calls it made; a
    "tool" turn is a call's result, for the call `tool_call_id`."""

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


GPU_LAYERS_AUTO = -2


@dataclass(frozen=True)
class LoadSpec:
    """What to load and how.

    `n_threads` (writing the answer) and `n_threads_batch` (reading the prompt) None mean
    "auto": one per performance core to start with (llama-cpp-python's own default is half the
    logical cores, which halves the speed on small machines), then adapted while the engine
    runs to how busy the machine is (`engine.threads`); a number is kept as it is.
    `n_gpu_layers` -1 is every layer; `GPU_LAYERS_AUTO` those that fit the GPU's free memory,
    decided by the load itself (on the engine's thread: asking the GPU imports llama.cpp and
    reads the file).
    """

    path: Path
    n_ctx: int = 4096
    n_threads: int | None = None
    n_threads_batch: int | None = None
    n_gpu_layers: int = 0
    n_batch: int = 512
    chat_format: str | None = None  # None: the template the GGUF carries
    seed: int = -1
    flash_attn: bool = False
    kv_cache_type: str = "f16"  # "f16", "q8_0" or "q4_0" (a quantized V cache needs flash_attn)
    use_mmap: bool = True
    use_mlock: bool = False
    # A model served elsewhere (`engine.remote`): then `path` is its `NAME@CONNECTION`, a name
    # and never a file, and the options above but `n_ctx` (the context to assume when the
    # server does not say) do not apply.
    remote: RemoteTarget | None = None


@dataclass(frozen=True)
class GenerationParams:
    max_tokens: int | None = None  # None: until the model stops or the context is full (a chat
    # turn gives it `turns.default_answer_limit` instead)
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    seed: int | None = None
    # What the HTTP API asks for besides (the window and the terminal leave them as they are):
    stop: tuple[str, ...] = ()  # the answer ends before the first of these, which is left out
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    # The answer must be JSON matching this schema (JSON text), enforced while sampling.
    json_schema: str | None = None
    tools: tuple[Tool, ...] = ()
    # "auto": the model may call a tool or answer; "none": it answers; "required": it calls one
    # of `tools`; a tool's name: it calls that one.
    tool_choice: str = "auto"
    # A reasoning model's Thinking switch, where its chat template takes one (Qwen3's
    # `enable_thinking`), and how hard it thinks, where the template takes a
    # `reasoning_effort` (gpt-oss: "low", "medium", "high"); other models ignore both.
    thinking: bool = True
    reasoning_effort: str = "medium"


# The fields of `GenerationParams` the user's settings hold (and a chat or a preset keeps); the
# others come with one request of the HTTP API only.
SAMPLING_FIELDS = ("max_tokens", "temperature", "top_p", "top_k", "min_p", "repeat_penalty",
                   "seed", "thinking", "reasoning_effort")
REASONING_EFFORTS = ("low", "medium", "high")


def answer_seed(params: GenerationParams) -> int:
    """The seed to sample an answer with: the user's, else a fresh random one.

    llama.cpp's default seed is a constant, so "no seed" gave the same sequence of answers in
    every new process. The seed used is kept in the answer's stats, to reproduce it.
    """
    return params.seed if params.seed is not None else secrets.randbelow(2**31)


class TemplateSource(Enum):
    GGUF = "gguf"          # the model's own tokenizer.chat_template
    NAMED = "named"        # a chat format the user (or the app) chose
    GUESSED = "guessed"    # the model has none; its architecture's usual format is used
    FALLBACK = "fallback"  # the model has none; llama-cpp-python falls back to llama-2
    REMOTE = "remote"      # a server elsewhere applies its own


@dataclass(frozen=True)
class ModelInfo:
    """What is loaded, as the status bar and `--stats` report it."""

    path: Path
    name: str
    n_ctx: int
    n_ctx_train: int
    n_threads: int
    n_params: int
    size_bytes: int
    chat_format: str
    template_source: TemplateSource
    chat_template: str | None = None
    gpu_offload: bool = False
    metadata: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # An embedding model (its GGUF declares a pooling type, or an encoder architecture): loaded
    # for `embed`, it cannot chat; any other model cannot embed.
    embedding: bool = False
    # Where it runs: "" on this computer, else the connection's name (`engine.remote`); how
    # many requests it takes at once (a server with continuous batching reads them together);
    # whether `count_tokens` only estimates (a server without a tokenizer endpoint).
    location: str = ""
    parallel: int = 1
    tokens_estimated: bool = False
    # Threads it was loaded with for the prompt (`n_threads` is the answer's), and whether
    # both adapt to how busy the machine is ("auto").
    n_threads_batch: int = 0
    threads_adapt: bool = False

    @property
    def is_remote(self) -> bool:
        return bool(self.location)

    @property
    def supports_tools(self) -> bool:
        """Whether the chat template in use renders a request's tools (reads `tools`)."""
        return self.chat_template is not None and "tools" in self.chat_template

    @property
    def thinking_switch(self) -> bool:
        """Whether its chat template turns thinking on and off (reads `enable_thinking`)."""
        return self.chat_template is not None and "enable_thinking" in self.chat_template

    @property
    def effort_choice(self) -> bool:
        """Whether its chat template takes how hard to think (reads `reasoning_effort`)."""
        return self.chat_template is not None and "reasoning_effort" in self.chat_template

    @property
    def reasons(self) -> bool:
        """Whether it is a reasoning model, as far as its chat template tells: the template
        knows of thinking (tags, a switch, a field for it, gpt-oss's channels)."""
        return self.chat_template is not None and any(
            mark in self.chat_template for mark in _REASONING_MARKS)

    @property
    def template_description(self) -> str:
        """Which chat template the model is asked through, in the reader's language."""
        if self.template_source is TemplateSource.GGUF:
            return _("the model's own chat template")
        if self.template_source is TemplateSource.REMOTE:
            return _("the chat template of the server '{server}'").format(server=self.location)
        if self.template_source is TemplateSource.NAMED:
            return _("chat format '{format}'").format(format=self.chat_format)
        if self.template_source is TemplateSource.GUESSED:
            return _("chat format '{format}', guessed from the architecture (the model has no "
                     "chat template of its own)").format(format=self.chat_format)
        return _("fallback chat format '{format}' (the model has no chat template; answers may "
                 "be poor)").format(format=self.chat_format)


_REASONING_MARKS = ("<think>", "enable_thinking", "reasoning_content", "<|channel|>",
                    "reasoning_effort")


# "loop": stopped because the text went round in circles (`LoopGuard`), its repeats cut;
# "tool_calls": the model called tools (`GenerationResult.tool_calls`) instead of answering.
FinishReason = Literal["stop", "length", "cancelled", "loop", "tool_calls"]


@dataclass(frozen=True)
class GenerationStats:
    """Numbers of one answer. `tokens_per_s` counts from the first token to the last;
    `cached_tokens` of the prompt were already evaluated (by an earlier turn, or restored)."""

    prompt_tokens: int
    completion_tokens: int
    ttft_s: float
    generation_s: float
    finish_reason: FinishReason
    cached_tokens: int = 0
    seed: int | None = None  # the sampling seed the answer was made with: it reproduces it
    # Of `completion_tokens`, those a reasoning model thought with, and how long it thought.
    thinking_tokens: int = 0
    thinking_s: float = 0.0
    # The CPU threads in use when it ended, for the answer and for the prompt (0: not known,
    # as for a model elsewhere).
    threads: int = 0
    threads_batch: int = 0

    @property
    def tokens_per_s(self) -> float:
        if self.generation_s <= 0 or self.completion_tokens == 0:
            return 0.0
        return self.completion_tokens / self.generation_s

    @property
    def answer_tokens(self) -> int:
        return max(0, self.completion_tokens - self.thinking_tokens)

    def as_json(self) -> dict[str, float | int | str]:
        return {
            "ttft_s": round(self.ttft_s, 4),
            "prompt_tokens": self.prompt_tokens,
            "cached_tokens": self.cached_tokens,
            "completion_tokens": self.completion_tokens,
            "tokens_per_s": round(self.tokens_per_s, 2),
            "finish_reason": self.finish_reason,
            **({"seed": self.seed} if self.seed is not None else {}),
            **({"thinking_tokens": self.thinking_tokens,
                "thinking_s": round(self.thinking_s, 2)} if self.thinking_tokens else {}),
            **({"threads": self.threads, "threads_batch": self.threads_batch}
               if self.threads else {}),
        }


@dataclass(frozen=True)
class GenerationResult:
    """An answer: `text` is what it says, `thinking` what a reasoning model thought before
    (`engine.thinking`), kept apart; `warning` says what the engine had to do instead of what
    was asked (a chat template that failed, so a generic format was used)."""

    text: str
    stats: GenerationStats
    tool_calls: tuple[ToolCall, ...] = ()
    thinking: str = ""
    warning: str = ""

    @property
    def cancelled(self) -> bool:
        return self.stats.finish_reason == "cancelled"


class EngineError(Exception):
    """A failure with a message fit to show the user as it is."""


class ModelLoadError(EngineError):
    """The file is missing, is not a GGUF model, or llama.cpp could not load it."""


class ContextOverflowError(EngineError):
    """The conversation does not fit the context window."""

    def __init__(self, prompt_tokens: int, n_ctx: int) -> None:
        super().__init__(_(
            "The conversation is {tokens} tokens long, but the model's context window holds "
            "{n_ctx}. Start a new chat, shorten the message, or raise the context length."
        ).format(tokens=prompt_tokens, n_ctx=n_ctx))
        self.prompt_tokens = prompt_tokens
        self.n_ctx = n_ctx


class NoModelLoadedError(EngineError):
    def __init__(self) -> None:
        super().__init__(_("No model is loaded."))


class GenerationError(EngineError):
    """The backend failed while answering."""


class UnsupportedRequestError(EngineError):
    """The loaded model cannot do what was asked: embed (a chat model), chat (an embedding
    model), call tools (a template without them), or keep to a JSON schema the sampler cannot
    enforce. `param` names the request's field at fault, for the HTTP API's error."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


OnPiece = Callable[[str], None]


@dataclass(frozen=True)
class PromptProgress:
    """How far the prompt has been read (evaluated) before the answer's first token: `done`
    of the `total` tokens that were not kept from before."""

    done: int
    total: int

    def describe(self) -> str:
        return _("Reading the prompt · {done} / {total} tokens").format(
            done=f"{self.done:,}", total=f"{self.total:,}")


OnPrompt = Callable[[PromptProgress], None]


@runtime_checkable
class InferenceEngine(Protocol):
    """A backend that loads one model at a time and streams chat replies.

    Every method is called from one thread, the one that owns the engine. A stop comes from
    another thread through the request's `CancelToken`.
    """

    @property
    def model(self) -> ModelInfo | None: ...

    def load(self, spec: LoadSpec) -> ModelInfo:
        """Load a model, replacing (and freeing) any loaded one. Raises `ModelLoadError`."""
        ...

    def unload(self) -> None:
        """Free the loaded model, if any."""
        ...

    def count_tokens(self, text: str) -> int:
        """How many tokens `text` is for the loaded model (no special tokens added)."""
        ...

    def use_session(self, session: str | None) -> None:
        """The calls that follow continue `session` (a chat), None for a one-off prompt.

        A backend that can keeps each session's evaluated history (llama.cpp: its KV cache)
        when another takes over, and brings it back with the session, so that a chat's next
        turn evaluates only its new tokens; one that cannot does nothing.
        """
        ...

    def stream_chat(self, messages: Sequence[ChatMessage], params: GenerationParams,
                    on_piece: OnPiece, cancel: CancelToken | None = None,
                    on_prompt: OnPrompt | None = None) -> GenerationResult:
        """Answer the conversation, calling `on_piece` with each new piece of text, and, while
        a long prompt is read, `on_prompt` with how far it is (a backend that cannot tell
        does not call it). When the last message is the assistant's, the answer goes on from
        its text (a stopped answer continued): only the new text is streamed and returned.

        Returns when the answer is complete or `cancel` is set, also while the prompt is still
        being evaluated; a stop gives `finish_reason` "cancelled" and the text so far. Raises
        `ContextOverflowError` when the prompt does not fit, `GenerationError` for other failures.

        With `params.tools` the model may call them: the calls come back in the result's
        `tool_calls` (finish reason "tool_calls"), and their text is not streamed as pieces.
        With `params.json_schema` the answer is JSON matching it.
        """
        ...

    def complete(self, prompt: str, params: GenerationParams, on_piece: OnPiece,
                 cancel: CancelToken | None = None) -> GenerationResult:
        """Go on from `prompt`, plain text without a chat template (OpenAI's legacy
        completions), streaming as `stream_chat` does."""
        ...

    def embed(self, texts: Sequence[str], cancel: CancelToken | None = None
              ) -> tuple[list[list[float]], int]:
        """One vector per text, and the tokens read. Raises `UnsupportedRequestError` unless
        an embedding model is loaded (`ModelInfo.embedding`), `ContextOverflowError` for a text
        longer than the context."""
        ...
