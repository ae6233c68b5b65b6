"""One message of the conversation view, as a modern chat shows it: the user's words in a
bubble at the right, as wide as they need up to `BUBBLE_CHARS`; an answer across the reading
column under the model's name as a small chip, with a reasoning model's thinking above it. Under
each, a quiet line of stats (speed, tokens, a stop, an error, a summary's parts) and, at its
right, the versions `‹ 2/3 ›` and, while the pointer is over the message, its icon buttons.

A long chat has hundreds of these, so each is light: the chip is made for answers and the bubble
for questions only, the version arrows for messages with versions, the action buttons the first
time the pointer is over a message; their looks are the style sheet's (dynamic properties), never
a style sheet of their own."""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, QEvent, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QEnterEvent,
    QFontMetricsF,
    QGuiApplication,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.chat.conversation import Message
from app.core.chat.markdown import (
    ALL_SCHEME,
    CENTRED,
    CODE_SCHEME,
    COPY_SCHEME,
    LINK_SCHEME,
    MAX_RENDER_COST,
    TABLE_SCHEME,
    Link,
    MarkdownRenderer,
    RenderedMarkdown,
    Table,
    plain_text_html,
    rest_html,
    stable_prefix_length,
)
from app.qt.appearance import (
    NOTE_TEXT,
    current_colors,
    set_style,
    set_text_style,
    set_variant,
)
from app.qt.design import RADIUS, SPACE
from app.qt.icons import icon_button, set_icon
from app.qt.safe_text import elided, open_link, plain_tooltip
from app.qt.widgets.fitted_text import FittedText
from app.qt.widgets.message_footer import (
    MAX_FOOTER_CHARS,
    MAX_NAME_CHARS,
    attachments_html,
    footer_text,
    stats_tooltip,
)
from app.qt.widgets.show_all import ShowAllTable, ShowAllText
from app.qt.widgets.thinking_block import ThinkingBlock

_BLOCK_SPACING_PX = 12  # Qt's margin around a <p>
# How long a Copy button or a code block's Copy link says "Copied" after a click.
COPIED_FEEDBACK_MS = 1500
ACTION_ICON_PX = SPACE.l
# The user's bubble is at most about this many characters of body text wide; a shorter
# question's bubble is as wide as its longest line.
BUBBLE_CHARS = 60
MAX_CHIP_CHARS = 60  # of a model's name on its chip (all of it in the chip's tooltip)
# A line of text whose width stands for the average character's: a word's letters and its space.
_SAMPLE = "The quick brown fox jumps over the lazy dog, then naps in the sun. "
# Lines of a question measured for its bubble's width: a longer question fills the bubble.
_MEASURED_LINES = 200
# The counts an answer's "More versions" menu offers (Regenerate ×N, `ChatService.MAX_VERSIONS`
# at most): each is another answer's memory and compute while they are written together.
VERSION_COUNTS = (2, 3, 4)


_heights: list[int] = []


def _buttons_height() -> int:
    """How tall the message's icon buttons are, in the style in use (measured once)."""
    if not _heights:
        probe = icon_button("copy", "", size=ACTION_ICON_PX)
        probe.ensurePolished()
        _heights.append(probe.sizeHint().height())
        probe.deleteLater()
    return _heights[0]


def text_width(metrics: QFontMetricsF, chars: int) -> int:
    """About how wide `chars` characters of running text are in px, in the font of
    `metrics`."""
    return math.ceil(metrics.horizontalAdvance(_SAMPLE) * chars / len(_SAMPLE))


class _VersionNav(QWidget):
    """`‹ 2/3 ›`: made only for messages that have other versions."""

    def __init__(self, request: Callable[[str], None]) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.previous = icon_button("versions_prev", "", object_name="previousVersion",
                                    size=ACTION_ICON_PX)
        self.label = QLabel()
        self.label.setObjectName("versionLabel")
        set_text_style(self.label, "caption")
        self.next = icon_button("versions_next", "", object_name="nextVersion",
                                size=ACTION_ICON_PX)
        self.previous.clicked.connect(lambda: request("previous"))
        self.next.clicked.connect(lambda: request("next"))
        for widget in (self.previous, self.label, self.next):
            widget.setCursor(Qt.CursorShape.PointingHandCursor)
            layout.addWidget(widget)
        self._retranslate()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # (An event rather than `on_language_change`: a long chat has many of these.)
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()

    def _retranslate(self) -> None:
        for button, text in ((self.previous, self.tr("Previous version")),
                             (self.next, self.tr("Next version"))):
            button.setToolTip(text)
            button.setAccessibleName(text)


