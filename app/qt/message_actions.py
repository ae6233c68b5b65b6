"""What the buttons on a message do: flip its versions, answer again, edit a question, delete,
show a summary part by part. (Copy is the chat view's own.)

Editing puts the question in the composer under the edit bar; the window's Send then asks it
as a new version of the question (`editing`).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from app.qt import dialogs
from app.qt.controller import ChatController, ChatState
from app.qt.widgets.chat_view import ChatView
from app.qt.widgets.composer import Composer
from app.qt.widgets.edit_bar import EditBar
from app.qt.widgets.parts_dialog import PartsDialog


class MessageActions(QObject):
    """Carries out the chat view's `actionRequested` through the controller.

    Signals:
        notice(str): a line for the status bar (an action that cannot be done now, and why).
    """

    notice = Signal(str)

    def __init__(self, controller: ChatController, chat_view: ChatView, composer: Composer,
                 edit_bar: EditBar, window: QWidget) -> None:
        super().__init__(window)
        self.controller = controller
        self.chat_view = chat_view
        self.composer = composer
        self.edit_bar = edit_bar
        self.window = window  # the parent of the dialogs these open
        self.editing: int | None = None  # the question being edited
        chat_view.actionRequested.connect(self.perform)
        edit_bar.cancelled.connect(self.cancel_edit)

    def perform(self, action: str, message_id: int) -> None:
        """Do what a message's button asked: previous, next, regenerate (regenerate:N, N
        versions at once), continue (a stopped answer), edit, delete, parts."""
        controller = self.controller
        if action == "previous":
            controller.switch_version(message_id, -1)
        elif action == "next":
            controller.switch_version(message_id, +1)
        elif action == "regenerate" or action.startswith("regenerate:"):
            self.regenerate(message_id, action.partition(":")[2])
        elif action == "continue":
            if controller.state is not ChatState.READY:
                self.notice.emit(self.tr("Load a model to go on with the answer."))
            elif not controller.continue_answer(message_id):
                self.notice.emit(
                    self.tr("Only the chat's last answer can go on, once it was stopped."))
            else:
                self.chat_view.scroll_to_bottom()
        elif action == "edit":
            self.start_edit(message_id)
        elif action == "delete":
            self.delete_message(message_id)
        elif action == "parts":
            self.show_parts(message_id)

    def regenerate(self, message_id: int, count: str = "") -> None:
        """Answer again: one new version, or `count` of them at once ("3")."""
        controller = self.controller
        if controller.state is not ChatState.READY:
            self.notice.emit(self.tr("Load a model to answer again."))
            return
        self.chat_view.scroll_to_bottom()
        if count.isdigit():
            controller.regenerate_many(message_id, int(count))
        else:
            controller.regenerate(message_id)

    def start_edit(self, message_id: int) -> None:
        """Put the question in the composer; Send then asks it as a new version."""
        self.editing = message_id
        self.composer.setPlainText(self.controller.conversation.message(message_id).content)
        self.edit_bar.show()
        self.composer.setFocus()

    def cancel_edit(self) -> None:
        if self.editing is not None:
            self.editing = None
            self.composer.clear()
        self.edit_bar.hide()

    def delete_message(self, message_id: int) -> None:
        """Delete a message and what follows it in its version, asking first if anything does."""
        conversation = self.controller.conversation
        following = len(conversation.subtree(message_id)) - 1
        if not following:
            question = None
        elif following == 1:
            question = self.tr("Delete this message and the one after it in this version of "
                               "the chat? Other versions stay.")
        else:
            question = self.tr("Delete this message and the {n} after it in this version of "
                               "the chat? Other versions stay.").format(n=following)
        if question is not None and not dialogs.confirm(self.window, self.tr("Delete message"),
                                                        question):
            return
        self.controller.delete_message(message_id)

    def show_parts(self, message_id: int) -> PartsDialog:
        """Open a part-by-part summary: each part's note beside the text it came from."""
        conversation = self.controller.conversation
        answer = conversation.message(message_id)
        question = conversation.message(answer.parent_id) if answer.parent_id else None
        dialog = PartsDialog(answer, question, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog
