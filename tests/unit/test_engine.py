"""The llama.cpp engine on the real built-in model (SmolLM2 135M Instruct)."""

from __future__ import annotations

import dataclasses
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from app.core.engine import (
    CancelToken,
    ChatMessage,
    ContextOverflowError,
    GenerationParams,
    GenerationResult,
    InferenceEngine,
    LoadSpec,
    ModelLoadError,
    NoModelLoadedError,
    TemplateSource,
)
from app.core.engine.llama_cpp_backend import LlamaCppEngine
from app.core.engine.threads import performance_cores

pytestmark = [pytest.mark.model]

GREEDY = GenerationParams(temperature=0.0, max_tokens=40, seed=1)
EMOJI_QUESTION = ("Write the emoji for a smiling face and a party popper, then the Chinese word "
                  "for China.")


def ask(engine: LlamaCppEngine, question: str, params: GenerationParams = GREEDY,
        cancel: CancelToken | None = None) -> tuple[list[str], GenerationResult]:
    pieces: list[str] = []
    result = engine.stream_chat([ChatMessage("user", question)], params, pieces.append, cancel)
    return pieces, result


def long_text(sentences: int) -> str:
    """Text the model has never seen as a whole, so nothing of it sits in the KV cache."""
    return " ".join(f"The lamp number {i} stands in room {i * 7 % 101} of the old house."
                    for i in range(sentences))


def test_the_engine_fits_the_protocol(engine: LlamaCppEngine) -> None:
    assert isinstance(engine, InferenceEngine)


def test_load_reports_what_it_loaded(engine: LlamaCppEngine, smollm2_path: Path) -> None:
    info = engine.model
    assert info is not None
    assert info.path == smollm2_path
    assert info.n_ctx == 2048
    assert info.n_ctx_train == 8192
    assert info.n_threads == performance_cores()
    assert 100_000_000 < info.n_params < 200_000_000
    assert info.template_source is TemplateSource.GGUF
    assert info.chat_template and "<|im_start|>" in info.chat_template
    assert "own chat template" in info.template_description


def test_threads_adapt_on_the_live_context(engine: LlamaCppEngine) -> None:
    """Auto threads start at the performance cores for both the answer and the prompt; the
    tuner's count goes to llama.cpp between tokens (`llama_set_n_threads`), and each answer
    says what was in use when it ended."""
    info = engine.model
    assert info is not None and info.threads_adapt
    assert info.n_threads_batch == performance_cores()
    generation, _prompt = engine._tuners
    assert generation.most == performance_cores() and generation.least == 1
    generation.current = 1
    engine._set_threads(engine._llm)
    try:
        _pieces, result = ask(engine, "Say hello.")
        assert result.text.strip() and result.stats.threads == generation.current
        assert result.stats.threads_batch == engine.threads_in_use[1]
    finally:
        generation.current = generation.most
        engine._set_threads(engine._llm)


def test_threads_the_user_set_stay_as_set(smollm2_path: Path) -> None:
    engine = LlamaCppEngine()
    try:
        info = engine.load(LoadSpec(smollm2_path, n_ctx=512, n_threads=1, n_threads_batch=1))
        assert (info.n_threads, info.n_threads_batch, info.threads_adapt) == (1, 1, False)
        assert all(tuner.fixed for tuner in engine._tuners)
        _pieces, result = ask(engine, "Say hello.")
        assert (result.stats.threads, result.stats.threads_batch) == (1, 1)
    finally:
        engine.unload()


def test_an_answer_streams_in_pieces_with_stats(engine: LlamaCppEngine) -> None:
    pieces, result = ask(engine, "What is the capital of France? Answer in one sentence.")
    assert len(pieces) > 3
    assert "".join(pieces) == result.text
    assert "Paris" in result.text
    stats = result.stats
    assert stats.finish_reason == "stop"
    assert stats.prompt_tokens > 10
    assert 3 < stats.completion_tokens <= 40
    assert stats.ttft_s > 0
    assert stats.tokens_per_s > 0
    assert set(stats.as_json()) >= {"ttft_s", "prompt_tokens", "completion_tokens", "tokens_per_s"}


