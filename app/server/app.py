"""OpenAI's endpoints over the chat service: `/v1/models`, `/v1/chat/completions`,
`/v1/completions`, `/v1/embeddings`.

A request is checked (`schema`), its model found (404 if not installed), and its job queued in
the inference thread's "api" lane (`EngineRunner`; 503 with `Retry-After` when too many wait).
Pieces come back from that thread through the event loop. On an engine that answers several at
once (`server.parallel`), that thread only finds and loads the model: the answer itself runs on
a thread of the `answers` pool, so that up to N of them are decoded together. A client that goes
away sets the request's cancel token, which stops the engine between two tokens, or while it
reads the prompt, and a request still waiting never starts. Errors that happen before the first
token (a prompt too long, a model that cannot load) still get their status: a stream's headers
are sent with its first piece.

A reasoning model's thinking comes apart from its answer, as llama-server gives it by default:
`reasoning_content` beside `content` in the message (in each delta of a stream), and its
tokens as `usage.completion_tokens_details.reasoning_tokens`. A request turns the thinking off
with `chat_template_kwargs: {"enable_thinking": false}` where the model's template has the
switch, and sets `reasoning_effort` where it reads one.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response

from app import __version__
from app.core.chat.api import Answer, ApiService, RequestCancelledError
from app.core.engine.base import (
    ContextOverflowError,
    EngineError,
    GenerationResult,
    InferenceEngine,
    ModelLoadError,
    UnsupportedRequestError,
)
from app.core.engine.cancel import CancelToken
from app.core.engine.runner import EngineRunner, QueueFullError, RunnerClosedError
from app.core.engine.thinking import Split, ThinkingSplitter
from app.core.models.library import ModelEntry, ModelNotFoundError
from app.core.settings.file import SettingsFile
from app.core.settings.schema import DEFAULT_SERVER_PORT
from app.core.throttle import PieceBatcher
from app.server import schema
from app.server.errors import (
    ApiError,
    queue_full,
    server_error,
    shutting_down,
    unknown_model,
)
from app.server.guard import BODY_LIMIT, Guard, read_body

log = logging.getLogger(__name__)
LANE = "api"
T = TypeVar("T")
_END = object()
_DISCONNECT_POLL_S = 0.1
STREAM_INTERVAL_S = 1 / 30  # pieces go to the event loop at most this often
FINISH_REASONS = {"stop": "stop", "length": "length", "loop": "length",
                  "tool_calls": "tool_calls", "cancelled": "stop"}


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_SERVER_PORT
    api_key: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_waiting: int = 16  # requests queued in the api lane; more get 503
    body_limit: int = BODY_LIMIT

    @classmethod
    def from_settings(cls, settings: SettingsFile, *, host: str = "127.0.0.1",
                      port: int | None = None, api_key: str | None = None) -> ServerConfig:
        """The Server settings' port (`port` over it: a flag) and allowed web origins
        (separated by spaces or commas)."""
        chosen = settings.get("server.port") if port is None else port
        origins = settings.get("server.cors_origins")
        return cls(host=host, port=chosen if isinstance(chosen, int) else DEFAULT_SERVER_PORT,
                   api_key=api_key,
                   cors_origins=tuple(str(origins or "").replace(",", " ").split()))


@dataclass
class Activity:
    """What the window shows of the server: requests in flight, the last error. Any thread."""

    in_flight: int = 0
    served: int = 0
    last_error: str | None = None
    stopping: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _tokens: set[CancelToken] = field(default_factory=set, repr=False)

    def started(self, cancel: CancelToken | None = None) -> None:
        with self._lock:
            self.in_flight += 1
            if cancel is not None:
                self._tokens.add(cancel)

    def ended(self, error: str | None = None, cancel: CancelToken | None = None) -> None:
        with self._lock:
            self.in_flight -= 1
            self.served += 1
            if cancel is not None:
                self._tokens.discard(cancel)
            if error is not None:
                self.last_error = f"{time.strftime('%H:%M:%S')} {error}"

    def cancel_all(self) -> None:
        """Stop every request in flight (the server is stopping): their answers end at the
        next token, those waiting never start, and each client is told so (503)."""
        with self._lock:
            self.stopping = True
            tokens = list(self._tokens)
        for token in tokens:
            token.cancel()


def create_app(runner: EngineRunner, service: ApiService, config: ServerConfig,
               activity: Activity | None = None, answers: Executor | None = None) -> FastAPI:
    """The API over `runner`'s inference thread. `answers`: the threads that answers of an
    engine answering several at once run on (None: they run on the inference thread)."""
    activity = activity or Activity()
    app = FastAPI(title="Lamplight", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=None)
    api = _Api(runner, service, config, activity, answers)

    @app.exception_handler(ApiError)
    async def on_api_error(_request: Request, exc: ApiError) -> Response:
        return exc.response()

    @app.exception_handler(404)
    async def on_not_found(request: Request, _exc: Exception) -> Response:
        return ApiError(404, f"No such endpoint: {request.method} {request.url.path[:100]}.",
                        code="not_found").response()

    @app.exception_handler(405)
    async def on_bad_method(request: Request, _exc: Exception) -> Response:
        return ApiError(405, f"{request.method} is not allowed on {request.url.path[:100]}.",
                        code="method_not_allowed").response()

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        offered = await run_in_threadpool(service.served.offered)
        return {"object": "list", "data": [_model_json(m) for m in offered]}

    @app.get("/v1/models/{model_id:path}")
    async def model(model_id: str) -> dict[str, Any]:
        offered = await run_in_threadpool(service.served.offered)
        for m in offered:
            if m.id == model_id:
                return _model_json(m)
        raise unknown_model(f"The model '{model_id[:200]}' does not exist.")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.add_api_route("/v1/chat/completions", api.chat, methods=["POST"])
    app.add_api_route("/v1/completions", api.completion, methods=["POST"])
    app.add_api_route("/v1/embeddings", api.embeddings, methods=["POST"])
    # llama-server's and vLLM's extension: another Lamplight using this one as a remote engine
    # counts a document's tokens with the model's own tokenizer.
    app.add_api_route("/tokenize", api.tokenize, methods=["POST"])
    # The last added is the outermost: CORS answers preflights and marks the Guard's refusals
    # too, so a listed web page sees why it was refused.
    app.add_middleware(Guard, bound=config.host, api_key=config.api_key,
                       origins=config.cors_origins)
    if config.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins),
                           allow_methods=["GET", "POST", "OPTIONS"], allow_headers=["*"])
    return app


def _model_json(m: Any) -> dict[str, Any]:
    return {"id": m.id, "object": "model", "created": m.created, "owned_by": m.owned_by,
            "context_length": m.context_length,
            "type": "embeddings" if m.embedding else "llm"}


class _Api:
    def __init__(self, runner: EngineRunner, service: ApiService, config: ServerConfig,
                 activity: Activity, answers: Executor | None = None) -> None:
        self.runner = runner
        self.service = service
        self.config = config
        self.activity = activity
        self.answers = answers
        self._handed = 0  # answers handed to `answers` and not started: they wait too
        self._handed_lock = threading.Lock()

    # -- endpoints -------------------------------------------------------------------------

    async def chat(self, request: Request) -> Response:
        body = schema.parse(schema.ChatRequest, await read_body(request, self.config.body_limit))
        entry = await self._entry(body.model)
        messages = body.chat_messages()
        params = self.service.params(entry, **body.sampling())
        kind = "chat.completion"

        def job(on_piece: Callable[[str], None], cancel: CancelToken
                ) -> Callable[[InferenceEngine], Answer[GenerationResult]]:
            return self.service.chat_job(entry, messages, params, on_piece, cancel)

        def save(result: GenerationResult) -> None:
            if self.service.saving and not result.cancelled:
                self.service.save(entry, messages, result)

        return await self._generate(request, body, _Reply(kind, entry.name), make_job=job,
                                    save=save)

    async def completion(self, request: Request) -> Response:
        body = schema.parse(schema.CompletionRequest,
                            await read_body(request, self.config.body_limit))
        entry = await self._entry(body.model)
        prompt = body.prompt_text()
        params = self.service.params(entry, **body.sampling())

        def job(on_piece: Callable[[str], None], cancel: CancelToken
                ) -> Callable[[InferenceEngine], Answer[GenerationResult]]:
            return self.service.completion_job(entry, prompt, params, on_piece, cancel)

        reply = _Reply("text_completion", entry.name, prompt if body.echo else "")
        return await self._generate(request, body, reply, make_job=job, save=lambda _r: None)

    async def embeddings(self, request: Request) -> Response:
        body = schema.parse(schema.EmbeddingRequest,
                            await read_body(request, self.config.body_limit))
        entry = await self._entry(body.model)
        texts = body.texts()
        cancel = CancelToken()
        self.activity.started(cancel)
        error = None
        try:
            future = self._submit(self.service.embedding_job(entry, texts, cancel))
            vectors, tokens = await self._wait(request, future, cancel)
        except ApiError as exc:
            error = exc.message
            raise
        finally:
            self.activity.ended(error, cancel)
        if body.encoding_format == "base64":
            import base64
            import struct
            data = [base64.b64encode(struct.pack(f"<{len(v)}f", *v)).decode() for v in vectors]
        else:
            data = vectors  # type: ignore[assignment]
        return JSONResponse({
            "object": "list", "model": entry.name,
            "data": [{"object": "embedding", "index": i, "embedding": d}
                     for i, d in enumerate(data)],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    async def tokenize(self, request: Request) -> Response:
        """`{"model", "content"}` → `{"count"}`: the tokens of the text, no special ones."""
        body = schema.parse(schema.TokenizeRequest,
                            await read_body(request, self.config.body_limit))
        entry = await self._entry(body.model)
        cancel = CancelToken()
        future = self._submit(self.service.count_job(entry, body.content, cancel))
        count = await self._wait(request, future, cancel)
        return JSONResponse({"count": count})

    # -- the parts -------------------------------------------------------------------------

    async def _entry(self, name: str) -> ModelEntry:
        try:  # a listing of the models folder, well under a millisecond: no thread for it
            return self.service.served.find(name)
        except ModelNotFoundError as exc:
            raise unknown_model(str(exc)) from None

    def _submit(self, job: Callable[[InferenceEngine], Answer[T]],
                after: Callable[[], None] | None = None) -> Future[T]:
        """Queue `job` in the api lane; the future of its answer's result. An answer that may
        run beside others goes to `answers`; `after` runs once the answer has ended, before
        the future is told. Cancelling the future before the job starts keeps it from
        starting."""
        served = self.service.served
        result: Future[T] = Future()

        def answer(ready: Answer[T] | None, failure: BaseException | None = None) -> None:
            try:
                try:
                    if ready is None:
                        raise failure or RuntimeError("no answer")
                    value = ready.run()
                finally:
                    served.touch()  # the idle time counts from a request's end
                    if after is not None:
                        after()
            except BaseException as exc:  # the waiter gets it, the thread goes on
                result.set_exception(exc)
            else:
                result.set_result(value)

        def handed(ready: Answer[T]) -> None:
            with self._handed_lock:
                self._handed -= 1
            answer(ready)

        def prepare(engine: InferenceEngine) -> None:
            if not result.set_running_or_notify_cancel():
                return  # its waiter went away
            try:
                ready = job(engine)
            except BaseException as exc:
                answer(None, exc)
                return
            if not ready.concurrent or self.answers is None:
                answer(ready)
                return
            with self._handed_lock:
                self._handed += 1
            try:
                self.answers.submit(handed, ready)
            except RuntimeError:  # the pool has shut down: the server is stopping
                with self._handed_lock:
                    self._handed -= 1
                ready.drop()
                answer(None, RunnerClosedError("the server is stopping"))

        with self._handed_lock:
            handed_now = self._handed
        try:
            queued = self.runner.submit(LANE, prepare,
                                        limit=max(0, self.config.max_waiting - handed_now))
        except QueueFullError:
            raise queue_full(self.runner.waiting(LANE) + handed_now, 2) from None
        except RunnerClosedError:
            raise shutting_down() from None
        # A waiter gone before the job started: it leaves the lane (and its count) now.
        result.add_done_callback(lambda f: queued.cancel() if f.cancelled() else None)
        return result

    def _outcome(self, future: Future[T], cancel: CancelToken) -> T:
        """`_result`, but a request stopped because the server is stopping is a 503, not an
        answer cut short or a client said to be gone."""
        try:
            result = _result(future)
        except ApiError as exc:
            if self.activity.stopping and cancel.cancelled:
                raise shutting_down() from None
            raise exc from None
        if self.activity.stopping and cancel.cancelled:
            raise shutting_down()
        return result

    async def _wait(self, request: Request, future: Future[T], cancel: CancelToken) -> T:
        """The job's result, cancelling it if the client goes away meanwhile."""
        waiting = asyncio.wrap_future(future)
        try:
            while True:
                done, _ = await asyncio.wait({waiting}, timeout=_DISCONNECT_POLL_S)
                if done:
                    if not waiting.cancelled():
                        waiting.exception()  # seen here: asyncio would log it as unseen
                    return self._outcome(future, cancel)
                if await request.is_disconnected():
                    raise ApiError(499, "The client went away.", code="client_closed")
        except BaseException:  # gone, or the server stopping under it: the job stops too
            cancel.cancel()
            future.cancel()  # never starts if it has not yet
            raise

    async def _generate(self, request: Request, body: schema._Sampling, reply: _Reply, *,
                        make_job: Callable[..., Callable[[InferenceEngine],
                                                         Answer[GenerationResult]]],
                        save: Callable[[GenerationResult], None]) -> Response:
        loop = asyncio.get_running_loop()
        run = _Run(asyncio.Queue(), CancelToken(), reply, save,
                   ThinkingSplitter() if reply.chat else None)

        def send(item: object) -> None:
            try:
                loop.call_soon_threadsafe(run.pieces.put_nowait, item)
            except RuntimeError:  # the loop has closed: the server stopped, nobody reads
                run.cancel.cancel()

        # Pieces go to the event loop at most once per interval (the first at once): each hop
        # wakes it, and on a machine whose cores all run llama.cpp that comes out of the speed.
        batcher = PieceBatcher(send, STREAM_INTERVAL_S)
        job = make_job(batcher.add, run.cancel)
        self.activity.started(run.cancel)
        try:  # the last pieces go before the end
            run.future = self._submit(job, after=batcher.flush)
        except ApiError as exc:
            self.activity.ended(exc.message, run.cancel)
            raise
        run.future.add_done_callback(lambda _f: send(_END))
        if not body.stream:
            try:
                result = await self._wait(request, run.future, run.cancel)
                await run_in_threadpool(save, result)
            except ApiError as exc:
                self.activity.ended(exc.message, run.cancel)
                raise
            self.activity.ended(None, run.cancel)
            return JSONResponse(reply.whole(result))
        # The first piece (or the end) before the headers: an error before it gets its status.
        try:
            first = await self._first(request, run)
        except ApiError as exc:
            self.activity.ended(exc.message, run.cancel)
            raise
        return EventSourceResponse(self._events(run, first, body.include_usage), ping=15,
                                   sep="\n")

    async def _first(self, request: Request, run: _Run) -> Split | None:
        """The first words of the answer (thinking or not), or None for an answer that ended
        without any. A tag that the chat template opened is no word: a prompt too long for
        the context, found after it, still gets its status."""
        try:
            while True:
                try:
                    first = await asyncio.wait_for(run.pieces.get(), _DISCONNECT_POLL_S)
                except (TimeoutError, asyncio.TimeoutError):  # not one class before 3.11
                    if await request.is_disconnected():
                        raise ApiError(499, "The client went away.",
                                       code="client_closed") from None
                    continue
                if first is _END:
                    self._outcome(run.future, run.cancel)  # raises its error as an ApiError
                    return None
                split = run.split(str(first))
                if split:
                    return split
        except BaseException:
            run.stop()
            raise

    async def _events(self, run: _Run, first: Split | None, include_usage: bool
                      ) -> AsyncIterator[str]:
        error = None
        reply = run.reply
        try:
            yield reply.chunk_json(role=True)
            if first is not None:
                for chunk in reply.split_chunks(first):
                    yield chunk
                async for text in _joined(run.pieces):
                    for chunk in reply.split_chunks(run.split(text)):
                        yield chunk
            for chunk in reply.split_chunks(run.split_end()):  # what the splitter held back
                yield chunk
            try:
                result = self._outcome(run.future, run.cancel)
            except ApiError as exc:  # after the headers: the error goes as an event
                error = exc.message
                yield reply.error_json(exc)
                return
            for chunk in reply.closing(result, include_usage):
                yield chunk
            await run_in_threadpool(run.save, result)  # kept before the client may go
            yield "[DONE]"
        finally:
            if not run.future.done():  # the client went away mid-answer: stop it now
                run.stop()
                error = "The client went away mid-answer."
            self.activity.ended(error, run.cancel)


