"""The chat's Thinking switch, a chip above the composer, for reasoning models whose chat template
takes one (Qwen3's `enable_thinking`), and how hard such a model thinks where its template takes
that (gpt-oss's `reasoning_effort`).

The switch shows one chat's settings (`show_params`) and reports what the user changes; the
window hands that to the chat service, which keeps it with the chat. For other models it is
hidden: they ignore both.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QWidget

from app.core.chat.conversation import SamplingValue
from app.core.engine import GenerationParams, ModelInfo
from app.core.settings.schema import BY_KEY
from app.i18n import _
from app.qt.appearance import set_variant
from app.qt.design import SPACE
from app.qt.i18n import on_language_change
from app.qt.icons import set_icon

_EFFORT = BY_KEY["sampling.reasoning_effort"]


class ThinkingSwitch(QWidget):
    """Thinking on or off, and the reasoning effort, for the chat shown; each part shown only
    when the loaded model offers it (`set_model`). Showing a chat's settings emits nothing.

    Signals:
        thinkingToggled(bool): the user let the model think (True) or answer at once.
        effortChosen(str): the user chose how hard it thinks: "low", "medium" or "high".
    """

    thinkingToggled = Signal(bool)
    effortChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("thinkingSwitch")
        # A checkable chip: highlighted while the model thinks.
        self.toggle = QPushButton()
        self.toggle.setObjectName("thinkingCheck")
        self.toggle.setCheckable(True)
        set_variant(self.toggle, "chip")
        set_icon(self.toggle, "thinking")
        self.toggle.setCursor(Qt.CursorShape.PointingHandCursor)
        # `clicked`, not `toggled`: only the user's changes are reported.
        self.toggle.clicked.connect(self._on_clicked)
        self.effort = QComboBox()
        self.effort.setObjectName("reasoningEffort")
        for value in _EFFORT.choices:
            self.effort.addItem("", value)
        self.effort.activated.connect(self._on_effort)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(SPACE.xs)
        layout.addWidget(self.toggle)
        layout.addWidget(self.effort)
        self.offers_thinking = self.offers_effort = False
        self.set_model(None)
        self._retranslate()
        on_language_change(self, self._retranslate)

    def _retranslate(self) -> None:
        self.toggle.setText(self.tr("Thinking"))
        self.toggle.setToolTip(self.tr("Let the model think before it answers, in this chat. "
                                       "Off: it answers at once, faster and shorter."))
        self.toggle.setAccessibleDescription(
            self.tr("The model thinks before it answers in this chat"))
        self.effort.setToolTip(self.tr("How long the model thinks before it answers, in this "
                                       "chat: longer is slower and often better"))
        self.effort.setAccessibleName(self.tr("Reasoning effort"))
        # The levels' names are the setting's ("Low", "Medium", "High"), in the core's words.
        for index, label in enumerate(_EFFORT.choice_labels):
            self.effort.setItemText(index, self.tr("{level} effort").format(level=_(label)))

    def set_model(self, info: ModelInfo | None) -> None:
        """Show the parts the model loaded offers (none without a model)."""
        self.offers_thinking = info is not None and info.thinking_switch
        self.offers_effort = info is not None and info.effort_choice
        self.toggle.setVisible(self.offers_thinking)
        self.effort.setVisible(self.offers_effort)
        self.setVisible(self.offers_thinking or self.offers_effort)

    def show_params(self, params: GenerationParams) -> None:
        """Show a chat's settings; emits nothing."""
        self.toggle.setChecked(params.thinking)
        index = self.effort.findData(params.reasoning_effort)
        self.effort.setCurrentIndex(index if index >= 0 else self.effort.findData(
            _EFFORT.default))
        self._follow_toggle()

    def preset_params(self) -> dict[str, SamplingValue]:
        """What a preset saved now keeps of the chat's choices here: those the model offers."""
        params: dict[str, SamplingValue] = {}
        if self.offers_thinking:
            params["thinking"] = self.toggle.isChecked()
        if self.offers_effort:
            params["reasoning_effort"] = str(self.effort.currentData())
        return params

    def _follow_toggle(self) -> None:
        # A model that does not think has no effort to choose.
        self.effort.setEnabled(not self.offers_thinking or self.toggle.isChecked())

    def _on_clicked(self, checked: bool) -> None:
        self._follow_toggle()
        self.thinkingToggled.emit(checked)

    def _on_effort(self, index: int) -> None:
        value = self.effort.itemData(index)
        if isinstance(value, str):
            self.effortChosen.emit(value)
