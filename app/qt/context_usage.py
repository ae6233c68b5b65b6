"""Feeds the composer's context meter: how much of the model's context the chat shown and the
message being typed take, live as the user types.

Counting needs the model's tokenizer, which lives on the inference thread, busy while an answer
streams. So the meter shows an estimate at once (from the characters) and the model's count
when it comes: the history's after each change of the chat, the draft's a moment after the
user stops typing. The same allowances as the overflow policy's (`context.measure`) are added
for the chat template, so the meter turns "over" when the next send would cut or stop.
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QObject, QTimer

from app.core.documents.summary_plan import parts_needed
from app.core.engine import ChatMessage, ModelInfo
from app.core.engine.tokens import MESSAGE_TOKENS, TEMPLATE_TOKENS, answer_room
from app.qt.controller import ChatController, ChatState
from app.qt.widgets.attachments import AttachmentBar, estimate_tokens
from app.qt.widgets.composer import Composer
from app.qt.widgets.context_meter import ContextMeter

DRAFT_COUNT_DELAY_MS = 300


def _template(messages: int) -> int:
    return TEMPLATE_TOKENS + MESSAGE_TOKENS * messages


class ContextUsage(QObject):
    """Keeps `meter` up to date with the chat of `controller`, the text of `composer` and the
    documents of `attachments`; a policy chosen on the meter becomes the chat's own."""

    def __init__(self, meter: ContextMeter, controller: ChatController, composer: Composer,
                 attachments: AttachmentBar) -> None:
        super().__init__(meter)
        self.meter, self.controller = meter, controller
        self.composer, self.attachments = composer, attachments
        self._serial = itertools.count()
        self._history = 0
        self._history_key: tuple[str, int] | None = None  # the count awaited, if any
        self._draft_text = ""
        self._draft = 0
        self._draft_key: tuple[str, int] | None = None
        self._history_timer = _single_shot(self, 0, self.measure_history)
        self._draft_timer = _single_shot(self, DRAFT_COUNT_DELAY_MS, self._count_draft)
        composer.textChanged.connect(self._on_typed)
        attachments.changed.connect(self.show)
        attachments.counted.connect(self.show)  # the chip's count is the meter's too
        # Another version shown (or a message deleted): the branch measured is another one.
        controller.model.rowsInserted.connect(lambda *_: self._history_timer.start())
        controller.model.rowsRemoved.connect(lambda *_: self._history_timer.start())
        controller.modelLoaded.connect(self._on_model_loaded)
        controller.stateChanged.connect(self._on_state)
        controller.conversationChanged.connect(self._on_conversation)
        controller.conversationSaved.connect(lambda _id: self._history_timer.start())
        controller.host.worker.counted.connect(self._on_counted)
        meter.policyChosen.connect(self._on_policy)
        meter.set_policy(controller.overflow_policy())

    # -- what is measured ------------------------------------------------------------------

    def _messages(self) -> list[ChatMessage]:
        return self.controller.conversation.chat_messages()

    def measure_history(self) -> None:
        """Estimate the chat's tokens now, and ask the model for its count. Not while an answer
        is written: its question's documents count whole until the summary replaces them (the
        meter read ~8,956 / 4,096 in red while a summary ran), and the end measures again."""
        if self.controller.state is ChatState.GENERATING:
            return
        messages = self._messages()
        text = "\n".join(m.content for m in messages)
        self._history = estimate_tokens(text) + _template(len(messages))
        self._history_key = None
        if self.controller.info is not None:
            self._history_key = ("context-history", next(self._serial))
            self.controller.host.count_tokens(self._history_key, text)
        self.show()

    def _on_typed(self) -> None:
        text = self.composer.toPlainText()
        if text == self._draft_text:
            return
        self._draft_text = text
        self._draft = estimate_tokens(text)
        self._draft_key = None
        self._draft_timer.start()
        self.show()

    def _count_draft(self) -> None:
        if self.controller.info is not None and self._draft_text:
            self._draft_key = ("context-draft", next(self._serial))
            self.controller.host.count_tokens(self._draft_key, self._draft_text)
        else:
            self.show()  # nothing to count: the estimate (0) is exact

    def _on_counted(self, key: object, tokens: int) -> None:
        if key == self._history_key and key is not None:
            self._history_key = None
            self._history = tokens + _template(len(self._messages()))
        elif key == self._draft_key and key is not None:
            self._draft_key = None
            self._draft = tokens
        else:
            return
        self.show()

    # -- what is shown ---------------------------------------------------------------------

    def show(self) -> None:
        info = self.controller.info
        if info is None:
            return
        chips = self.attachments.chips()
        documents = sum(chip.tokens if chip.tokens is not None
                        else estimate_tokens(chip.document.text) for chip in chips)
        draft = self._draft + documents + (MESSAGE_TOKENS if self._draft_text or chips else 0)
        exact = (self._history_key is None and self._draft_key is None
                 and not self._draft_timer.isActive() and all(c.tokens is not None for c in chips))
        room = answer_room(self.controller.generation_params(), info.n_ctx)
        # Documents that do not fit are summarized part by part: the plan, not an overflow.
        parts = (parts_needed(info.n_ctx, documents)
                 if chips and self._history + draft + room > info.n_ctx else None)
        self.meter.set_usage(self._history, draft, room=room, exact=exact, summary_parts=parts)

    def _on_model_loaded(self, info: ModelInfo) -> None:
        self.meter.set_limit(info.n_ctx)
        self.meter.set_server_estimates(info.tokens_estimated)
        self.measure_history()  # each model counts its own way
        self._count_draft()

    def _on_state(self, state: ChatState) -> None:
        if state in (ChatState.NO_MODEL, ChatState.LOADING):
            self.meter.set_limit(None)
        elif state is ChatState.READY:  # an answer ended (or failed): the chat as it is now
            self._history_timer.start()

    def _on_conversation(self, _conversation_id: int | None) -> None:
        self.meter.set_policy(self.controller.overflow_policy())
        self._history_timer.start()

    def _on_policy(self, policy: str) -> None:
        self.controller.set_overflow_policy("stop" if policy == "stop" else "drop-oldest")


def _single_shot(parent: QObject, interval_ms: int, slot: object) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(interval_ms)
    timer.timeout.connect(slot)
    return timer
