"""Show all: the whole of what a message shows only in part, in a view made for big data.

A message renders a bounded part of a long answer, table or code block (see
`app.core.markdown`); these windows show the whole of it without laying it all out at once:
text in a QPlainTextEdit (which lays out only what is on screen), a table in a QTableView
whose model splits a row into cells only when it is drawn and finds further rows as the
reader scrolls.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFontDatabase, QGuiApplication, QTextOption
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.markdown import MAX_WORD_CHARS, Table, cell_text

_Index = QModelIndex | QPersistentModelIndex

ROWS_PER_FETCH = 500  # rows found per step as the reader scrolls: a step takes a few ms
MAX_CELL_CHARS = 1_000  # of one cell's text in the view; a longer one is cut
# An unbroken run this long makes Qt's word wrapping slow (a 1 MB word: a minute), so text
# holding one wraps anywhere instead.
_LONG_RUN = re.compile(rf"(?<!\S)\S{{{MAX_WORD_CHARS}}}")


class ShowAllText(QDialog):
    """A whole text, read-only: a message, or one code block (`code`: monospaced, unwrapped)."""

    def __init__(self, title: str, text: str, code: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("showAllText")
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(900, 650)
        self.text = QPlainTextEdit()
        self.text.setObjectName("showAllTextView")
        self.text.setReadOnly(True)
        if code:
            self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        elif _LONG_RUN.search(text):
            self.text.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        self.text.setPlainText(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy all", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(text))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)


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
        self.setWindowTitle("Table")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(1000, 650)
        self.model = TableModel(table, self)
        self.view = QTableView()
        self.view.setObjectName("showAllTableView")
        self.view.setModel(self.model)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.horizontalHeader().setDefaultSectionSize(120)
        rows, exact = table.count_rows()
        summary = QLabel(f"{len(table.header):,} columns, {rows:,}{'' if exact else '+'} rows")
        summary.setTextFormat(Qt.TextFormat.PlainText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