def test_max_tokens_ends_the_answer_with_exactly_that_many(engine: LlamaCppEngine) -> None:
    params = GenerationParams(temperature=0.0, max_tokens=5)
    _, result = ask(engine, "Count from 1 to 20, separated by commas.", params)
    assert result.stats.finish_reason == "length"
    assert result.stats.completion_tokens == 5


def test_prompt_tokens_are_counted_exactly(engine: LlamaCppEngine) -> None:
    """The count is the rendered prompt's, also when the answer opens with a character spread
    over several tokens (the first piece then comes several tokens late)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    llm = engine._llm
    question = EMOJI_QUESTION  # SmolLM2 answers with emoji of two and three tokens each
    template = engine.model.chat_template  # type: ignore[union-attr]
    rendered = Jinja2ChatFormatter(template, eos_token="<|im_end|>", bos_token="<|im_start|>")(
        messages=[{"role": "user", "content": question}])
    expected = len(llm.tokenize(rendered.prompt.encode(), add_bos=not rendered.added_special,
                                special=True))
    _, result = ask(engine, question, GenerationParams(temperature=0.0, max_tokens=6))
    assert result.stats.prompt_tokens == expected


def test_stop_mid_answer_keeps_the_text_so_far_and_the_next_turn_works(
        engine: LlamaCppEngine) -> None:
    cancel = CancelToken()
    pieces: list[str] = []

    def on_piece(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 3:
            cancel.cancel()

    result = engine.stream_chat([ChatMessage("user", "Tell me a long story about a lamp.")],
                                GenerationParams(temperature=0.0, max_tokens=200), on_piece,
                                cancel)
    assert result.cancelled
    assert result.text == "".join(pieces)
    assert len(pieces) == 3

    _, after = ask(engine, "What is the capital of France? Answer in one sentence.")
    assert after.stats.finish_reason == "stop"
    assert "Paris" in after.text


def test_stop_while_a_long_prompt_is_evaluated(engine: LlamaCppEngine) -> None:
    """About 1,300 prompt tokens take seconds here; the stop lands in the middle of them and is
    seen by llama.cpp's abort callback, since no token arrives for the loop to check."""
    cancel = CancelToken()
    question = long_text(75) + "\nWhich room holds lamp 12?"
    timer = threading.Timer(0.3, cancel.cancel)
    timer.start()
    try:
        pieces, result = ask(engine, question, GenerationParams(temperature=0.0, max_tokens=20),
                             cancel)
    finally:
        timer.cancel()
    assert pieces == []
    assert result.cancelled
    assert result.text == ""
    full_prompt = len(engine._llm.tokenize(question.encode()))
    assert result.stats.prompt_tokens < full_prompt

    _, after = ask(engine, "What is the capital of France? Answer in one sentence.")
    assert "Paris" in after.text


def test_a_stop_before_the_request_starts_is_not_lost(engine: LlamaCppEngine) -> None:
    cancel = CancelToken()
    cancel.cancel()
    pieces, result = ask(engine, long_text(20), cancel=cancel)
    assert result.cancelled
    assert pieces == []


def test_chinese_and_emoji_stream_as_whole_characters(engine: LlamaCppEngine) -> None:
    """SmolLM2's byte-level tokens split a CJK character or an emoji across several tokens; no
    piece may carry half of one (it would show as U+FFFD)."""
    chinese, chinese_result = ask(engine, "Translate to Chinese: Hello world")
    emoji, emoji_result = ask(engine, EMOJI_QUESTION)
    for pieces in (chinese, emoji):
        assert all("\ufffd" not in piece for piece in pieces), pieces
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese_result.text)
    assert any(ord(ch) >= 0x1F300 for ch in emoji_result.text)
    assert "".join(chinese) == chinese_result.text


