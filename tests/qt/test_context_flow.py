"""The context in the real window: the meter under the composer, each chat's overflow policy,
and chats that continue from their kept state after a switch and after a restart."""

from __future__ import annotations

import pytest

from app.core.chat.conversation import Conversation, Message
from app.core.chat.store import ConversationStore
from app.core.engine import GenerationParams, GenerationResult
from app.paths import AppPaths
from app.qt.application import build_window
from app.qt.main_window import MainWindow

pytestmark = [pytest.mark.qt, pytest.mark.model]
LOAD_TIMEOUT_MS = 60_000
ANSWER_TIMEOUT_MS = 180_000
SHORT = GenerationParams(max_tokens=8, temperature=0.0, seed=1)
PARAGRAPH = ("The keeper climbed the spiral stairs each evening at dusk, trimmed the wick, "
             "polished the great lens until it shone, and wound the clockwork that turned it "
             "through the night, so that ships far out at sea could tell this light from "
             "every other on the coast by the rhythm of its flashes. ")


def seed_chat(store: ConversationStore, title: str, turns: int) -> Conversation:
    """A saved chat of `turns` long questions and answers."""
    conversation = Conversation(title=title, params=SHORT)
    parent = None
    for i in range(turns):
        question = store.add_message(conversation, Message(
            "user", f"Question {i + 1}: {PARAGRAPH * 2}What happened next?", parent_id=parent))
        answer = store.add_message(conversation, Message(
            "assistant", f"Answer {i + 1}: {PARAGRAPH}", parent_id=question.id))
        parent = answer.id
    return conversation


def load(qtbot, window: MainWindow, n_ctx: int | None = None) -> None:  # type: ignore[no-untyped-def]
    window.controller.n_ctx = n_ctx
    window.controller.auto_titles = False
    with qtbot.waitSignal(window.controller.modelLoaded, timeout=LOAD_TIMEOUT_MS):
        window.start()


def ask(qtbot, window: MainWindow, text: str) -> GenerationResult:  # type: ignore[no-untyped-def]
    window.composer.setPlainText(text)
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS) as done:
        window.composer.submit()
    result = done.args[0]
    assert isinstance(result, GenerationResult)
    return result


def test_the_meter_counts_the_chat_and_the_message_as_it_is_typed(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow) -> None:
    meter = window.context_meter
    assert meter.objectName() == "contextMeter"
    load(qtbot, window)
    chat = seed_chat(window.controller.store, "Lighthouse", 2)
    window.open_conversation(chat.id)
    qtbot.waitUntil(lambda: not meter.text().startswith("~"), timeout=10_000)
    assert meter.text().endswith("/ 4,096")
    used = int(meter.text().split(" / ")[0].replace(",", ""))
    assert 300 < used < 700  # two long turns, counted by the model

    window.composer.setPlainText(PARAGRAPH * 4)
    assert meter.text().startswith("~")  # an estimate at once...
    qtbot.waitUntil(lambda: not meter.text().startswith("~"), timeout=10_000)  # ...then counted
    typed = int(meter.text().split(" / ")[0].replace(",", ""))
    assert typed > used + 150
    assert meter.level() == "ok"
    window.composer.clear()
    qtbot.waitUntil(lambda: meter.text() == f"{used:,} / 4,096", timeout=10_000)


def test_each_chat_keeps_its_own_overflow_policy(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, paths: AppPaths) -> None:
    load(qtbot, window, n_ctx=512)
    controller = window.controller
    long_chat = seed_chat(controller.store, "Too long", 4)
    window.open_conversation(long_chat.id)
    meter = window.context_meter
    qtbot.waitUntil(lambda: meter.level() == "over", timeout=10_000)
    assert "/ 512" in meter.text()

    stop, = (a for a in meter.menu().actions() if a.objectName() == "stopAction")
    stop.trigger()
    assert controller.conversation.overflow == "stop"
    assert controller.store.load(long_chat.id).overflow == "stop"  # saved with the chat
    with qtbot.waitSignal(controller.errorRaised, timeout=ANSWER_TIMEOUT_MS) as refused:
        window.composer.setPlainText("And then?")
        window.composer.submit()
    assert "no longer leaves room" in refused.args[0]
    assert "Traceback" not in refused.args[0] and "ValueError" not in refused.args[0]

    window.new_chat()  # another chat: the app's setting, drop-oldest
    assert controller.overflow_policy() == "drop-oldest"
    window.open_conversation(long_chat.id)
    assert controller.overflow_policy() == "stop"
    drop, = (a for a in meter.menu().actions() if a.objectName() == "dropOldestAction")
    drop.trigger()
    result = ask(qtbot, window, "And then?")  # the oldest turns are left out
    assert result.stats.prompt_tokens < 512
    assert result.stats.completion_tokens > 0


