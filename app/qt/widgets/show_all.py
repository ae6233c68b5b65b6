"""Show all: the whole of what a message shows only in part, in a view made for big data.

A message renders a bounded part of a long answer, table or code block (see
`app.core.chat.markdown`); these windows show the whole of it without laying it all out at once:
text in a QPlainTextEdit (which lays out only what is on screen), filled a step at a time; a
table in a QTableView whose model splits a row into cells only when it is drawn and finds
further rows as the reader scrolls. No step takes more than a few tens of milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QFontDatabase, QGuiApplication, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.chat.markdown import MAX_WORD_CHARS, Table, cell_text
from app.qt.i18n import on_language_change

_Index = QModelIndex | QPersistentModelIndex

ROWS_PER_FETCH = 500  # rows found per step as the reader scrolls: a step takes a few ms
MAX_CELL_CHARS = 1_000  # of one cell's text in the view; a longer one is cut
CHARS_PER_STEP = 200_000  # of text put in the view per turn of the event loop: ~10 ms
# Qt lays out an unbroken run in a time that grows faster than its length (a 1 MB word took a
# minute to wrap), so the view shows a longer one in lines of MAX_WORD_CHARS.
_LONG_RUN = re.compile(rf"(?<!\S)\S{{{MAX_WORD_CHARS + 1},}}")


def _runs_broken(text: str) -> str:
    """`text` with each unbroken run longer than MAX_WORD_CHARS cut into lines that long."""
    pieces: list[str] = []
    last = 0
    for match in _LONG_RUN.finditer(text):
        run = match.group()
        pieces.append(text[last:match.start()])
        pieces.append("\n".join(run[i:i + MAX_WORD_CHARS]
                                for i in range(0, len(run), MAX_WORD_CHARS)))
        last = match.end()
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


class ShowAllText(QDialog):
    """A whole text, read-only: a message, or one code block (`code`: monospaced, unwrapped).

    A long text is put in the view a step at a time (`loading` until it is all there); Copy
    all copies the text as it is. The `title` may be a function that says it in the language
    of the moment: the window's title then follows a change of language.
    """

    def __init__(self, title: str | Callable[[], str], text: str, code: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("showAllText")
        self._title = title
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(900, 650)
        self.text = QPlainTextEdit()
        self.text.setObjectName("showAllTextView")
        self.text.setReadOnly(True)
        self.text.setUndoRedoEnabled(False)
        if code:
            self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._shown = _runs_broken(text)
        self._put = 0  # how much of _shown is in the view
        self._loader = QTimer(self)
        self._loader.setSingleShot(True)
        self._loader.setInterval(0)
        self._loader.timeout.connect(self._put_next)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy = buttons.addButton("", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(text))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self._retranslate()
        on_language_change(self, self._retranslate)
        self._put_next()

    def _retranslate(self) -> None:
        self.setWindowTitle(self._title() if callable(self._title) else self._title)
        self.copy.setText(self.tr("Copy all"))

    @property
    def loading(self) -> bool:
        """Part of the text is still to be put in the view."""
        return self._put < len(self._shown)

    def _put_next(self) -> None:
        end = min(len(self._shown), self._put + CHARS_PER_STEP)
        if end < len(self._shown):  # end a step at a line break, so no line is laid out twice
            line_end = self._shown.rfind("\n", self._put, end)
            end = line_end + 1 if line_end > self._put else end
        cursor = QTextCursor(self.text.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(self._shown[self._put:end])
        self._put = end
        if self.loading:
            self._loader.start()


class TableModel(QAbstractTableModel):
    """A `Table` as a Qt model: rows split into cells when drawn, more rows found when the
    view scrolls to the end of those known (`canFetchMore`/`fetchMore`)."""

    def __init__(self, table: Table, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.table.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.table.header)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or not index.isValid():
            return None
        return _shown(self.table.row(index.row())[index.column()])

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return _shown(self.table.header[section]) if section < len(self.table.header) \
                else None
        return section + 1

    def canFetchMore(self, parent: _Index) -> bool:
        return not parent.isValid() and not self.table.complete

    def fetchMore(self, parent: _Index) -> None:
        if parent.isValid():
            return
        known = len(self.table.rows)
        found = self.table.more_rows(ROWS_PER_FETCH)
        if found:
            self.beginInsertRows(QModelIndex(), known, known + len(found) - 1)
            self.table.rows.extend(found)
            self.endInsertRows()


def _shown(cell: str) -> str:
    text = cell_text(cell)
    return text if len(text) <= MAX_CELL_CHARS else text[:MAX_CELL_CHARS] + "…"


class ShowAllTable(QDialog):
    """A whole table from a message, every row and column, as a table view."""

    def __init__(self, table: Table, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("showAllTable")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(1000, 650)
        self.model = TableModel(table, self)
        self.view = QTableView()
        self.view.setObjectName("showAllTableView")
        self.view.setModel(self.model)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.horizontalHeader().setDefaultSectionSize(120)
        self._rows = table.count_rows()
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self.setWindowTitle(self.tr("Table"))
        columns = len(self.model.table.header)
        rows, exact = self._rows
        shown_columns = self.tr("1 column") if columns == 1 else \
            self.tr("{n} columns").format(n=f"{columns:,}")
        count = f"{rows:,}" if exact else f"{rows:,}+"
        shown_rows = self.tr("1 row") if rows == 1 and exact else \
            self.tr("{n} rows").format(n=count)
        self.summary.setText(self.tr("{columns}, {rows}").format(columns=shown_columns,
                                                                 rows=shown_rows))
