"""The settings' Connections page: the servers elsewhere to chat with (llama-server, vLLM,
Ollama, another Lamplight), added, edited, removed and tested.

A connection is saved when the user saves its form (`connections.json`), its API key in the
operating system's credential store and nowhere else; the dialog's OK and Cancel do not apply
here. A test asks the server for its models on a worker thread.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.engine.connection import Connection
from app.core.engine.remote import RemoteModel
from app.core.settings.connections import (
    MAX_N_CTX,
    MAX_PARALLEL,
    ConnectionConfigError,
    Connections,
    make_connection,
)
from app.qt.appearance import ERROR_TEXT, set_style, set_text_style
from app.qt.design import SPACE
from app.qt.i18n import on_language_change
from app.qt.remote_models import ask_models, explain
from app.qt.safe_text import elided, plain_tooltip
from app.qt.workers.background import BackgroundCall

MODELS_SHOWN = 8  # a test names this many models, then says how many more
MAX_LINE_CHARS = 400  # of a server's error as shown
# What the page is for (the settings dialog shows it under the page's title), and how what is
# entered is kept: the intro on the page says both, or only the second under that title. In
# English here; the page's `tr` says them in the current language.
ABOUT = str(QT_TRANSLATE_NOOP(
    "ConnectionsPage", "Chat with models served elsewhere over the OpenAI-compatible API: "
    "llama-server, vLLM, Ollama, LM Studio or another Lamplight."))
SAVING = str(QT_TRANSLATE_NOOP(
    "ConnectionsPage", "A connection is saved when you save it; its API key goes to the "
    "system's credential store, never to a file."))
INTRO = f"{ABOUT} {SAVING}"


def caption_label(text: str, object_name: str) -> QLabel:
    """A quiet line that explains, in the caption's size, wrapped."""
    label = QLabel(text)
    label.setObjectName(object_name)
    label.setWordWrap(True)
    set_text_style(label, "caption")
    return label