@dataclass
class _Run:
    """One generation seen from the event loop: its pieces as they come, its job's future."""

    pieces: asyncio.Queue[object]
    cancel: CancelToken
    reply: _Reply
    save: Callable[[GenerationResult], None]
    # A chat's stream carries a reasoning model's thinking between tags (`engine.thinking`);
    # the API gives it apart. A text completion's is text as it is (None).
    splitter: ThinkingSplitter | None = None
    future: Future[GenerationResult] = field(default_factory=Future)

    def stop(self) -> None:
        self.cancel.cancel()
        self.future.cancel()  # never starts if it has not yet

    def split(self, text: str) -> Split:
        """What `text`, the stream's next, adds to the thinking and to the answer."""
        return self.splitter.feed(text) if self.splitter is not None else Split(answer=text)

    def split_end(self) -> Split:
        return self.splitter.end() if self.splitter is not None else Split()


async def _joined(pieces: asyncio.Queue[object]) -> AsyncIterator[str]:
    """The pieces up to `_END`, those already queued joined into one event."""
    while (item := await pieces.get()) is not _END:
        texts = [str(item)]
        while not pieces.empty() and (item := pieces.get_nowait()) is not _END:
            texts.append(str(item))
        yield "".join(texts)
        if item is _END:
            return


def _result(future: Future[T]) -> T:
    """What the job returned; its failure as the `ApiError` the client gets."""
    try:
        return future.result()
    except ApiError:
        raise
    except RequestCancelledError:
        raise ApiError(499, "The client went away.", code="client_closed") from None
    except RunnerClosedError:  # an answer the stopping server had no thread left for
        raise shutting_down() from None
    except ContextOverflowError as exc:
        raise ApiError(400, str(exc), param="messages",
                       code="context_length_exceeded") from None
    except UnsupportedRequestError as exc:
        raise ApiError(400, str(exc), param=exc.param, code="unsupported") from None
    except ModelLoadError as exc:
        raise server_error(str(exc)) from None
    except EngineError as exc:
        raise server_error(str(exc)) from None
    except Exception as exc:
        log.exception("an API request failed")
        raise server_error(f"The server failed: {type(exc).__name__}.") from None


