"""Regenerate ×N in the window: several versions of an answer asked at once, written together
where the engine can, shown as versions of the answer (‹ › ), each with its own stats; Stop
ends them all."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from app.core.chat.store import ConversationStore
from app.core.engine.batched_engine import BatchedEngine
from app.paths import AppPaths
from app.qt.application import build_window
from app.qt.controller import ChatState
from app.qt.main_window import MainWindow
from tests.qt.test_conversations import ask
from tests.qt.test_conversations import start as start_chat
from tests.scripted_engine import ScriptedEngine

# The versions menu pops up: the offscreen platform cannot raise it or give it the keyboard.
pytestmark = [pytest.mark.qt,
              pytest.mark.qt_log_ignore("This plugin does not support grabbing the keyboard",
                                        r"This plugin does not support raise\(\)")]
ANSWER_TIMEOUT_MS = 180_000


def start(qtbot, win: MainWindow, max_tokens: int = 24) -> None:  # type: ignore[no-untyped-def]
    """The model loaded, the chat's seed 5 (the versions then get 5, 6, 7)."""
    start_chat(qtbot, win, max_tokens, seed=5)


def shown(win: MainWindow) -> list[str]:
    model = win.controller.model
    return [model.message(r).content for r in range(model.rowCount())]


def ask_versions(qtbot, win: MainWindow, row: int, n: int) -> None:  # type: ignore[no-untyped-def]
    """Open the caret beside the answer's Regenerate and pick "Regenerate n versions"."""
    widget = win.chat_view.message_widget(row)
    widget.actions().show()
    assert widget.regenerate_many_button.isVisible() and widget.regenerate_many_button.toolTip()
    qtbot.mouseClick(widget.regenerate_many_button, Qt.MouseButton.LeftButton)
    menu = widget.versions_menu()
    qtbot.waitUntil(menu.isVisible)
    [action] = [a for a in menu.actions() if a.data() == n]
    assert action.text() == f"Regenerate {n} versions"
    menu.hide()
    action.trigger()


def test_three_versions_appear_as_siblings_with_their_own_texts_and_stats(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, engine: ScriptedEngine, paths: AppPaths) -> None:
    start(qtbot, window)
    engine.replies.extend(["Cats purr.", "Cats nap.", "Cats climb trees.", "Cats hunt."])
    ask(qtbot, window, "Say something about cats.")
    question = window.controller.model.message(0)
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        ask_versions(qtbot, window, 1, 3)
        assert window.controller.state is ChatState.GENERATING
    assert window.controller.state is ChatState.READY

    # The last one made is the version shown; the navigation has all four.
    assert shown(window) == ["Say something about cats.", "Cats hunt."]
    widget = window.chat_view.message_widget(1)
    assert widget.version_label.text() == "4/4"
    assert widget.previous_version.isEnabled() and not widget.next_version.isEnabled()
    conversation = window.controller.conversation
    answers = conversation.children(question.id)
    assert [a.content for a in answers] == ["Cats purr.", "Cats nap.", "Cats climb trees.",
                                            "Cats hunt."]
    assert all(not a.streaming and a.stats is not None for a in answers)
    # Each its own stats, its own seed (the chat's, then the next ones).
    assert [a.stats.seed for a in answers[1:]] == [5, 6, 7]
    assert [a.stats.completion_tokens for a in answers] == [2, 2, 3, 2]
    # Each asked the same question, without any answer.
    assert engine.asked[1:] == [engine.asked[0]] * 3

    # ‹ walks back through them.
    for text in ("Cats climb trees.", "Cats nap.", "Cats purr."):
        qtbot.mouseClick(window.chat_view.message_widget(1).previous_version,
                         Qt.MouseButton.LeftButton)
        assert shown(window)[1] == text
    assert window.chat_view.message_widget(1).version_label.text() == "1/4"

    # Saved: the chat read again from the file has the four versions, finished.
    reopened = ConversationStore.open_in(paths.data_dir).load(conversation.id)
    saved = reopened.children(question.id)
    assert [a.content for a in saved] == ["Cats purr.", "Cats nap.", "Cats climb trees.",
                                          "Cats hunt."]
    assert all(not a.streaming and a.stats is not None for a in saved)


def test_stop_ends_every_version_and_the_window_stays_usable(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, engine: ScriptedEngine) -> None:
    start(qtbot, window)
    engine.replies.append("Cats purr.")
    ask(qtbot, window, "Say something about cats.")
    question_id = window.controller.model.message(0).id
    engine.replies.extend(["First version goes on and on.", "Second.", "Third."])
    engine.hold.set()
    ask_versions(qtbot, window, 1, 3)
    qtbot.waitUntil(engine.holding.is_set)
    # Not blocked: the window handles events, the versions stream, Stop is there to press.
    assert window.controller.state is ChatState.GENERATING
    assert window.stop_button.isEnabled()
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS) as done:
        qtbot.mouseClick(window.stop_button, Qt.MouseButton.LeftButton)
    engine.hold.clear()
    assert done.args[0].cancelled
    assert window.controller.state is ChatState.READY
    versions = window.controller.conversation.children(question_id)[1:]
    assert len(versions) == 3
    assert all(not v.streaming for v in versions)
    assert [v.stats.finish_reason for v in versions] == ["cancelled"] * 3
    # As far as each got: the ones after the first never started.
    assert [v.content for v in versions] == ["First", "", ""]
    # The next answer works.
    engine.replies.clear()
    engine.replies.append("Dogs bark.")
    ask(qtbot, window, "And dogs?")
    assert shown(window)[-1] == "Dogs bark."


