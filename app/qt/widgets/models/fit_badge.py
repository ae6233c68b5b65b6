"""Whether a model fits in memory, shown in a list as a coloured pill: "fits", "tight" or
"too big" (in the app's language), with the estimate in its tooltip."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTreeWidgetItem

from app.core.engine import fit
from app.qt.appearance import colors_for
from app.qt.design import SPACE, Colors

FIT_ROLE = Qt.ItemDataRole.UserRole + 1  # on the fit column: the Verdict the badge paints


def badge_colours(c: Colors, verdict: fit.Verdict) -> tuple[str, str]:
    """(text, background) of a verdict's pill."""
    if verdict is fit.Verdict.FITS:
        return c.success, c.success_background
    if verdict is fit.Verdict.TIGHT:
        return c.warning_text, c.warning_background
    return c.error, c.error_background


class FitBadgeDelegate(QStyledItemDelegate):
    """Paints the fit column as a coloured pill: "fits", "tight" or "too big"."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        verdict = index.data(FIT_ROLE)
        if not isinstance(verdict, fit.Verdict):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""  # the selection and focus are drawn as usual, the pill on top
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        text, background = badge_colours(colors_for(opt.palette), verdict)
        metrics = opt.fontMetrics
        words = verdict.words  # in the app's language
        width = metrics.horizontalAdvance(words) + SPACE.m + SPACE.xxs
        height = metrics.height() + 2
        rect = QRect(opt.rect.left() + SPACE.xs, opt.rect.center().y() - height // 2 + 1,
                     width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(background))
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(QColor(text))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, words)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 18, size.height())


def set_fit(item: QTreeWidgetItem, column: int, estimate: fit.Estimate | None) -> None:
    if estimate is None:
        item.setText(column, "")
        item.setData(column, FIT_ROLE, None)
        item.setToolTip(column, "")
        return
    item.setText(column, estimate.verdict.words)
    item.setData(column, FIT_ROLE, estimate.verdict)
    line = estimate.describe()
    item.setToolTip(column, f"{line[0].upper()}{line[1:]}.")


def rough_estimate(size: int, n_ctx: int, context_length: int | None, available: int
                   ) -> fit.Estimate:
    """For a file not downloaded yet: only its size (and maybe its context) is known."""
    shape = fit.Shape.from_size(size, context_length)
    return fit.estimate(shape, n_ctx, available)
