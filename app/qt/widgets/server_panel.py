"""The local server as the window shows it: a switch in the app menu, a compact item in the
status bar ("Server: off", "Server on · 2 requests") and, on its click, a small panel with the
address to copy, the requests in flight and served, and the last error.

All three follow one `ServerControl`: they read its state and activity when it reports them and
ask it to start or stop; none of them knows about threads.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.qt.appearance import ERROR_TEXT, NOTE_TEXT, set_style
from app.qt.i18n import on_language_change
from app.qt.safe_text import plain_tooltip
from app.qt.server_control import ServerActivity, ServerControl, ServerState

PANEL_WIDTH_CHARS = 46  # the panel is about this many characters wide
ADDRESS_CHARS = 30  # room in the address box for http://127.0.0.1:65535/v1
TEXT_MARGIN = 24  # the panel's margins, left and right: a line is elided to fit inside
COPIED_MS = 2000  # how long the Copy button says "Copied"


def server_action(control: ServerControl, parent: QObject) -> QAction:
    """The app menu's *Local server* switch: checked while the server is on (or starting),
    disabled while it starts or stops."""
    action = QAction(parent)
    action.setObjectName("localServerAction")
    action.setCheckable(True)
    action.triggered.connect(control.set_on)

    def retranslate() -> None:
        action.setText(QCoreApplication.translate("ServerAction", "Local server"))
        action.setToolTip(QCoreApplication.translate(
            "ServerAction", "Answer other programs on this computer through an "
            "OpenAI-compatible API"))

    retranslate()
    if isinstance(parent, QWidget):  # an action hears of no change of language: its window does
        on_language_change(parent, retranslate)

    def show(state: ServerState) -> None:
        action.setChecked(state in (ServerState.STARTING, ServerState.ON))
        action.setEnabled(state in (ServerState.OFF, ServerState.ON))

    control.stateChanged.connect(show)
    show(control.state)
    return action


class ServerStatusButton(QToolButton):
    """The status bar's line about the server; a click opens its `ServerPanel`.

    `model_name` says how requests name the window's model (None while none is loaded).
    """

    def __init__(self, control: ServerControl,
                 model_name: Callable[[], str | None] = lambda: None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serverStatus")
        self.setAutoRaise(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.control = control
        self.panel = ServerPanel(control, model_name, self)
        self.clicked.connect(self.show_panel)
        control.stateChanged.connect(lambda _state: self._show())
        control.activityChanged.connect(lambda _activity: self._show())
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self.setToolTip(self.tr("The local server: its address, requests and switch"))
        self._show()

    def _show(self) -> None:
        state, in_flight = self.control.state, self.control.activity.in_flight
        if state is ServerState.ON:
            text = self.tr("Server: on") if not in_flight else \
                self.tr("Server on · 1 request") if in_flight == 1 else \
                self.tr("Server on · {n} requests").format(n=in_flight)
        else:
            text = {ServerState.STARTING: self.tr("Server: starting…"),
                    ServerState.STOPPING: self.tr("Server: stopping…")}.get(
                        state, self.tr("Server: off"))
        self.setText(text)

    def show_panel(self) -> None:
        """Open the panel above this button, its right edge on the button's."""
        panel = self.panel
        panel.refresh()  # the window's model may have changed since
        panel.adjustSize()
        corner = self.mapToGlobal(QPoint(self.width(), 0))
        panel.move(corner.x() - panel.width(), corner.y() - panel.height())
        panel.show()


