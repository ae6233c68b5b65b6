"""The conversation as a Qt list model: one row per message.

Streaming appends to the last row and emits `dataChanged` for that row alone; the view decides
how often to repaint.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractListModel, QByteArray, QModelIndex, QPersistentModelIndex, Qt

from app.core.conversation import Conversation, Message
from app.core.engine import GenerationStats

_Index = QModelIndex | QPersistentModelIndex


class Roles(IntEnum):
    ROLE = Qt.ItemDataRole.UserRole + 1
    CONTENT = Qt.ItemDataRole.UserRole + 2
    STREAMING = Qt.ItemDataRole.UserRole + 3
    STATS = Qt.ItemDataRole.UserRole + 4
    MODEL_NAME = Qt.ItemDataRole.UserRole + 5
    ERROR = Qt.ItemDataRole.UserRole + 6


_ATTRIBUTES: dict[int, str] = {
    Qt.ItemDataRole.DisplayRole: "content",
    Roles.CONTENT: "content",
    Roles.ROLE: "role",
    Roles.STREAMING: "streaming",
    Roles.STATS: "stats",
    Roles.MODEL_NAME: "model_name",
    Roles.ERROR: "error",
}


class ConversationModel(QAbstractListModel):
    """Rows are the messages of one `Conversation`, oldest first."""

    def __init__(self, conversation: Conversation | None = None) -> None:
        super().__init__()
        self.conversation = conversation or Conversation()

    # -- reading ---------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.conversation.messages)

    def roleNames(self) -> dict[int, QByteArray]:
        return {int(r): QByteArray(r.name.lower().encode()) for r in Roles}

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.conversation.messages):
            return None
        message = self.conversation.messages[index.row()]
        attribute = _ATTRIBUTES.get(role)
        return getattr(message, attribute) if attribute else None

    def message(self, row: int) -> Message:
        return self.conversation.messages[row]

    @property
    def last_row(self) -> int:
        return len(self.conversation.messages) - 1

    # -- changing --------------------------------------------------------------------------

    def append_message(self, message: Message) -> int:
        row = len(self.conversation.messages)
        self.beginInsertRows(QModelIndex(), row, row)
        self.conversation.messages.append(message)
        self.endInsertRows()
        return row

    def append_to_last(self, piece: str) -> None:
        """Add streamed text to the answer being written."""
        row = self.last_row
        self.conversation.messages[row].content += piece
        index = self.index(row)
        self.dataChanged.emit(index, index, [Roles.CONTENT])

    def finish_last(self, stats: GenerationStats | None = None, error: str | None = None) -> None:
        row = self.last_row
        message = self.conversation.messages[row]
        message.streaming = False
        message.stats = stats
        message.error = error
        index = self.index(row)
        self.dataChanged.emit(index, index, [Roles.STREAMING, Roles.STATS, Roles.ERROR])

    def clear(self) -> None:
        self.beginResetModel()
        self.conversation.messages.clear()
        self.endResetModel()
