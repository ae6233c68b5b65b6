"""The chat list beside the conversation: New chat, a search over every message, and the chats
under day headers, with Rename, Export and Delete (which can be undone for a few seconds): as
icons on the row under the pointer, and in the row's context menu for the keyboard.

The sidebar reads and writes the store itself, on the GUI thread: every change it makes is one
small statement, and reading the list back is what keeps it true after any change.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from datetime import datetime

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QCursor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QIcon,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from app.core.chat.library import ChatLibrary
from app.core.chat.store import MATCH_END, MATCH_START, SearchHit
from app.qt.appearance import colors_for, follow_theme, set_surface, set_tone
from app.qt.design import RADIUS, SPACE
from app.qt.i18n import on_language_change
from app.qt.icons import ICON_SIZE, icon, set_icon
from app.qt.safe_text import elided, plain_tooltip
from app.qt.viewmodels.conversation_list_model import (
    MAX_TITLE_SHOWN,
    ConversationListModel,
    Roles,
    untitled,
)

_Index = QModelIndex | QPersistentModelIndex

SEARCH_DELAY_MS = 150  # long enough to skip the keystrokes of a word, short enough to feel live
UNDO_MS = 10_000
MIN_WIDTH, PREFERRED_WIDTH = 200, 260
ROW_PADDING = 8  # added to a row's height: a list of chats is read by eye, not scanned densely
HEADER_GAP = 10  # above every day header but the first
HIT_PADDING, HIT_LINE_GAP = 6, 2

HIT_CONVERSATION_ID = Qt.ItemDataRole.UserRole + 1
HIT_MESSAGE_ID = Qt.ItemDataRole.UserRole + 2
HIT_TITLE = Qt.ItemDataRole.UserRole + 3
HIT_SNIPPET = Qt.ItemDataRole.UserRole + 4
HIT_UNTITLED = Qt.ItemDataRole.UserRole + 5  # its chat has no title: "New chat" is shown

_MATCH = re.compile(f"{MATCH_START}(.*?){MATCH_END}", re.S)


def snippet_html(snippet: str) -> str:
    """A store snippet as HTML on one line, the matches it marks in bold."""
    escaped = html.escape(" ".join(snippet.split()), quote=False)
    return _MATCH.sub(r"<b>\1</b>", escaped)


def snippet_text(snippet: str) -> str:
    """A store snippet as plain text on one line, without its match marks."""
    return _MATCH.sub(r"\1", " ".join(snippet.split()))


def _text_width(option: QStyleOptionViewItem, fallback: int) -> int:
    """The width a row may use: the view's, so long text is elided or wrapped, never scrolled."""
    widget = option.widget
    if isinstance(widget, QAbstractScrollArea) and widget.viewport().width() > 0:
        return widget.viewport().width()
    return fallback


# The icons a chat's row shows under the pointer, left to right: (action, icon).
ROW_ACTIONS = (("rename", "edit"), ("export", "export"), ("delete", "delete"))
ROW_BUTTON = ICON_SIZE + SPACE.xs  # the square each icon takes, and is clicked in