class ConnectionsPage(QWidget):
    """The connections as a list (name, URL, requests at once, context, a Test button each),
    Add / Edit / Remove, and a form for the one being added or edited. What goes wrong (a bad
    name or URL, a credential store that refuses the key, a server that does not answer) is
    one line on the page.

    Signals:
        connectionsChanged(): a connection was added, edited or removed, and saved.
    """

    connectionsChanged = Signal()

    NAME, URL, PARALLEL, CONTEXT, TEST = range(5)

    def __init__(self, connections: Connections, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionsPage")
        self.connections = connections
        self._editing: str | None = None  # the name of the connection in the form, if editing
        self._tests: dict[str, BackgroundCall] = {}
        self._test_buttons: dict[str, QPushButton] = {}

        self.intro = caption_label("", "connectionsIntro")
        self._intro_shown: tuple[str, ...] = (ABOUT, SAVING)  # what the intro says
        self._intro_text = ""  # and in what words, as `show_intro` last put it
        self.list = QTreeWidget()
        self.list.setObjectName("connectionsList")
        self.list.setColumnCount(5)
        self.list.setRootIsDecorated(False)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.URL, QHeaderView.ResizeMode.Stretch)
        self.list.itemSelectionChanged.connect(self._show_buttons)
        self.list.itemDoubleClicked.connect(lambda _item, _column: self.edit_selected())

        buttons = self._build_buttons()
        self.result = QLabel()
        self.result.setObjectName("connectionTestResult")
        self.result.setTextFormat(Qt.TextFormat.PlainText)  # what a server sent
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.hide()

        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)  # the settings dialog gives the page its margins
        column.setSpacing(SPACE.s)
        column.addWidget(self.intro)
        column.addWidget(self.list, 1)
        column.addLayout(buttons)
        column.addWidget(self.result)
        column.addWidget(self._build_form())
        self._retranslate()
        on_language_change(self, self._retranslate)
        if connections.problems:  # a damaged connections.json: what was skipped, and why
            self._show_result(" ".join(connections.problems), error=True)

    def _build_buttons(self) -> QHBoxLayout:
        """Add, Edit and Remove, under the list."""
        self.add_button = QPushButton()
        self.add_button.setObjectName("addConnection")
        self.add_button.clicked.connect(self.start_adding)
        self.edit_button = QPushButton()
        self.edit_button.setObjectName("editConnection")
        self.edit_button.clicked.connect(self.edit_selected)
        self.remove_button = QPushButton()
        self.remove_button.setObjectName("removeConnection")
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button):
            button.setAutoDefault(False)  # Enter in the dialog presses OK, not these
            buttons.addWidget(button)
        buttons.addStretch(1)
        return buttons

    def show_intro(self, *texts: str) -> None:
        """Say these of `ABOUT` and `SAVING` above the list (both, by default), in the current
        language, and again in the next."""
        self._intro_shown = texts
        self._intro_text = " ".join(self.tr(text) for text in texts)
        self.intro.setText(self._intro_text)

    def _retranslate(self) -> None:
        """The page's texts in the current language; the list and an open form worded anew."""
        if self.intro.text() == self._intro_text:  # not a text someone else put there
            self.show_intro(*self._intro_shown)
        self.list.setHeaderLabels([self.tr("Name"), self.tr("URL"), self.tr("At once"),
                                   self.tr("Context"), ""])
        self.add_button.setText(self.tr("Add…"))
        self.edit_button.setText(self.tr("Edit…"))
        self.remove_button.setText(self.tr("Remove"))
        self.remove_button.setToolTip(self.tr("Forget the connection and its API key"))
        self.parallel.setToolTip(self.tr("How many requests the server may run at once (its "
                                          "slots)"))
        self.context.setSpecialValueText(self.tr("ask the server"))
        self.context.setToolTip(self.tr("The context length to assume; 0 asks the server"))
        self.forget_key.setText(self.tr("Forget the saved API key"))
        self.save_button.setText(self.tr("Save connection"))
        self.cancel_button.setText(self.tr("Cancel"))
        self.name_label.setText(self.tr("Name:"))
        self.url_label.setText(self.tr("URL:"))
        self.parallel_label.setText(self.tr("Requests at once:"))
        self.context_label.setText(self.tr("Context:"))
        self.key_label.setText(self.tr("API key:"))
        self._form_texts()
        self._fill()

    def _build_form(self) -> QGroupBox:
        """The form for one connection, hidden until Add or Edit."""
        self.form = QGroupBox()
        self.form.setObjectName("connectionForm")
        self.name = QLineEdit()
        self.name.setObjectName("connectionName")
        self.name.setPlaceholderText("gpu-box")
        self.name.setMaxLength(40)
        self.url = QLineEdit()
        self.url.setObjectName("connectionUrl")
        self.url.setPlaceholderText("http://gpu-box:8080/v1")
        self.url.setMaxLength(2000)
        self.parallel = QSpinBox()
        self.parallel.setObjectName("connectionParallel")
        self.parallel.setRange(1, MAX_PARALLEL)
        self.context = QSpinBox()
        self.context.setObjectName("connectionContext")
        self.context.setRange(0, MAX_N_CTX)
        self.context.setSingleStep(1024)
        self.key = QLineEdit()
        self.key.setObjectName("connectionKey")
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setMaxLength(4096)
        self.forget_key = QCheckBox()
        self.forget_key.setObjectName("connectionForgetKey")
        return self._form_box()

    def _form_box(self) -> QGroupBox:
        """The fields made by `_build_form`, laid out, with the line for what is wrong and
        Save and Cancel."""
        self.form_error = QLabel()
        self.form_error.setObjectName("connectionError")
        self.form_error.setTextFormat(Qt.TextFormat.PlainText)
        self.form_error.setWordWrap(True)
        set_style(self.form_error, ERROR_TEXT)
        self.form_error.hide()
        self.save_button = QPushButton()
        self.save_button.setObjectName("saveConnection")
        self.save_button.clicked.connect(self.save)
        cancel = self.cancel_button = QPushButton()
        cancel.setObjectName("cancelConnection")
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.close_form)
        # Enter in a field saves the form, rather than pressing the dialog's OK.
        for field in (self.name, self.url, self.key, self.parallel, self.context):
            field.installEventFilter(self)

        form = QFormLayout()
        self.name_label, self.url_label = QLabel(), QLabel()
        self.parallel_label, self.context_label, self.key_label = QLabel(), QLabel(), QLabel()
        form.addRow(self.name_label, self.name)
        form.addRow(self.url_label, self.url)
        form.addRow(self.parallel_label, self.parallel)
        form.addRow(self.context_label, self.context)
        form.addRow(self.key_label, self.key)
        form.addRow("", self.forget_key)
        row = QHBoxLayout()
        row.addWidget(self.form_error, 1)
        row.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(cancel, 0, Qt.AlignmentFlag.AlignTop)
        box = QVBoxLayout(self.form)
        box.addLayout(form)
        box.addLayout(row)
        self.form.hide()
        return self.form

    # -- the list --------------------------------------------------------------------------

    def _fill(self) -> None:
        selected = self.selected_name()
        self.list.clear()
        self._test_buttons.clear()
        for connection in self.connections.items:
            item = QTreeWidgetItem([
                connection.name, connection.url, str(connection.parallel),
                f"{connection.n_ctx:,}" if connection.n_ctx else self.tr("from the server"),
                ""])
            item.setData(self.NAME, Qt.ItemDataRole.UserRole, connection.name)
            item.setToolTip(self.URL, plain_tooltip(connection.url))
            self.list.addTopLevelItem(item)
            test = QPushButton(self.tr("Test"))
            test.setObjectName(f"testConnection.{connection.name}")
            test.setToolTip(self.tr("Ask {server} for its models").format(server=connection.name))
            test.setAutoDefault(False)
            test.clicked.connect(functools.partial(self.test, connection.name))
            test.setEnabled(connection.name not in self._tests)
            self.list.setItemWidget(item, self.TEST, test)
            self._test_buttons[connection.name] = test
            if connection.name == selected:
                self.list.setCurrentItem(item)
        self._show_buttons()

    def selected_name(self) -> str | None:
        item = self.list.currentItem()
        if item is None or not item.isSelected():
            return None
        name = item.data(self.NAME, Qt.ItemDataRole.UserRole)
        return name if isinstance(name, str) else None

    def select(self, name: str) -> bool:
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if item is not None and item.data(self.NAME, Qt.ItemDataRole.UserRole) == name:
                self.list.setCurrentItem(item)
                item.setSelected(True)
                return True
        return False

    def _show_buttons(self) -> None:
        chosen = self.selected_name() is not None
        self.edit_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

    def _find(self, name: str) -> Connection | None:
        return next((c for c in self.connections.items if c.name.lower() == name.lower()), None)

    # -- add, edit, remove -----------------------------------------------------------------

    def start_adding(self) -> None:
        self._open_form(None)

    def edit_selected(self) -> None:
        name = self.selected_name()
        if name is not None:
            self._open_form(self._find(name))

    def _open_form(self, connection: Connection | None) -> None:
        self._editing = connection.name if connection is not None else None
        self._form_texts()
        self.name.setText(connection.name if connection else "")
        self.url.setText(connection.url if connection else "")
        self.parallel.setValue(connection.parallel if connection else 1)
        self.context.setValue(connection.n_ctx if connection else 0)
        self.key.clear()
        self.forget_key.setChecked(False)
        self.forget_key.setVisible(connection is not None)
        self._say("")
        self.form.show()
        (self.url if connection else self.name).setFocus()

    def _form_texts(self) -> None:
        """The form's title and the key's placeholder, for a new connection or the one
        edited."""
        editing = self._editing
        self.form.setTitle(self.tr("Edit {name}").format(name=editing) if editing is not None
                           else self.tr("New connection"))
        self.key.setPlaceholderText(self.tr("leave empty to keep the saved key")
                                    if editing is not None else
                                    self.tr("none (a server without a key)"))

    def close_form(self) -> None:
        self._editing = None
        self.key.clear()  # the key typed goes nowhere else
        self.form.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and \
                event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.save()
            return True
        return super().eventFilter(watched, event)

    def _say(self, line: str) -> None:
        self.form_error.setText(line)
        self.form_error.setVisible(bool(line))

    def save(self) -> bool:
        """Add the connection in the form, or save the one edited; False (and the reason on
        the page) when it cannot be."""
        if self.form.isHidden():
            return False
        name, old = self.name.text().strip(), self._editing
        try:
            connection = make_connection(name, self.url.text(), parallel=self.parallel.value(),
                                         n_ctx=self.context.value())
        except ConnectionConfigError as exc:
            self._say(_capitalized(str(exc)))
            return False
        clash = self._find(name)
        if clash is not None and (old is None or clash.name.lower() != old.lower()):
            self._say(self.tr("There is a connection named {name} already: edit it, or choose "
                              "another name.").format(name=clash.name))
            return False
        key = self.key.text().strip() or None
        try:
            if old is not None and old != connection.name:  # renamed: the key moves with it
                kept = None if self.forget_key.isChecked() else self.connections.keys.get(old)
                self.connections.add(connection, key or kept)
                if old.lower() != connection.name.lower():
                    self.connections.remove(old)
            else:
                self.connections.add(connection, key)
                if old is not None and key is None and self.forget_key.isChecked():
                    self.connections.keys.delete(connection.name)
        except ConnectionConfigError as exc:  # the credential store refused the key (too)
            self._say(str(exc))
            return False
        except OSError as exc:
            self._say(self.tr("Cannot save {file}: {reason}.").format(
                file=self.connections.path.name, reason=exc.strerror or exc))
            return False
        self.close_form()
        self._fill()
        self.select(connection.name)
        self.connectionsChanged.emit()
        return True

    def remove_selected(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        try:
            self.connections.remove(name)
        except (ConnectionConfigError, OSError) as exc:
            self._show_result(str(exc), error=True)
            return
        if self._editing is not None and self._editing.lower() == name.lower():
            self.close_form()
        self._fill()
        self._show_result(self.tr("{name} was removed, and its API key with it.").format(
            name=name), error=False)
        self.connectionsChanged.emit()

    # -- testing ---------------------------------------------------------------------------

    def test(self, name: str) -> None:
        """Ask the server for its models, off the GUI thread; the answer shows on the page."""
        connection = self._find(name)
        if connection is None or name in self._tests:
            return
        call = BackgroundCall(functools.partial(ask_models, connection, self.connections.keys),
                              self.tr("Testing {server}").format(server=name), explain=explain)
        call.done.connect(functools.partial(self._on_tested, name))
        call.failed.connect(functools.partial(self._on_test_failed, name))
        self._tests[name] = call
        button = self._test_buttons.get(name)
        if button is not None:
            button.setEnabled(False)
        self._show_result(self.tr("Asking {server} for its models…").format(server=name),
                          error=False)
        call.start()

    def is_testing(self) -> bool:
        return bool(self._tests)

    def stop_tests(self) -> None:
        """The page is going away: answers still to come are not wanted."""
        for call in self._tests.values():
            call.abandon()
        self._tests.clear()

    def _tested(self, name: str) -> None:
        self._tests.pop(name, None)
        button = self._test_buttons.get(name)
        if button is not None:
            button.setEnabled(True)

    def _on_tested(self, name: str, models: list[RemoteModel]) -> None:
        self._tested(name)
        if not models:
            self._show_result(self.tr("{server} answers, but lists no models.").format(
                server=name), error=False)
            return
        shown = ", ".join(m.id for m in models[:MODELS_SHOWN])
        more = len(models) - MODELS_SHOWN
        if len(models) == 1:
            text = self.tr("{server} answers: 1 model: {models}.")
        elif more > 0:
            text = self.tr("{server} answers: {n} models: {models} and {more} more.")
        else:
            text = self.tr("{server} answers: {n} models: {models}.")
        self._show_result(text.format(server=name, n=len(models), models=shown, more=more),
                          error=False)

    def _on_test_failed(self, name: str, message: str) -> None:
        self._tested(name)
        self._show_result(message, error=True)

    def _show_result(self, text: str, *, error: bool) -> None:
        line = " ".join(text.split())  # one line, whatever a server put in its message
        self.result.setText(elided(line, MAX_LINE_CHARS))
        set_style(self.result, ERROR_TEXT if error else None)
        self.result.setVisible(bool(line))


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]
