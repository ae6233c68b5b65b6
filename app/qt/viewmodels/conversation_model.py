"""The conversation as a Qt list model: one row per message of the shown branch.

Streaming changes one message and emits `dataChanged` for its row alone; the view decides how
often to repaint. Choosing another version of a message (`sync`) replaces only the rows from
that message down.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from app.core.chat.conversation import Conversation, Message

_Index = QModelIndex | QPersistentModelIndex


class Roles(IntEnum):
    """What `dataChanged` says changed in a row. The view reads the whole `Message` of a row
    changed (`message`), so these name the change rather than serve values to the view."""

    CONTENT = Qt.ItemDataRole.UserRole + 2
    STREAMING = Qt.ItemDataRole.UserRole + 3
    STATS = Qt.ItemDataRole.UserRole + 4
    ERROR = Qt.ItemDataRole.UserRole + 6
    VERSION = Qt.ItemDataRole.UserRole + 8  # (number, count) of the message's versions


_ATTRIBUTES: dict[int, str] = {
    Qt.ItemDataRole.DisplayRole: "content",
    Roles.CONTENT: "content",
    Roles.STREAMING: "streaming",
    Roles.STATS: "stats",
    Roles.ERROR: "error",
}


class ConversationModel(QAbstractListModel):
    """Rows are the messages of one `Conversation`'s shown branch, oldest first."""

    def __init__(self, conversation: Conversation | None = None) -> None:
        super().__init__()
        self.conversation = conversation or Conversation()
        self._rows: list[Message] = self.conversation.path()

    # -- reading ---------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        message = self._rows[index.row()]
        if role == Roles.VERSION:
            return self.version(message)
        attribute = _ATTRIBUTES.get(role)
        return getattr(message, attribute) if attribute else None

    def message(self, row: int) -> Message:
        return self._rows[row]

    def version(self, message: Message) -> tuple[int, int]:
        if message.id is None or message.id not in self.conversation:
            return 1, 1
        return self.conversation.version_of(message.id)

    def row_of(self, message_id: int | None) -> int | None:
        for row, message in enumerate(self._rows):
            if message.id == message_id:
                return row
        return None

    @property
    def last_row(self) -> int:
        return len(self._rows) - 1

    # -- changing --------------------------------------------------------------------------

    def set_conversation(self, conversation: Conversation) -> None:
        self.beginResetModel()
        self.conversation = conversation
        self._rows = conversation.path()
        self.endResetModel()

    def sync(self) -> None:
        """Show the conversation's branch as it is now: rows from the first one that differs
        are replaced, the ones above are left alone."""
        path = self.conversation.path()
        same = 0
        while same < min(len(path), len(self._rows)) and path[same] is self._rows[same]:
            same += 1
        if same < len(self._rows):
            self.beginRemoveRows(QModelIndex(), same, len(self._rows) - 1)
            del self._rows[same:]
            self.endRemoveRows()
        if same < len(path):
            self.beginInsertRows(QModelIndex(), same, len(path) - 1)
            self._rows.extend(path[same:])
            self.endInsertRows()
        if same:  # the last row kept may have gained or lost versions
            index = self.index(same - 1)
            self.dataChanged.emit(index, index, [Roles.VERSION])

    def message_changed(self, message: Message, roles: list[int] | None = None) -> None:
        """A shown message changed (an answer grew or ended); repaint its row."""
        row = self.row_of(message.id)
        if row is not None and self._rows[row] is message:
            index = self.index(row)
            self.dataChanged.emit(index, index, roles or [Roles.CONTENT])

    def append_message(self, message: Message) -> int:
        """Add `message` after the last shown one (for conversations not kept in a store)."""
        last = self.conversation.last()
        message.parent_id = last.id if last else None
        self.conversation.add(message)
        self.sync()
        return self.last_row

    def clear(self) -> None:
        self.set_conversation(Conversation())
