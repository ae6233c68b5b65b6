"""The catalog's speed hint: tokens/s ≈ bandwidth / model size, the bandwidth measured from the
answers in the history (the largest model's median), else a conservative default; an estimate
that says so, and none for a model that does not fit."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from app.core.chat.conversation import Conversation, Message
from app.core.chat.store import ConversationStore
from app.core.engine import GenerationStats, fit, speed

MB = 1_000_000


def sample(model: str, size: int, rate: float, tokens: int = 100) -> speed.Measured:
    return speed.Measured(model, size, rate, tokens)


def test_the_bandwidth_is_the_largest_measured_models_median() -> None:
    samples = [sample("Small", 100 * MB, 50.0), sample("Small", 100 * MB, 70.0),
               sample("Big", 400 * MB, 10.0), sample("Big", 400 * MB, 14.0),
               sample("Big", 400 * MB, 30.0)]
    bandwidth = speed.calibrate(samples)
    assert bandwidth.model == "Big" and bandwidth.answers == 3
    assert bandwidth.tokens_per_s == 14.0
    assert bandwidth.bytes_per_s == 400 * MB * 14.0
    assert "measured here: Big wrote 14.0 tokens a second over 3 answers" in (
        bandwidth.describe())


@pytest.mark.parametrize("bad", [
    sample("Short", 400 * MB, 20.0, tokens=3),  # measures its start, not its speed
    sample("Tiny", 1000, 20.0),  # no real model
    sample("Zero", 400 * MB, 0.0),
    sample("NaN", 400 * MB, math.nan),
    sample("Inf", 400 * MB, math.inf),
    sample("Crafted", 400 * MB, 1e9),
])
def test_figures_no_answer_has_are_not_believed(bad: speed.Measured) -> None:
    assert speed.calibrate([bad]) is speed.DEFAULT
    assert speed.calibrate([bad, sample("Good", 100 * MB, 20.0)]).model == "Good"


def test_without_measured_answers_the_default_says_so() -> None:
    bandwidth = speed.calibrate([])
    assert bandwidth.bytes_per_s == speed.DEFAULT_BANDWIDTH and bandwidth.model is None
    assert "no answer has been measured here yet" in bandwidth.describe()


def test_the_hint_is_bandwidth_over_size_and_says_it_is_an_estimate() -> None:
    bandwidth = speed.Bandwidth(2.5e9, "Big", 4, 10.0)
    fits = fit.estimate(fit.Shape.from_size(100 * MB), 2048, available=64 * 2**30)
    hint = speed.hint(fits, bandwidth)
    assert hint is not None and hint.tokens_per_s == 25.0 and not hint.tight
    assert hint.text == "~25 tok/s here"
    assert hint.explain().startswith("An estimate, not a measurement")
    assert "Big wrote 10.0 tokens a second" in hint.explain()

    tight = fit.estimate(fit.Shape.from_size(100 * MB), 2048, available=int(fits.total / 0.9))
    assert tight.verdict is fit.Verdict.TIGHT
    tight_hint = speed.hint(tight, bandwidth)
    assert tight_hint is not None and tight_hint.tight and "swapping" in tight_hint.explain()
    too_big = fit.estimate(fit.Shape.from_size(100 * MB), 2048, available=MB)
    assert speed.hint(too_big, bandwidth) is None  # it would swap: no figure at all


@pytest.mark.parametrize(("rate", "text"), [
    (134.2, "~130 tok/s here"), (25.4, "~25 tok/s here"), (9.96, "~10 tok/s here"),
    (4.67, "~4.7 tok/s here"), (1.0, "~1.0 tok/s here"), (0.3, "<1 tok/s here"),
])
def test_the_figure_is_rounded_as_an_estimate_is(rate: float, text: str) -> None:
    assert speed.SpeedHint(rate, MB, speed.DEFAULT, False).text == text


def test_the_history_gives_the_answers_speeds_with_their_models_size(tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(bytes(2 * MB))
    store = ConversationStore.open_in(tmp_path)
    chat = Conversation(model="Model", model_path=str(model))
    question = store.add_message(chat, Message("user", "Hello?"))
    for tokens, seconds, name in ((40, 2.0, "Model"), (60, 2.0, "Model"), (50, 1.0, "Other")):
        answer = store.add_message(chat, Message("assistant", "", streaming=True,
                                                 model_name=name, parent_id=question.id))
        answer.content, answer.streaming = "Hi.", False
        answer.stats = GenerationStats(5, tokens, 0.1, seconds, "stop")
        store.finish_message(chat, answer)
    unfinished = store.add_message(chat, Message("assistant", "", streaming=True,
                                                 model_name="Model", parent_id=question.id))
    assert unfinished.id is not None
    gone = Conversation(model="Gone", model_path=str(tmp_path / "deleted.gguf"))
    asked = store.add_message(gone, Message("user", "Hi?"))
    answer = store.add_message(gone, Message("assistant", "", streaming=True, model_name="Gone",
                                             parent_id=asked.id))
    answer.streaming, answer.stats = False, GenerationStats(5, 80, 0.1, 1.0, "stop")
    store.finish_message(gone, answer)

    rows = store.answer_speeds()
    # Newest first; only answers by the chat's own model (whose file it keeps), finished.
    assert rows == [(str(tmp_path / "deleted.gguf"), "Gone", 80.0, 80),
                    (str(model), "Model", 30.0, 60), (str(model), "Model", 20.0, 40)]
    assert store.answer_speeds(limit=1) == rows[:1]
    found = speed.measured(rows)  # a model file that is gone is left out
    assert found == [speed.Measured("Model", 2 * MB, 30.0, 60),
                     speed.Measured("Model", 2 * MB, 20.0, 40)]
    assert speed.calibrate(found).bytes_per_s == 2 * MB * 25.0


def test_answers_of_models_elsewhere_are_left_out(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A remote model's chat keeps 'MODEL@CONNECTION' where a local one keeps its file: its
    speed is another machine's, even where a file of that name lies in the working folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "big@gpu-box").write_bytes(b"\0" * (2 * MB))
    local = tmp_path / "model.gguf"
    local.write_bytes(b"\0" * (2 * MB))
    rows = [("big@gpu-box", "big", 900.0, 80), (str(local), "Model", 30.0, 60)]
    assert speed.measured(rows) == [speed.Measured("Model", 2 * MB, 30.0, 60)]
