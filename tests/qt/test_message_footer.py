"""The line under an answer says why it ended when that was not the model's own choice."""

from __future__ import annotations

import pytest

from app.core.chat.conversation import Message
from app.core.engine import GenerationStats
from app.qt.widgets.message_footer import footer_text

pytestmark = [pytest.mark.qt]


@pytest.mark.parametrize(("finish", "said"), [
    ("loop", "stopped: it was repeating itself"),
    ("length", "cut at the length limit (Max tokens in the settings)"),
    ("cancelled", "stopped"),
])
def test_the_footer_says_why_an_answer_ended(finish: str, said: str) -> None:
    stats = GenerationStats(10, 40, 0.1, 1.0, finish)  # type: ignore[arg-type]
    footer = footer_text(Message("assistant", "The cat sat on the mat.", stats=stats))
    assert footer.startswith(said + " · ")


def test_a_model_that_ended_by_itself_gets_no_reason() -> None:
    stats = GenerationStats(10, 40, 0.1, 1.0, "stop")
    assert footer_text(Message("assistant", "Done.", stats=stats)).startswith("40.0 tok/s")
