"""How much of the model's context the chat takes, shown by the composer as the user types.

The numbers come from outside (the window estimates while the user types, the model counts
later); the meter only shows them, warns before the next answer would not fit, and lets the user
choose what this chat does then. A click opens the choice as a menu.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import QEvent, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QColor,
    QIcon,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QMenu,
    QStyle,
    QStyleOptionToolButton,
    QStylePainter,
    QToolButton,
    QWidget,
)

from app.core.settings.schema import BY_KEY, OVERFLOW_POLICIES, OverflowPolicy
from app.i18n import _
from app.qt.appearance import colors_for
from app.qt.i18n import on_language_change

Level = Literal["ok", "high", "over", "summary"]

GAUGE_SIZE = QSize(60, 6)
HIGH_SHARE = 0.75  # from here on the chat is close enough to the limit to say so

_OVERFLOW = BY_KEY["model.overflow"]  # its choices' labels name the policies in the menu

@dataclass(frozen=True)
class _Colors:
    text: QColor
    fill: QColor
    track: QColor
    reserved: QColor  # the end of the track kept free for the answer


def _blend(base: QColor, over: QColor, share: float) -> QColor:
    return QColor.fromRgbF(*(b + (o - b) * share for b, o in zip(
        base.getRgbF()[:3], over.getRgbF()[:3], strict=True)))


def _colors(palette: QPalette, level: Level) -> _Colors:
    """Colours for `level` drawn from `palette`: a theme switch repaints the meter right."""
    tokens = colors_for(palette)
    # Not the button's own Window role: the style sheet makes it transparent.
    window, ink = QColor(tokens.window), QColor(tokens.text)
    # The text keeps 4.5:1 on the window (design.TEXT_PAIRS); the gauge is in the same colour.
    text, fill = {"high": (tokens.warning, tokens.warning), "over": (tokens.error, tokens.error)
                  }.get(level, (tokens.muted, tokens.accent))  # a summary is the plan: no warning
    text, fill = QColor(text), QColor(fill)
    return _Colors(text, fill, _blend(window, ink, 0.15), _blend(window, ink, 0.35))


def _policy_label(policy: OverflowPolicy) -> str:
    """The policy's name, as the setting's choice (in the core's words) says it."""
    return _(_OVERFLOW.choice_labels[_OVERFLOW.choices.index(policy)])


class ContextMeter(QToolButton):
    """"1,234 / 4,096" and a thin gauge: the tokens the chat and the message being typed take,
    of the loaded model's context. The gauge's darker end is the room kept for the answer; the
    meter turns "high" at three quarters full and "over" when the answer would not fit.

    Signals:
        policyChosen(str): the user chose, from the meter's menu, what this chat does when it
            outgrows the context: "drop-oldest" or "stop". Emitted even for the policy already
            shown, which may only be the app's default: choosing it pins it for this chat.
    """

    policyChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contextMeter")
        self.setAutoRaise(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setIconSize(GAUGE_SIZE)
        self._limit: int | None = None
        self._history = self._draft = self._room = 0
        self._exact = True
        self._server_estimates = False  # the model's server cannot count tokens
        self._summary_parts: int | None = None
        self._policy: OverflowPolicy = "drop-oldest"
        self.clicked.connect(self._show_menu)
        self._refresh()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self._refresh()
        self.updateGeometry()  # its widest text is the new language's

    # -- what the window feeds in ----------------------------------------------------------

    def set_limit(self, n_ctx: int | None) -> None:
        """The loaded model's context in tokens; None when no model is loaded."""
        self._limit = n_ctx
        self._refresh()
        self.updateGeometry()  # the widest count changes even when the text does not

    def set_usage(self, history: int, draft: int, *, room: int, exact: bool,
                  summary_parts: int | None = None) -> None:
        """`history`: the chat so far, system prompt and template included; `draft`: the
        message being typed with its attachments; `room`: the tokens kept for the answer;
        `exact`: False while `history` and `draft` are estimates; `summary_parts`: when the
        documents do not fit, the parts a summary of them will read (then they are summarized,
        and nothing is over)."""
        new = (history, draft, room, exact, summary_parts)
        if new != (self._history, self._draft, self._room, self._exact, self._summary_parts):
            (self._history, self._draft, self._room, self._exact,
             self._summary_parts) = new
            self._refresh()

    def set_server_estimates(self, estimates: bool) -> None:
        """Whether the loaded model's counts are themselves estimates (a server that cannot
        count tokens): then every count shows "≈"."""
        if estimates != self._server_estimates:
            self._server_estimates = estimates
            self._refresh()

    def set_policy(self, policy: str) -> None:
        """What this chat does when it outgrows the context: "drop-oldest" or "stop"."""
        self._policy = _overflow_policy(policy)
        self._refresh()

    # -- what tests and the window read ----------------------------------------------------

    def level(self) -> Level:
        """"over" when the next answer would not fit, "high" from three quarters full, else
        "ok" (also without a model)."""
        if self._limit is None:
            return "ok"
        used = self._history + self._draft
        if used + self._room > self._limit:
            return "summary" if self._summary_parts is not None else "over"
        return "high" if used >= HIGH_SHARE * self._limit else "ok"

    def menu(self) -> QMenu:
        """The policy menu, built anew: a click shows it with `popup()`, and tests trigger its
        actions ("dropOldestAction", "stopAction") without showing it."""
        menu = QMenu(self)
        menu.setObjectName("contextPolicyMenu")
        # Not WA_DeleteOnClose: choosing an action hides a menu without closing it.
        menu.aboutToHide.connect(menu.deleteLater)
        header = menu.addAction(self.tr("When this chat outgrows the context"))
        header.setEnabled(False)
        group = QActionGroup(menu)
        group.setExclusive(True)
        for policy in OVERFLOW_POLICIES:
            action = QAction(_policy_label(policy), group)
            action.setObjectName("dropOldestAction" if policy == "drop-oldest" else "stopAction")
            action.setCheckable(True)
            action.setChecked(policy == self._policy)
            action.triggered.connect(lambda _checked, p=policy: self._choose(p))
            menu.addAction(action)
        return menu

    # -- inside ----------------------------------------------------------------------------

    def _show_menu(self) -> None:
        self.menu().popup(self.mapToGlobal(QPoint(0, self.height())))

    def _choose(self, policy: OverflowPolicy) -> None:
        self.set_policy(policy)
        self.policyChosen.emit(policy)

    def _count(self, n: int) -> str:
        if self._server_estimates:
            return f"≈{n:,}"
        return f"{'' if self._exact else '~'}{n:,}"

    def _summary_text(self, parts: int) -> str:
        """The meter's text when the documents will be summarized."""
        return self.tr("Summary in 1 part") if parts == 1 else \
            self.tr("Summary in {n} parts").format(n=parts)

    def _refresh(self) -> None:
        limit = self._limit
        if limit is None:
            self.setText(self.tr("No model"))
            lines = [self.tr("No model is loaded, so there is no context to measure yet.")]
            self.setAccessibleName(self.tr("Context: no model loaded"))
        else:
            used = self._count(self._history + self._draft)
            parts = self._summary_parts if self.level() == "summary" else None
            if parts is not None:
                self.setText(self._summary_text(parts))
            else:
                self.setText(f"{used} / {limit:,}")
            lines = [self.tr("This chat: {history} tokens · Your message: {draft} · Kept for "
                             "the answer: {room} · Context: {limit} tokens").format(
                                 history=self._count(self._history),
                                 draft=self._count(self._draft), room=f"{self._room:,}",
                                 limit=f"{limit:,}")]
            if parts is not None:
                lines.append(
                    self.tr("The documents do not fit the context with the chat: they will be "
                            "summarized, about 1 part read, and the message answered from the "
                            "summary.") if parts == 1 else
                    self.tr("The documents do not fit the context with the chat: they will be "
                            "summarized, about {n} parts read one after another, and the "
                            "message answered from the summary.").format(n=parts))
            if self._server_estimates:
                lines.append(self.tr("Numbers with ≈ are estimates: the model's server cannot "
                                     "count tokens."))
            elif not self._exact:
                lines.append(self.tr("Numbers with ~ are estimates until the model counts "
                                     "them."))
            name = self.tr("Context: {used} of {limit} tokens used").format(
                used=used, limit=f"{limit:,}")
            if parts is not None:
                name = (self.tr("Context: {used} of {limit} tokens used; the documents will be "
                                "summarized in 1 part") if parts == 1 else
                        self.tr("Context: {used} of {limit} tokens used; the documents will be "
                                "summarized in {n} parts")).format(used=used, limit=f"{limit:,}",
                                                                   n=parts)
            self.setAccessibleName(name)
        if self._policy == "stop":
            lines.append(self.tr("When the chat outgrows the context, the model stops and says "
                                 "so."))
        else:
            lines.append(self.tr("When the chat outgrows the context, its oldest turns are left "
                                 "out of what the model sees (the system prompt is kept)."))
        if self.level() == "over":
            lines.append(
                self.tr("The next answer would not fit: when you send, the model stops and says "
                        "so instead of answering.") if self._policy == "stop" else
                self.tr("The next answer would not fit: when you send, the oldest turns are "
                        "left out."))
        lines.append(self.tr("Click to change what this chat does."))
        self.setToolTip("\n".join(lines))
        self.setAccessibleDescription(" ".join(lines))
        self._draw_gauge()
        self.update()  # the text's colour follows the level even when the text stays

    def _draw_gauge(self) -> None:
        """The gauge is the button's icon, so the style lays it out beside the text."""
        colors = _colors(self.palette(), self.level())
        scale = self.devicePixelRatioF()
        pixmap = QPixmap(GAUGE_SIZE * scale)
        pixmap.setDevicePixelRatio(scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        width, height = GAUGE_SIZE.width(), GAUGE_SIZE.height()
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        radius = height / 2
        painter.setBrush(colors.track)
        painter.drawRoundedRect(QRectF(0, 0, width, height), radius, radius)
        limit = self._limit
        if limit:
            reserved = width * min(1.0, self._room / limit)
            painter.setBrush(colors.reserved)
            painter.drawRoundedRect(QRectF(width - reserved, 0, reserved, height), radius, radius)
            used = width * min(1.0, (self._history + self._draft) / limit)
            painter.setBrush(colors.fill)
            painter.drawRoundedRect(QRectF(0, 0, used, height), radius, radius)
        painter.end()
        self.setIcon(QIcon(pixmap))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.DevicePixelRatioChange):
            self._draw_gauge()

    def paintEvent(self, _event: QPaintEvent) -> None:
        """QToolButton's own painting, with the text in the level's colour.

        Set on the option rather than with setPalette, which would pin the colour through a
        theme switch."""
        option = QStyleOptionToolButton()
        self.initStyleOption(option)
        option.palette.setColor(QPalette.ColorRole.ButtonText,
                                _colors(self.palette(), self.level()).text)
        painter = QStylePainter(self)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ToolButton, option)
        painter.end()

    def sizeHint(self) -> QSize:
        """Wide enough for any count up to the limit, so the row around the meter does not
        shift as the user types."""
        hint = super().sizeHint()
        if self._limit is None:
            return hint
        metrics = self.fontMetrics()
        # Digits need not be equally wide: the widest stands for all of the count's.
        digit = max("0123456789", key=metrics.horizontalAdvance)
        count = "".join(digit if c.isdigit() else c for c in f"{self._limit:,}")
        # Measured as QToolButton measures its text, so the two widths compare exactly.
        text = metrics.size(Qt.TextFlag.TextShowMnemonic, self.text()).width()
        widest = max(metrics.size(Qt.TextFlag.TextShowMnemonic, t).width()
                     for t in (f"~{count} / {self._limit:,}", f"≈{count} / {self._limit:,}",
                               self._summary_text(99)))
        return QSize(hint.width() + max(0, widest - text), hint.height())


def _overflow_policy(policy: str) -> OverflowPolicy:
    for known in OVERFLOW_POLICIES:
        if policy == known:
            return known
    raise ValueError(f"unknown overflow policy {policy!r}; expected one of {OVERFLOW_POLICIES}")