class _MessageActions(QWidget):
    """Copy, Edit or Regenerate (with, for an answer, a caret to ask for several versions at
    once), Delete, as small icon buttons: made the first time the pointer is over a message, so
    a long chat does not build hundreds of buttons nobody hovers."""

    def __init__(self, request: Callable[[str], None], copy: Callable[[], None]) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.copy = icon_button("copy", "", object_name="copyMessageButton",
                                size=ACTION_ICON_PX)
        self.copy.clicked.connect(copy)
        self._copied = QTimer(self)
        self._copied.setSingleShot(True)
        self._copied.setInterval(COPIED_FEEDBACK_MS)
        self._copied.timeout.connect(self._show_copy)
        # Edit or Regenerate, by role (`show_role`).
        self.redo = icon_button("edit", "", object_name="redoButton", size=ACTION_ICON_PX)
        self.redo.clicked.connect(lambda: request("redo"))
        # Regenerate's drop-down, for answers: several versions at once (`versions_menu`).
        self.many = icon_button("collapse", "", object_name="regenerateManyButton",
                                size=ACTION_ICON_PX)
        self.many.hide()
        self.many.clicked.connect(self._show_versions_menu)
        self._request = request
        self._menu: QMenu | None = None
        self.delete = icon_button("delete", "", object_name="deleteMessageButton",
                                  size=ACTION_ICON_PX)
        self.delete.clicked.connect(lambda: request("delete"))
        self._user: bool | None = None
        for button in (self.copy, self.redo, self.many, self.delete):
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            layout.addWidget(button)
        self._retranslate()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # (An event rather than `on_language_change`: a long chat has many of these.)
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()

    def _retranslate(self) -> None:
        self._name_copy(self._copied.isActive())
        self.delete.setToolTip(self.tr("Delete this message and what follows it"))
        self.delete.setAccessibleName(self.tr("Delete"))
        self.many.setAccessibleName(self.tr("More versions"))
        self.many.setToolTip(self.tr("Answer again several times: new versions side by side"))
        if self._user is not None:
            self._name_redo(self._user)
        if self._menu is not None:
            self._name_versions(self._menu)

    def show_role(self, user: bool) -> None:
        """Edit for a question, Regenerate (and its versions menu) for an answer."""
        if user == self._user:
            return
        self._user = user
        set_icon(self.redo, "edit" if user else "regenerate")
        self.many.setVisible(not user)
        self._name_redo(user)

    def versions_menu(self) -> QMenu:
        """"Regenerate N versions", for each of `VERSION_COUNTS`: made when first opened."""
        if self._menu is None:
            self._menu = QMenu(self)
            self._menu.setObjectName("regenerateManyMenu")
            for n in VERSION_COUNTS:
                action = self._menu.addAction("")
                action.setData(n)
                action.triggered.connect(lambda _checked=False, n=n: self._request(
                    f"regenerate:{n}"))
            self._name_versions(self._menu)
        return self._menu

    def _name_versions(self, menu: QMenu) -> None:
        for action in menu.actions():
            # Every count offered is 2 or more: the plural only.
            action.setText(self.tr("Regenerate {n} versions").format(n=action.data()))

    def _show_versions_menu(self) -> None:
        self.versions_menu().popup(self.many.mapToGlobal(self.many.rect().bottomLeft()))

    def _name_redo(self, user: bool) -> None:
        self.redo.setAccessibleName(self.tr("Edit") if user else self.tr("Regenerate"))
        self.redo.setToolTip(
            self.tr("Ask again with changed words: a new version of this question") if user
            else self.tr("Answer again: a new version of this answer"))

    def show_copied(self) -> None:
        """Say on the button, for a moment, that the message is on the clipboard: a check
        mark, and its name and tooltip."""
        set_icon(self.copy, "check")
        self._name_copy(True)
        self._copied.start()

    def _show_copy(self) -> None:
        set_icon(self.copy, "copy")
        self._name_copy(False)

    def _name_copy(self, copied: bool) -> None:
        if copied:
            self.copy.setAccessibleName(self.tr("Copied to the clipboard"))
            self.copy.setToolTip(self.tr("Copied to the clipboard"))
        else:
            self.copy.setAccessibleName(self.tr("Copy"))
            self.copy.setToolTip(self.tr("Copy this message"))