class ServerPanel(QFrame):
    """The server's switch, address (with Copy), requests in flight and served, and the last
    error, and the name requests give the window's model; a popup, closed by a click
    elsewhere or Esc."""

    def __init__(self, control: ServerControl,
                 model_name: Callable[[], str | None] = lambda: None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("serverPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.control = control
        self._model_name = model_name
        chars = self.fontMetrics().averageCharWidth()
        self.setFixedWidth(chars * PANEL_WIDTH_CHARS)

        self.model = QLabel()
        self.model.setObjectName("serverModel")
        self.model.setTextFormat(Qt.TextFormat.PlainText)  # a file's name
        self.model.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.counts = QLabel()
        self.counts.setObjectName("serverCounts")
        self.error = QLabel()
        self.error.setObjectName("serverLastError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # a client's text may be in it
        set_style(self.error, ERROR_TEXT)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(TEXT_MARGIN // 2, 10, TEXT_MARGIN // 2, 10)
        layout.addLayout(self._build_top())
        self.about = _note()
        layout.addWidget(self.about)
        layout.addLayout(self._build_address(chars))
        layout.addWidget(self.model)
        layout.addWidget(self.counts)
        layout.addWidget(self.error)
        self.settings_note = _note()
        layout.addWidget(self.settings_note)

        control.stateChanged.connect(lambda _state: self.refresh())
        control.activityChanged.connect(lambda _activity: self.refresh())
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self.title.setText(self.tr("Local server"))
        self.switch.setText(self.tr("On"))
        self.about.setText(self.tr("An OpenAI-compatible API for programs on this computer, "
                                   "answered by the models installed here."))
        self.settings_note.setText(self.tr("Port and web origins: Settings › Server, used "
                                           "when it next starts. Only this computer can "
                                           "connect."))
        self.model.setToolTip(self.tr("The window's model, as a request names it; "
                                      "GET /v1/models lists every installed model"))
        self.copy.setText(self.tr("Copy"))
        self.copy.setToolTip(self.tr("Copy the address: the base URL of an OpenAI client"))
        self.refresh()

    def _build_top(self) -> QHBoxLayout:
        """The title, and the switch at the right."""
        title = self.title = QLabel()
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        self.switch = QCheckBox()
        self.switch.setObjectName("serverSwitch")
        self.switch.clicked.connect(self.control.set_on)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.switch)
        return top

    def _build_address(self, chars: int) -> QHBoxLayout:
        """The address, selectable, and its Copy button."""
        self.address = QLineEdit()
        self.address.setObjectName("serverAddress")
        self.address.setReadOnly(True)
        self.address.setMinimumWidth(chars * ADDRESS_CHARS)
        self.copy = QPushButton()
        self.copy.setObjectName("serverCopy")
        self.copy.clicked.connect(self.copy_address)
        row = QHBoxLayout()
        row.addWidget(self.address, 1)
        row.addWidget(self.copy)
        return row

    def refresh(self) -> None:
        """Show the control's state and activity as they are now."""
        state, url = self.control.state, self.control.url
        self.switch.setChecked(state in (ServerState.STARTING, ServerState.ON))
        self.switch.setEnabled(state in (ServerState.OFF, ServerState.ON))
        self.address.setText(url or "")
        self.address.setPlaceholderText({
            ServerState.STARTING: self.tr("Starting…"),
            ServerState.STOPPING: self.tr("Stopping…"),
        }.get(state, self.tr("Off: turn it on to get an address")))
        self.copy.setEnabled(url is not None)
        name = self._model_name() if url is not None else None
        self.model.setText(self.fontMetrics().elidedText(
            self.tr("Model: {name}").format(name=name), Qt.TextElideMode.ElideMiddle,
            self.width() - TEXT_MARGIN) if name else "")
        self.model.setVisible(bool(name))
        self._show_activity(self.control.activity, on=state is ServerState.ON)

    def _show_activity(self, activity: ServerActivity, *, on: bool) -> None:
        in_flight = self.tr("1 request in flight") if activity.in_flight == 1 else \
            self.tr("{n} requests in flight").format(n=activity.in_flight)
        served = self.tr("1 served") if activity.served == 1 else \
            self.tr("{n} served").format(n=activity.served)
        self.counts.setText(f"{in_flight} · {served}")
        self.counts.setVisible(on or activity.served > 0)
        error = activity.last_error
        line = error.splitlines()[0] if error else ""
        self.error.setText(self.fontMetrics().elidedText(
            self.tr("Last error: {error}").format(error=line), Qt.TextElideMode.ElideRight,
            self.width() - TEXT_MARGIN) if line else "")
        self.error.setToolTip(plain_tooltip(error) if error else "")
        self.error.setVisible(bool(line))

    def copy_address(self) -> None:
        """The address on the clipboard, for an OpenAI client's base URL."""
        url = self.control.url
        if url is None:
            return
        QGuiApplication.clipboard().setText(url)
        self.copy.setText(self.tr("Copied"))
        QTimer.singleShot(COPIED_MS, self, lambda: self.copy.setText(self.tr("Copy")))


def _note() -> QLabel:
    """A line of explanation, in the quieter colour, wrapped."""
    note = QLabel()
    note.setWordWrap(True)
    set_style(note, NOTE_TEXT)
    return note