class ConversationDelegate(QStyledItemDelegate):
    """Gives the chats some air, puts a gap above each day header but the first, and on the
    chat under the pointer paints Rename, Export and Delete icons at the row's end (the
    sidebar takes their clicks: `action_at`)."""

    @staticmethod
    def action_rects(rect: QRect) -> list[tuple[str, QRect]]:
        """Where a row at `rect` shows its actions' icons, left to right."""
        right = rect.right() - SPACE.s
        top = rect.center().y() - ROW_BUTTON // 2 + 1
        found = []
        for name, _icon in reversed(ROW_ACTIONS):
            found.append((name, QRect(right - ROW_BUTTON + 1, top, ROW_BUTTON, ROW_BUTTON)))
            right -= ROW_BUTTON + SPACE.xxs
        return found[::-1]

    def action_at(self, rect: QRect, pos: QPoint) -> str | None:
        """The action whose icon is at `pos` on a row at `rect`, if any."""
        return next((name for name, where in self.action_rects(rect) if where.contains(pos)),
                    None)

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        size = super().sizeHint(option, index)
        extra = ROW_PADDING
        if index.data(Roles.IS_HEADER) and index.row() > 0:
            extra += HEADER_GAP
        return QSize(_text_width(option, size.width()), size.height() + extra)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        if not index.data(Roles.IS_HEADER):
            if option.state & QStyle.StateFlag.State_MouseOver:
                self._paint_with_actions(painter, option, index)
            else:
                super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        if index.row() > 0:
            opt.rect = option.rect.adjusted(0, HEADER_GAP, 0, 0)
        # A header is a disabled row, and the disabled text of most styles is too faint to read.
        opt.palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text,
                             option.palette.color(QPalette.ColorGroup.Active,
                                                  QPalette.ColorRole.PlaceholderText))
        super().paint(painter, opt, index)

    def _paint_with_actions(self, painter: QPainter, option: QStyleOptionViewItem,
                            index: _Index) -> None:
        """The row as usual, its title elided before the icons, and the icons over it; the
        one under the pointer on a rounded background."""
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        rects = self.action_rects(opt.rect)
        room = rects[0][1].left() - opt.rect.left() - 2 * SPACE.s
        opt.text = opt.fontMetrics.elidedText(opt.text, Qt.TextElideMode.ElideRight,
                                              max(0, room))
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        pointer = (widget.viewport().mapFromGlobal(QCursor.pos())
                   if isinstance(widget, QAbstractScrollArea) else QPoint(-1, -1))
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        tokens = colors_for(opt.palette)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for (_name, rect), (_, icon_name) in zip(rects, ROW_ACTIONS, strict=True):
            if rect.contains(pointer):
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(tokens.raised if selected else tokens.pressed))
                painter.drawRoundedRect(rect, RADIUS.small, RADIUS.small)
            margin = (ROW_BUTTON - ICON_SIZE) // 2
            icon(icon_name, "selection_text" if selected else "text").paint(
                painter, rect.adjusted(margin, margin, -margin, -margin))
        painter.restore()