class _Bubble(QFrame):
    """The user's words on the bubble's colour (variant "bubble"): as wide as its longest line,
    up to `BUBBLE_CHARS` characters, narrower when the column is."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("messageBubble")
        set_variant(self, "bubble")
        # Never wider than its words (its text would make it grow), narrower when it must.
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.column = QVBoxLayout(self)  # the message's body, when it is a question
        self.column.setContentsMargins(SPACE.m - SPACE.xs, SPACE.xs, SPACE.m - SPACE.xs, SPACE.xs)
        self._lines: list[str] | None = []  # what is measured; None: too long to, it fills
        self._width: tuple[str, int] | None = None  # (font, px) measured last

    def show_text(self, text: str, attachments: bool) -> None:
        """The words whose width the bubble takes (a question with documents fills it)."""
        limit = BUBBLE_CHARS * 3  # surely over the bubble's width, in any font
        lines: list[str] | None = None
        if not attachments and text.count("\n", 0, _MEASURED_LINES * limit) < _MEASURED_LINES:
            lines = text.replace("\r", "").split("\n")
            if any(len(line) > limit for line in lines):
                lines = None
        if lines != self._lines:
            self._lines = lines
            self._width = None
            self.updateGeometry()

    def _text_px(self) -> int:
        """The width of the longest line, or of the bubble's widest text when wider."""
        metrics = QFontMetricsF(self.font())
        widest = text_width(metrics, BUBBLE_CHARS)
        if self._lines is None:
            return widest
        return min(widest, math.ceil(max(
            (metrics.horizontalAdvance(line) for line in self._lines), default=0.0)))

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        key = self.font().key()
        if self._width is None or self._width[0] != key:
            margins = self.contentsMargins() + self.column.contentsMargins()
            body = self.column.itemAt(0)
            text = body.widget() if body is not None else None
            document = 2 * math.ceil(text.document().documentMargin()) \
                if isinstance(text, FittedText) else 0
            # A pixel or two over the text's own width: a line measured exactly may wrap.
            self._width = key, (self._text_px() + document + 2 + margins.left()
                                + margins.right())
        return QSize(self._width[1], hint.height())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._width = None
            self.updateGeometry()