def test_a_prompt_longer_than_the_context_is_a_clear_error(smollm2_path: Path) -> None:
    engine = LlamaCppEngine()
    engine.load(LoadSpec(smollm2_path, n_ctx=256))
    try:
        with pytest.raises(ContextOverflowError) as caught:
            engine.stream_chat([ChatMessage("user", long_text(40))], GREEDY, lambda _: None)
        assert caught.value.n_ctx == 256
        assert caught.value.prompt_tokens > 256
        message = str(caught.value)
        assert "\n" not in message
        assert "256" in message and "context" in message
        # The engine is still usable after the refusal.
        _, result = ask(engine, "Hi!", GenerationParams(temperature=0.0, max_tokens=8))
        assert result.text
    finally:
        engine.unload()


def _random_bytes(path: Path, _model: Path) -> None:
    path.write_bytes(bytes(range(256)) * 4096)


def _gguf_signature_then_garbage(path: Path, _model: Path) -> None:
    path.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\xff" * 4096)


def _truncated_download(path: Path, model: Path) -> None:
    with model.open("rb") as src, path.open("wb") as dst:
        dst.write(src.read(20 * 1024 * 1024))  # the header is whole, the tensors are not


def _empty(path: Path, _model: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize("damage", [_random_bytes, _gguf_signature_then_garbage,
                                    _truncated_download, _empty],
                         ids=["random-bytes", "signature-then-garbage", "truncated", "empty"])
def test_a_damaged_file_is_a_clear_error_and_the_engine_stays_usable(
        damage: Callable[[Path, Path], None], tmp_path: Path, smollm2_path: Path) -> None:
    bad = tmp_path / "damaged-model.gguf"
    damage(bad, smollm2_path)
    engine = LlamaCppEngine()
    with pytest.raises(ModelLoadError) as caught:
        engine.load(LoadSpec(bad, n_ctx=512))
    message = str(caught.value)
    assert "damaged-model.gguf" in message
    assert "\n" not in message
    assert "Traceback" not in message
    assert engine.model is None

    engine.load(LoadSpec(smollm2_path, n_ctx=512))
    try:
        _, result = ask(engine, "Hi!", GenerationParams(temperature=0.0, max_tokens=4))
        assert result.text
    finally:
        engine.unload()


def test_a_truncated_file_is_called_incomplete(tmp_path: Path, smollm2_path: Path) -> None:
    """Found by the header check, before llama.cpp ("tensor data is not within the file
    bounds")."""
    bad = tmp_path / "half.gguf"
    _truncated_download(bad, smollm2_path)
    with pytest.raises(ModelLoadError, match=r"tensors need [\d,]+ \(an incomplete download\?\)"):
        LlamaCppEngine().load(LoadSpec(bad, n_ctx=512))


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="no such file"):
        LlamaCppEngine().load(LoadSpec(tmp_path / "nowhere.gguf"))


def test_a_folder_is_not_a_model(tmp_path: Path) -> None:
    folder = tmp_path / "folder.gguf"
    folder.mkdir()
    with pytest.raises(ModelLoadError, match=r"folder\.gguf"):
        LlamaCppEngine().load(LoadSpec(folder))


def test_unload_frees_the_model(smollm2_path: Path) -> None:
    engine = LlamaCppEngine()
    engine.load(LoadSpec(smollm2_path, n_ctx=256))
    engine.unload()
    assert engine.model is None
    with pytest.raises(NoModelLoadedError):
        engine.stream_chat([ChatMessage("user", "Hi")], GREEDY, lambda _: None)
    engine.unload()  # twice is harmless


