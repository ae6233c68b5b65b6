"""The chat's model picker: the installed models, the models of each connection (a server
elsewhere) under its name and whether it answers, and "Manage models…" to open the Models page.

Each installed model's row shows, after its name, its file's size, its quantization (when the
name does not say it already) and whether it fits in memory ("fits", "tight", "too big", a rough
estimate from the file's size and the context the next load asks for): all cheap to know while
listing, which happens on the GUI thread each time the picker opens.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QPainter, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from app.core.engine import fit
from app.core.engine.connection import split_ref
from app.core.models import names
from app.core.models.hub import quant_of
from app.core.models.library import ModelEntry, distinct_names, list_models
from app.files import format_bytes
from app.qt.appearance import colors_for
from app.qt.design import SPACE
from app.qt.i18n import on_language_change
from app.qt.remote_models import Probe, RemoteModels
from app.qt.safe_text import elided, plain_tooltip
from app.qt.widgets.models.fit_badge import badge_colours
from app.qt.workers.background import BackgroundCall

MANAGE_MODELS = "manage-models"  # the picker's last item: opens the Models page
HEADER = "header"  # a group's title: not a model, never selected
# The groups of the models on this computer, as their headers read in English (`_group`).
BUILT_IN, INSTALLED = "Built in", "Installed"
REACHABLE, UNREACHABLE, ASKING = "●", "○", "◌"
MAX_TIP_CHARS = 300  # of a server's error, in a header's tooltip
DEFAULT_CONTEXT = 4096  # tokens the fit is measured for when the window says nothing
# A model row's facts, painted after its name (`ModelRowDelegate`).
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 10  # "1.2 GB · Q4_K_M"
FIT_ROLE = Qt.ItemDataRole.UserRole + 11  # a `fit.Verdict`


def verdict_text(verdict: fit.Verdict) -> str:
    """A fit's pill: "fits", "tight" or "too big", in the language of the moment."""
    if verdict is fit.Verdict.FITS:
        return QCoreApplication.translate("ModelPicker", "fits")
    if verdict is fit.Verdict.TIGHT:
        return QCoreApplication.translate("ModelPicker", "tight")
    return QCoreApplication.translate("ModelPicker", "too big")


def _fit_tip(verdict: fit.Verdict, n_ctx: int) -> str:
    """A model row's tooltip line on its fit."""
    n = f"{n_ctx:,}"
    if verdict is fit.Verdict.FITS:
        return QCoreApplication.translate(
            "ModelPicker", "fits in memory with a context of {n} tokens (a rough estimate "
            "from its size)").format(n=n)
    if verdict is fit.Verdict.TIGHT:
        return QCoreApplication.translate(
            "ModelPicker", "tight in memory with a context of {n} tokens (a rough estimate "
            "from its size)").format(n=n)
    return QCoreApplication.translate(
        "ModelPicker", "too big for memory with a context of {n} tokens (a rough estimate "
        "from its size)").format(n=n)


