"""The pieces the settings page is made of: an editor per kind of setting, a row per setting
(its label, a one-line explanation, the editor, a Reset button), a card per section, and the
card of this machine's facts.

Everything here follows the declaration (`app.core.settings.schema`): a number with `slider`
is a slider beside an editable box showing its value, the two kept in step; `app.font_size`
is a "Text size" slider in points with a live "Aa" and a box to follow the system's size; the
others are the plain editor of their kind. Sizes come from `design.SPACE`, looks from the style
sheet (`appearance.set_variant` / `set_text_style`); nothing here sets a colour.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import os
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.engine.devices import Hardware
from app.core.settings.schema import TEXT_MAX_CHARS, Setting, Value, allowed
from app.i18n import LANGUAGES, _
from app.qt.appearance import set_text_style, set_variant
from app.qt.design import SPACE
from app.qt.hardware import hardware_facts
from app.qt.icons import icon_button

FONT_SIZE = "app.font_size"
FLOAT_DECIMALS = 2
TEXT_MIN_CHARS = 36  # a text box is about this many characters wide
SLIDER_MIN_CHARS = 24  # a slider is at least about this many characters wide
FONT_SLIDER_MIN_CHARS = 16  # the text size's, which shares its row with the "Aa" preview
SUMMARY_MIN_CHARS = 22  # a row's explanation is at least about this many characters wide
VALUE_CHARS = 18  # the box beside a slider is at least about this many characters wide
# Where a special setting's number starts when the user first picks "Custom".
NUMBER_START = {"hardware.n_threads": os.cpu_count() or 1,
                "hardware.n_threads_batch": os.cpu_count() or 1}

# The panel's own words are said in the settings dialog's translation context; the settings'
# labels, summaries, descriptions and sections are the schema's, said by the core (`_`).


def reload_note() -> str:
    """The line under a setting (or over a section) that takes effect only on a reload."""
    return QCoreApplication.translate("SettingsDialog", "Applies when the model reloads.")


def optional_text(key: str) -> str:
    """What an optional setting's empty value (None) is called in its spin box."""
    if key == "sampling.max_tokens":
        return QCoreApplication.translate("SettingsDialog", "half the context")
    if key == "sampling.seed":
        return QCoreApplication.translate("SettingsDialog", "random")
    return QCoreApplication.translate("SettingsDialog", "none")


def text_placeholder(key: str) -> str:
    """What an empty text setting means, shown in its empty box ("" for none)."""
    if key == "server.cors_origins":
        return QCoreApplication.translate("SettingsDialog", "none (e.g. https://example.com)")
    return ""


def word_label(word: str) -> str:
    """A setting's word (a choice without a label of its own, or a number's special word) as
    the panel shows it: "System", "Auto", "All"; a word it does not know, as it is."""
    words = {
        "system": QCoreApplication.translate("SettingsDialog", "System"),
        "light": QCoreApplication.translate("SettingsDialog", "Light"),
        "dark": QCoreApplication.translate("SettingsDialog", "Dark"),
        "auto": QCoreApplication.translate("SettingsDialog", "Auto"),
        "all": QCoreApplication.translate("SettingsDialog", "All"),
    }
    return words.get(word, word.capitalize() if word.isalpha() else word)


def choice_labels(setting: Setting) -> tuple[str, ...]:
    """How the panel names `setting`'s choices, in the reader's language; a language of the
    *Language* setting keeps its own name ("English", "简体中文"), whatever the language."""
    if not setting.choice_labels:
        return tuple(word_label(choice) for choice in setting.choices)
    return tuple(label if label in LANGUAGES.values() else _(label)
                 for label in setting.choice_labels)


def custom_item() -> str:
    """The item of a number's words that lets the number be typed."""
    return QCoreApplication.translate("SettingsDialog", "Custom")


def tooltip(setting: Setting) -> str:
    """The whole description of `setting` and, for a number or a text, what it accepts, as a
    tooltip (a choice, a special word or a box offers only what is allowed)."""
    description = f"<p>{html.escape(_(setting.description))}</p>"
    if setting.kind in ("bool", "choice"):
        return description
    accepts = allowed(dataclasses.replace(setting, special=()))
    return description + "<p>{}</p>".format(html.escape(QCoreApplication.translate(
        "SettingsDialog", "Allowed: {values}.").format(values=accepts)))