@pytest.mark.parametrize(("asked", "given"), [(65536, 8192), (64, 256), (300, 512)])
def test_context_is_capped_at_the_trained_length_and_padded_as_llama_cpp_does(
        smollm2_path: Path, asked: int, given: int) -> None:
    engine = LlamaCppEngine()
    info = engine.load(LoadSpec(smollm2_path, n_ctx=asked))
    try:
        assert info.n_ctx == given
        assert engine._llm.input_ids.shape == (given,)  # llama-cpp-python's buffer agrees
        if given < 8192:
            with pytest.raises(ContextOverflowError):
                engine.stream_chat([ChatMessage("user", long_text(given // 10))], GREEDY,
                                   lambda _: None)
    finally:
        engine.unload()


def test_a_base_model_without_a_template_gets_its_architectures_format(
        gemma_path: Path) -> None:
    engine = LlamaCppEngine()
    info = engine.load(LoadSpec(gemma_path, n_ctx=512))
    try:
        assert info.template_source is TemplateSource.GUESSED
        assert info.chat_format == "gemma"
        _, result = ask(engine, "What is the capital of France?",
                        GenerationParams(temperature=0.0, max_tokens=16))
        # Under llama-2's format Gemma 3 ends its answer at once.
        assert result.stats.completion_tokens > 1
        assert result.text.strip()
        # llama-cpp-python's Gemma format drops a system prompt; ours opens the first question
        # with it, as Gemma 3's own template does.
        greedy = GenerationParams(temperature=0.0, max_tokens=1)
        question = ChatMessage("user", "What is the capital of France?")
        bare = engine.stream_chat([question], greedy, lambda _: None)
        system = ChatMessage("system", "Answer in French, in one word.")
        told = engine.stream_chat([system, question], greedy, lambda _: None)
        extra = engine.count_tokens("Answer in French, in one word.\n\n")
        assert told.stats.prompt_tokens == bare.stats.prompt_tokens + extra
    finally:
        engine.unload()


def test_loading_a_second_model_replaces_the_first(engine: LlamaCppEngine,
                                                   smollm2_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy-of-smollm2.gguf"
    shutil.copyfile(smollm2_path, copy)
    other = LlamaCppEngine()
    other.load(LoadSpec(smollm2_path, n_ctx=256))
    try:
        info = other.load(LoadSpec(copy, n_ctx=256))
        assert info.path == copy
        assert other.model is info
    finally:
        other.unload()


def test_ten_switches_leave_memory_at_one_models(smollm2_path: Path, gemma_path: Path) -> None:
    """Unloading really frees: after ten switches back and forth, resident memory is within 10%
    of what it was with the first model loaded (issue 3's target; glibc needs a malloc_trim)."""
    import gc

    import psutil

    process = psutil.Process()
    engine = LlamaCppEngine()

    def use(path: Path) -> int:
        engine.load(LoadSpec(path, n_ctx=2048))
        engine.stream_chat([ChatMessage("user", "Say hello.")],
                           GenerationParams(max_tokens=8, seed=1), lambda _piece: None,
                           CancelToken())
        gc.collect()
        return int(process.memory_info().rss)

    try:
        one = use(smollm2_path)
        for i in range(10):
            after = use(gemma_path if i % 2 == 0 else smollm2_path)
    finally:
        engine.unload()
    assert after <= 1.1 * one, (after, one)


def test_an_answer_ending_the_messages_is_continued_from_its_text(
        engine: LlamaCppEngine) -> None:
    """Continue on a stopped answer: the chat template up to the answer's start, then the text
    so far as the model's own, then what the model adds (only that is streamed)."""
    question = ChatMessage("user", "Count from 1 to 20, separated by commas.")
    pieces: list[str] = []
    result = engine.stream_chat([question, ChatMessage("assistant", "1, 2, 3, 4, 5,")],
                                dataclasses.replace(GREEDY, max_tokens=12), pieces.append)
    assert result.text.startswith(" 6, 7, 8")
    assert "".join(pieces) == result.text
    # And the same engine answers afresh after it (no continuation left behind).
    fresh = engine.stream_chat([question], dataclasses.replace(GREEDY, max_tokens=4),
                               lambda _t: None)
    assert not fresh.text.startswith(" 6")