class MessageWidget(QFrame):
    """One message (see the module): who wrote it (the model's chip above an answer; a
    question's bubble says it by where it is, and its accessible name says it in words), its
    versions (`‹ 2/3 ›`), what a reasoning model thought (`ThinkingBlock`), the text, and under
    it a warning the engine gave (a chat template that failed), the stats and, while the
    pointer is over it, what can be done with it.

    Signals:
        copied(str): text put on the clipboard (a code block's, or the whole message's).
        actionRequested(str, int): "edit", "regenerate", "regenerate:N" (N versions at
            once), "delete", "previous", "next" or "parts" (a summary's Parts… link) and the
            message id; the window decides what happens.
    """

    copied = Signal(str)
    actionRequested = Signal(str, int)

    def __init__(self, renderer: MarkdownRenderer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._renderer = renderer
        self._code_blocks: list[str] = []
        self._links: list[Link] = []
        self._tables: list[Table] = []
        self._streamed: _Streamed | None = None
        self._content = ""
        self._role = "user"
        self._complete = False
        self._version = 1, 1
        self._actions_enabled = True
        self._nav: _VersionNav | None = None
        self._actions: _MessageActions | None = None
        self._thinking: ThinkingBlock | None = None
        self._warning: QLabel | None = None
        self._author: QLabel | None = None  # the model's chip, over an answer
        self._bubble: _Bubble | None = None  # around a question
        self._placed: bool | None = None  # the body is in the bubble (True) or not (False)
        self._named = ""  # the accessible name given last
        self.message_id: int | None = None
        self.setObjectName("message")
        self._column = layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACE.s, SPACE.xs, SPACE.s, 0)
        layout.setSpacing(SPACE.xs)

        self.body = FittedText(self)  # placed by `_place_body`, in its bubble or not
        self.body.setObjectName("messageBody")
        self._body_shown = True
        self.body.anchorClicked.connect(self._on_link)

        self.footer = QLabel()
        self.footer.setObjectName("messageFooter")
        self.footer.setTextFormat(Qt.TextFormat.RichText)
        self.footer.linkActivated.connect(self._request)
        set_text_style(self.footer, "caption")  # quiet: small, in the muted colour
        # As tall as the buttons that come beside it on hover: the message does not grow then.
        self.footer.setMinimumHeight(_buttons_height())
        self._bottom = QHBoxLayout()
        self._bottom.setContentsMargins(0, 0, 0, 0)
        self._bottom.setSpacing(SPACE.xs)
        self._bottom.addWidget(self.footer, 1)

        layout.addLayout(self._bottom)

    # -- parts made on demand --------------------------------------------------------------

    @property
    def author(self) -> QLabel:
        """The chip with the model's name over an answer (made for the first answer shown)."""
        if self._author is None:
            self._author = QLabel(self)
            self._author.setObjectName("messageAuthor")
            self._author.setTextFormat(Qt.TextFormat.RichText)  # the name is escaped
            set_variant(self._author, "chip")
            self._column.insertWidget(0, self._author, 0, Qt.AlignmentFlag.AlignLeft)
            if self._role == "user":
                self._author.hide()
        return self._author

    def _place_body(self, user: bool) -> None:
        """A question's text in its bubble at the right; an answer's across the column. (Made
        with their parent and put in the column once, with an alignment rather than a row of
        their own: each layout and each new parent costs a long chat's opening time.)"""
        if self._placed is user:
            return
        first = self._placed is None
        self._placed = user
        if not first:
            (self._column if user else self._bubble_layout()).removeWidget(self.body)
        # Where the body goes: after the chip and the thinking, before a warning and the stats.
        slot = self._column.indexOf(self._warning) if self._warning is not None \
            else self._column.count() - 1
        if user:
            if self._bubble is None:
                self._bubble = _Bubble(self)
                self._column.insertWidget(slot, self._bubble, 0, Qt.AlignmentFlag.AlignRight)
            elif not first:
                self._bubble.show()
            self._bubble.column.addWidget(self.body)
        else:
            if self._bubble is not None:
                self._bubble.hide()
            self._column.insertWidget(slot, self.body)
        if not first:
            self.body.setVisible(self._body_shown)  # a new parent hid it
            if self._author is not None:
                self._author.setVisible(not user)

    def _bubble_layout(self) -> QVBoxLayout:
        assert self._bubble is not None
        return self._bubble.column

    def _body_index(self) -> int:
        """Where the body (or its bubble) is in the column."""
        return self._column.indexOf(self._bubble if self._placed else self.body)

    def versions(self) -> _VersionNav:
        if self._nav is None:
            self._nav = _VersionNav(self._request)
            self._bottom.insertWidget(1, self._nav)  # after the stats, before the buttons
            self._show_version(*self._version)
        return self._nav

    def actions(self) -> _MessageActions:
        if self._actions is None:
            self._actions = _MessageActions(self._request, self.copy_text)
            self._bottom.addWidget(self._actions)
            self._show_actions_state()
        return self._actions

    def thinking(self) -> ThinkingBlock:
        """The thinking above the answer, made for the first answer with some."""
        if self._thinking is None:
            self._thinking = ThinkingBlock()
            self._column.insertWidget(self._body_index(), self._thinking)
        return self._thinking

    def warning(self) -> QLabel:
        """The quiet line under an answer for what the engine had to do instead of what was
        asked (`GenerationResult.warning`); made for the first such answer."""
        if self._warning is None:
            self._warning = QLabel()
            self._warning.setObjectName("messageWarning")
            self._warning.setTextFormat(Qt.TextFormat.PlainText)  # an engine's error text
            self._warning.setWordWrap(True)
            set_style(self._warning, NOTE_TEXT)
            self._column.insertWidget(self._body_index() + 1, self._warning)
        return self._warning

    @property
    def previous_version(self) -> QToolButton:
        return self.versions().previous

    @property
    def next_version(self) -> QToolButton:
        return self.versions().next

    @property
    def version_label(self) -> QLabel:
        return self.versions().label

    @property
    def copy_button(self) -> QToolButton:
        return self.actions().copy

    @property
    def redo_button(self) -> QToolButton:
        return self.actions().redo

    @property
    def delete_button(self) -> QToolButton:
        return self.actions().delete

    @property
    def regenerate_many_button(self) -> QToolButton:
        return self.actions().many

    def versions_menu(self) -> QMenu:
        """An answer's "Regenerate N versions" menu (the caret beside Regenerate opens it)."""
        return self.actions().versions_menu()

    def enterEvent(self, event: QEnterEvent) -> None:
        super().enterEvent(event)
        if self._complete:
            self.actions().show()

    def leaveEvent(self, event: QEvent) -> None:
        super().leaveEvent(event)
        if self._actions is not None:
            self._actions.hide()

    # -- showing ---------------------------------------------------------------------------

    def show_message(self, message: Message, version: tuple[int, int] = (1, 1), *,
                     last: bool = True) -> None:
        """Show `message`; `last`: it ends the chat shown, so a stopped answer can go on."""
        user = message.role == "user"
        self.message_id = message.id
        self._content = message.content
        self._role = message.role
        self._complete = not message.streaming and message.id is not None
        self._place_body(user)
        if user:
            self._name(self.tr("Your message"))
        else:
            self._show_author(message.model_name or self.tr("Assistant"))
        if user:
            self._streamed = None
            assert self._bubble is not None
            self._bubble.show_text(message.content, bool(message.attachments))
            self.body.setHtml(attachments_html(message) + plain_text_html(message.content))
            self._code_blocks, self._links, self._tables = [], [], []
        elif message.streaming and not message.content and message.progress:
            self._streamed = None  # the answer's first words replace the progress
            self.body.setHtml(f"<p><i>{html.escape(elided(message.progress, MAX_FOOTER_CHARS))}"
                              "</i></p>")
        elif message.streaming:
            self._show_streaming(message.content)
        else:  # complete: rendered whole, once, as history is
            self._streamed = None
            rendered = self._renderer.render(message.content)
            self._code_blocks = rendered.code_blocks
            self._links, self._tables = rendered.links, rendered.tables
            no_answer = self.tr("(no answer)")
            self.body.setHtml(rendered.html + rendered.notice if message.content
                              else f"<p><i>{html.escape(no_answer)}</i></p>")
        self._show_thinking(message)
        self._show_warning(message)
        self.footer.setText(footer_text(message, can_go_on=last))
        self.footer.setToolTip(plain_tooltip(stats_tooltip(message)))
        self._show_version(*version)
        self._show_actions_state()

    def _show_author(self, name: str) -> None:
        """The model's name on the answer's chip (cut, all of it in the tooltip), and in the
        answer's accessible name."""
        name = elided(name, MAX_NAME_CHARS)
        shown = html.escape(elided(name, MAX_CHIP_CHARS))
        chip = self.author
        if chip.text() != shown:
            chip.setText(shown)
            chip.setToolTip(plain_tooltip(name) if len(name) > MAX_CHIP_CHARS else "")
        self._name(self.tr("Answer from {name}").format(name=name))

    def _name(self, name: str) -> None:
        """Who wrote the message, for a screen reader: the bubble and the chip say it only by
        their look."""
        if name != self._named:
            self._named = name
            self.setAccessibleName(name)
            self.body.setAccessibleName(name)

    def _show_thinking(self, message: Message) -> None:
        if message.thinking.strip() or self._thinking is not None:
            self.thinking().show_message(message)
        # While the model thinks, its answer has no text yet: no empty line under the block.
        shown = not (message.streaming and not message.content and not message.progress
                     and message.thinking.strip())
        if shown != self._body_shown:  # (showing what shows polishes it again: not per token)
            self._body_shown = shown
            self.body.setVisible(shown)

    def _show_warning(self, message: Message) -> None:
        warning = message.details.get("warning") if message.details and not message.streaming \
            else None
        if isinstance(warning, str) and warning.strip():
            self.warning().setText(f"⚠ {elided(' '.join(warning.split()), MAX_FOOTER_CHARS)}")
            self.warning().show()
        elif self._warning is not None:
            self._warning.hide()

    def _show_version(self, number: int, count: int) -> None:
        self._version = number, count
        if count > 1:
            self.versions()
        if self._nav is None:
            return
        self._nav.setVisible(count > 1)
        self._nav.label.setText(f"{number}/{count}")
        self._nav.previous.setEnabled(self._actions_enabled and number > 1)
        self._nav.next.setEnabled(self._actions_enabled and number < count)

    def _show_actions_state(self) -> None:
        if self._actions is None:
            return
        self._actions.show_role(self._role == "user")
        self._actions.redo.setEnabled(self._actions_enabled)
        self._actions.many.setEnabled(self._actions_enabled)
        self._actions.delete.setEnabled(self._actions_enabled)
        if not self._complete:
            self._actions.hide()

    def set_actions_enabled(self, enabled: bool) -> None:
        """While an answer streams, messages can be read and copied, not changed."""
        self._actions_enabled = enabled
        self._show_version(*self._version)
        self._show_actions_state()

    def copy_text(self) -> None:
        """The message as written (Markdown for answers; an answer without the thinking before
        it), onto the clipboard."""
        QGuiApplication.clipboard().setText(self._content)
        if self._actions is not None:
            self._actions.show_copied()
        self.copied.emit(self._content)

    def highlight(self, duration_ms: int = 1500) -> None:
        """Mark the message for a moment: the one a search result jumped to."""
        self.setStyleSheet(f"#message {{ background: {current_colors().accent_soft};"
                           f" border-radius: {RADIUS.medium}px; }}")
        QTimer.singleShot(duration_ms, self, lambda: self.setStyleSheet(""))

    def _request(self, action: str) -> None:
        if action == "redo":
            action = "edit" if self._role == "user" else "regenerate"
        if self.message_id is not None:
            self.actionRequested.emit(action, self.message_id)

    def _show_streaming(self, text: str) -> None:
        """Redraw a growing answer at a cost that does not grow with it.

        The final part of the text (see `stable_prefix_length`) is rendered once and appended
        to the document; only the unfinished rest is removed and rendered again each time.
        """
        with self.body.editing():
            self._update_streaming(text)

    def _update_streaming(self, text: str) -> None:
        streamed = self._streamed
        if streamed is None or not text.startswith(streamed.text):
            self.body.clear()
            streamed = self._streamed = _Streamed()
        document = self.body.document()
        cursor = QTextCursor(document)
        # One edit block: the document is laid out once, when it ends, rather than after the
        # removal and after each insertion, and the cursor does not lay out its line each time.
        cursor.beginEditBlock()
        try:
            cursor.setPosition(streamed.end)
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()  # the old unfinished rest, and the break before it

            if streamed.cost <= MAX_RENDER_COST:
                boundary = stable_prefix_length(text, len(streamed.text))
                if boundary > len(streamed.text):
                    rendered = self._render(text[len(streamed.text):boundary], streamed)
                    _append_blocks(cursor, rendered.html)
                    stable = boundary if rendered.rest is None else \
                        len(streamed.text) + rendered.rest
                    streamed.text = text[:stable]
                    streamed.end = document.characterCount() - 1
                    streamed.cost += rendered.cost
                    streamed.code_blocks += rendered.code_blocks
                    streamed.links += rendered.links
                    streamed.tables += rendered.tables
            if streamed.cost > MAX_RENDER_COST or len(streamed.text) > MAX_RENDER_COST:
                # As much is shown as a complete answer would show; the rest is behind Show
                # all, as it will be once the answer is complete.
                streamed.cost = MAX_RENDER_COST + 1
                rest = RenderedMarkdown(rest_html(text, len(streamed.text)))
            else:
                rest = self._render(text[len(streamed.text):], streamed)
            _append_blocks(cursor, rest.html + rest.notice)
        finally:
            cursor.endEditBlock()
        self._code_blocks = streamed.code_blocks + rest.code_blocks
        self._links = streamed.links + rest.links
        self._tables = streamed.tables + rest.tables

    def _render(self, text: str, streamed: _Streamed) -> RenderedMarkdown:
        return self._renderer.render(text, len(streamed.code_blocks), len(streamed.links),
                                     len(streamed.tables))

    def forget_rendering(self) -> None:
        """The next `show_message` renders a streaming answer whole (the colours changed)."""
        self._streamed = None

    def plain_text(self) -> str:
        return self.body.toPlainText()

    def _on_link(self, url: QUrl) -> None:
        """A click on a link of the body: only the renderer's own schemes do anything; a link
        from the text stands for an entry of `_links` and opens through `open_link`."""
        scheme, path = url.scheme(), url.path()
        index = int(path) if path.isdigit() else -1
        if scheme == COPY_SCHEME and 0 <= index < len(self._code_blocks):
            QGuiApplication.clipboard().setText(self._code_blocks[index])
            self._show_code_copied(f"{COPY_SCHEME}:{index}")
            self.copied.emit(self._code_blocks[index])
        elif scheme == LINK_SCHEME and 0 <= index < len(self._links):
            open_link(self, self._links[index])
        elif scheme in (TABLE_SCHEME, CODE_SCHEME, ALL_SCHEME):
            self.show_all(scheme, index)

    def _show_code_copied(self, href: str) -> None:
        """The code block's Copy link reads "Copied" for a moment (then what it read, in the
        renderer's words)."""
        copied = self.tr("Copied")
        before = self._replace_link_text(href, None, copied)
        if before is not None and before != copied:
            QTimer.singleShot(COPIED_FEEDBACK_MS, self,
                              lambda: self._replace_link_text(href, copied, before))

    def _replace_link_text(self, href: str, old: str | None, new: str) -> str | None:
        """Put `new` for the text of the link to `href` that reads `old` (None: whatever it
        reads), keeping it a link; returns the text replaced, or None when there is no such
        link (the message was drawn again meanwhile)."""
        document = self.body.document()
        block = document.begin()
        while block.isValid():
            if old is None or old in block.text():
                fragments = block.begin()
                while not fragments.atEnd():
                    fragment = fragments.fragment()
                    link = fragment.charFormat()
                    if link.anchorHref() == href and (old is None or fragment.text() == old):
                        replaced = fragment.text()
                        cursor = QTextCursor(document)
                        cursor.setPosition(fragment.position())
                        cursor.setPosition(fragment.position() + fragment.length(),
                                           QTextCursor.MoveMode.KeepAnchor)
                        cursor.insertText(new, link)
                        streamed = self._streamed
                        if streamed is not None and fragment.position() < streamed.end:
                            streamed.end += len(new) - len(replaced)  # it is kept there
                        return replaced
                    fragments += 1
            block = block.next()
        return None

    def show_all(self, scheme: str, index: int = -1) -> QDialog | None:
        """Open the whole of what the message shows in part (a Show all link): the message,
        one of its code blocks or one of its tables. Returns the window opened."""
        dialog: QDialog | None = None
        if scheme == TABLE_SCHEME and 0 <= index < len(self._tables):
            dialog = ShowAllTable(self._tables[index], self.window())
        elif scheme == CODE_SCHEME and 0 <= index < len(self._code_blocks):
            dialog = ShowAllText(lambda: QCoreApplication.translate("MessageWidget", "Code"),
                                 self._code_blocks[index], code=True, parent=self.window())
        elif scheme == ALL_SCHEME:
            dialog = ShowAllText(lambda: QCoreApplication.translate("MessageWidget", "Message"),
                                 self._content, parent=self.window())
        if dialog is not None:
            dialog.show()
        return dialog


@dataclass
class _Streamed:
    """The part of a streaming answer already in the document for good."""

    text: str = ""
    end: int = 0  # document position where it ends
    cost: int = 0  # what rendering it cost (see MAX_RENDER_COST)
    code_blocks: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def _append_blocks(cursor: QTextCursor, html_blocks: str) -> None:
    """Append rendered blocks at the end of the cursor's document, as new paragraphs."""
    if not html_blocks.strip():
        return
    cursor.movePosition(QTextCursor.MoveOperation.End)
    if not cursor.document().isEmpty():
        # The first inserted block keeps this block's format, not its own <p>'s margin.
        spacing = QTextBlockFormat()
        spacing.setTopMargin(_BLOCK_SPACING_PX)
        cursor.insertBlock(spacing, QTextCharFormat())
    start = cursor.position()
    cursor.insertHtml(html_blocks)
    if html_blocks.startswith(CENTRED):  # a display formula: centred as it is rendered whole
        first = QTextCursor(cursor.document().findBlock(start))
        centred = first.blockFormat()
        centred.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        first.setBlockFormat(centred)