class SearchHitDelegate(QStyledItemDelegate):
    """Paints a search hit: its chat's title on one line, elided, and under it the snippet,
    wrapped, with the matched words in bold."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""  # the background, selection and focus are drawn as usual, the text after
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        colour = opt.palette.color(QPalette.ColorRole.HighlightedText if selected
                                   else QPalette.ColorRole.Text)
        rect = opt.rect.adjusted(HIT_PADDING, HIT_PADDING, -HIT_PADDING, -HIT_PADDING)
        title_font = _bold(opt.font)
        metrics = QFontMetrics(title_font)
        title = metrics.elidedText(str(index.data(HIT_TITLE)), Qt.TextElideMode.ElideRight,
                                   rect.width())
        painter.save()
        painter.setFont(title_font)
        painter.setPen(colour)
        painter.drawText(QRect(rect.left(), rect.top(), rect.width(), metrics.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        top = metrics.height() + HIT_LINE_GAP
        document = _snippet_document(str(index.data(HIT_SNIPPET)), opt.font, rect.width())
        painter.translate(rect.left(), rect.top() + top)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(QPalette.ColorRole.Text, colour)
        context.clip = QRectF(0, 0, rect.width(), rect.height() - top)
        document.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        width = _text_width(option, PREFERRED_WIDTH)
        document = _snippet_document(str(index.data(HIT_SNIPPET)), option.font,
                                     width - 2 * HIT_PADDING)
        height = (QFontMetrics(_bold(option.font)).height() + HIT_LINE_GAP
                  + math.ceil(document.size().height()) + 2 * HIT_PADDING)
        return QSize(width, height)


def _bold(font: QFont) -> QFont:
    bold = QFont(font)
    bold.setBold(True)
    return bold


def _snippet_document(snippet: str, font: QFont, width: int) -> QTextDocument:
    document = QTextDocument()
    document.setDocumentMargin(0)
    document.setDefaultFont(font)
    document.setHtml(snippet_html(snippet))
    document.setTextWidth(max(width, 1))
    return document


class ConversationSidebar(QWidget):
    """The chat list: New chat, Search chats, the chats by day, and Undo after a delete.

    It reads and changes the chat library on the GUI thread. Opening a chat, starting one and
    exporting are the window's job: the sidebar asks for them with its signals.

    Signals:
        conversationChosen(int): the user picked a conversation in the list, by mouse or keys;
            never sent by `select`.
        newChatRequested(): the user pressed "New chat".
        searchResultChosen(int, int): the user picked a search hit: its conversation id and
            message id.
        conversationDeleted(int): a conversation was deleted (marked so: Undo can bring it back
            until the store purges it).
        conversationRenamed(int, str): a conversation was renamed; its id and new title.
        exportRequested(int): the user asked to export this conversation.
    """

    conversationChosen = Signal(int)
    newChatRequested = Signal()
    searchResultChosen = Signal(int, int)
    conversationDeleted = Signal(int)
    conversationRenamed = Signal(int, str)
    exportRequested = Signal(int)

    def __init__(self, library: ChatLibrary, parent: QWidget | None = None,
                 now: Callable[[], datetime] = datetime.now) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setMinimumWidth(MIN_WIDTH)
        self.library = library
        self.model = ConversationListModel(now)
        self.model.renameRequested.connect(self._rename)
        self._selecting_by_code = False  # so that select() and refresh() do not emit a choice
        self._undoable: int | None = None  # the conversation Undo would bring back

        self.new_chat_button = QPushButton()
        self.new_chat_button.setObjectName("newChatButton")
        set_icon(self.new_chat_button, "new_chat")
        self.new_chat_button.clicked.connect(self.newChatRequested)
        self._build_search()
        self._build_list()
        self._build_results()
        self.pages = QStackedWidget()
        for page in (self.conversation_list, self.search_results, self.no_results):
            self.pages.addWidget(page)
        self._build_undo_bar()

        set_surface(self, "sidebar")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACE.s, SPACE.s, SPACE.s, SPACE.s)
        layout.setSpacing(SPACE.s)
        layout.addWidget(self.new_chat_button)
        layout.addWidget(self.search_box)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.undo_bar)
        self._retranslate()
        on_language_change(self, self._retranslate)
        self.refresh()

    def _retranslate(self) -> None:
        """The fixed texts in the current language, and the list's headings and the search's
        hits worded anew."""
        self.new_chat_button.setText(self.tr("New chat"))
        self.new_chat_button.setToolTip(self.tr("New chat (Ctrl+N)"))
        self.search_box.setPlaceholderText(self.tr("Search chats"))
        # Qt shows the action as a button: named, or a screen reader meets an unnamed one.
        self.search_icon.setText(self.tr("Search chats"))
        self.search_icon.setToolTip(self.tr("Search every message (Ctrl+F)"))
        self.no_results.setText(self.tr("No messages match"))
        self.undo_label.setText(self.tr("Chat deleted."))
        self.undo_button.setText(self.tr("Undo"))
        self.model.retranslate()
        for row in range(self.search_results.count()):  # an untitled chat's hits
            item = self.search_results.item(row)
            if item.data(HIT_UNTITLED):
                title = untitled()
                item.setData(HIT_TITLE, title)
                item.setText(f"{title}\n{snippet_text(str(item.data(HIT_SNIPPET)))}")
                item.setToolTip(plain_tooltip(title))

    def _build_search(self) -> None:
        self.search_box = QLineEdit()
        self.search_box.setObjectName("conversationSearch")
        self.search_box.setClearButtonEnabled(True)
        search_icon = self.search_icon = self.search_box.addAction(
            QIcon(), QLineEdit.ActionPosition.LeadingPosition)
        search_icon.triggered.connect(lambda _checked=False: self.search_box.setFocus())
        follow_theme(self.search_box, lambda: search_icon.setIcon(icon("search", "muted")))
        self.search_box.textChanged.connect(self._on_search_text_changed)
        self.search_box.returnPressed.connect(lambda: self.run_search(self.search_box.text()))
        self.search_box.installEventFilter(self)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(lambda: self.run_search(self.search_box.text()))

    def _build_list(self) -> None:
        view = self.conversation_list = QListView()
        view.setObjectName("conversationList")
        view.setModel(self.model)
        self.delegate = ConversationDelegate(view)
        view.setItemDelegate(self.delegate)
        # The row under the pointer shows its actions: Qt tracks it only with hover events.
        view.setMouseTracking(True)
        view.viewport().setAttribute(Qt.WidgetAttribute.WA_Hover, True)
        # F2 is the window's Rename action, which works wherever the focus is: the list's own
        # key missed whenever opening the chat had moved the focus or reset the list.
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setUniformItemSizes(False)
        view.setWordWrap(False)
        view.setTextElideMode(Qt.TextElideMode.ElideRight)
        view.setResizeMode(QListView.ResizeMode.Adjust)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._show_context_menu)
        view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        view.installEventFilter(self)
        view.viewport().installEventFilter(self)

    def _build_results(self) -> None:
        results = self.search_results = QListWidget()
        results.setObjectName("searchResults")
        results.setItemDelegate(SearchHitDelegate(results))
        results.setUniformItemSizes(False)
        results.setResizeMode(QListView.ResizeMode.Adjust)
        results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        results.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        results.itemClicked.connect(self._choose_hit)
        results.installEventFilter(self)
        self.no_results = QLabel()
        self.no_results.setObjectName("noSearchResults")
        self.no_results.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.no_results.setWordWrap(True)
        self.no_results.setContentsMargins(0, SPACE.m, 0, 0)
        set_tone(self.no_results, "muted")

    def _build_undo_bar(self) -> None:
        self.undo_bar = QFrame()
        self.undo_bar.setObjectName("undoBar")
        self.undo_bar.setFrameShape(QFrame.Shape.StyledPanel)
        self.undo_label = QLabel()
        self.undo_button = QPushButton()
        self.undo_button.setObjectName("undoDeleteButton")
        self.undo_button.clicked.connect(self.undo_delete)
        layout = QHBoxLayout(self.undo_bar)
        layout.setContentsMargins(SPACE.s, SPACE.xs, SPACE.xs, SPACE.xs)
        layout.addWidget(self.undo_label, 1)
        layout.addWidget(self.undo_button)
        self.undo_bar.hide()
        self.undo_timer = QTimer(self)
        self.undo_timer.setSingleShot(True)
        self.undo_timer.setInterval(UNDO_MS)
        self.undo_timer.timeout.connect(self._hide_undo_bar)

    def sizeHint(self) -> QSize:
        return QSize(PREFERRED_WIDTH, super().sizeHint().height())

    # -- the list --------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the chats again, keeping the selected one selected if it is still there, and
        the search hits too while a search is shown."""
        selected = self.selected_id()
        self.model.set_conversations(self.library.chats())
        self.select(selected)
        if self.search_box.text().strip():
            self._show_hits(self.library.search(self.search_box.text()))

    def selected_id(self) -> int | None:
        indexes = self.conversation_list.selectionModel().selectedIndexes()
        return self.model.conversation_id(indexes[0].row()) if indexes else None

    def select(self, conversation_id: int | None) -> None:
        """Select this conversation (or none), without sending `conversationChosen`: for the
        window, which already shows it."""
        selection = self.conversation_list.selectionModel()
        row = self.model.row_of(conversation_id) if conversation_id is not None else None
        index = self.model.index(row) if row is not None else QModelIndex()
        if index.isValid() and selection.isSelected(index) and \
                selection.currentIndex() == index:
            return  # moving the current index would close an editor open on another row
        self._selecting_by_code = True
        try:
            if not index.isValid():
                selection.clear()
            else:
                selection.setCurrentIndex(
                    index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
                self.conversation_list.scrollTo(index)
        finally:
            self._selecting_by_code = False

    def start_rename(self, conversation_id: int) -> None:
        """Open the title of this conversation for editing in the list."""
        row = self.model.row_of(conversation_id)
        if row is None:
            return
        self.search_box.clear()  # the list must be showing to edit in it
        index = self.model.index(row)
        self.conversation_list.scrollTo(index)
        self.conversation_list.edit(index)

    def delete_conversation(self, conversation_id: int) -> None:
        """Delete (mark) the conversation and offer Undo for a while; an earlier delete can no
        longer be undone from here."""
        self.library.delete(conversation_id)
        self.refresh()
        self._undoable = conversation_id
        self.undo_bar.show()
        self.undo_timer.start()
        self.conversationDeleted.emit(conversation_id)

    def undo_delete(self) -> None:
        """Bring back the conversation deleted last, select it and show it."""
        conversation_id = self._undoable
        self._hide_undo_bar()
        if conversation_id is None:
            return
        self.library.undelete(conversation_id)
        self.refresh()
        self.select(conversation_id)
        self.conversationChosen.emit(conversation_id)  # shown, not only selected

    def _hide_undo_bar(self) -> None:
        self.undo_timer.stop()
        self.undo_bar.hide()
        self._undoable = None

    def _rename(self, conversation_id: int, text: str) -> None:
        title = text.strip()
        summary = self.model.summary(conversation_id)
        if not title or summary is None or title == summary.title:
            return
        self.library.rename(conversation_id, title)
        self.refresh()
        self.conversationRenamed.emit(conversation_id, title)

    def _on_selection_changed(self, _selected: QItemSelection,
                              _deselected: QItemSelection) -> None:
        if self._selecting_by_code:
            return
        conversation_id = self.selected_id()
        if conversation_id is not None:
            self.conversationChosen.emit(conversation_id)

    def _show_context_menu(self, pos: QPoint) -> None:
        index = self.conversation_list.indexAt(pos)
        conversation_id = self.model.conversation_id(index.row()) if index.isValid() else None
        if conversation_id is None:
            return
        menu = self._context_menu(conversation_id)
        menu.popup(self.conversation_list.viewport().mapToGlobal(pos))

    def _context_menu(self, conversation_id: int) -> QMenu:
        menu = QMenu(self)
        menu.setObjectName("conversationMenu")
        # Not WA_DeleteOnClose: choosing an action hides a menu without closing it.
        menu.aboutToHide.connect(menu.deleteLater)
        rename = menu.addAction(self.tr("Rename"))
        rename.setObjectName("renameAction")
        rename.triggered.connect(lambda: self.start_rename(conversation_id))
        export = menu.addAction(self.tr("Export…"))
        export.setObjectName("exportAction")
        export.triggered.connect(lambda: self.exportRequested.emit(conversation_id))
        menu.addSeparator()
        delete = menu.addAction(self.tr("Delete"))
        delete.setObjectName("deleteAction")
        delete.triggered.connect(lambda: self.delete_conversation(conversation_id))
        return menu

    # -- search ----------------------------------------------------------------------------

    def run_search(self, text: str) -> None:
        """Search every message for `text` now and show the hits; blank text shows the chats."""
        if self.search_box.text() != text:
            self.search_box.setText(text)
        self.search_timer.stop()
        if not text.strip():
            self._show_list()
            return
        self._show_hits(self.library.search(text))

    def _on_search_text_changed(self, text: str) -> None:
        if text.strip():
            self.search_timer.start()  # restarted by each keystroke: searches once typing pauses
        else:
            self.search_timer.stop()
            self._show_list()

    def _show_list(self) -> None:
        self.search_results.clear()
        self.pages.setCurrentWidget(self.conversation_list)

    def _show_hits(self, hits: Sequence[SearchHit]) -> None:
        current = self.search_results.currentItem()
        kept = (current.data(HIT_CONVERSATION_ID), current.data(HIT_MESSAGE_ID)) \
            if current is not None else None
        self.search_results.clear()
        for hit in hits:
            title = elided(hit.title, MAX_TITLE_SHOWN) or untitled()
            item = QListWidgetItem(f"{title}\n{snippet_text(hit.snippet)}")
            item.setData(HIT_UNTITLED, not hit.title)
            item.setData(HIT_CONVERSATION_ID, hit.conversation_id)
            item.setData(HIT_MESSAGE_ID, hit.message_id)
            item.setData(HIT_TITLE, title)
            item.setData(HIT_SNIPPET, hit.snippet)
            item.setToolTip(plain_tooltip(hit.title or untitled()))
            self.search_results.addItem(item)
            if kept == (hit.conversation_id, hit.message_id):
                self.search_results.setCurrentItem(item)
        self.pages.setCurrentWidget(self.search_results if hits else self.no_results)

    def _choose_hit(self, item: QListWidgetItem) -> None:
        self.searchResultChosen.emit(int(item.data(HIT_CONVERSATION_ID)),
                                     int(item.data(HIT_MESSAGE_ID)))

    # -- keys and mouse --------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            return self._key_pressed(watched, event)
        if watched is self.conversation_list.viewport():
            # A right-click only opens the menu: selecting the row too would open the chat.
            if isinstance(event, QMouseEvent) and event.type() == QEvent.Type.MouseButtonPress \
                    and event.button() == Qt.MouseButton.RightButton:
                return True
            if isinstance(event, QMouseEvent) and event.type() == QEvent.Type.MouseButtonPress \
                    and event.button() == Qt.MouseButton.LeftButton:
                return self._row_action_clicked(event.position().toPoint())
            if isinstance(event, QHelpEvent) and event.type() == QEvent.Type.ToolTip:
                return self._row_action_tooltip(event)
            if isinstance(event, QMouseEvent) and event.type() == QEvent.Type.MouseMove:
                # The icon under the pointer lights up: its row is painted again.
                view = self.conversation_list
                index = view.indexAt(event.position().toPoint())
                if index.isValid():
                    view.viewport().update(view.visualRect(index))
        return super().eventFilter(watched, event)

    def row_action_at(self, pos: QPoint) -> tuple[int, str] | None:
        """The chat and the action ("rename", "export", "delete") whose icon is at `pos` on
        the list's viewport, if any."""
        view = self.conversation_list
        index = view.indexAt(pos)
        if not index.isValid() or index.data(Roles.IS_HEADER):
            return None
        conversation_id = self.model.conversation_id(index.row())
        action = self.delegate.action_at(view.visualRect(index), pos)
        return (conversation_id, action) if conversation_id is not None and action else None

    def row_action_label(self, action: str) -> str:
        return {"rename": self.tr("Rename (F2)"), "export": self.tr("Export…"),
                "delete": self.tr("Delete (Del)")}[action]

    def _row_action_clicked(self, pos: QPoint) -> bool:
        found = self.row_action_at(pos)
        if found is None:
            return False  # the row itself: Qt selects it
        conversation_id, action = found
        if action == "rename":
            self.start_rename(conversation_id)
        elif action == "export":
            self.exportRequested.emit(conversation_id)
        else:
            self.delete_conversation(conversation_id)
        return True  # not a click on the row: the chat is not opened

    def _row_action_tooltip(self, event: QHelpEvent) -> bool:
        found = self.row_action_at(event.pos())
        if found is None:
            return False
        QToolTip.showText(event.globalPos(), self.row_action_label(found[1]),
                          self.conversation_list.viewport())
        return True

    def _key_pressed(self, watched: QObject, event: QKeyEvent) -> bool:
        key = event.key()
        if watched is self.search_box:
            if key == Qt.Key.Key_Escape and self.search_box.text():
                self.search_box.clear()
                return True
            if key == Qt.Key.Key_Down:  # from the box into what it shows, as in a browser
                page = self.pages.currentWidget()
                if isinstance(page, QAbstractItemView) and page.model().rowCount() > 0:
                    page.setFocus()
                    if not page.currentIndex().isValid():
                        self._focus_first_row(page)
                    return True
        elif watched is self.conversation_list and key == Qt.Key.Key_Delete and \
                self.conversation_list.state() != QAbstractItemView.State.EditingState:
            conversation_id = self.selected_id()
            if conversation_id is not None:
                self.delete_conversation(conversation_id)
            return True
        elif watched is self.search_results and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            item = self.search_results.currentItem()
            if item is not None:
                self._choose_hit(item)
            return True
        return False

    def _focus_first_row(self, view: QAbstractItemView) -> None:
        model = view.model()
        for row in range(model.rowCount()):
            index = model.index(row, 0)
            if model.flags(index) & Qt.ItemFlag.ItemIsSelectable:
                # The user moved here with a key: choosing the first chat is theirs.
                view.setCurrentIndex(index)
                return
