"""The chat list as a Qt list model: conversations under day headers ("Today", "March 2026"),
then those other programs had through the local server under "API".

The model is a view over `ConversationSummary` rows read from the store; it never writes to the
store. Renaming in place asks for it with `renameRequested`, and whoever owns the store renames
and hands the model fresh rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
    QDate,
    QDateTime,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont

from app import i18n
from app.core.chat.api import API_SOURCE
from app.core.chat.store import ConversationSummary
from app.core.times import local_datetime
from app.qt.safe_text import elided, plain_tooltip

_Index = QModelIndex | QPersistentModelIndex

# Of a title in the list: an imported chat's title is outside text, and Qt lays out the whole
# of a string to elide it, on every paint.
MAX_TITLE_SHOWN = 300
HEADER_FONT_SCALE = 0.85


class Roles(IntEnum):
    # A row's conversation is read with `conversation_id(row)`, its summary with `summary(id)`.
    IS_HEADER = Qt.ItemDataRole.UserRole + 3


@dataclass(frozen=True)
class Group:
    """A heading of the list, kept as what it means (today, a month, the API's chats) and put
    in words only when shown: the words follow the language, and a switch of language moves
    no row."""

    kind: str  # "today", "yesterday", "week", "month30", "month" (`month` of `year`), "api"
    year: int = 0
    month: int = 0


API_GROUP = Group("api")  # the heading of the chats saved from the local server, after the days'


def untitled() -> str:
    """What a chat without a title is called in the list."""
    return QCoreApplication.translate("ConversationListModel", "New chat")


def group_of(updated_at: float, now: datetime) -> Group:
    """The heading a chat last changed at `updated_at` goes under, seen from `now` (local time).

    Days are calendar days, so "Yesterday" starts at last midnight, not 24 hours ago. A time
    after `now` (a clock moved back) counts as today.
    """
    day = local_datetime(updated_at).date()  # clamped: a date from an import may be odd
    days_ago = (now.date() - day).days
    if days_ago <= 0:
        return Group("today")
    if days_ago == 1:
        return Group("yesterday")
    if days_ago <= 7:
        return Group("week")
    if days_ago <= 30:
        return Group("month30")
    return Group("month", day.year, day.month)


def day_group(updated_at: float, now: datetime) -> str:
    """The words of the heading a chat last changed at `updated_at` goes under (`group_of`)."""
    return group_title(group_of(updated_at, now))


def group_title(group: Group) -> str:
    """A heading, in the current language."""
    if group.kind == "month":
        return month_name(date(group.year, group.month, 1))
    if group.kind == "today":
        return QCoreApplication.translate("ConversationListModel", "Today")
    if group.kind == "yesterday":
        return QCoreApplication.translate("ConversationListModel", "Yesterday")
    if group.kind == "week":
        return QCoreApplication.translate("ConversationListModel", "Previous 7 days")
    if group.kind == "month30":
        return QCoreApplication.translate("ConversationListModel", "Previous 30 days")
    #: The heading of the chats other programs had through the local server's API.
    return QCoreApplication.translate("ConversationListModel", "API")


def month_name(day: date) -> str:
    """"March 2026", "2026年3月": the month in the language's own way, never in whatever locale
    the C library happens to be set to."""
    code = i18n.current()
    locale = QLocale("en_US" if code == i18n.ENGLISH else code)
    #: The heading of an older month in the chat list, as a Qt date format ("March 2026"):
    #: MMMM is the month's name, M its number, yyyy the year.
    pattern = QCoreApplication.translate("ConversationListModel", "MMMM yyyy")
    return locale.toString(QDate(day.year, day.month, 1), pattern)


class ConversationListModel(QAbstractListModel):
    """Rows are day headers and, under each, its conversations, the most recently changed first;
    the chats saved from the local server come last, under their own header (`API_GROUP`),
    apart from the user's own.

    Header rows are neither enabled nor selectable (`Roles.IS_HEADER` is True for them);
    conversation rows are editable, and editing one only asks for the rename.

    Signals:
        renameRequested(int, str): the user edited a conversation's title in place; the
            conversation id and the text as typed (untrimmed, possibly blank).
    """

    renameRequested = Signal(int, str)

    def __init__(self, now: Callable[[], datetime] = datetime.now) -> None:
        super().__init__()
        self._now = now
        self._rows: list[Group | ConversationSummary] = []
        self._header_font: QFont | None = None

    # -- reading ---------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return Qt.ItemFlag.NoItemFlags
        if isinstance(self._rows[index.row()], Group):
            return Qt.ItemFlag.ItemNeverHasChildren
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemNeverHasChildren)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Roles.IS_HEADER:
            return isinstance(row, Group)
        if isinstance(row, Group):
            return self._header_data(row, role)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row)
        values: dict[int, object] = {
            Qt.ItemDataRole.DisplayRole: elided(row.title, MAX_TITLE_SHOWN) or untitled(),
            # An untitled chat's editor starts empty, not with "New chat" to delete first.
            Qt.ItemDataRole.EditRole: row.title,
        }
        return values.get(role)

    def _header_data(self, group: Group, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return group_title(group)
        if role == Qt.ItemDataRole.FontRole:
            return self._small_bold_font()
        return None

    def conversation_id(self, row: int) -> int | None:
        """The id of the conversation on `row`; None for a header or a row that is not there."""
        if 0 <= row < len(self._rows):
            entry = self._rows[row]
            return entry.id if isinstance(entry, ConversationSummary) else None
        return None

    def row_of(self, conversation_id: int) -> int | None:
        for row, entry in enumerate(self._rows):
            if isinstance(entry, ConversationSummary) and entry.id == conversation_id:
                return row
        return None

    def summary(self, conversation_id: int) -> ConversationSummary | None:
        row = self.row_of(conversation_id)
        entry = self._rows[row] if row is not None else None
        return entry if isinstance(entry, ConversationSummary) else None

    # -- changing --------------------------------------------------------------------------

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        conversation_id = self.conversation_id(index.row()) if index.isValid() else None
        if role != Qt.ItemDataRole.EditRole or conversation_id is None or \
                not isinstance(value, str):
            return False
        self.renameRequested.emit(conversation_id, value)
        # Nothing changed here yet: the rows change when the store's new ones are set.
        return False

    def set_conversations(self, summaries: Sequence[ConversationSummary]) -> None:
        """Show `summaries` (newest first), grouped under day headers, the API's chats under
        theirs after them.

        When only the contents of rows changed (a rename, say) and every row is where it was,
        the rows are updated in place rather than reset, so that the view keeps its scroll
        position, its selection, and an editor it may have open.
        """
        now = self._now()
        rows: list[Group | ConversationSummary] = []
        current_group = None
        own = [s for s in summaries if s.source != API_SOURCE]
        from_api = [s for s in summaries if s.source == API_SOURCE]
        for summary in own + from_api:
            group = API_GROUP if summary.source == API_SOURCE else group_of(summary.updated_at,
                                                                             now)
            if group != current_group:
                rows.append(group)
                current_group = group
            rows.append(summary)
        if _shape(rows) == _shape(self._rows):
            self._rows = rows
            if rows:
                self.dataChanged.emit(self.index(0), self.index(len(rows) - 1))
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def retranslate(self) -> None:
        """The language changed: the headings and untitled chats are worded anew (the view
        lays the rows out again, for the new words' sizes); no row moves, none is reset."""
        if self._rows:
            self.layoutAboutToBeChanged.emit()
            self.layoutChanged.emit()

    def _small_bold_font(self) -> QFont:
        if self._header_font is None:
            font = QFont()
            font.setBold(True)
            if font.pointSizeF() > 0:  # a font sized in pixels has no point size to scale
                font.setPointSizeF(font.pointSizeF() * HEADER_FONT_SCALE)
            self._header_font = font
        return self._header_font


def _shape(rows: Sequence[Group | ConversationSummary]) -> list[Group | int]:
    return [row if isinstance(row, Group) else row.id for row in rows]


def _tooltip(summary: ConversationSummary) -> str:
    """The title, model and date: shown as written (a title is outside text), however long."""
    updated = QLocale().toString(QDateTime.fromMSecsSinceEpoch(round(summary.updated_at * 1000)),
                                 QLocale.FormatType.ShortFormat)
    lines = [summary.title or untitled()]
    if summary.model:
        lines.append(summary.model)
    lines.append(QCoreApplication.translate("ConversationListModel", "Updated {time}")
                 .format(time=updated))
    return plain_tooltip("\n".join(lines))
