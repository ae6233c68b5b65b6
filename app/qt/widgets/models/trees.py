"""The tree widgets the model lists share: their look, right-aligned numbers, and how a
model's size and context are written."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem

from app.qt.widgets.models.fit_badge import FitBadgeDelegate

OBJECT_ROLE = Qt.ItemDataRole.UserRole  # on column 0: the row's ModelEntry, Offer or RepoSummary


def format_params(n: int) -> str:
    return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.0f}M"


def format_context(n: int | None) -> str:
    if not n:
        return "?"
    return f"{n // 1024}k" if n % 1024 == 0 else f"{n:,}"


def make_tree(name: str, columns: Sequence[str], fit_column: int | None) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setObjectName(name)
    tree.setColumnCount(len(columns))
    tree.setHeaderLabels(list(columns))
    tree.setRootIsDecorated(False)
    tree.setUniformRowHeights(True)
    tree.setAlternatingRowColors(True)
    tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    header = tree.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    if fit_column is not None:
        tree.setItemDelegateForColumn(fit_column, FitBadgeDelegate(tree))
    return tree


def right_align(item: QTreeWidgetItem, *columns: int) -> None:
    for column in columns:
        item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