class ModelRowDelegate(QStyledItemDelegate):
    """A model's row in the picker's list: its name, then, at the right, its size and
    quantization in the quiet text colour and the fit as a coloured pill."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        detail = index.data(DETAIL_ROLE)
        verdict = index.data(FIT_ROLE)
        if not detail and not isinstance(verdict, fit.Verdict):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        metrics = opt.fontMetrics
        pill = self._pill_size(opt, verdict)
        detail_width = metrics.horizontalAdvance(str(detail)) if detail else 0
        facts = detail_width + (pill.width() + SPACE.s if pill.width() else 0) + SPACE.s
        name_rect = opt.rect.adjusted(0, 0, -facts, 0)
        # The row's background, selection and name as usual, the name elided before the facts.
        opt.text = metrics.elidedText(opt.text, Qt.TextElideMode.ElideRight,
                                      max(0, name_rect.width() - 2 * SPACE.s))
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        tokens = colors_for(opt.palette)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        right = opt.rect.right() - SPACE.s
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if isinstance(verdict, fit.Verdict):
            text, background = badge_colours(tokens, verdict)
            rect = QRect(right - pill.width() + 1, opt.rect.center().y() - pill.height() // 2 + 1,
                         pill.width(), pill.height())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(background))
            painter.drawRoundedRect(rect, pill.height() / 2, pill.height() / 2)
            painter.setPen(QColor(text))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, verdict_text(verdict))
            right -= pill.width() + SPACE.s
        if detail:
            painter.setPen(QColor(tokens.selection_text if selected else tokens.muted))
            painter.drawText(QRect(right - detail_width + 1, opt.rect.top(), detail_width,
                                   opt.rect.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             str(detail))
        painter.restore()

    @staticmethod
    def _pill_size(opt: QStyleOptionViewItem, verdict: object) -> QSize:
        if not isinstance(verdict, fit.Verdict):
            return QSize(0, 0)
        metrics = opt.fontMetrics
        return QSize(metrics.horizontalAdvance(verdict_text(verdict)) + SPACE.m,
                     metrics.height())

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        detail = index.data(DETAIL_ROLE)
        verdict = index.data(FIT_ROLE)
        extra = 0
        if detail:
            extra += option.fontMetrics.horizontalAdvance(str(detail)) + SPACE.l
        if isinstance(verdict, fit.Verdict):
            extra += self._pill_size(option, verdict).width() + SPACE.s
        return QSize(size.width() + extra, size.height() + (SPACE.xs if extra else 0))


def model_facts(entry: ModelEntry, shown: str, n_ctx: int, available: int
                ) -> tuple[str, fit.Verdict | None]:
    """What a local model's row says after its name `shown`: "1.2 GB · Q4_K_M" (the
    quantization left out where the name has it), and whether it fits (None for a remote
    model, or a file that cannot be read)."""
    if entry.remote is not None:
        return "", None
    try:
        size = entry.path.stat().st_size
    except OSError:
        return "", None
    quant = quant_of(entry.path.name)
    facts = [format_bytes(size)]
    if quant and quant.casefold() not in shown.casefold():
        facts.append(quant)
    verdict = fit.estimate(fit.Shape.from_size(size), n_ctx, available).verdict
    return " · ".join(facts), verdict


class ModelPicker(QComboBox):
    """The built-in model and every `.gguf` in the models folder, re-read each time it opens,
    then one group per connection (`remotes`); last "Manage models…". With more than one group,
    each has a header: "Built in", "Installed", then the connections'.

    Each model shows its display name (`names`); the headers of files not read yet are read on
    a worker thread, and the names follow. A connection's header says whether it answered
    ("● gpu-box", "○ gpu-box · unreachable" with the reason as its tooltip); its models are
    those it listed when last asked, asked again in the background as the picker opens.
    Choosing "Manage models…" never selects it: the model chosen before stays current, as it
    does when its server stops answering.

    Signals:
        manageRequested(): the user chose "Manage models…".
        namesLearned(): headers were read, so display names may have changed.
        remembered(object, str): the model `select_later` waited for: its `ModelEntry`, now
            selected, and ""; or None and one line saying why it is not available.
    """

    manageRequested = Signal()
    namesLearned = Signal()
    remembered = Signal(object, str)

    def __init__(self, models_dir: Path, remotes: RemoteModels | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelPicker")
        self.models_dir = models_dir
        self.remotes = remotes
        self._previous = 0
        self._learning: BackgroundCall | None = None
        self._wanted: Path | None = None  # a remembered remote model, until its server answers
        # The context the next load asks for, which the fit of each row is measured with (the
        # window's controller tells).
        self.context_length: Callable[[], int] = lambda: DEFAULT_CONTEXT
        self.setItemDelegate(ModelRowDelegate(self))
        self.setMinimumContentsLength(28)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.currentIndexChanged.connect(self._on_index_changed)
        self.activated.connect(self._on_activated)
        if remotes is not None:
            remotes.probed.connect(self._on_probed)
            remotes.changed.connect(lambda: self.refresh(learn=False))
        self._name_it()
        self.refresh()
        on_language_change(self, self._retranslate)

    def _name_it(self) -> None:
        self.setAccessibleName(self.tr("Model"))
        self.setToolTip(plain_tooltip(self.tr("Models folder: {folder}").format(
            folder=self.models_dir)))

    def _retranslate(self) -> None:
        """Its words, and the list's, in the language of the moment."""
        self._name_it()
        self.refresh(learn=False)

    def _group(self, builtin: bool) -> str:
        """The header of the models on this computer: built in, or installed."""
        return self.tr("Built in") if builtin else self.tr("Installed")

    def refresh(self, learn: bool = True) -> None:
        """List the models again; with `learn`, read new files' headers and ask the
        connections again (both in the background)."""
        current = self.current_entry()
        self.blockSignals(True)
        self.clear()
        connections = self.remotes.items() if self.remotes is not None else []
        entries = list_models(self.models_dir)
        n_ctx, available = self.context_length(), fit.available_memory()
        groups = {entry.builtin for entry in entries}
        headers = len(groups) + len(connections) > 1
        group: bool | None = None
        for entry, name in zip(entries, distinct_names(entries), strict=True):
            if headers and entry.builtin != group:
                group = entry.builtin
                self._add_header(self._group(entry.builtin))
            self.addItem(self.tr("{name} (built-in)").format(name=name) if entry.builtin
                         else name, entry)
            row = self.count() - 1
            detail, verdict = model_facts(entry, name, n_ctx, available)
            self.setItemData(row, detail or None, DETAIL_ROLE)
            self.setItemData(row, verdict, FIT_ROLE)
            tip = str(entry.path) + (f"\n{detail}" if detail else "") + (
                f"\n{_fit_tip(verdict, n_ctx)}" if verdict is not None else "")
            self.setItemData(row, plain_tooltip(tip), Qt.ItemDataRole.ToolTipRole)
        if learn:
            self._learn([e.path for e in entries if not e.builtin and names.known(e.path) is None])
        if not entries:
            self.addItem(self.tr("No model installed"), None)
        for connection in connections:
            assert self.remotes is not None
            self._add_group(connection.name, self.remotes.probe_of(connection.name), current)
        self.insertSeparator(self.count())
        self.addItem(self.tr("Manage models…"), MANAGE_MODELS)
        if current is None or not self.select_path(current.path):
            self.select_first()
        self._previous = self.currentIndex()
        self.blockSignals(False)
        if learn and self.remotes is not None:
            self.remotes.ask()

    def _add_header(self, text: str, tip: str = "") -> None:
        model = self.model()
        assert isinstance(model, QStandardItemModel)
        item = QStandardItem(text)
        item.setData(HEADER, Qt.ItemDataRole.UserRole)
        item.setFlags(Qt.ItemFlag.NoItemFlags)  # neither chosen nor stopped at by the keys
        font = QFont(self.font())
        font.setBold(True)
        item.setFont(font)
        if tip:
            item.setToolTip(plain_tooltip(tip))
        model.appendRow(item)

    def _add_group(self, name: str, probe: Probe | None, current: ModelEntry | None) -> None:
        """A connection's header, saying whether it answered, and the models it listed. The
        current model stays listed while its server does not answer."""
        assert self.remotes is not None
        if probe is None:
            self._add_header(self.tr("{mark} {name} · asking…").format(mark=ASKING, name=name))
        elif probe.reachable:
            self._add_header(f"{REACHABLE} {name}", f"{name}: {probe.connection.url}")
        else:
            self._add_header(self.tr("{mark} {name} · unreachable").format(mark=UNREACHABLE,
                                                                           name=name),
                             elided(probe.error, MAX_TIP_CHARS))
        entries = list(probe.entries) if probe is not None else []
        if current is not None and current.remote is not None and \
                current.remote.connection.name == name and \
                all(e.path != current.path for e in entries):
            entries.insert(0, current)
        for entry in entries:
            assert entry.remote is not None
            self.addItem(entry.display_name, entry)
            self.setItemData(self.count() - 1, plain_tooltip(
                self.tr("{model} on {server} ({url})").format(
                    model=entry.remote.model, server=name, url=entry.remote.connection.url)),
                Qt.ItemDataRole.ToolTipRole)
        if probe is not None and probe.reachable and not entries:
            self._add_header(self.tr("{server} lists no models").format(server=name))

    def _learn(self, paths: list[Path]) -> None:
        if not paths or self._learning is not None:
            return
        self._learning = BackgroundCall(lambda: names.learn(paths),
                                        self.tr("Reading the models' names"))
        self._learning.done.connect(self._on_learned)
        self._learning.failed.connect(self._on_learned)
        self._learning.start()

    def _on_learned(self, _result: object = None) -> None:
        self._learning = None
        # Not learning again here: a file still being written would be read over and over.
        self.refresh(learn=False)
        self.namesLearned.emit()

    def _on_probed(self, name: str) -> None:
        self.refresh(learn=False)
        self._settle(name)

    def _settle(self, name: str) -> None:
        """The connection `name` answered: select the model remembered if it is one of its,
        and say so (`remembered`)."""
        wanted = self._wanted
        parts = split_ref(str(wanted)) if wanted is not None else None
        if wanted is None or parts is None or parts[1].lower() != name.lower():
            return
        self._wanted = None
        if self.select_path(wanted):
            self._previous = self.currentIndex()
            self.remembered.emit(self.current_entry(), "")
            return
        probe = self.remotes.probe_of(name) if self.remotes is not None else None
        why = probe.error if probe is not None and probe.error else \
            self.tr("'{server}' no longer lists it.").format(server=name)
        self.remembered.emit(None, self.tr("The model used last, {model}, is not available: "
                                           "{reason}").format(model=wanted, reason=why))

    def select_later(self, path: Path) -> bool:
        """Select the remote model `path` names once its connection has answered; `remembered`
        follows, on a later turn of the event loop, also when it has answered already. False
        when there is nothing to wait for: a local model, or a connection that is gone."""
        parts = split_ref(str(path))
        if parts is None or self.remotes is None:
            return False
        connection = self.remotes.find(parts[1])
        if connection is None:
            return False
        self._wanted = path
        if self.remotes.probe_of(connection.name) is None:
            self.remotes.ask()
        else:  # heard from already: as if it answered now
            QTimer.singleShot(0, self, lambda: self._settle(connection.name))
        return True

    @property
    def waiting_for(self) -> Path | None:
        """The remembered model `select_later` waits for, if any."""
        return self._wanted

    def _on_activated(self, _index: int) -> None:
        self._wanted = None  # the user chose: the model remembered is not wanted now

    def select_first(self) -> None:
        """Select the first model listed (or "No model installed")."""
        for i in range(self.count()):
            data = self.itemData(i)
            if data is None or isinstance(data, ModelEntry):
                self.setCurrentIndex(i)
                return

    def is_manage_item(self, index: int) -> bool:
        return bool(self.itemData(index) == MANAGE_MODELS)

    def _on_index_changed(self, index: int) -> None:
        if not self.is_manage_item(index):
            self._previous = index
            return
        self.blockSignals(True)
        self.setCurrentIndex(self._previous)
        self.blockSignals(False)
        self.manageRequested.emit()

    def current_entry(self) -> ModelEntry | None:
        entry = self.currentData()
        return entry if isinstance(entry, ModelEntry) else None

    def select_path(self, path: Path) -> bool:
        """Select the model whose path is `path`: a file, or a remote model's
        `Path("NAME@CONNECTION")`; False when it is not listed."""
        for i in range(self.count()):
            entry = self.itemData(i)
            if isinstance(entry, ModelEntry) and entry.path == path:
                self.setCurrentIndex(i)
                return True
        return False

    def fill_menu(self, menu: QMenu) -> None:
        """The picker's list, read again, as `menu`'s actions (the model chip's menu): group
        titles as sections, each model's facts after a tab (a menu sets them in a column), the
        current model checked. Choosing one is choosing it in the picker (`activated`)."""
        self.refresh()
        menu.clear()
        menu.setToolTipsVisible(True)
        current = self.currentIndex()
        for i in range(self.count()):
            data, text = self.itemData(i), self.itemText(i)
            if self.itemData(i, Qt.ItemDataRole.AccessibleDescriptionRole) == "separator":
                menu.addSeparator()
                continue
            if data == HEADER:
                menu.addSection(text)
                continue
            detail = self.itemData(i, DETAIL_ROLE)
            verdict = self.itemData(i, FIT_ROLE)
            facts = " · ".join(str(f) for f in (
                detail, verdict_text(verdict) if isinstance(verdict, fit.Verdict) else None)
                if f)
            action = menu.addAction(f"{text}\t{facts}" if facts else text)
            action.setToolTip(str(self.itemData(i, Qt.ItemDataRole.ToolTipRole) or ""))
            if isinstance(data, ModelEntry):
                action.setCheckable(True)
                action.setChecked(i == current)
            elif data != MANAGE_MODELS:
                action.setEnabled(False)  # "No model installed"
            action.triggered.connect(lambda _checked=False, row=i: self._choose_row(row))

    def _choose_row(self, row: int) -> None:
        """Choose row `row` as the user does in the list."""
        if 0 <= row < self.count():
            self.setCurrentIndex(row)
            self.activated.emit(row)

    def showPopup(self) -> None:
        # A file dropped into the folder shows up without a restart; the servers are asked
        # again, and their answers fill in while the list is open.
        self.refresh()
        # The list as wide as its rows (name, size, fit), even where the picker is narrower.
        view = self.view()
        view.setMinimumWidth(view.sizeHintForColumn(0) + view.verticalScrollBar().sizeHint()
                             .width() + 2 * view.frameWidth())
        super().showPopup()