class ParallelEngine(ScriptedEngine):
    """A scripted engine that takes 3 requests at once, as a server elsewhere may."""

    def load(self, spec):  # type: ignore[no-untyped-def]
        self._model = dataclasses.replace(super().load(spec), parallel=3)
        return self._model


@pytest.fixture
def parallel_window(qtbot, paths: AppPaths) -> Iterator[tuple[MainWindow, ParallelEngine]]:  # type: ignore[no-untyped-def]
    engine = ParallelEngine()
    win, host = build_window(paths, engine.factory)
    qtbot.addWidget(win)
    win.show()
    yield win, engine
    win.shutdown()
    host.shutdown()


def test_versions_written_at_once_from_threads_of_their_own_each_land_in_its_version(  # type: ignore[no-untyped-def]
        qtbot, parallel_window: tuple[MainWindow, ParallelEngine]) -> None:
    window, engine = parallel_window
    start(qtbot, window)
    engine.replies.append("Cats purr.")
    ask(qtbot, window, "Say something about cats.")
    met = threading.Barrier(3, timeout=10)

    def together(text: str):  # type: ignore[no-untyped-def]
        def reply(_messages) -> str:  # type: ignore[no-untyped-def]
            met.wait()  # broken unless the three are written at once
            return text
        return reply

    engine.replies.extend(together(t) for t in ("Alpha beta.", "Gamma delta.", "Epsilon."))
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        ask_versions(qtbot, window, 1, 3)
    question_id = window.controller.model.message(0).id
    versions = window.controller.conversation.children(question_id)[1:]
    # Which thread took which reply is up to them; each version has one whole reply.
    assert sorted(v.content for v in versions) == ["Alpha beta.", "Epsilon.", "Gamma delta."]
    assert all(v.stats is not None and v.stats.finish_reason == "stop" for v in versions)
    assert window.chat_view.message_widget(1).version_label.text() == "4/4"
    assert shown(window)[1] == versions[-1].content


@pytest.mark.model
def test_three_versions_from_the_real_model_are_made_in_one_batch(  # type: ignore[no-untyped-def]
        qtbot, real_window: MainWindow, paths: AppPaths, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.chat import turns
    from app.qt.workers import inference

    window = real_window
    answered_by: list[tuple[str, int]] = []
    answer_turn = turns.answer_turn

    def recorded(engine, request, **kwargs):  # type: ignore[no-untyped-def]
        answered_by.append((type(engine).__name__, engine.model.parallel))
        return answer_turn(engine, request, **kwargs)

    monkeypatch.setattr(turns, "answer_turn", recorded)  # each of the versions
    monkeypatch.setattr(inference, "answer_turn", recorded)  # a single turn
    window.controller.n_ctx = 1024
    start(qtbot, window, max_tokens=16)
    window.controller.params = dataclasses.replace(window.controller.params, temperature=1.0)
    ask(qtbot, window, "Name a colour.")
    assert answered_by == [("EngineSwitch", 1)]  # the single turn: the single engine
    with qtbot.waitSignal(window.controller.answerFinished, timeout=ANSWER_TIMEOUT_MS):
        ask_versions(qtbot, window, 1, 3)
    assert answered_by[1:] == [(BatchedEngine.__name__, 3)] * 3
    question_id = window.controller.model.message(0).id
    versions = window.controller.conversation.children(question_id)[1:]
    assert len(versions) == 3
    for version in versions:
        assert version.content.strip() and not version.streaming and not version.error
        assert version.stats is not None and version.stats.completion_tokens > 0
    assert [v.stats.seed for v in versions] == [5, 6, 7]  # type: ignore[union-attr]
    saved = ConversationStore.open_in(paths.data_dir).load(
        window.controller.conversation.id).children(question_id)  # type: ignore[arg-type]
    assert [v.content for v in saved[1:]] == [v.content for v in versions]
    assert window.chat_view.message_widget(1).version_label.text() == "4/4"
    # The single engine answers the next turn as before.
    ask(qtbot, window, "And another?")
    assert answered_by[-1] == ("EngineSwitch", 1)


def test_a_note_from_the_inference_thread_shows_in_the_status_bar(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow) -> None:
    """Fewer answers at once than asked (memory short) is said in the status bar."""
    line = "Memory is short for 4 answers at once: 2 at once instead."
    with qtbot.waitSignal(window.controller.noticeRaised):
        window.controller.host.worker.noted.emit(line)
    assert window.status.currentMessage() == line