class _WheelGuard(QObject):
    """Lets the page scroll under the pointer: a wheel turned over a slider, spin box or combo
    box that does not have the keyboard focus scrolls the page instead of changing it."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget)
                and not watched.hasFocus()):
            event.ignore()
            return True
        return False


@functools.cache
def _wheel_guard() -> _WheelGuard:
    return _WheelGuard(QCoreApplication.instance())


def _guard_wheel(*widgets: QWidget) -> None:
    for widget in widgets:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a wheel alone does not focus it
        widget.installEventFilter(_wheel_guard())


# -- editors ------------------------------------------------------------------------------------

class Editor:
    """One setting's widget, read and written as a settings value. `widget` is named by the
    setting's key and, for a screen reader, by its label; `focus` is the part a click on the
    row's label focuses. `retranslate` says its words again in the language of the moment
    (subclasses add theirs)."""

    def __init__(self, setting: Setting, widget: QWidget) -> None:
        self.setting = setting
        self.widget = widget
        self.focus: QWidget = widget
        widget.setObjectName(setting.key)

    def retranslate(self) -> None:
        # The row's label names it for a screen reader too: a check box has no text of its own.
        self.widget.setAccessibleName(_(self.setting.label))

    def value(self) -> Value:
        raise NotImplementedError

    def set_value(self, value: Value) -> None:
        raise NotImplementedError


class BoolEditor(Editor):
    def __init__(self, setting: Setting) -> None:
        super().__init__(setting, QCheckBox())
        self.box: QCheckBox = self.widget  # type: ignore[assignment]
        self.retranslate()

    def value(self) -> Value:
        return self.box.isChecked()

    def set_value(self, value: Value) -> None:
        self.box.setChecked(bool(value))


class ChoiceEditor(Editor):
    def __init__(self, setting: Setting) -> None:
        super().__init__(setting, QComboBox())
        self.combo: QComboBox = self.widget  # type: ignore[assignment]
        for choice in setting.choices:
            self.combo.addItem("", choice)
        _guard_wheel(self.combo)
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        for index, label in enumerate(choice_labels(self.setting)):
            self.combo.setItemText(index, label)

    def value(self) -> Value:
        return str(self.combo.currentData())

    def set_value(self, value: Value) -> None:
        self.combo.setCurrentIndex(max(0, self.combo.findData(value)))


class _ValueWidth:
    """A spin box at least `VALUE_CHARS` characters wide, so that the sliders' boxes line up."""

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()  # type: ignore[misc]
        width = self.fontMetrics().averageCharWidth() * VALUE_CHARS  # type: ignore[attr-defined]
        return QSize(max(hint.width(), width), hint.height())


class ValueSpinBox(_ValueWidth, QSpinBox):
    pass


class ValueDoubleSpinBox(_ValueWidth, QDoubleSpinBox):
    pass


def _float_spin(setting: Setting) -> QDoubleSpinBox:
    spin = ValueDoubleSpinBox()
    spin.setDecimals(FLOAT_DECIMALS)
    spin.setRange(setting.minimum or 0.0, setting.maximum or 1e9)
    spin.setSingleStep(setting.step or 0.05)
    _guard_wheel(spin)
    return spin


def _int_spin(setting: Setting, below: int = 0) -> QSpinBox:
    """A spin box over the setting's range, starting `below` its minimum (for a special)."""
    spin = ValueSpinBox() if setting.slider else QSpinBox()
    spin.setRange(int(setting.minimum or 0) - below, int(setting.maximum or 2**31 - 1))
    spin.setSingleStep(int(setting.step or 1))
    _guard_wheel(spin)
    return spin


class FloatEditor(Editor):
    def __init__(self, setting: Setting) -> None:
        super().__init__(setting, _float_spin(setting))
        self.spin: QDoubleSpinBox = self.widget  # type: ignore[assignment]
        self.retranslate()

    def value(self) -> Value:
        return round(self.spin.value(), FLOAT_DECIMALS)

    def set_value(self, value: Value) -> None:
        self.spin.setValue(float(value))  # type: ignore[arg-type]


class IntEditor(Editor):
    """A whole number; an optional one has "none" one below its minimum, shown in words."""

    def __init__(self, setting: Setting) -> None:
        super().__init__(setting, _int_spin(setting, below=1 if setting.optional else 0))
        self.spin: QSpinBox = self.widget  # type: ignore[assignment]
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        if self.setting.optional:
            self.spin.setSpecialValueText(optional_text(self.setting.key))

    def value(self) -> Value:
        number = self.spin.value()
        if self.setting.optional and number == self.spin.minimum():
            return None
        return number

    def set_value(self, value: Value) -> None:
        self.spin.setValue(self.spin.minimum() if value is None else int(value))