def test_a_chat_continues_from_its_kept_state_after_a_switch_and_a_restart(  # type: ignore[no-untyped-def]
        qtbot, paths: AppPaths) -> None:
    window, host = build_window(paths)
    qtbot.addWidget(window)
    window.show()
    try:
        load(qtbot, window)
        store = window.controller.store
        first = seed_chat(store, "First", 3)
        second = seed_chat(store, "Second", 1)
        window.open_conversation(first.id)
        whole = ask(qtbot, window, "Who was the keeper?")
        assert whole.stats.cached_tokens < 10  # read in full once
        window.open_conversation(second.id)
        ask(qtbot, window, "Why?")
        window.open_conversation(first.id)
        back = ask(qtbot, window, "And the lens?")
        # Only the last answer and the new question were evaluated.
        assert back.stats.prompt_tokens - back.stats.cached_tokens < 60
        window.open_conversation(second.id)  # the first chat's state goes to disk
    finally:
        window.shutdown()
        host.shutdown()
    assert list(paths.states_dir.glob(f"chat-{first.id}.*.kvstate"))

    window, host = build_window(paths)  # a restart
    qtbot.addWidget(window)
    window.show()
    try:
        load(qtbot, window)
        window.open_conversation(first.id)
        reopened = ask(qtbot, window, "And the stairs?")
        assert reopened.stats.prompt_tokens > 600
        assert reopened.stats.prompt_tokens - reopened.stats.cached_tokens < 60
    finally:
        window.shutdown()
        host.shutdown()


def used_tokens(window: MainWindow) -> int:
    return int(window.context_meter.text().lstrip("~").split(" / ")[0].replace(",", ""))


def test_the_meter_agrees_with_the_chips_and_leaves_no_mark_of_an_estimate(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow) -> None:
    """A pasted text's chip said 3,362 tokens while the meter said ~2,001, and the ~ stayed."""
    load(qtbot, window)
    window.attachments.add_text(PARAGRAPH * 20)
    [chip] = window.attachments.chips()
    qtbot.waitUntil(lambda: chip.tokens is not None, timeout=10_000)
    meter = window.context_meter
    qtbot.waitUntil(lambda: not meter.text().startswith("~"), timeout=10_000)
    assert chip.tokens is not None and used_tokens(window) >= chip.tokens
    assert "~" not in meter.toolTip().split("\n")[0]


def test_the_meter_follows_the_version_shown(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Flipping versions left the meter at the other branch's count."""
    load(qtbot, window)
    store = window.controller.store
    chat = Conversation(title="Versions")
    question = store.add_message(chat, Message("user", "Tell me about the keeper."))
    store.add_message(chat, Message("assistant", "Short.", parent_id=question.id))
    store.add_message(chat, Message("assistant", PARAGRAPH * 6, parent_id=question.id))
    window.open_conversation(chat.id)  # type: ignore[arg-type]
    meter = window.context_meter
    qtbot.waitUntil(lambda: not meter.text().startswith("~"), timeout=10_000)
    long_branch = used_tokens(window)
    window.controller.switch_version(window.controller.model.message(1).id, -1)  # type: ignore[arg-type]
    assert window.controller.model.message(1).content == "Short."
    qtbot.waitUntil(lambda: not meter.text().startswith("~") and used_tokens(window) < long_branch
                    - 200, timeout=10_000)


def test_documents_longer_than_the_context_are_the_summary_plan_not_an_overflow(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow) -> None:
    """A 15,570-token file turned the meter red although it would be summarized anyway."""
    load(qtbot, window, n_ctx=1024)
    window.attachments.add_text(PARAGRAPH * 60)  # some 3,500 words: several contexts
    [chip] = window.attachments.chips()
    qtbot.waitUntil(lambda: chip.tokens is not None, timeout=10_000)
    meter = window.context_meter
    qtbot.waitUntil(lambda: meter.level() == "summary", timeout=10_000)
    parts = int(meter.text().split()[2])
    assert meter.text() == f"Summary in {parts} parts" and parts >= 3
    assert "they will be summarized" in meter.toolTip()
    window.attachments.clear()
    qtbot.waitUntil(lambda: meter.level() == "ok", timeout=10_000)


def test_a_document_being_summarized_does_not_turn_the_meter_red(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, engine) -> None:
    """Seen under Xvfb: once sent, the meter counted the question's whole document and read
    ~8,956 / 4,096 in red while the summary ran."""
    load(qtbot, window, n_ctx=1024)

    def held(_messages: object) -> str:
        engine.hold.set()
        return "A note."

    engine.replies.append(held)
    window.attachments.add_text(PARAGRAPH * 60)
    [chip] = window.attachments.chips()
    qtbot.waitUntil(lambda: chip.tokens is not None, timeout=10_000)
    window.composer.submit()
    qtbot.waitUntil(engine.holding.is_set, timeout=10_000)
    qtbot.wait(100)  # the rows and the save that used to measure the chat again
    try:
        assert window.context_meter.level() != "over"
    finally:
        engine.hold.clear()
        window.controller.stop()
