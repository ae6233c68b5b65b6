"""A model served elsewhere, over the OpenAI-compatible HTTP API: llama.cpp's `llama-server`,
vLLM, Ollama, LM Studio, or another Lamplight (`lamplight serve`).

`RemoteEngine` fits the engine protocol as the in-process engine does: `load` picks a model of
a `Connection` (`LoadSpec.remote`) and learns its context length (llama-server's `/props`,
vLLM's `max_model_len`, Lamplight's `context_length`, else the connection's own setting);
`stream_chat` reads the server-sent events of `/v1/chat/completions`; a stop closes the
stream's socket, which tells the server to stop. Tokens are counted by the server's
`/tokenize` where it has one (llama-server, vLLM, Lamplight), else estimated, and
`ModelInfo.tokens_estimated` says so.

Unlike the in-process engine, several requests may run at once (`ModelInfo.parallel`, the
connection's limit): a summary sends its parts together, and a server with continuous batching
reads them together. Each request is a blocking call on its caller's thread.

Everything the server sends is hostile until checked: sizes are bounded (a listing, an event,
an answer), names are cut and cleaned before they are shown, and each failure is one line that
says what to do (`RemoteError`).
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import math
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx

from app.core.engine.base import (
    REASONING_EFFORTS,
    ChatMessage,
    ContextOverflowError,
    FinishReason,
    GenerationError,
    GenerationParams,
    GenerationResult,
    GenerationStats,
    LoadSpec,
    ModelInfo,
    ModelLoadError,
    NoModelLoadedError,
    OnPiece,
    OnPrompt,
    TemplateSource,
    ToolCall,
    UnsupportedRequestError,
)
from app.core.engine.cancel import CancelToken
from app.core.engine.connection import (
    MAX_NAME,
    Connection,
    RemoteTarget,
    shown_name,
)
from app.core.engine.thinking import CLOSE, OPEN, ThinkingWatch
from app.i18n import _

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 300.0  # a long prompt on a busy server may take minutes before its first token
PROBE_TIMEOUT_S = 5.0  # listing models, the server's facts, a test
MAX_RETRIES = 3  # a 429 or 503 is tried again this many times
MAX_RETRY_WAIT_S = 30.0  # at most this long each, whatever Retry-After asks
DEFAULT_RETRY_WAIT_S = 2.0
MAX_LISTING_BYTES = 4 * 1024 * 1024  # /v1/models, /props
MAX_LINE_BYTES = 1024 * 1024  # one server-sent event
MAX_ANSWER_CHARS = 4_000_000  # an answer past this is cut (a server ignoring max_tokens)
MAX_MODELS = 1000
MAX_TOKENIZE_CHARS = 2_000_000  # a longer text is counted in slices by the callers
ESTIMATE_CHARS_PER_TOKEN = 3.5  # where the server cannot count: about right for English
DEFAULT_N_CTX = 4096  # a server that tells nothing, and a connection that sets nothing


class RemoteError(GenerationError):
    """A request to a server failed; the message is one line fit for the user."""


class ServerUnavailableError(ModelLoadError):
    """A load that got no usable answer from the server (unreachable, a refused key, not
    OpenAI-compatible), as opposed to a model the server does not have."""


class RemoteAuthError(RemoteError, ServerUnavailableError):
    """The server refused the API key (401/403): at load (a `ServerUnavailableError`, as the
    load's callers catch it) or later, so a caller can offer to set the key either way."""


class AnswerInterruptedError(RemoteError):
    """The connection broke while the answer streamed: what came is kept (`partial`)."""

    def __init__(self, message: str, partial: str) -> None:
        super().__init__(message)
        self.partial = partial


def remote_spec(target: RemoteTarget) -> LoadSpec:
    """How to load a model of a connection."""
    return LoadSpec(Path(target.ref), n_ctx=target.connection.n_ctx or DEFAULT_N_CTX,
                    remote=target)


@dataclass(frozen=True)
class RemoteModel:
    """A model a server lists: its id, and the context length it gives (0: none)."""

    id: str
    n_ctx: int = 0
    owned_by: str = ""


def _positive(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


class Server:
    """The HTTP side of a connection: requests with its key, failures as `RemoteError`s."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        headers = {"Accept": "application/json", "User-Agent": "Lamplight"}
        if connection.api_key:
            headers["Authorization"] = f"Bearer {connection.api_key}"
        # trust_env: HTTP(S)_PROXY and NO_PROXY are honoured; verify: the system's certificates.
        self.client = httpx.Client(
            headers=headers, trust_env=True, follow_redirects=False,
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            limits=httpx.Limits(max_connections=max(4, connection.parallel + 2)))
        # Answers open a connection each (none is kept for the next): a stop shuts the one its
        # answer opened (`_Watch`), known from the moment it connects, before any reply.
        self.answers = httpx.Client(
            headers=headers, trust_env=True, follow_redirects=False,
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            limits=httpx.Limits(max_connections=max(4, connection.parallel + 2),
                                max_keepalive_connections=0))

    def close(self) -> None:
        self.client.close()
        self.answers.close()

    @property
    def where(self) -> str:
        return f"'{self.connection.name}' ({self.connection.url})"

    def get_json(self, url: str, *, missing_ok: bool = False,
                 timeout: float = PROBE_TIMEOUT_S) -> Any:
        """GET `url` as JSON (bounded); None for a 404 when `missing_ok`."""
        return self._json("GET", url, None, missing_ok=missing_ok, timeout=timeout)

    def post_json(self, url: str, body: dict[str, Any], *, missing_ok: bool = False,
                  timeout: float = PROBE_TIMEOUT_S) -> Any:
        return self._json("POST", url, body, missing_ok=missing_ok, timeout=timeout)

    def _json(self, method: str, url: str, body: dict[str, Any] | None, *, missing_ok: bool,
              timeout: float) -> Any:
        try:
            with self.client.stream(method, url, json=body,
                                    timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT_S)
                                    ) as response:
                if missing_ok and response.status_code in (404, 405, 501):
                    return None
                self.check(response)
                data = _read_bounded(response, MAX_LISTING_BYTES)
        except httpx.HTTPError as exc:
            raise self.failure(exc, timeout) from None
        try:
            return json.loads(data)
        except ValueError:
            if missing_ok:
                return None
            kind = response.headers.get("content-type", "no content type").split(";")[0]
            raise RemoteError(_("{where} does not answer as an OpenAI-compatible server "
                                "({request} gave {kind}, not JSON): check the URL.").format(
                                    where=self.where, request=f"{method} {httpx.URL(url).path}",
                                    kind=shown_name(kind))) from None

    def check(self, response: httpx.Response) -> None:
        """Raise the `RemoteError` for a response that is not a success."""
        status = response.status_code
        if status < 300:
            return
        detail = _error_detail(response)
        answer = f"{status}: {detail}" if detail else str(status)
        if status in (401, 403):
            raise RemoteAuthError(_(
                "{where} refused the API key ({answer}): set its key in Settings → "
                "Connections, or with 'lamplight remotes add --key-stdin'.").format(
                    where=self.where, answer=answer))
        if 300 <= status < 400:
            raise RemoteError(_("{where} redirects to {location}: use that address as the "
                                "connection's URL.").format(
                                    where=self.where,
                                    location=shown_name(response.headers.get("location", "?"))))
        raise RemoteError(_("{where} answered {answer}.").format(where=self.where,
                                                                 answer=answer))

    def failure(self, exc: httpx.HTTPError, timeout: float | None = None) -> RemoteError:
        """One line for a request that got no answer (`timeout`: how long it waited for a
        read, an answer's `READ_TIMEOUT_S` unless said)."""
        where = self.where
        reason = shown_name(exc) or type(exc).__name__
        if isinstance(exc, httpx.ConnectTimeout):
            return RemoteError(_("Cannot reach {where}: no answer within {seconds} s. Is the "
                                 "server running?").format(
                                     where=where, seconds=f"{CONNECT_TIMEOUT_S:.0f}"))
        if isinstance(exc, httpx.ConnectError):
            if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "SSL" in str(exc):
                return RemoteError(_("The TLS certificate of {where} is not trusted by this "
                                     "system ({reason}): add its CA to the system's "
                                     "certificates, or use SSL_CERT_FILE.").format(
                                         where=where, reason=reason))
            return RemoteError(_("Cannot reach {where}: {reason}. Is the server running, and "
                                 "the URL right?").format(where=where, reason=reason))
        if isinstance(exc, httpx.TimeoutException):
            waited = READ_TIMEOUT_S if timeout is None else timeout
            return RemoteError(_("{where} sent nothing for {seconds} s; it may be overloaded. "
                                 "Try again, or stop and ask later.").format(
                                     where=where, seconds=f"{waited:.0f}"))
        if isinstance(exc, httpx.UnsupportedProtocol):
            return RemoteError(_("{where}: {reason}.").format(where=where, reason=reason))
        return RemoteError(_("The connection to {where} failed: {reason}.").format(
            where=where, reason=reason))


def _read_bounded(response: httpx.Response, limit: int) -> bytes:
    data = bytearray()
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) > limit:
            raise RemoteError(_("The server's answer is over {size} MB; refused.").format(
                size=limit >> 20))
    return bytes(data)


def _error_detail(response: httpx.Response) -> str:
    """The message of an error answer ({"error": {"message": …}} or text), one short line."""
    return _error(response)[0]


def _error(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    """An error answer's message, one short line, and its `error` object (llama-server puts
    `n_prompt_tokens` and `n_ctx` in it when a prompt is too long)."""
    try:
        data = json.loads(_read_bounded(response, 64 * 1024))
    except (ValueError, RemoteError, httpx.HTTPError):
        return "", {}
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    if message is None and isinstance(data, dict):
        message = data.get("detail") or data.get("message")
    line = " ".join(shown_name(message).split())[:160] if message else ""
    return line, error if isinstance(error, dict) else {}


def list_models(connection: Connection) -> list[RemoteModel]:
    """The models `connection`'s server offers (`GET /v1/models`). Raises `RemoteError`."""
    server = Server(connection)
    try:
        return _models(server)
    finally:
        server.close()


def _models(server: Server) -> list[RemoteModel]:
    data = server.get_json(f"{server.connection.url}/models")
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise RemoteError(_("{where} does not answer as an OpenAI-compatible server (GET "
                            "/v1/models has no 'data' list): check the URL.").format(
                                where=server.where))
    models: list[RemoteModel] = []
    for item in items[:MAX_MODELS]:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or \
                not item["id"].strip():
            continue
        meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
        n_ctx = (_positive(item.get("max_model_len")) or _positive(item.get("context_length"))
                 or _positive(meta.get("n_ctx_train")) if meta is not None else 0)
        models.append(RemoteModel(shown_name(item["id"]), n_ctx,
                                  shown_name(item.get("owned_by", ""))))
    return models


@dataclass
class _Facts:
    """What `load` learned of the server for the model."""

    n_ctx: int
    kind: str  # "llama.cpp", "vllm", "lamplight" or "" (unknown: only the standard fields)
    chat_template: str | None = None
    tokenize: bool = False


class RemoteEngine:
    """The engine protocol over a connection's OpenAI-compatible API (see the module).

    `load` and `unload` come from the thread that owns the engine; `stream_chat`, `complete`
    and `count_tokens` may run on several threads at once, up to `model.parallel`.
    """

    def __init__(self) -> None:
        self._server: Server | None = None
        self._target: RemoteTarget | None = None
        self._facts: _Facts | None = None
        self._model: ModelInfo | None = None
        self.last_timings: dict[str, float] = {}  # the server's own numbers (llama-server)
        self.last_usage: dict[str, Any] = {}

    @property
    def model(self) -> ModelInfo | None:
        return self._model

    @property
    def target(self) -> RemoteTarget | None:
        return self._target

    def load(self, spec: LoadSpec) -> ModelInfo:
        target = spec.remote
        if target is None:
            raise ModelLoadError(_("{name} is a file: the remote engine loads a model of a "
                                   "connection.").format(name=spec.path.name))
        self.unload()
        server = Server(target.connection)
        try:
            models = _models(server)
            listed = next((m for m in models if m.id == target.model), None)
            if listed is None:
                offered = ", ".join(m.id for m in models[:12])
                raise ModelLoadError((_(
                    "{where} has no model '{model}' (it has: {offered}).") if offered else _(
                    "{where} has no model '{model}' (it has none).")).format(
                        where=server.where, model=shown_name(target.model), offered=offered))
            facts = self._facts_of(server, listed, spec)
        except RemoteAuthError:
            server.close()
            raise
        except RemoteError as exc:
            server.close()
            raise ServerUnavailableError(str(exc)) from None
        except BaseException:
            server.close()
            raise
        self._server, self._target, self._facts = server, target, facts
        self._model = ModelInfo(
            path=Path(target.ref), name=target.model, n_ctx=facts.n_ctx,
            n_ctx_train=max(facts.n_ctx, listed.n_ctx), n_threads=0, n_params=0, size_bytes=0,
            chat_format="the server's", template_source=TemplateSource.REMOTE,
            chat_template=facts.chat_template, location=target.connection.name,
            parallel=max(1, target.connection.parallel), tokens_estimated=not facts.tokenize)
        return self._model

    def _facts_of(self, server: Server, listed: RemoteModel, spec: LoadSpec) -> _Facts:
        connection = server.connection
        props = server.get_json(f"{connection.root}/props", missing_ok=True)
        if isinstance(props, dict) and isinstance(props.get("default_generation_settings"),
                                                  dict):
            settings = props["default_generation_settings"]
            template = props.get("chat_template")
            return _Facts(n_ctx=connection.n_ctx or _positive(settings.get("n_ctx"))
                          or listed.n_ctx or spec.n_ctx, kind="llama.cpp",
                          chat_template=template if isinstance(template, str) else None,
                          tokenize=True)
        if listed.owned_by == "vllm":
            facts = _Facts(n_ctx=connection.n_ctx or listed.n_ctx or DEFAULT_N_CTX, kind="vllm")
            facts.tokenize = self._tokenize_works(server, facts.kind, listed.id)
            return facts
        # Another Lamplight answers llama-server's /tokenize (with a count) and takes llama.cpp's
        # sampling fields; a server that has no /tokenize gets OpenAI's fields only.
        facts = _Facts(n_ctx=connection.n_ctx or listed.n_ctx or DEFAULT_N_CTX, kind="lamplight")
        facts.tokenize = self._tokenize_works(server, facts.kind, listed.id)
        if not facts.tokenize:
            facts.kind = ""
        return facts

    def _tokenize_works(self, server: Server, kind: str, model: str) -> bool:
        try:
            return self._tokenize(server, kind, "Hello", model) is not None
        except RemoteError:
            return False

    def unload(self) -> None:
        if self._server is not None:
            self._server.close()
        self._server = self._target = self._facts = self._model = None

    def use_session(self, session: str | None) -> None:
        """The server keeps (or not) its own cache of prompts: nothing to do here."""

    # -- tokens --------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        server, target, facts = self._ready()
        if facts.tokenize and len(text) <= MAX_TOKENIZE_CHARS:
            try:
                counted = self._tokenize(server, facts.kind, text, target.model)
            except RemoteError as exc:
                log.warning("counting tokens on %s failed: %s", server.where, exc)
                counted = None
            if counted is not None:
                return counted
        return estimate_tokens(text)

    def _tokenize(self, server: Server, kind: str, text: str, model: str) -> int | None:
        url = f"{server.connection.root}/tokenize"
        if kind == "vllm":
            data = server.post_json(url, {"model": model, "prompt": text,
                                          "add_special_tokens": False},
                                    missing_ok=True, timeout=READ_TIMEOUT_S)
            count = data.get("count") if isinstance(data, dict) else None
            return count if isinstance(count, int) and count >= 0 else None
        data = server.post_json(url, {"model": model, "content": text,
                                      "add_special": False},
                                missing_ok=True, timeout=READ_TIMEOUT_S)
        if not isinstance(data, dict):
            return None
        count, tokens = data.get("count"), data.get("tokens")
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
            return count
        return len(tokens) if isinstance(tokens, list) else None

    def _ready(self) -> tuple[Server, RemoteTarget, _Facts]:
        if self._server is None or self._target is None or self._facts is None:
            raise NoModelLoadedError
        return self._server, self._target, self._facts

    # -- answers -------------------------------------------------------------------------

    def stream_chat(self, messages: Sequence[ChatMessage], params: GenerationParams,
                    on_piece: OnPiece, cancel: CancelToken | None = None,
                    on_prompt: OnPrompt | None = None) -> GenerationResult:
        server, target, facts = self._ready()
        body: dict[str, Any] = {"model": target.model,
                                "messages": [_message_json(m) for m in messages]}
        if messages and messages[-1].role == "assistant" and facts.kind == "vllm":
            # Go on from a stopped answer's text: llama-server takes a last assistant message
            # as the start of the answer; vLLM is told to.
            body.update(continue_final_message=True, add_generation_prompt=False)
        body.update(_sampling(params, facts.kind))
        if params.json_schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "answer", "schema": json.loads(params.json_schema)}}
        if params.tools:
            body["tools"] = [{"type": "function", "function": {
                "name": t.name, "description": t.description,
                "parameters": json.loads(t.parameters)}} for t in params.tools]
            body["tool_choice"] = (params.tool_choice if params.tool_choice in
                                   ("auto", "none", "required") else
                                   {"type": "function", "function": {"name": params.tool_choice}})
        # The switch as llama-server and vLLM take it; only off (on is every template's
        # default), and the effort only where the server's template is known to read it.
        if facts.kind in ("llama.cpp", "vllm", "lamplight") and not params.thinking:
            body["chat_template_kwargs"] = {"enable_thinking": False}
        model = self._model
        if model is not None and model.effort_choice and \
                params.reasoning_effort in REASONING_EFFORTS:
            body["reasoning_effort"] = params.reasoning_effort
        watch = ThinkingWatch(on_piece)
        result = self._stream(server, "chat/completions", body, params, watch.piece,
                              cancel=cancel)
        details = self.last_usage.get("completion_tokens_details")
        reported = _positive(details.get("reasoning_tokens")) if isinstance(details, dict) \
            else 0
        return watch.finish(result, thinking_tokens=reported or None)

    def complete(self, prompt: str, params: GenerationParams, on_piece: OnPiece,
                 cancel: CancelToken | None = None) -> GenerationResult:
        server, target, facts = self._ready()
        body: dict[str, Any] = {"model": target.model, "prompt": prompt}
        body.update(_sampling(params, facts.kind))
        return self._stream(server, "completions", body, params, on_piece,
                            cancel=cancel)

    def embed(self, texts: Sequence[str], cancel: CancelToken | None = None
              ) -> tuple[list[list[float]], int]:
        raise UnsupportedRequestError("Embeddings of a remote model are not offered.", "model")

    def _stream(self, server: Server, endpoint: str, body: dict[str, Any],
                params: GenerationParams, on_piece: OnPiece, *,
                cancel: CancelToken | None) -> GenerationResult:
        cancel = cancel or CancelToken()
        body.update(stream=True, stream_options={"include_usage": True})
        t0 = time.perf_counter()
        stream = _Stream()
        for attempt in range(MAX_RETRIES + 1):
            if cancel.cancelled:
                return _stopped(t0)
            try:
                with _Watch(cancel) as watch, server.answers.stream(
                        "POST", f"{server.connection.url}/{endpoint}", json=body,
                        extensions={"trace": watch.trace}) as response:
                    if response.status_code in (429, 503) and attempt < MAX_RETRIES:
                        wait = retry_after(response.headers.get("retry-after"))
                        log.info("%s answered %d; trying again in %.1f s", server.where,
                                 response.status_code, wait)
                        if cancel.wait(wait):
                            return _stopped(t0)
                        continue
                    self._take(server, endpoint, response, stream, on_piece=on_piece,
                               cancel=cancel)
                break
            except httpx.HTTPError as exc:
                if cancel.cancelled:
                    break  # the stop closed the socket
                if stream.started:
                    raise AnswerInterruptedError(_(
                        "The connection to {where} broke during the answer ({reason}); what "
                        "came is kept.").format(where=server.where,
                                                reason=shown_name(exc) or type(exc).__name__),
                        stream.text) from None
                raise server.failure(exc) from None
            except AnswerInterruptedError:
                raise
            except RemoteError as exc:
                if stream.started:  # an event refused or a server failing mid-answer
                    raise AnswerInterruptedError(_("{problem} What came is kept.").format(
                        problem=exc), stream.text) from None
                raise
        else:  # pragma: no cover - the loop breaks or returns on its last attempt
            raise RemoteError(_("{where} stayed busy.").format(where=server.where))
        if not cancel.cancelled and not stream.done:
            raise AnswerInterruptedError(_(
                "The connection to {where} ended before the answer did; what came is kept.")
                .format(where=server.where), stream.text)
        self.last_timings, self.last_usage = stream.timings, stream.usage
        finish: FinishReason = "cancelled" if cancel.cancelled else stream.finish
        first = stream.first_at or time.perf_counter()
        end = stream.last_at or first
        usage = stream.usage
        completion = _positive(usage.get("completion_tokens")) or stream.pieces
        cached = usage.get("prompt_tokens_details")
        return GenerationResult(stream.text, GenerationStats(
            prompt_tokens=_positive(usage.get("prompt_tokens")),
            completion_tokens=completion, ttft_s=first - t0,
            generation_s=_generation_s(end - first, completion, stream.timings),
            finish_reason=finish,
            cached_tokens=_positive(cached.get("cached_tokens"))
            if isinstance(cached, dict) else 0,
            seed=params.seed), tuple(stream.tool_calls()))


    def _take(self, server: Server, endpoint: str, response: httpx.Response, stream: _Stream,
              *, on_piece: OnPiece, cancel: CancelToken) -> None:
        """Read an answer's response into `stream`: events, or JSON from a server that does
        not stream; anything else is refused with one line."""
        if response.status_code == 400:
            _raise_bad_request(server, response, self._model.n_ctx if self._model else 0)
        server.check(response)
        completions = endpoint == "completions"
        kind = response.headers.get("content-type", "").split(";")[0].strip()
        if kind == "application/json":
            stream.whole(_read_bounded(response, MAX_LISTING_BYTES), on_piece, completions)
        elif kind != "text/event-stream":
            raise RemoteError(_("{where} does not answer as an OpenAI-compatible server "
                                "({request} gave {kind}): check the URL.").format(
                                    where=server.where, request=f"POST /{endpoint}",
                                    kind=shown_name(kind) if kind else _("no content type")))
        else:
            stream.read(response, on_piece, cancel, completions)


def estimate_tokens(text: str) -> int:
    """Tokens of `text` where the server cannot count them: an estimate (see
    `ModelInfo.tokens_estimated`)."""
    return int(len(text) / ESTIMATE_CHARS_PER_TOKEN) + 1 if text else 0


def retry_after(value: str | None) -> float:
    """Seconds to wait before trying again: the server's Retry-After (seconds or a date),
    within 0–`MAX_RETRY_WAIT_S`."""
    if value:
        try:
            seconds = float(value)
        except ValueError:
            try:
                seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
            except (ValueError, TypeError, OverflowError):  # neither seconds nor a date
                seconds = DEFAULT_RETRY_WAIT_S
        if not math.isnan(seconds):
            return min(MAX_RETRY_WAIT_S, max(0.0, seconds))
    return DEFAULT_RETRY_WAIT_S


def _raise_bad_request(server: Server, response: httpx.Response, n_ctx: int) -> None:
    """A 400: a prompt too long for the server's context is a `ContextOverflowError` (with the
    numbers llama-server gives, else the context as known), anything else one line."""
    detail, error = _error(response)
    lowered = detail.lower()
    if error.get("type") == "exceed_context_size_error" or (
            "context" in lowered and any(w in lowered for w in ("exceed", "too long",
                                                                  "maximum context"))):
        prompt_tokens = _positive(error.get("n_prompt_tokens"))
        raise ContextOverflowError(prompt_tokens or n_ctx + 1,
                                   _positive(error.get("n_ctx")) or n_ctx)
    raise RemoteError(_("{where} refused the request ({answer}).").format(
        where=server.where, answer=f"400: {detail}" if detail else "400"))


def _stopped(t0: float) -> GenerationResult:
    return GenerationResult("", GenerationStats(0, 0, time.perf_counter() - t0, 0.0,
                                                "cancelled"))


def _message_json(message: ChatMessage) -> dict[str, Any]:
    item: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        item["tool_calls"] = [{"id": c.id, "type": "function", "function": {
            "name": c.name, "arguments": c.arguments}} for c in message.tool_calls]
    if message.tool_call_id is not None:
        item["tool_call_id"] = message.tool_call_id
    return item


def _sampling(params: GenerationParams, kind: str) -> dict[str, Any]:
    """The request's sampling fields: OpenAI's, and llama.cpp's own where the server takes
    them (a strict server may refuse fields it does not know)."""
    body: dict[str, Any] = {"temperature": params.temperature, "top_p": params.top_p}
    if params.max_tokens is not None:
        body["max_tokens"] = params.max_tokens
    if params.seed is not None:
        body["seed"] = params.seed
    if params.stop:
        body["stop"] = list(params.stop)
    if params.presence_penalty:
        body["presence_penalty"] = params.presence_penalty
    if params.frequency_penalty:
        body["frequency_penalty"] = params.frequency_penalty
    if kind in ("llama.cpp", "lamplight"):
        body.update(top_k=params.top_k, min_p=params.min_p,
                    repeat_penalty=params.repeat_penalty)
    elif kind == "vllm":
        body.update(top_k=params.top_k, min_p=params.min_p,
                    repetition_penalty=params.repeat_penalty)
    return body


def _generation_s(seen_s: float, completion: int, timings: dict[str, float]) -> float:
    """How long the answer took to write: first piece to last as they arrived, unless they
    arrived in one read (a short answer a server sent at once, or a whole JSON answer); then
    the server's own time for it where it tells (llama-server's `timings`), else 0 (no speed
    shown rather than a made-up one)."""
    if completion <= 1:
        return 0.0
    if seen_s >= 0.001:
        return seen_s
    predicted_ms = timings.get("predicted_ms", 0.0)
    return predicted_ms / 1000 if 0 < predicted_ms < 86_400_000 else 0.0


class _Stream:
    """One answer's server-sent events, read and checked."""

    def __init__(self) -> None:
        self.text = ""
        self.pieces = 0
        self.started = False
        self.done = False
        self.finish: FinishReason = "stop"
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.usage: dict[str, Any] = {}
        self.timings: dict[str, float] = {}
        self._calls: dict[int, dict[str, str]] = {}
        self._reasoning = False  # inside a thinking field's text

    def read(self, response: httpx.Response, on_piece: OnPiece, cancel: CancelToken,
             completions: bool) -> None:
        for data in _events(response):
            if cancel.cancelled:
                return
            if data == "[DONE]":
                self.done = True
                return
            try:
                event = json.loads(data)
            except ValueError:
                raise RemoteError(_("The server sent an event that is not JSON; it does not "
                                    "stream as an OpenAI-compatible server.")) from None
            if not isinstance(event, dict):
                continue
            self._meta(event)
            choices = event.get("choices")
            if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
                continue
            piece = self._piece(choices[0], completions)
            if piece:
                now = time.perf_counter()
                self.first_at = self.first_at or now
                self.last_at = now
                self.started = True
                self.pieces += 1
                room = MAX_ANSWER_CHARS - len(self.text)
                self.text += piece[:room]
                on_piece(piece[:room])
                if room <= len(piece):
                    self.finish, self.done = "length", True
                    return
            reason = choices[0].get("finish_reason")
            if isinstance(reason, str) and reason:
                self.finish = ("length" if reason == "length" else
                               "tool_calls" if reason == "tool_calls" else "stop")
        # The stream ended without [DONE]: complete only if the last event said how it ended
        # (some servers close without [DONE]); `done` stays False otherwise.
        if self.finish != "stop" or self.usage:
            self.done = True

    def whole(self, data: bytes, on_piece: OnPiece, completions: bool) -> None:
        """An answer sent whole, as JSON, by a server that does not stream."""
        try:
            answer = json.loads(data)
        except ValueError:
            raise RemoteError(_("The server's answer is not JSON; it does not answer as an "
                                "OpenAI-compatible server.")) from None
        choices = answer.get("choices") if isinstance(answer, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise RemoteError(_("The server's answer has no choices; it does not answer as an "
                                "OpenAI-compatible server."))
        self._meta(answer)
        choice = choices[0]
        if not completions and isinstance(choice.get("message"), dict):
            choice = {**choice, "delta": choice["message"]}
        piece = self._piece(choice, completions)[:MAX_ANSWER_CHARS]
        if piece:
            self.first_at = self.last_at = time.perf_counter()
            self.started, self.pieces, self.text = True, 1, piece
            on_piece(piece)
        reason = choice.get("finish_reason")
        self.finish = ("length" if reason == "length" else
                       "tool_calls" if reason == "tool_calls" else "stop")
        self.done = True

    def _meta(self, event: dict[str, Any]) -> None:
        """An event's error (raised), usage and the server's timings."""
        if isinstance(event.get("error"), dict | str):
            raise RemoteError(_("The server failed during the answer: {reason}").format(
                reason=_event_error(event["error"])))
        if isinstance(event.get("usage"), dict):
            self.usage = event["usage"]
        if isinstance(event.get("timings"), dict):
            self.timings = {k: float(v) for k, v in event["timings"].items()
                            if isinstance(v, int | float) and not isinstance(v, bool)}

    def _piece(self, choice: dict[str, Any], completions: bool) -> str:
        """The text of an event's choice (a tool call's parts are gathered meanwhile)."""
        if completions:
            text = choice.get("text")
        else:
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                return ""
            self._add_calls(delta.get("tool_calls"))
            text = self._thinking(delta.get("reasoning_content") or delta.get("reasoning"))
            content = delta.get("content")
            if isinstance(content, str) and content:
                text += self._thinking(None) + content
        return text if isinstance(text, str) else ""

    def _thinking(self, reasoning: object) -> str:
        """A server's thinking field (llama-server's and vLLM's `reasoning_content`, Ollama's
        and LM Studio's `reasoning`) as the stream carries thinking (`engine.thinking`):
        between the tags, the closing one when the answer starts (`reasoning` None)."""
        if not isinstance(reasoning, str) or not reasoning:
            closing = CLOSE + "\n\n" if self._reasoning else ""
            self._reasoning = False
            return closing if reasoning is None else ""
        opening = "" if self._reasoning else OPEN
        self._reasoning = True
        return opening + reasoning

    def _add_calls(self, deltas: object) -> None:
        if not isinstance(deltas, list):
            return
        for delta in deltas[:64]:
            if not isinstance(delta, dict):
                continue
            index = delta.get("index", 0)
            call = self._calls.setdefault(index if isinstance(index, int) else 0,
                                          {"id": "", "name": "", "arguments": ""})
            function = delta.get("function") if isinstance(delta.get("function"), dict) else {}
            if isinstance(delta.get("id"), str):
                call["id"] = delta["id"][:MAX_NAME]
            if function and isinstance(function.get("name"), str):
                call["name"] += function["name"][:MAX_NAME]
            if function and isinstance(function.get("arguments"), str) and \
                    len(call["arguments"]) < MAX_LINE_BYTES:
                call["arguments"] += function["arguments"]
            self.started = True

    def tool_calls(self) -> list[ToolCall]:
        return [ToolCall(c["id"] or f"call_{i}", c["name"], c["arguments"])
                for i, c in sorted(self._calls.items()) if c["name"]]


def _event_error(error: object) -> str:
    message = error.get("message") if isinstance(error, dict) else error
    return " ".join(shown_name(message).split())[:200]


def _events(response: httpx.Response) -> Iterator[str]:
    """The `data:` payloads of a server-sent event stream, each bounded."""
    buffer = b""
    for chunk in response.iter_raw():
        buffer += chunk
        while True:
            end = buffer.find(b"\n")
            if end < 0:
                if len(buffer) > MAX_LINE_BYTES:
                    raise RemoteError(_("The server sent an event over 1 MB long; refused."))
                break
            line, buffer = buffer[:end].rstrip(b"\r"), buffer[end + 1:]
            if line.startswith(b"data:"):
                yield line[5:].strip().decode("utf-8", errors="replace")
    if buffer.startswith(b"data:"):
        yield buffer[5:].strip().decode("utf-8", errors="replace")


class _Watch:
    """While an answer is asked for and streams, a stop shuts its socket, so a read blocked on
    a server still reading the prompt (llama-server), or sending no reply until its first
    token (Lamplight's own server), returns at once and the server sees the client go (and stops).
    The socket is the one the request's connection opened (`trace`, httpx's trace extension):
    answers do not reuse connections (`Server.answers`), so each opens its own."""

    def __init__(self, cancel: CancelToken) -> None:
        self._cancel = cancel
        self._socket: socket.socket | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="remote-stop", daemon=True)

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace events: the connection's socket once it is open."""
        if event == "connection.connect_tcp.complete":
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket):
                self._socket = sock

    def __enter__(self) -> _Watch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(0.05):
            if self._cancel.cancelled and self._socket is not None:
                with contextlib.suppress(OSError):
                    self._socket.shutdown(socket.SHUT_RDWR)
                return
