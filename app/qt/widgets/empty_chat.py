"""What a chat without messages shows: the model in use and its size, four ways to start (each
picks its preset and readies the composer), and where a file can be dropped.

It shows, and asks the window through `starterChosen`; what a starter does (the preset, the
composer) is the window's. `model_summary` says the model in words for `set_model`."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.core.engine import ModelInfo
from app.core.models.library import ModelEntry
from app.files import format_bytes
from app.qt.appearance import follow_theme, set_text_style, set_variant
from app.qt.controller import ChatState
from app.qt.design import SPACE
from app.qt.i18n import on_language_change
from app.qt.icons import ICON_SIZE, icon
from app.qt.safe_text import elided, plain_tooltip

MAX_MODEL_CHARS = 80  # of the model's name as the empty chat shows it (all of it on hover)


@dataclass(frozen=True)
class Starter:
    """A way to start a chat: the preset it picks and the text it puts in the composer."""

    preset: str  # a key of `app.core.chat.presets.BUILTIN_PRESETS`
    icon: str  # a name of `app.qt.icons.NAMES`
    title: str
    hint: str  # a line under the title: what to do next
    text: str = ""  # put in the composer, the caret after it


def starters() -> tuple[Starter, ...]:
    """The four starters, from what people do here most: translate, summarize, ask, write,
    in the language of the moment. Whatever is typed after the translation's and the
    summary's is the text itself (the presets translate or summarize all of it), so those
    start empty."""
    return (
        Starter("translate", "translate",
                QCoreApplication.translate("EmptyChat", "Translate a text"),
                QCoreApplication.translate("EmptyChat", "Into the language you pick")),
        Starter("summarize", "document",
                QCoreApplication.translate("EmptyChat", "Summarize a document"),
                QCoreApplication.translate("EmptyChat", "Attach, drop or paste it")),
        Starter("qa", "question",
                QCoreApplication.translate("EmptyChat", "Ask a question"),
                QCoreApplication.translate("EmptyChat", "A short, clear answer")),
        Starter("writing", "edit",
                QCoreApplication.translate("EmptyChat", "Write something"),
                QCoreApplication.translate("EmptyChat", "Draft, edit or improve"),
                #: Put in the message box, the caret after it: the user goes on writing.
                QCoreApplication.translate("EmptyChat", "Help me write ")),
    )


def model_summary(entry: ModelEntry | None, info: ModelInfo | None,
                  state: ChatState) -> tuple[str, str]:
    """The model in use as (name, detail) for `EmptyChat.set_model`, in the controller's
    `state`: "SmolLM2 135M Instruct", "105.1 MB · on this computer"; a model of a server says
    where it runs."""
    if entry is None or state is ChatState.NO_MODEL:
        return (QCoreApplication.translate("EmptyChat", "No model loaded"),
                QCoreApplication.translate("EmptyChat", "Pick a model above to start chatting"))
    if state is ChatState.LOADING or info is None:
        return entry.display_name, QCoreApplication.translate("EmptyChat", "Loading…")
    if info.is_remote:
        #: Where a model of a server elsewhere runs: the connection's name.
        return entry.display_name, QCoreApplication.translate("EmptyChat", "on {server}").format(
            server=info.location)
    if info.size_bytes > 0:
        return entry.display_name, QCoreApplication.translate(
            "EmptyChat", "{size} · on this computer").format(size=format_bytes(info.size_bytes))
    return entry.display_name, QCoreApplication.translate("EmptyChat", "on this computer")


class StarterCard(QPushButton):
    """A starter as a card: its icon, its title and a quiet line under it. A push button, so
    it takes the focus, Enter and Space, and a screen reader names it (its title) and
    describes it (the line)."""

    def __init__(self, starter: Starter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.starter = starter
        self.setObjectName(f"starter_{starter.preset}")
        set_variant(self, "card")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.glyph = QLabel()
        self.glyph.setObjectName("starterIcon")
        follow_theme(self.glyph, lambda: self.glyph.setPixmap(
            icon(starter.icon, "link").pixmap(QSize(ICON_SIZE, ICON_SIZE))))
        self.title = QLabel()
        self.title.setObjectName("starterTitle")
        self.hint = QLabel()
        self.hint.setObjectName("starterHint")
        set_text_style(self.hint, "caption")
        words = QVBoxLayout()
        words.setContentsMargins(0, 0, 0, 0)
        words.setSpacing(SPACE.xxs)
        words.addWidget(self.title)
        words.addWidget(self.hint)
        self._row = row = QHBoxLayout(self)
        row.setContentsMargins(SPACE.m, SPACE.m, SPACE.m, SPACE.m)
        row.setSpacing(SPACE.m)
        row.addWidget(self.glyph, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(words, 1)
        for label in (self.glyph, self.title, self.hint):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.show_starter(starter)

    def show_starter(self, starter: Starter) -> None:
        """Its words (the same starter in another language)."""
        self.starter = starter
        self.setAccessibleName(starter.title)
        self.setAccessibleDescription(starter.hint)
        self.setToolTip(starter.hint)
        self.title.setText(starter.title)
        self.hint.setText(starter.hint)

    def sizeHint(self) -> QSize:
        return self._row.totalSizeHint()

    def minimumSizeHint(self) -> QSize:
        return self._row.totalMinimumSize()


class EmptyChat(QWidget):
    """The empty chat (see the module), centred in the conversation's column.

    Signals:
        starterChosen(str, str): a starter was clicked: the key of the preset to pick and the
            text to put in the composer.
    """

    starterChosen = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyChat")
        self.model_name = QLabel()
        self.model_name.setObjectName("emptyChatModel")
        self.model_name.setTextFormat(Qt.TextFormat.PlainText)  # a file's or a server's name
        self.model_name.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        set_text_style(self.model_name, "title")
        self.model_detail = QLabel()
        self.model_detail.setObjectName("emptyChatModelDetail")
        self.model_detail.setTextFormat(Qt.TextFormat.PlainText)
        self.model_detail.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        set_text_style(self.model_detail, "caption")

        self.cards = [StarterCard(starter) for starter in starters()]
        for card in self.cards:
            card.clicked.connect(lambda _checked=False, s=card.starter:
                                 self.starterChosen.emit(s.preset, s.text))
        self._grid = QGridLayout()
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(SPACE.s)
        self._columns = 0
        self._lay_out_cards(2)

        self.drop_hint = QFrame()
        self.drop_hint.setObjectName("dropHint")
        set_variant(self.drop_hint, "dashed")
        glyph = QLabel()
        follow_theme(glyph, lambda: glyph.setPixmap(
            icon("attach", "muted").pixmap(QSize(ICON_SIZE, ICON_SIZE))))
        self.drop_words = QLabel()
        self.drop_words.setObjectName("dropHintText")
        set_text_style(self.drop_words, "caption")
        hint_row = QHBoxLayout(self.drop_hint)
        hint_row.setContentsMargins(SPACE.m, SPACE.m, SPACE.m, SPACE.m)
        hint_row.setSpacing(SPACE.s)
        hint_row.addStretch(1)
        hint_row.addWidget(glyph)
        hint_row.addWidget(self.drop_words)
        hint_row.addStretch(1)

        self._column = column = QVBoxLayout(self)
        column.setContentsMargins(SPACE.l, SPACE.xl, SPACE.l, SPACE.xl)
        column.setSpacing(SPACE.xs)
        column.addStretch(2)
        column.addWidget(self.model_name)
        column.addWidget(self.model_detail)
        column.addSpacing(SPACE.xl)
        column.addLayout(self._grid)
        column.addSpacing(SPACE.l)
        column.addWidget(self.drop_hint)
        column.addStretch(3)
        # What `show_model` was told last: the model's words are made again from it in a new
        # language. None: `set_model` was given the words.
        self._model: tuple[ModelEntry | None, ModelInfo | None, ChatState] | None = None
        self.show_model(None, None, ChatState.NO_MODEL)
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self.drop_words.setText(self.tr("Drop a file here to ask about it or summarize it"))
        for card, starter in zip(self.cards, starters(), strict=True):
            card.show_starter(starter)
        if self._model is not None:
            self.show_model(*self._model)
        if self.isVisible():  # the cards' words changed their width
            self._fit_cards()

    def show_model(self, entry: ModelEntry | None, info: ModelInfo | None,
                   state: ChatState) -> None:
        """The model in use, as `model_summary` says it (again in a new language)."""
        self._set_model(*model_summary(entry, info, state))
        self._model = entry, info, state

    def set_model(self, name: str, detail: str) -> None:
        """The model in use, and a detail (its size, where it runs), in words."""
        self._set_model(name, detail)
        self._model = None

    def _set_model(self, name: str, detail: str) -> None:
        self.model_name.setText(elided(name, MAX_MODEL_CHARS))
        self.model_name.setToolTip(plain_tooltip(name) if len(name) > MAX_MODEL_CHARS else "")
        self.model_detail.setText(detail)
        self.model_detail.setVisible(bool(detail))

    def _lay_out_cards(self, columns: int) -> None:
        """The cards two by two, or one under another in a narrow column."""
        if columns == self._columns:
            return
        self._columns = columns
        for card in self.cards:
            self._grid.removeWidget(card)
        for index, card in enumerate(self.cards):
            self._grid.addWidget(card, index // columns, index % columns)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_cards()

    def _fit_cards(self) -> None:
        margins = self._column.contentsMargins()
        room = self.width() - margins.left() - margins.right()
        widest = max(card.minimumSizeHint().width() for card in self.cards)
        self._lay_out_cards(2 if room >= 2 * widest + self._grid.horizontalSpacing() else 1)