class _Reply:
    """The JSON of one answer, whole or as stream chunks, in OpenAI's shapes."""

    def __init__(self, kind: str, model: str, echo: str = "") -> None:
        self.kind = kind  # "chat.completion" or "text_completion"
        self.model = model
        self.echo = echo
        prefix = "chatcmpl" if kind == "chat.completion" else "cmpl"
        self.id = f"{prefix}-{secrets.token_hex(12)}"
        self.created = int(time.time())

    @property
    def chat(self) -> bool:
        return self.kind == "chat.completion"

    def _head(self, obj: str) -> dict[str, Any]:
        return {"id": self.id, "object": obj, "created": self.created, "model": self.model,
                "system_fingerprint": f"lamplight-{__version__}"}

    @staticmethod
    def usage(result: GenerationResult) -> dict[str, Any]:
        s = result.stats
        usage: dict[str, Any] = {
            "prompt_tokens": s.prompt_tokens, "completion_tokens": s.completion_tokens,
            "total_tokens": s.prompt_tokens + s.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": s.cached_tokens}}
        if s.thinking_tokens:  # of the completion tokens, as OpenAI counts a reasoning model's
            usage["completion_tokens_details"] = {"reasoning_tokens": s.thinking_tokens}
        return usage

    @staticmethod
    def tool_calls(result: GenerationResult) -> list[dict[str, Any]]:
        return [{"id": c.id, "type": "function",
                 "function": {"name": c.name, "arguments": c.arguments}}
                for c in result.tool_calls]

    def whole(self, result: GenerationResult) -> dict[str, Any]:
        finish = FINISH_REASONS[result.stats.finish_reason]
        if self.chat:
            message: dict[str, Any] = {"role": "assistant",
                                       "content": result.text if result.text or not
                                       result.tool_calls else None}
            if result.thinking:  # as llama-server gives it (its default reasoning format)
                message["reasoning_content"] = result.thinking
            if result.tool_calls:
                message["tool_calls"] = self.tool_calls(result)
            choice = {"index": 0, "message": message, "finish_reason": finish,
                      "logprobs": None}
        else:
            choice = {"index": 0, "text": self.echo + result.text, "finish_reason": finish,
                      "logprobs": None}
        return {**self._head(self.kind), "choices": [choice], "usage": self.usage(result)}

    def _chunk(self, choice: dict[str, Any] | None, usage: dict[str, Any] | None = None
               ) -> str:
        import json

        obj = "chat.completion.chunk" if self.chat else "text_completion"
        data = {**self._head(obj), "choices": [choice] if choice else []}
        if usage is not None:
            data["usage"] = usage
        return json.dumps(data, ensure_ascii=False)

    def chunk_json(self, *, text: str = "", role: bool = False, thinking: bool = False
                   ) -> str:
        """A chunk of the stream: the role, or `text` of the answer (of a reasoning model's
        thinking: `reasoning_content`, as llama-server streams it)."""
        if not self.chat:
            if role:  # a text completion has no role chunk: the echo, if asked, goes first
                text = self.echo
            return self._chunk({"index": 0, "text": text, "finish_reason": None,
                                "logprobs": None})
        delta: dict[str, Any] = {"role": "assistant", "content": ""} if role else \
            {"reasoning_content" if thinking else "content": text}
        return self._chunk({"index": 0, "delta": delta, "finish_reason": None,
                            "logprobs": None})

    def split_chunks(self, split: Split) -> list[str]:
        """The chunks of what the stream added: its thinking first, then its answer."""
        chunks = [self.chunk_json(text=split.thinking, thinking=True)] if split.thinking else []
        if split.answer:
            chunks.append(self.chunk_json(text=split.answer))
        return chunks

    def closing(self, result: GenerationResult, include_usage: bool) -> list[str]:
        chunks = []
        finish = FINISH_REASONS[result.stats.finish_reason]
        if self.chat and result.tool_calls:
            calls = [{"index": i, **call} for i, call in enumerate(self.tool_calls(result))]
            chunks.append(self._chunk({"index": 0, "delta": {"tool_calls": calls},
                                       "finish_reason": None, "logprobs": None}))
        end: dict[str, Any] = {"index": 0, "finish_reason": finish, "logprobs": None}
        if self.chat:
            end["delta"] = {}
        else:
            end["text"] = ""
        chunks.append(self._chunk(end))
        if include_usage:
            chunks.append(self._chunk(None, self.usage(result)))
        return chunks

    def error_json(self, exc: ApiError) -> str:
        import json

        return json.dumps({"error": {"message": exc.message, "type": exc.type,
                                     "param": exc.param, "code": exc.code}})
