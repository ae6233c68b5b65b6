"""The main window: the chats (sidebar | model picker, preset, conversation, composer) and
the Models page.

The two are pages of one stack: the Models page opens from the picker (its last item, or the
Models… button beside it) and downloads keep running while the user is back in the chat.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.chat.library import ChatLibrary
from app.core.chat.presets import Preset, PresetLibrary
from app.core.chat.store import StoreError
from app.core.chat.transfer import ImportFormatError
from app.core.documents.readers import Document
from app.core.engine import ModelInfo
from app.core.engine.devices import Hardware
from app.core.models import names
from app.core.models.library import BUILTIN_INSTALL_HINT, ModelEntry
from app.core.settings.connections import Connections
from app.files import safe_file_name
from app.i18n import _
from app.paths import AppPaths
from app.qt import dialogs
from app.qt.appearance import apply_appearance, restyle, set_variant
from app.qt.context_usage import ContextUsage
from app.qt.controller import ChatController, ChatState, state_label
from app.qt.design import SPACE
from app.qt.hardware import HardwareProbe
from app.qt.i18n import apply_language, on_language_change
from app.qt.icons import icon_button, set_icon
from app.qt.message_actions import MessageActions
from app.qt.remote_models import RemoteModels
from app.qt.safe_text import elided, plain_tooltip
from app.qt.server_control import ServerControl
from app.qt.state import load_state, save_state
from app.qt.widgets.attachments import AttachmentBar
from app.qt.widgets.chat_view import ChatView
from app.qt.widgets.composer import ComposerCard, local_files
from app.qt.widgets.context_meter import ContextMeter
from app.qt.widgets.edit_bar import EditBar
from app.qt.widgets.error_banner import ErrorBanner
from app.qt.widgets.model_picker import ModelPicker
from app.qt.widgets.models.page import ModelsPage
from app.qt.widgets.preset_bar import PresetBar
from app.qt.widgets.server_panel import ServerStatusButton, server_action
from app.qt.widgets.settings_dialog import SettingsDialog
from app.qt.widgets.sidebar import ConversationSidebar
from app.qt.widgets.status_bar import StatusBar
from app.qt.widgets.thinking_switch import ThinkingSwitch
from app.qt.workers.downloads import DownloadManager

log = logging.getLogger(__name__)

SETTINGS_KEY = QKeySequence("Ctrl+,")
STORE_WATCH_MS = 2000  # how often the history is asked whether another process wrote to it
MAX_LAYOUT_CHARS = 4096  # Qt's saved geometry and splitter state are some 70 bytes of base64
MODEL_SUFFIX = ".gguf"  # a file dropped or pasted with it is offered as a model to import
MAX_CHIP_CHARS = 40  # of the model's name on its chip
SIDEBAR_KEY = QKeySequence("Ctrl+B")


class MainWindow(QMainWindow):
    """The window: it builds the pages and bars and connects them to the controller, the chat
    library and one another. What the parts do is theirs: the message buttons'
    (`MessageActions`), the dialogs' (`dialogs`), reading the machine (`HardwareProbe`)."""

    def __init__(self, controller: ChatController, library: ChatLibrary, paths: AppPaths,
                 presets: PresetLibrary | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("Lamplight")
        self.resize(1100, 720)
        self.setAcceptDrops(True)  # documents dropped anywhere are attached
        self.controller = controller
        self.library = library
        self.paths = paths
        self.presets = presets or PresetLibrary(paths.config_dir)
        self._shut_down = False
        self.hardware = HardwareProbe(self)
        # The servers elsewhere and their models, as last heard (asked in the background).
        self.remotes = RemoteModels(Connections.load(paths.config_dir), self)
        self.error_banner = ErrorBanner()
        self.chat_view = ChatView()
        self.chat_view.set_model(controller.model)
        # Paused downloads of an earlier run are listed from their files alone: nothing is
        # fetched at start-up, and the user resumes them.
        self.downloads = DownloadManager(paths.models_dir, self)
        self.downloads.restore_pending()

        self.chat_page = self._build_chat_page()
        self.models_page = ModelsPage(paths.models_dir, self.downloads, controller.context_length(),
                                      answer_speeds=library.answer_speeds,
                                      settings=controller.settings)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.chat_page)
        self.pages.addWidget(self.models_page)
        central = QWidget()
        pages = QVBoxLayout(central)
        pages.setContentsMargins(0, 0, 0, 0)  # the sidebar reaches the window's edges
        pages.addWidget(self.pages)
        self.setCentralWidget(central)
        # The OpenAI-compatible API, answered on the window's own inference thread.
        self.server = ServerControl(controller.host.runner, controller.settings, paths, self)
        self.server.failed.connect(lambda message: self.error_banner.show_error(
            self.tr("The local server cannot start: {reason}").format(reason=message)))
        self._build_menus()
        self.status = StatusBar()
        self.setStatusBar(self.status)
        self.status.addPermanentWidget(ServerStatusButton(self.server, lambda: (
            controller.entry.name if controller.info and controller.entry else None)))

        self._connect(controller)
        # Chats written by another process (`lamplight chat`) show without a restart.
        self._store_watch = QTimer(self)
        self._store_watch.setInterval(STORE_WATCH_MS)
        self._store_watch.timeout.connect(self._check_store)
        self._store_watch.start()
        self._model_label: str | None = None  # the model on the chip (None: none loaded)
        self.apply_app_settings()  # shows the state too
        self.status.show_downloads(self.downloads)
        self._retranslate()
        on_language_change(self, self._retranslate)
        general = self.presets.get("general")  # what a new chat starts with
        if general is not None:
            self.preset_bar.set_conversation_settings(general.key, general.prompt_for(None), None)
        self.new_chat()

    def _build_chat_page(self) -> QSplitter:
        """The chats beside the conversation: the top bar, the messages, and the composer
        with its chips (preset, model, thinking) and the context meter above it."""
        self.sidebar = ConversationSidebar(self.library)
        self.preset_bar = PresetBar(self.presets)
        self.edit_bar = EditBar()
        conversation_column = QWidget()
        layout = QVBoxLayout(conversation_column)
        layout.setContentsMargins(SPACE.s, SPACE.s, SPACE.m, SPACE.m)
        layout.setSpacing(SPACE.s)
        layout.addLayout(self._build_model_bar())
        layout.addWidget(self.error_banner)
        layout.addWidget(self.chat_view, 1)
        composer_row = QHBoxLayout()
        composer_row.addStretch(1)
        composer_row.addWidget(self._build_composer(), 100)
        composer_row.addStretch(1)
        layout.addLayout(composer_row)
        page = QSplitter(Qt.Orientation.Horizontal)
        page.setObjectName("chatPage")
        page.addWidget(self.sidebar)
        page.addWidget(conversation_column)
        page.setStretchFactor(1, 1)
        page.setCollapsible(1, False)
        page.setSizes([260, 840])
        return page

    def _connect(self, controller: ChatController) -> None:
        self.models_page.backRequested.connect(self.show_chat)
        self.models_page.useRequested.connect(self.use_model)
        self.models_page.libraryChanged.connect(self.model_picker.refresh)
        self.model_picker.namesLearned.connect(self._show_model_name)
        self.model_picker.remembered.connect(self._on_remembered)
        for signal in (self.downloads.added, self.downloads.changed, self.downloads.removed):
            signal.connect(lambda _key: self.status.show_downloads(self.downloads))
        self.status.downloadsClicked.connect(self.show_models)
        # Downloads end while the user may be chatting: say so where they look.
        self.downloads.installed.connect(lambda path: self.status.showMessage(
            self.tr("Downloaded {name}: pick it in the model list.").format(
                name=names.of(path)), 10_000))
        self.downloads.failed.connect(lambda _key, _message: self.status.showMessage(
            self.tr("A download failed: see Models…."), 10_000))
        controller.stateChanged.connect(self._show_state)
        controller.modelLoaded.connect(self._on_model_loaded)
        controller.errorRaised.connect(self.error_banner.show_error)
        controller.answerFinished.connect(self.status.show_speed)
        controller.progressChanged.connect(self._show_progress)
        self.attachments.tokensWanted.connect(
            lambda document: controller.host.count_tokens(document, document.text))
        controller.host.worker.counted.connect(self._on_counted)
        self.context_usage = ContextUsage(self.context_meter, controller, self.composer,
                                          self.attachments)
        controller.conversationChanged.connect(self._on_conversation_changed)
        controller.conversationSaved.connect(self._on_conversation_saved)
        self.message_actions = MessageActions(controller, self.chat_view, self.composer,
                                              self.edit_bar, self)
        self.message_actions.notice.connect(lambda text: self.status.showMessage(text, 5000))
        self.controller.noticeRaised.connect(lambda text: self.status.showMessage(text, 8000))
        self.hardware.read.connect(self._show_model_tooltip)
        self.sidebar.newChatRequested.connect(self.new_chat)
        self.sidebar.conversationChosen.connect(self.open_conversation)
        self.sidebar.searchResultChosen.connect(self.show_search_result)
        self.sidebar.conversationDeleted.connect(controller.forget_conversation)
        self.sidebar.conversationRenamed.connect(self._on_renamed)
        self.sidebar.exportRequested.connect(self.export_conversation)
        self.preset_bar.presetChosen.connect(self._apply_preset)
        self.preset_bar.systemPromptEdited.connect(controller.set_system_prompt)
        self.preset_bar.chat_params = self.thinking_switch.preset_params
        self.model_picker.context_length = controller.context_length
        self.thinking_switch.thinkingToggled.connect(controller.set_thinking)
        self.thinking_switch.effortChosen.connect(controller.set_reasoning_effort)

        # The empty chat: the model in use, and starters that pick a preset as its chip's menu
        # does and ready the composer.
        def start_with(preset_key: str, text: str) -> None:
            self.preset_bar.choose(preset_key)
            typed = self.composer.toPlainText()  # kept, after the starter's words
            if not typed.startswith(text):
                self.composer.setPlainText(text + typed)
            cursor = self.composer.textCursor()
            cursor.movePosition(cursor.MoveOperation.End)
            self.composer.setTextCursor(cursor)
            self.composer.setFocus()

        controller.stateChanged.connect(self._show_model_summary)
        controller.modelLoaded.connect(self._show_model_summary)
        # a name read from the model's header
        self.model_picker.namesLearned.connect(self._show_model_summary)
        self.chat_view.starterChosen.connect(start_with)

    def _show_model_summary(self, *_: object) -> None:
        """The empty chat's line about the model in use."""
        controller = self.controller
        self.chat_view.show_model(controller.entry, controller.info, controller.state)

    def _retranslate(self) -> None:
        """The window's own texts in the current language: the menus, the top bar's tooltips
        (the model picker says its own), the composer's placeholder, the model's chip and the
        state in the status bar."""
        self._menus_retranslate()
        self.sidebar_button.setAccessibleName(self.tr("Show or hide the chat list"))
        self._sidebar_tooltip()
        self.manage_button.setToolTip(self.tr("Models: download, import and delete models"))
        self.manage_button.setAccessibleName(self.tr("Models"))
        self.settings_button.setToolTip(
            self.tr("Settings: sampling, context, threads, GPU layers, appearance (Ctrl+,)"))
        self.settings_button.setAccessibleName(self.tr("Settings"))
        self._show_state_texts(self.controller.state)
        self._show_model(self._model_label)
        self._show_model_summary()

    def _apply_preset(self, preset: Preset) -> None:
        self.controller.apply_preset(preset, self.preset_bar.language())
        self._show_thinking_switch()  # a preset may say whether the model thinks

    def _show_thinking_switch(self) -> None:
        """The Thinking switch for the model loaded (hidden unless its template has one),
        showing the chat's choice."""
        controller = self.controller
        loaded = controller.state in (ChatState.READY, ChatState.GENERATING)
        self.thinking_switch.set_model(controller.info if loaded else None)
        self.thinking_switch.show_params(controller.generation_params())

    def _build_model_bar(self) -> QHBoxLayout:
        """The top bar: the chat list's toggle, the model picker, Models and Settings."""
        # Their texts are set by `_retranslate`.
        self.sidebar_button = icon_button("sidebar", "", object_name="sidebarButton")
        self.model_picker = ModelPicker(self.paths.models_dir, self.remotes)
        self.model_picker.activated.connect(self._on_model_picked)
        self.model_picker.manageRequested.connect(self.show_models)
        manage = self.manage_button = icon_button("models", "", object_name="manageModelsButton")
        manage.clicked.connect(self.show_models)
        settings = self.settings_button = icon_button("settings", "",
                                                      object_name="settingsButton")
        settings.clicked.connect(self.show_settings)
        top = QHBoxLayout()
        top.setSpacing(SPACE.xs)
        top.addWidget(self.sidebar_button)
        top.addWidget(self.model_picker)
        top.addStretch(1)
        top.addWidget(manage)
        top.addWidget(settings)
        return top

    def show_settings(self) -> SettingsDialog:
        """Open the settings panel; what it applies is saved and used at once (a reload when
        a setting needs one). It shows the machine as last read, and again once read anew."""
        entry = self.controller.entry
        dialog = SettingsDialog(
            self.controller.settings, model_key=entry.name if entry else None,
            model_label=entry.display_name if entry else None, hardware=self.hardware.latest,
            connections=self.remotes.connections, parent=self)
        dialog.applied.connect(self._apply_settings)
        dialog.connectionsChanged.connect(self.remotes.reload)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.hardware.read.connect(dialog.set_hardware)
        self.hardware.refresh()  # the GPUs' free memory, as it is now
        dialog.open()
        return dialog

    def _apply_settings(self, keys: list[str]) -> None:
        try:
            self.controller.settings.save()
        except OSError as exc:
            self.error_banner.show_error(self.tr(
                "The settings could not be saved ({reason}); they apply to this session "
                "only.").format(reason=exc))
        if any(key.startswith("app.") for key in keys):
            self.apply_app_settings()
        if self.controller.apply_settings(keys):
            self.status.showMessage(self.tr("Reloading the model with the new settings…"), 5000)
        self._show_thinking_switch()  # the Sampling page's Thinking, for chats of their own

    def apply_app_settings(self) -> None:
        """Theme, font size and what Enter does, from the settings."""
        settings = self.controller.settings
        apply_language(settings.get("app.language"))  # the widgets retranslate on its event
        apply_appearance(settings)
        # The composer as wide as the conversation's reading column, centred under it: now,
        # and once the column has followed the font size just applied.
        self._fit_composer_width()
        QTimer.singleShot(0, self, self._fit_composer_width)
        self.composer.enter_sends = settings.get("app.enter_sends") is not False
        self._show_state(self.controller.state)  # the placeholder says how to send

    def _build_composer(self) -> QWidget:
        """Above the composer: the edit bar, the attached documents, the system prompt (when
        shown) and a row of chips (preset, language, model, thinking) with the context meter
        at its end; then the composer card (Attach, the edit, Send or Stop)."""
        controller = self.controller
        self.attachments = AttachmentBar()
        self.attachments.failed.connect(self.error_banner.show_error)
        self.composer_card = ComposerCard()
        self.composer = self.composer_card.edit
        self.composer.has_attachments = lambda: bool(self.attachments.documents())
        self.composer.submitted.connect(self._send)
        self.composer.pastedDocument.connect(self.attachments.add_text)
        self.composer.pastedFiles.connect(self.attach_files)
        self.send_button = self.composer_card.send_button
        self.stop_button = self.composer_card.stop_button
        self.stop_button.clicked.connect(controller.stop)
        self.attach_button = self.composer_card.attach_button
        self.attach_button.clicked.connect(
            lambda: self.attach_files(dialogs.files_to_attach(self)))
        QShortcut(QKeySequence("Esc"), self, self._escape)
        self.model_menu = QMenu(self)
        self.model_menu.setObjectName("modelMenu")
        self.model_menu.aboutToShow.connect(
            lambda: self.model_picker.fill_menu(self.model_menu))
        self.model_chip = QPushButton()
        self.model_chip.setObjectName("modelChip")
        set_variant(self.model_chip, "chip")
        set_icon(self.model_chip, "models", "muted")
        self.model_chip.setMenu(self.model_menu)
        self.model_chip.setCursor(Qt.CursorShape.PointingHandCursor)
        self.context_meter = ContextMeter()
        self.thinking_switch = ThinkingSwitch()
        chips = QHBoxLayout()
        chips.setSpacing(SPACE.xs)
        chips.addWidget(self.preset_bar)
        chips.addWidget(self.model_chip)
        chips.addWidget(self.thinking_switch)
        chips.addStretch(1)
        chips.addWidget(self.context_meter)
        area = self.composer_area = QWidget()
        area.setObjectName("composerArea")
        column = QVBoxLayout(area)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(SPACE.xs)
        column.addWidget(self.edit_bar)
        column.addWidget(self.attachments)
        column.addWidget(self.preset_bar.prompt_edit)
        column.addLayout(chips)
        column.addWidget(self.composer_card)
        return area

    def _fit_composer_width(self) -> None:
        self.composer_area.setMaximumWidth(self.chat_view.column_width)

    def _show_model(self, label: str | None) -> None:
        """The model in use (None: none is loaded), in the status bar and on the model
        chip."""
        self._model_label = label
        if label is None:
            label = self.tr("No model loaded")
        self.status.show_model(label)
        self.model_chip.setText(elided(label, MAX_CHIP_CHARS))
        self.model_chip.setAccessibleName(self.tr("Model: {name}").format(name=label))
        self.model_chip.setToolTip(plain_tooltip(
            self.tr("Model: {name} (click to choose another)").format(name=label)))

    def attach_files(self, paths: list[Path]) -> None:
        """Attach these files to the next question; they are read in the background. A
        `.gguf` among them is a model, not a document: the Models page offers to import it."""
        models = [path for path in paths if path.suffix.lower() == MODEL_SUFFIX]
        documents = [path for path in paths if path.suffix.lower() != MODEL_SUFFIX]
        if documents:
            self.attachments.add_files(documents)
        if models:
            self.show_models()
            self.models_page.offer_import(models)

    # Files dropped anywhere on the window are attached (models offered for import); anything
    # else dropped is refused.

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_files(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.attach_files(paths)

    def _build_menus(self) -> None:
        """The menus and their actions; their texts are set by `_menus_retranslate`."""
        app_menu = self.app_menu = self.menuBar().addMenu("")
        preferences = self.settings_action = app_menu.addAction("", self.show_settings)
        preferences.setObjectName("settingsAction")
        # The platform's own key, and Ctrl+, where it has none (Qt gives Linux none).
        keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
        preferences.setShortcuts([*keys, *([] if SETTINGS_KEY in keys else [SETTINGS_KEY])])
        preferences.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.addAction(preferences)
        app_menu.addAction(server_action(self.server, self))
        app_menu.addSeparator()
        quit_action = self.quit_action = app_menu.addAction("", QKeySequence.StandardKey.Quit,
                                                             self.close)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        chats = self.chats_menu = self.menuBar().addMenu("")
        new = self.new_chat_action = chats.addAction("", self.new_chat)
        new.setShortcut(QKeySequence.StandardKey.New)
        new.setObjectName("newChatAction")
        # The window's own action, so Ctrl+N works wherever the focus is.
        self.addAction(new)
        rename = self.rename_action = chats.addAction("", self.rename_chat)
        rename.setObjectName("renameChatAction")
        rename.setShortcut(QKeySequence(Qt.Key.Key_F2))
        self.addAction(rename)
        self.export_action = chats.addAction("", lambda: self.export_conversation(
            self.controller.conversation.id))
        self.import_action = chats.addAction("", self.import_conversations)
        chats.addSeparator()
        find = self.find_action = chats.addAction("")
        find.setObjectName("findInChatsAction")
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(self._find_in_chats)
        view = self.view_menu = self.menuBar().addMenu("")
        self.sidebar_action = view.addAction("")
        self.sidebar_action.setObjectName("toggleSidebarAction")
        self.sidebar_action.setCheckable(True)
        self.sidebar_action.setChecked(True)
        self.sidebar_action.setShortcut(SIDEBAR_KEY)
        self.sidebar_action.toggled.connect(self.set_sidebar_visible)
        self.addAction(self.sidebar_action)  # Ctrl+B wherever the focus is
        self.sidebar_button.clicked.connect(self.sidebar_action.toggle)

    def _menus_retranslate(self) -> None:
        self.app_menu.setTitle(self.tr("&Lamplight"))
        self.settings_action.setText(self.tr("Settings…"))
        self.quit_action.setText(self.tr("Quit"))
        self.chats_menu.setTitle(self.tr("&Chats"))
        self.new_chat_action.setText(self.tr("New chat"))
        self.rename_action.setText(self.tr("Rename chat"))
        self.export_action.setText(self.tr("Export this chat…"))
        self.import_action.setText(self.tr("Import chats…"))
        self.find_action.setText(self.tr("Find in chats"))
        self.view_menu.setTitle(self.tr("&View"))
        self.sidebar_action.setText(self.tr("Chat list"))

    def _sidebar_tooltip(self) -> None:
        self.sidebar_button.setToolTip(
            self.tr("Hide the chat list (Ctrl+B)") if self.sidebar_action.isChecked()
            else self.tr("Show the chat list (Ctrl+B)"))

    def set_sidebar_visible(self, visible: bool) -> None:
        """Show or hide the chat list (Ctrl+B, the top bar's button); kept for the next
        start."""
        if self.sidebar_action.isChecked() != visible:
            self.sidebar_action.setChecked(visible)  # comes back here through `toggled`
            return
        focus = QApplication.focusWidget()
        had_focus = focus is not None and self.sidebar.isAncestorOf(focus)
        self.sidebar.setVisible(visible)
        self._sidebar_tooltip()
        if had_focus and not visible and self.composer.isEnabled():
            self.composer.setFocus()
        save_state(self.paths.state_file, sidebar=visible)

    def _find_in_chats(self) -> None:
        self.set_sidebar_visible(True)  # the search box is in the chat list
        self.sidebar.search_box.setFocus()

    def _escape(self) -> None:
        if self.message_actions.editing is not None:
            self.message_actions.cancel_edit()
        else:
            self.controller.stop()

    # -- actions ---------------------------------------------------------------------------

    def start(self, preferred: Path | None = None) -> None:
        """Load the preferred model if it is still there, else the first one listed. A model of
        a connection is loaded once its server has listed it (`_on_remembered`)."""
        if preferred is not None and self.model_picker.select_later(preferred):
            where = preferred.name.rpartition("@")[2]
            self.status.showMessage(
                self.tr("Asking {server} for its models…").format(server=where), 10_000)
            return
        if preferred is None or not self.model_picker.select_path(preferred):
            self.model_picker.select_first()
        entry = self.model_picker.current_entry()
        if entry is None:
            self.error_banner.show_error(_(BUILTIN_INSTALL_HINT) + "\n" + self.tr(
                "Models folder: {folder}").format(folder=self.paths.models_dir))
            return
        self.controller.select_model(entry)

    def _on_remembered(self, entry: ModelEntry | None, why: str) -> None:
        """The server of the model used last answered: load it, or say why not and load the
        first model listed. Unless the user has chosen one meanwhile."""
        self.status.clearMessage()
        if self.controller.entry is not None:
            return
        if entry is None:
            self.error_banner.show_error(why)
            self.start()
        else:
            self.controller.select_model(entry)

    def show_models(self) -> None:
        self.pages.setCurrentWidget(self.models_page)

    def show_chat(self) -> None:
        self.pages.setCurrentWidget(self.chat_page)
        if self.composer.isEnabled():
            self.composer.setFocus()

    def use_model(self, entry: ModelEntry) -> None:
        """Chat with `entry` (picked on the Models page): select it and load it."""
        self.model_picker.refresh()
        self.model_picker.select_path(entry.path)
        self.show_chat()
        if entry != self.controller.entry or self.controller.state is ChatState.NO_MODEL:
            self.error_banner.hide()
            self.controller.select_model(entry)

    def _on_model_picked(self, index: int) -> None:
        if self.model_picker.is_manage_item(index):
            return
        entry = self.model_picker.current_entry()
        if entry is not None and entry != self.controller.entry:
            self.error_banner.hide()
            self.controller.select_model(entry)

    def _send(self, text: str) -> None:
        self.error_banner.hide()
        editing = self.message_actions.editing
        if self.attachments.is_reading() and editing is None:
            self.composer.setPlainText(text)  # nothing typed is lost; Send again when read
            self.status.showMessage(self.tr("A document is still being read: send when it "
                                            "shows its size."), 5000)
            return
        if editing is not None and not text.strip():
            return  # Enter on an emptied edit (documents in the bar made it send): keep editing
        self.chat_view.scroll_to_bottom()
        if editing is not None:  # an edited question keeps its own documents
            self.message_actions.cancel_edit()
            self.controller.edit(editing, text)
        elif self.controller.send(text, self.attachments.attachments(),
                                  self.attachments.options()):
            self.attachments.clear()

    # -- conversations ---------------------------------------------------------------------

    def new_chat(self) -> None:
        """An empty chat with the preset and system prompt now chosen."""
        self.message_actions.cancel_edit()
        self.preset_bar.flush_prompt_edit()  # into the chat it was typed for
        self.controller.new_conversation(self.preset_bar.system_prompt(),
                                         self.preset_bar.current_preset())
        self.show_chat()

    def _check_store(self) -> None:
        """The chat list, and the open chat when it is idle, as another process left them."""
        if self.sidebar.conversation_list.state() == QAbstractItemView.State.EditingState:
            return  # a title being typed: reading the list again would lose it; next time
        try:
            if not self.library.changed_elsewhere():
                return
            self.sidebar.refresh()
        except StoreError as exc:
            log.warning("cannot read the history again: %s", exc)
            return
        if self.message_actions.editing is None:
            self.controller.reload_if_changed()

    def rename_chat(self) -> None:
        """F2: edit the title of the chat chosen in the list (the open one), in the list."""
        chosen = self.sidebar.selected_id() or self.controller.conversation.id
        if chosen is not None:
            self.sidebar.start_rename(chosen)

    def open_conversation(self, conversation_id: int) -> None:
        self.message_actions.cancel_edit()
        self.preset_bar.flush_prompt_edit()
        self.controller.open_conversation(conversation_id)
        self.show_chat()

    def show_search_result(self, conversation_id: int, message_id: int) -> None:
        """Open the chat and bring the message into view, in whichever version it is."""
        self.open_conversation(conversation_id)
        row = self.controller.reveal(message_id)
        if row is not None:
            self.chat_view.scroll_to_row(row)

    def _on_conversation_changed(self, conversation_id: int | None) -> None:
        conversation = self.controller.conversation
        self.sidebar.select(conversation_id)
        self.preset_bar.set_conversation_settings(conversation.preset,
                                                  conversation.system_prompt, None)
        self._show_thinking_switch()
        self._show_title()

    def _on_conversation_saved(self, conversation_id: int) -> None:
        self.sidebar.refresh()
        if conversation_id == self.controller.conversation.id:
            self.sidebar.select(conversation_id)
            self._show_title()

    def _on_renamed(self, conversation_id: int, title: str) -> None:
        if conversation_id == self.controller.conversation.id:
            self.controller.rename(title)
            self._show_title()

    def _show_title(self) -> None:
        title = self.controller.conversation.title
        self.setWindowTitle(f"{title} — Lamplight" if title else "Lamplight")

    def _on_counted(self, key: object, tokens: int) -> None:
        if isinstance(key, Document):
            info = self.controller.info
            self.attachments.set_tokens(key, tokens, estimated=bool(info and
                                                                     info.tokens_estimated))

    def _show_progress(self, text: str) -> None:
        """A summary's progress, also in the status bar (the answer may be scrolled away)."""
        if text:
            self.status.showMessage(text)
        else:
            self.status.clearMessage()

    def export_conversation(self, conversation_id: int | None) -> None:
        """Save a chat as Markdown or JSON, where the user picks."""
        if conversation_id is None:
            self.status.showMessage(self.tr("Nothing to export yet: this chat is empty."), 5000)
            return
        try:
            conversation = self.library.load(conversation_id)
        except StoreError as exc:
            self.error_banner.show_error(str(exc))
            return
        name = safe_file_name(conversation.title, fallback="chat")
        path, chosen = dialogs.export_path(self, name)
        if not path:
            return
        as_json = "*.json" in chosen or path.lower().endswith(".json")
        try:
            self.library.export([conversation_id], "json" if as_json else "md", Path(path))
        except OSError as exc:
            self.error_banner.show_error(self.tr("Cannot write {path}: {reason}").format(
                path=path, reason=exc.strerror or exc))
            return
        except StoreError as exc:
            self.error_banner.show_error(str(exc))
            return
        self.status.showMessage(self.tr("Exported to {path}").format(path=path), 8000)

    def import_conversations(self, path: str | None = None) -> list[int]:
        """Add the chats of a Lamplight JSON export, all or none; returns their new ids."""
        if path is None:
            chosen = dialogs.chats_to_import(self)
            if chosen is None:
                return []
            path = str(chosen)
        try:
            imported = self.library.import_file(Path(path))
        except (ImportFormatError, StoreError) as exc:  # a full disk: none of them was saved
            self.error_banner.show_error(self.tr("Cannot import {name}: {reason}").format(
                name=Path(path).name, reason=exc))
            return []
        self.sidebar.refresh()
        count = len(imported)
        self.status.showMessage(self.tr("Imported 1 chat.") if count == 1 else
                                self.tr("Imported {n} chats.").format(n=count), 8000)
        return [new_id for new_id, _ in imported]

    # -- reflecting state ------------------------------------------------------------------

    def _on_model_loaded(self, info: ModelInfo) -> None:
        entry = self.controller.entry
        self._show_model(entry.display_name if entry else info.name)
        self._show_model_tooltip()
        if info.gpu_offload and self.hardware.latest is None:
            self.hardware.refresh()  # the GPU's backend, for the tooltip
        if entry is not None:
            save_state(self.paths.state_file, last_model=str(entry.path))
        for document in self.attachments.documents():  # each model counts tokens its own way
            self.controller.host.count_tokens(document, document.text)

    def _show_model_name(self) -> None:
        """The model's display name again, now that its header may have been read."""
        entry = self.controller.entry
        if entry is not None and self.controller.state is not ChatState.NO_MODEL:
            self._show_model(entry.display_name)

    def _show_model_tooltip(self, _hardware: Hardware | None = None) -> None:
        info, hardware = self.controller.info, self.hardware.latest
        entry = self.controller.entry
        if info is not None:
            self.status.show_model_details(info, hardware.gpu_backend if hardware else None,
                                           entry.remote.connection if entry and entry.remote
                                           else None)

    def _show_state(self, state: ChatState) -> None:
        loaded = state in (ChatState.READY, ChatState.GENERATING)
        generating = state is ChatState.GENERATING
        self.composer.setEnabled(loaded)
        self.composer.can_submit = state is ChatState.READY
        self._show_state_texts(state)
        self.send_button.setEnabled(state is ChatState.READY)
        self.chat_view.set_actions_enabled(not generating)
        self.stop_button.setEnabled(generating)
        self.composer_card.set_generating(generating)
        self._show_thinking_switch()
        if state is ChatState.NO_MODEL:
            self._show_model(None)
        elif state is ChatState.LOADING and self.controller.entry:
            self._show_model(self.controller.entry.display_name)
        if loaded and self.pages.currentWidget() is self.chat_page:
            self.composer.setFocus()
        entry = self.controller.entry
        self.models_page.set_in_use(  # a file of the models folder; a remote model is none
            entry.path if entry is not None and entry.remote is None
            and state is not ChatState.NO_MODEL else None)

    def _show_state_texts(self, state: ChatState) -> None:
        """What the state says in words: the composer's placeholder and the status bar's."""
        if state is ChatState.NO_MODEL:
            placeholder = self.tr("No model loaded: pick one above.")
        elif state is ChatState.LOADING:
            placeholder = self.tr("Loading the model…")
        else:
            placeholder = self.tr("Ask anything. {hint}").format(hint=self.composer.hint())
        self.composer.setPlaceholderText(placeholder)
        self.status.show_state(state_label(state))

    def remember_layout(self) -> None:
        """Keep for the next start: the window's size and place, the chat list's width, and
        the chat that is open."""
        # The chat list's width only while it shows: a hidden one's is nothing.
        splitter = ({"splitter": _base64(self.chat_page.saveState())}
                    if self.sidebar.isVisibleTo(self) else {})
        save_state(self.paths.state_file, geometry=_base64(self.saveGeometry()),
                   sidebar=self.sidebar_action.isChecked(),
                   last_chat=self.controller.conversation.id, **splitter)

    def restore_layout(self) -> None:
        """Bring back what `remember_layout` kept; anything odd in the file is passed over."""
        state = load_state(self.paths.state_file)
        geometry, splitter = state.get("geometry"), state.get("splitter")
        if isinstance(geometry, str) and len(geometry) <= MAX_LAYOUT_CHARS:
            self.restoreGeometry(QByteArray.fromBase64(geometry.encode("ascii", "ignore")))
        if isinstance(splitter, str) and len(splitter) <= MAX_LAYOUT_CHARS:
            self.chat_page.restoreState(QByteArray.fromBase64(splitter.encode("ascii", "ignore")))
        self.sidebar.setVisible(True)  # a state saved with it hidden must not hide it for good
        if state.get("sidebar") is False:
            self.set_sidebar_visible(False)
        last = state.get("last_chat")
        if type(last) is int and self.library.exists(last):
            self.open_conversation(last)

    def shutdown(self) -> None:
        """Stop the answer, pause the downloads and end the worker threads; safe to repeat."""
        if not self._shut_down:
            self._shut_down = True
            self.remember_layout()
        self.preset_bar.flush_prompt_edit()
        self.controller.stop()
        self.server.shutdown()  # before the inference thread it shares goes
        self.models_page.shutdown()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # The application palette reached the window (the theme setting; the system going
        # dark): what has a style sheet hears nothing of it, so restyle it all (the icons too).
        if event.type() == QEvent.Type.PaletteChange:
            restyle()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)


def _base64(data: QByteArray) -> str:
    return bytes(data.toBase64().data()).decode("ascii")