class SliderPair(QObject):
    """A slider and a spin box showing one number, kept in step: moving either moves the
    other. The slider covers `minimum` to `slider_max` in steps of 10^-decimals; the box takes
    the whole range (past the slider's end the slider rests there).

    Signals:
        valueChanged(float): the number changed, from either.
    """

    valueChanged = Signal(float)

    def __init__(self, setting: Setting, spin: QSpinBox | QDoubleSpinBox,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spin = spin
        self.scale = 10 ** FLOAT_DECIMALS if isinstance(spin, QDoubleSpinBox) else 1
        self.slider = QSlider(Qt.Orientation.Horizontal)
        low = setting.minimum or 0
        high = setting.slider_max if setting.slider_max is not None else setting.maximum or 0
        self.slider.setRange(round(low * self.scale), round(high * self.scale))
        step = max(1, round((setting.step or 1 / self.scale) * self.scale))
        self.slider.setSingleStep(step)  # the arrow keys
        span = self.slider.maximum() - self.slider.minimum()
        self.slider.setPageStep(max(step, span // 10 // step * step))  # Page Up / Down
        self.slider.setMinimumWidth(spin.fontMetrics().averageCharWidth() * SLIDER_MIN_CHARS)
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        _guard_wheel(self.slider)
        self.slider.valueChanged.connect(self._slid)
        spin.valueChanged.connect(self._typed)

    def name(self, label: str) -> None:
        """Name both for a screen reader, after the setting's label."""
        self.slider.setAccessibleName(label)
        self.spin.setAccessibleName(self.tr("{label}, value").format(label=label))

    def _slid(self, position: int) -> None:
        if round(self.spin.value() * self.scale) != position:
            if isinstance(self.spin, QDoubleSpinBox):
                self.spin.setValue(position / self.scale)
            else:
                self.spin.setValue(position)
        self.valueChanged.emit(float(self.spin.value()))

    def _typed(self, number: float) -> None:
        position = round(number * self.scale)
        if self.slider.value() != position:
            self.slider.blockSignals(True)  # the box already holds the number
            self.slider.setValue(position)
            self.slider.blockSignals(False)
        self.valueChanged.emit(float(number))


def _line(*widgets: QWidget, stretch_first: bool = False) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(SPACE.s)
    for index, widget in enumerate(widgets):
        row.addWidget(widget, 1 if stretch_first and index == 0 else 0)
    return row


class SliderEditor(Editor):
    """A number as a slider and an editable box with its value, side by side."""

    def __init__(self, setting: Setting) -> None:
        super().__init__(setting, QWidget())
        self.spin: QSpinBox | QDoubleSpinBox = (
            _float_spin(setting) if setting.kind == "float" else _int_spin(setting))
        self.spin.setObjectName(f"{setting.key}.value")
        self.pair = SliderPair(setting, self.spin, self.widget)
        self.slider = self.pair.slider
        self.slider.setObjectName(f"{setting.key}.slider")
        self.focus = self.slider
        self.widget.setLayout(_line(self.slider, self.spin, stretch_first=True))
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        self.pair.name(_(self.setting.label))

    def value(self) -> Value:
        if isinstance(self.spin, QDoubleSpinBox):
            return round(self.spin.value(), FLOAT_DECIMALS)
        return self.spin.value()

    def set_value(self, value: Value) -> None:
        self.spin.setValue(value)  # type: ignore[arg-type]


class SpecialEditor(Editor):
    """A whole number or one of its words ("Auto", "All"): a selector of the words and
    "Custom", and a spin box enabled for the custom number."""

    def __init__(self, setting: Setting) -> None:
        super().__init__(setting, QWidget())
        self.combo = QComboBox()
        self.combo.setObjectName(f"{setting.key}.choice")
        for word in setting.special:
            self.combo.addItem("", word)
        self.combo.addItem("", None)
        self.spin = _int_spin(setting)
        self.spin.setObjectName(f"{setting.key}.number")
        self.spin.setValue(NUMBER_START.get(setting.key, self.spin.minimum()))
        _guard_wheel(self.combo)
        self.combo.currentIndexChanged.connect(self._show_choice)
        self.focus = self.combo
        self.widget.setLayout(_line(self.combo, self.spin))
        self._show_choice()
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        label = _(self.setting.label)
        self.combo.setAccessibleName(label)
        for index, word in enumerate(self.setting.special):
            self.combo.setItemText(index, word_label(word))
        self.combo.setItemText(len(self.setting.special), custom_item())
        self.spin.setAccessibleName(QCoreApplication.translate(
            "SettingsDialog", "{label}, custom number").format(label=label))

    def _show_choice(self) -> None:
        self.spin.setEnabled(self.combo.currentData() is None)

    def value(self) -> Value:
        word = self.combo.currentData()
        return self.spin.value() if word is None else str(word)

    def set_value(self, value: Value) -> None:
        if isinstance(value, str):
            self.combo.setCurrentIndex(max(0, self.combo.findData(value)))
        else:
            self.spin.setValue(int(value))  # type: ignore[arg-type]
            self.combo.setCurrentIndex(self.combo.count() - 1)


def system_points() -> int:
    """The size of the platform's own text, in whole points (what "system" means)."""
    size = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont).pointSizeF()
    return round(size) if size > 0 else 10


class FontSizeEditor(Editor):
    """The text size: a slider in points with the number beside it ("11 pt") and a live "Aa"
    drawn at that size, and a box to use the system's size instead (then the slider shows the
    system's size, greyed out)."""

    def __init__(self, setting: Setting) -> None:
        super().__init__(setting, QWidget())
        self.spin = _int_spin(setting)
        self.spin.setObjectName(f"{setting.key}.value")
        self.pair = SliderPair(setting, self.spin, self.widget)
        self.slider = self.pair.slider
        self.slider.setObjectName(f"{setting.key}.slider")
        self.slider.setMinimumWidth(self.spin.fontMetrics().averageCharWidth()
                                    * FONT_SLIDER_MIN_CHARS)
        self.preview = QLabel()
        self.preview.setObjectName(f"{setting.key}.preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_variant(self.preview, "card")  # a box the size of the largest "Aa" the slider gives
        self.preview.setContentsMargins(SPACE.s, 0, SPACE.s, 0)
        self.system = QCheckBox()
        self.system.setObjectName(f"{setting.key}.system")
        self.focus = self.slider
        sizes = QHBoxLayout()
        sizes.setContentsMargins(0, 0, 0, 0)
        sizes.setSpacing(SPACE.s)
        sizes.addWidget(self.slider, 1)
        sizes.addWidget(self.spin)
        sizes.addWidget(self.preview)
        column = QVBoxLayout(self.widget)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(SPACE.xs)
        column.addLayout(sizes)
        column.addWidget(self.system, 0, Qt.AlignmentFlag.AlignLeft)
        self.pair.valueChanged.connect(lambda _points: self._show_preview())
        self.system.toggled.connect(self._follow_system)
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        self.pair.name(_(self.setting.label))
        #: After the number of points in the text size's box (a space first).
        self.spin.setSuffix(QCoreApplication.translate("SettingsDialog", " pt"))
        #: The live preview of the text size: a couple of letters, drawn at the size chosen.
        self.preview.setText(QCoreApplication.translate("SettingsDialog", "Aa"))
        self.preview.setAccessibleName(QCoreApplication.translate(
            "SettingsDialog", "Preview of the text size"))
        self.system.setText(QCoreApplication.translate(
            "SettingsDialog", "Use the system's size ({points} pt)").format(
                points=system_points()))
        self._fit_preview(int(self.setting.slider_max or self.setting.maximum or 24))
        self._show_preview()

    def _fit_preview(self, points: int) -> None:
        """Room for the preview at the slider's largest size, so the row keeps its height
        while the slider moves (a size typed past it grows the row)."""
        self.preview.setMinimumSize(0, 0)  # its words may be another language's
        self.preview.setFont(self._font(points))
        self.preview.setMinimumSize(self.preview.sizeHint())

    def _font(self, points: int) -> QFont:
        font = QFont(self.preview.font())
        font.setPointSize(points)
        return font

    def _show_preview(self) -> None:
        self.preview.setFont(self._font(self.spin.value()))
        self.preview.setToolTip(QCoreApplication.translate(
            "SettingsDialog", "Text at {points} pt").format(points=self.spin.value()))

    def _follow_system(self, system: bool) -> None:
        self.slider.setEnabled(not system)
        self.spin.setEnabled(not system)
        if system:
            self.spin.setValue(system_points())

    def value(self) -> Value:
        return "system" if self.system.isChecked() else self.spin.value()

    def set_value(self, value: Value) -> None:
        if isinstance(value, str):
            self.system.setChecked(True)
            self.spin.setValue(system_points())
        else:
            self.system.setChecked(False)
            self.spin.setValue(int(value))  # type: ignore[arg-type]


class TextEditor(Editor):
    """A line of text (`validate` checks it when applied: printable, not too long)."""

    def __init__(self, setting: Setting) -> None:
        super().__init__(setting, QLineEdit())
        self.line: QLineEdit = self.widget  # type: ignore[assignment]
        self.line.setMaxLength(TEXT_MAX_CHARS)
        self.line.setClearButtonEnabled(True)
        self.line.setMinimumWidth(self.line.fontMetrics().averageCharWidth() * TEXT_MIN_CHARS)
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        self.line.setPlaceholderText(text_placeholder(self.setting.key))
        # The box's own clear button (Qt's): named, for a screen reader and on hover.
        clear = QCoreApplication.translate("SettingsDialog", "Clear")
        for button in self.line.findChildren(QToolButton):
            button.setAccessibleName(clear)
            button.setToolTip(clear)

    def value(self) -> Value:
        return self.line.text()

    def set_value(self, value: Value) -> None:
        self.line.setText("" if value is None else str(value))
        self.line.setCursorPosition(0)  # the start of a long list shows, not its end


def editor_for(setting: Setting) -> Editor:
    """The editor of `setting`'s kind, as its declaration asks."""
    if setting.key == FONT_SIZE:
        return FontSizeEditor(setting)
    if setting.kind in _BY_KIND:
        return _BY_KIND[setting.kind](setting)
    if setting.slider and not setting.special and not setting.optional:
        return SliderEditor(setting)
    if setting.kind == "float":
        return FloatEditor(setting)
    return SpecialEditor(setting) if setting.special else IntEditor(setting)


_BY_KIND: dict[str, Callable[[Setting], Editor]] = {
    "bool": BoolEditor, "choice": ChoiceEditor, "text": TextEditor}


# -- rows and cards -----------------------------------------------------------------------------

def caption(text: str, object_name: str = "") -> QLabel:
    """A quiet line that explains, in the caption's size; it wraps rather than being cut."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    set_text_style(label, "caption")
    if object_name:
        label.setObjectName(object_name)
    return label


class SettingRow(QWidget):
    """One setting: its label and its one-line summary on the left; its editor and a Reset
    button on the right, where every row's Reset lines up. `note` adds a quiet line under the
    summary ("Applies when the model reloads."). `retranslate` says it all again in the
    language of the moment."""

    def __init__(self, setting: Setting, editor: Editor, reset: QToolButton,
                 note: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setting = setting
        self.editor = editor
        self.reset = reset
        self.setObjectName(f"{setting.key}.row")
        self.title = QLabel()
        self.title.setObjectName(f"{setting.key}.label")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        self.title.setBuddy(editor.focus)
        self.summary = caption("", f"{setting.key}.summary")
        # Narrower than this the words would stand a few to a line: the page scrolls sideways.
        self.summary.setMinimumWidth(self.summary.fontMetrics().averageCharWidth()
                                     * SUMMARY_MIN_CHARS)

        words = QVBoxLayout()
        words.setContentsMargins(0, 0, 0, 0)
        words.setSpacing(SPACE.xxs)
        words.addWidget(self.title)
        words.addWidget(self.summary)
        self.notes = QVBoxLayout()  # lines added under the summary (the GPU layers' reason)
        self.notes.setContentsMargins(0, 0, 0, 0)
        self.notes.setSpacing(SPACE.xxs)
        self.note = caption("") if note else None
        if self.note is not None:
            self.notes.addWidget(self.note)
        words.addLayout(self.notes)
        words.addStretch(1)  # at the top of a row whose editor is taller

        line = QHBoxLayout(self)
        line.setContentsMargins(0, 0, 0, 0)
        line.setSpacing(SPACE.l)
        line.addLayout(words, 1)  # the words take what the editor leaves
        line.addWidget(editor.widget, 0, Qt.AlignmentFlag.AlignVCenter)
        line.addWidget(reset, 0, Qt.AlignmentFlag.AlignVCenter)
        self.retranslate()

    def retranslate(self) -> None:
        """The row's words, its editor's and its Reset's, in the language of the moment."""
        setting = self.setting
        tip = tooltip(setting)
        self.title.setText(_(setting.label))
        self.title.setToolTip(tip)
        self.summary.setText(_(setting.summary or setting.description))
        self.summary.setToolTip(tip)
        self.editor.retranslate()
        self.editor.widget.setToolTip(tip)
        if self.note is not None:
            self.note.setText(reload_note())
        name_reset(self.reset, setting)


def name_reset(button: QToolButton, setting: Setting) -> None:
    """A row's Reset's tooltip, and its name for a screen reader (after the setting)."""
    button.setToolTip(QCoreApplication.translate(
        "SettingsDialog", "Reset: back to the default (for one model: to the value for all "
        "models)"))
    button.setAccessibleName(QCoreApplication.translate(
        "SettingsDialog", "Reset {label}").format(label=_(setting.label)))


def reset_button(setting: Setting) -> QToolButton:
    """The row's Reset: an icon with a tooltip, named for a screen reader by the setting."""
    button = icon_button("regenerate", "", object_name=f"{setting.key}.reset")
    name_reset(button, setting)
    return button


class Card(QFrame):
    """A rounded box holding one section's rows, under the section's title (and, for a section
    whose every setting needs a reload, a line that says so)."""

    def __init__(self, title: str, note: str = "", object_name: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        set_variant(self, "card")
        if object_name:
            self.setObjectName(object_name)
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(SPACE.l, SPACE.m, SPACE.l, SPACE.l)
        self.column.setSpacing(SPACE.l)
        heading = QVBoxLayout()
        heading.setContentsMargins(0, 0, 0, 0)
        heading.setSpacing(SPACE.xxs)
        self.title = QLabel(title)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        set_text_style(self.title, "subtitle")
        heading.addWidget(self.title)
        self.note = caption(note)
        self.note.setVisible(bool(note))
        heading.addWidget(self.note)
        self.column.addLayout(heading)

    def set_words(self, title: str, note: str = "") -> None:
        """The title and the note, again (in another language)."""
        self.title.setText(title)
        self.note.setText(note)
        self.note.setVisible(bool(note))

    def add(self, widget: QWidget) -> None:
        self.column.addWidget(widget)


class HardwareCard(Card):
    """What this machine runs models on, as facts: CPU cores, memory, GPU offload, and the
    backend llama.cpp uses (with the GPUs' free memory). Until the machine is read, it says
    so. `text()` is the reading in one line (`Hardware.describe`)."""

    def __init__(self, hardware: Hardware | None, parent: QWidget | None = None) -> None:
        super().__init__("", object_name="hardwareCard", parent=parent)
        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(SPACE.xl)
        self.grid.setVerticalSpacing(SPACE.xxs)
        self.column.addLayout(self.grid)
        self.backend = caption("", "hardwareBackend")
        self.backend.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.column.addWidget(self.backend)
        self.names: dict[str, QLabel] = {}
        self.values: dict[str, QLabel] = {}
        self.hardware = hardware
        self.retranslate()

    def retranslate(self) -> None:
        self.set_words(QCoreApplication.translate("SettingsDialog", "This machine"))
        self.set_hardware(self.hardware)

    def _fact(self, key: str, column: int) -> tuple[QLabel, QLabel]:
        if key not in self.values:
            name = caption("", f"hardwareFact.{key}.name")
            value = QLabel()
            value.setObjectName(f"hardwareFact.{key}")
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            set_text_style(value, "subtitle")
            self.grid.addWidget(name, 0, column)
            self.grid.addWidget(value, 1, column)
            self.grid.setColumnStretch(column, 1)
            self.names[key], self.values[key] = name, value
        return self.names[key], self.values[key]

    def set_hardware(self, hardware: Hardware | None) -> None:
        """Show `hardware` (None: not read yet)."""
        self.hardware = hardware
        facts = hardware_facts(hardware)
        for column, fact in enumerate(facts.facts):
            name, value = self._fact(fact.key, column)
            name.setText(fact.name)
            value.setText(fact.value)
            value.setAccessibleName(fact.name)
        self.backend.setText(facts.backend)
        self._text = facts.summary
        self.setAccessibleDescription(facts.summary)

    def text(self) -> str:
        """The reading in one line, or that the machine is being read."""
        return self._text
