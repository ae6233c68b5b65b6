"""What every visible widget must be, checked on the live widgets (`tests/qt/test_look.py`).

Three checks, each named in its finding:

- **name**: a button (any `QAbstractButton`, tool buttons included) has a name a screen reader
  can say: the name its accessibility interface reports (Qt takes it from `accessibleName`, else
  from the button's text) must hold a letter or a digit, so `‹` or `✕` alone is no name. A
  button whose text says nothing (an icon, a symbol) needs an `accessibleName` and a tooltip.
- **contrast**: text against what is painted behind it, WCAG 2's ratio, at least 4.5:1.
- **cut**: text that does not fit, unless the tooltip holds all of it: a label without word
  wrap narrower than its size hint, a word-wrapped one lower than its text needs at its width,
  a button narrower than its text (a push button's minimum width left out), a combo box's
  current text wider than its field, an item of a list or tree wider than its cell, and a
  widget with text that its parents cut off (outside a scroll area, which shows the rest).

How colours are found, and where that is an approximation:

- Colours are the palette's as resolved after the style sheet (`palette()` after
  `ensurePolished()`: a rule's `color` and `background` land there), in the Active group
  (offscreen no window is active; Active is what a user looking at it sees).
- The text colour is the role the widget draws text in: its `foregroundRole()` (WindowText
  for a label, a check box, a flat tool button), ButtonText on a button's or a combo box's face,
  Text in an editor, PlaceholderText for an empty editor's placeholder, HighlightedText for a
  selected item. A colour with alpha is blended over the background first.
- The background is the colour of the nearest widget, from the text's own up, that paints
  one: a window, a widget that fills its background (`autoFillBackground`: a scroll area's
  viewport and its content do), or one whose style sheet gave it a background of its own (it
  is styled, and its background role's colour differs from its parent's: a rule that sets only
  a border leaves it). A control's own face is its Button role (Fusion draws a slight gradient
  around it), an editor's its Base. A gradient or an image counts as its palette colour.
- Rich text (a label's, a text browser's document: messages, code blocks) is walked fragment
  by fragment: a fragment's own colour and background, else its block's, its table cell's, its
  frame's, else the widget's. Links take the palette's Link role.
- Items of lists and trees: an item's ForegroundRole and BackgroundRole data, else the view's
  Text (HighlightedText on Highlight when selected) on Base.
- Not seen: text painted by a delegate or a `paintEvent` of our own (the sidebar's day
  headers, the context meter, the fit badges). `palette_findings` checks the palette roles such
  code paints in (PlaceholderText), and the selection's, against Window and Base.
- Disabled widgets and items are skipped: WCAG 2 exempts the text of inactive controls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import (
    QAccessible,
    QBrush,
    QColor,
    QPalette,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFrame,
)
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QStyle,
    QStyleOptionButton,
    QStyleOptionComboBox,
    QTabBar,
    QTextEdit,
    QToolButton,
    QTreeView,
    QWidget,
)

MIN_CONTRAST = 4.5
_SLACK_PX = 1  # rounding in Qt's size hints
_MAX_ITEMS = 400  # items of one view looked at: the visible ones of a long list are enough
Role = QPalette.ColorRole
_ACTIVE = QPalette.ColorGroup.Active


@dataclass(frozen=True)
class Finding:
    """One widget that fails one check: the check, the widget as a path of names, why, and
    for contrast the palette role of the text ("" where the text has a colour of its own)."""

    check: str  # "name", "contrast" or "cut"
    widget: str
    detail: str
    role: str = ""

    def __str__(self) -> str:
        return f"[{self.check}] {self.widget}: {self.detail}"


# -- colours ----------------------------------------------------------------------------------

def luminance(color: QColor) -> float:
    """WCAG 2's relative luminance."""
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b, _ = color.getRgbF()
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def blend(over: QColor, under: QColor) -> QColor:
    """`over` drawn on an opaque `under`, as the eye sees a colour with alpha."""
    a = over.alphaF()
    return QColor.fromRgbF(*(o * a + u * (1 - a) for o, u in zip(
        over.getRgbF()[:3], under.getRgbF()[:3], strict=True)))


def contrast(text: QColor, background: QColor) -> float:
    """WCAG 2's contrast ratio of `text` (blended over `background` if it has alpha)."""
    if background.alphaF() < 1:
        background = blend(background, QColor("white"))
    hi, lo = sorted((luminance(blend(text, background)), luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _colour(widget: QWidget, role: Role) -> QColor:
    return widget.palette().color(_ACTIVE, role)


def _fills_background(widget: QWidget) -> bool:
    if widget.isWindow() or widget.autoFillBackground():
        return True
    parent = widget.parentWidget()
    if widget.testAttribute(Qt.WidgetAttribute.WA_StyledBackground) and parent is not None:
        # A style sheet drew a background only if its rule set one: then the role differs
        # from what the parent would have given it.
        parent.ensurePolished()
        role = widget.backgroundRole()
        own = _colour(widget, role)
        return own.alpha() > 0 and own != _colour(parent, role)
    return False


def background_behind(widget: QWidget) -> QColor:
    """The colour painted behind `widget` where it paints none itself (see the module)."""
    current: QWidget | None = widget
    while current is not None:
        current.ensurePolished()
        if current.backgroundRole() != Role.NoRole and _fills_background(current):
            colour = _colour(current, current.backgroundRole())
            parent = current.parentWidget()
            if colour.alpha() < 255 and parent is not None:  # a tint over what is behind
                return blend(colour, background_behind(parent))
            return colour
        current = current.parentWidget()
    return _colour(widget, Role.Window)


def _face_role(widget: QWidget) -> Role | None:
    """The role of the background a control draws under its text, if it draws one."""
    if isinstance(widget, QPushButton):
        face = None if widget.isFlat() else Role.Button
    elif isinstance(widget, QToolButton):
        face = None if widget.autoRaise() else Role.Button
    elif isinstance(widget, QComboBox):
        face = Role.Base if widget.isEditable() else Role.Button
    elif isinstance(widget, QHeaderView):
        face = Role.Button
    elif isinstance(widget, QLineEdit | QAbstractSpinBox):
        face = Role.Base
    else:
        face = None
    return face


def _face(widget: QWidget) -> QColor | None:
    """The background a control draws under its text, if it draws one of its own."""
    role = _face_role(widget)
    if role is not None:
        return _colour(widget, role)
    if isinstance(widget, QAbstractScrollArea):
        viewport = widget.viewport()
        viewport.ensurePolished()
        if viewport.autoFillBackground():
            return _colour(viewport, viewport.backgroundRole())
    return None


def background_of(widget: QWidget) -> QColor:
    """What is painted behind the text `widget` shows itself: its face, if it has one
    (blended over what is behind it where a style sheet made it see-through), else what is
    behind it."""
    face = _face(widget)
    if face is None or face.alpha() == 0:
        return background_behind(widget)
    if face.alpha() < 255:
        return blend(face, background_behind(widget))
    return face


def plain(text: str) -> str:
    """What rich text shows, as plain text."""
    if GuiQt.mightBeRichText(text):
        document = QTextDocument()
        document.setHtml(text)
        return document.toPlainText()
    return text


def _button_text(button: QAbstractButton) -> str:
    """The text shown, without the & that marks a shortcut."""
    return button.text().replace("&&", "\0").replace("&", "").replace("\0", "&")


def _rich(label: QLabel) -> bool:
    shown = label.textFormat()
    return shown == Qt.TextFormat.RichText or (
        shown == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(label.text()))


Shown = tuple[str, Role] | None


def _text_or_placeholder(text: str, role: Role, placeholder: str) -> Shown:
    """An editor's text, or while it is empty its placeholder, drawn in PlaceholderText."""
    if text.strip():
        return text, role
    return (placeholder, Role.PlaceholderText) if placeholder.strip() else None


def _if_any(text: str, role: Role) -> Shown:
    return (text, role) if text.strip(" |") else None


def _label_shown(label: QLabel) -> Shown:
    return _if_any(plain(label.text()) if _rich(label) else label.text(),
                   label.foregroundRole())


def _icon_only(button: QAbstractButton) -> bool:
    """A tool button that shows its icon and not its text (Qt's default for one with both)."""
    return isinstance(button, QToolButton) and not button.icon().isNull() \
        and button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly


def _button_shown(button: QAbstractButton) -> Shown:
    if _icon_only(button):
        return None
    # Push and tool buttons draw their label in ButtonText, flat or not; check boxes and
    # radio buttons in their foreground role.
    role = Role.ButtonText if isinstance(button, QPushButton | QToolButton) \
        else button.foregroundRole()
    return _if_any(_button_text(button), role)


def _header_shown(header: QHeaderView) -> Shown:
    model = header.model()
    if model is None:
        return None
    return _if_any(" | ".join(str(model.headerData(i, header.orientation()) or "")
                              for i in range(header.count()) if not header.isSectionHidden(i)),
                   Role.ButtonText)


_SHOWN: tuple[tuple[Any, Callable[[Any], Shown]], ...] = (
    (QLabel, _label_shown),
    (QAbstractButton, _button_shown),
    (QLineEdit, lambda w: _text_or_placeholder(w.text(), Role.Text, w.placeholderText())),
    (QPlainTextEdit | QTextEdit,
     lambda w: _text_or_placeholder(w.toPlainText(), Role.Text, w.placeholderText())),
    (QComboBox, lambda w: _text_or_placeholder(
        w.currentText(), Role.Text if w.isEditable() else Role.ButtonText, w.placeholderText())),
    (QAbstractSpinBox, lambda w: _if_any(w.text(), Role.Text)),
    (QTabBar, lambda w: _if_any(" | ".join(w.tabText(i) for i in range(w.count())),
                                Role.WindowText)),
    (QGroupBox, lambda w: _if_any(w.title(), Role.WindowText)),
    (QHeaderView, _header_shown),
)


def shown_text(widget: QWidget) -> Shown:
    """The text `widget` shows itself and the role it is drawn in, if it shows any. (Rich
    text and items are looked at part by part elsewhere.)"""
    for kind, read in _SHOWN:
        if isinstance(widget, kind):
            return read(widget)
    return None


def describe(widget: QWidget) -> str:
    """`widget` as a reader finds it: its named ancestors, its class, name and text."""
    parts = []
    current: QWidget | None = widget.parentWidget()
    while current is not None:
        name = current.objectName()
        if name and not name.startswith("qt_"):
            parts.append(name)
        current = current.parentWidget()
    own = type(widget).__name__ + (f"#{widget.objectName()}" if widget.objectName() else "")
    shown = shown_text(widget)
    if shown is not None:
        own += f" {_quote(shown[0])}"
    return " > ".join([*reversed(parts), own])


def _quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return repr(text[:limit]) + ("…" if len(text) > limit else "")


def _says_something(text: str) -> bool:
    return any(c.isalnum() for c in text)


# -- name -------------------------------------------------------------------------------------

def button_finding(button: QAbstractButton) -> Finding | None:
    """A button a screen reader cannot name, or an icon-only one without a tooltip."""
    interface = QAccessible.queryAccessibleInterface(button)
    spoken = interface.text(QAccessible.Text.Name) if interface is not None else ""
    if not _says_something(spoken):
        why = f"its text {button.text()!r} says nothing" if button.text() else "no text"
        return Finding("name", describe(button),
                       f"no name a screen reader can say ({why}, its accessible name is "
                       f"{spoken!r}): set accessibleName")
    shown = shown_text(button)
    if (shown is None or not _says_something(shown[0])) and not button.toolTip().strip():
        return Finding("name", describe(button),
                       f"an icon-only button (named {spoken!r}) without a tooltip")
    return None


# -- contrast ---------------------------------------------------------------------------------

def _low(widget: QWidget, what: str, text: QColor, background: QColor,
         role: Role | None) -> Finding | None:
    ratio = contrast(text, background)
    if ratio >= MIN_CONTRAST:
        return None
    said = role.name if role is not None else "colour"
    return Finding("contrast", describe(widget),
                   f"{what}{said} {text.name(QColor.NameFormat.HexArgb)} on "
                   f"{background.name()}: {ratio:.2f}:1, under {MIN_CONTRAST}:1",
                   role.name if role is not None else "")


def contrast_findings(widget: QWidget) -> list[Finding]:
    """Text below `MIN_CONTRAST` against what is painted behind it."""
    if not widget.isEnabled():
        return []
    found: list[Finding | None] = []
    if isinstance(widget, QLabel) and _rich(widget):
        document = QTextDocument()
        document.setDefaultFont(widget.font())
        document.setHtml(widget.text())
        found += _document_findings(widget, document, widget.foregroundRole(),
                                    background_of(widget))
    elif isinstance(widget, QTextEdit) and widget.toPlainText().strip():
        found += _document_findings(widget, widget.document(), Role.Text, background_of(widget))
    elif isinstance(widget, QAbstractItemView) and not isinstance(widget, QHeaderView):
        found += _item_findings(widget)
    else:
        shown = shown_text(widget)
        if shown is not None:
            found.append(_low(widget, "", _colour(widget, shown[1]), background_of(widget),
                              shown[1]))
    return [f for f in found if f is not None]


def _brush_colour(brush: QBrush) -> QColor | None:
    return brush.color() if brush.style() != Qt.BrushStyle.NoBrush else None


def _frame_background(frame: QTextFrame | None) -> QColor | None:
    while frame is not None:
        colour = _brush_colour(frame.frameFormat().background())
        if colour is not None:
            return colour
        frame = frame.parentFrame()
    return None


def _document_findings(widget: QWidget, document: QTextDocument, text_role: Role,
                       background: QColor) -> list[Finding | None]:
    """Each run of rich text in its own colour against what is behind it."""
    default = _colour(widget, text_role)
    link = _colour(widget, Role.Link)
    found: list[Finding | None] = []
    seen: set[tuple[str, str]] = set()
    block = document.begin()
    while block.isValid():
        under = _brush_colour(block.blockFormat().background())
        if under is None:
            cursor = QTextCursor(block)
            table = cursor.currentTable()
            if table is not None:
                cell = table.cellAt(cursor)
                under = _brush_colour(cell.format().background()) if cell.isValid() else None
            under = under or _frame_background(cursor.currentFrame()) or background
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            fragments += 1
            words = fragment.text().strip()
            if not words or words == "\ufffc":  # an object (an image) holds no text
                continue
            char = fragment.charFormat()
            colour = _brush_colour(char.foreground())
            if colour is None:
                colour = link if char.isAnchor() else default
            behind = _brush_colour(char.background()) or under
            key = (colour.name(QColor.NameFormat.HexArgb), behind.name())
            if key in seen:
                continue
            seen.add(key)
            role = (Role.Link if char.isAnchor() else text_role) \
                if char.foreground().style() == Qt.BrushStyle.NoBrush \
                or char.property(QTextFormat.Property.ForegroundBrush) is None else None
            found.append(_low(widget, f"{_quote(words, 24)} in ", colour, behind, role))
        block = block.next()
    return found


def _indexes(view: QAbstractItemView) -> Iterator[QModelIndex]:
    """The view's items shown in its viewport, at most `_MAX_ITEMS`."""
    model = view.model()
    if model is None:
        return
    shown = view.viewport().rect()
    count = 0
    pending = [QModelIndex()]
    while pending and count < _MAX_ITEMS:
        parent = pending.pop()
        flat = isinstance(model, QAbstractListModel)  # its columnCount is private
        for row in range(model.rowCount(parent)):
            for column in range(1 if flat else model.columnCount(parent)):
                index = model.index(row, column, parent)
                if isinstance(view, QTreeView):
                    if view.isColumnHidden(column):
                        continue
                    if column == 0 and view.isExpanded(index):
                        pending.append(index)
                if view.visualRect(index).intersects(shown):
                    count += 1
                    yield index


def _item_findings(view: QAbstractItemView) -> list[Finding | None]:
    found: list[Finding | None] = []
    selection = view.selectionModel()
    base = background_of(view)
    for index in _indexes(view):
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not isinstance(text, str) or not text.strip():
            continue
        if not (index.flags() & Qt.ItemFlag.ItemIsEnabled):
            continue
        selected = selection is not None and selection.isSelected(index)
        own = _data_colour(index, Qt.ItemDataRole.ForegroundRole)
        role = Role.HighlightedText if selected else Role.Text
        colour = own if own is not None and not selected else _colour(view, role)
        behind = _colour(view, Role.Highlight) if selected else (
            _data_colour(index, Qt.ItemDataRole.BackgroundRole) or base)
        found.append(_low(view, f"item {_quote(text, 24)}: ", colour, behind,
                          None if own is not None and not selected else role))
    return found


def _data_colour(index: QModelIndex | QPersistentModelIndex, role: Qt.ItemDataRole
                 ) -> QColor | None:
    value = index.data(role)
    if isinstance(value, QColor):
        return value
    if isinstance(value, QBrush):
        return _brush_colour(value)
    return None


def palette_findings(palette: QPalette, theme: str) -> list[Finding]:
    """The palette roles our own painting draws text in (PlaceholderText: delegates, the
    context meter, quiet labels) against the backgrounds it is drawn on, and the selection."""
    pairs = [(Role.PlaceholderText, Role.Window), (Role.PlaceholderText, Role.Base),
             (Role.HighlightedText, Role.Highlight), (Role.Text, Role.Base),
             (Role.WindowText, Role.Window), (Role.ButtonText, Role.Button),
             (Role.Link, Role.Base), (Role.Link, Role.Window)]
    found = []
    for role, under in pairs:
        text, background = palette.color(_ACTIVE, role), palette.color(_ACTIVE, under)
        ratio = contrast(text, background)
        if ratio < MIN_CONTRAST:
            found.append(Finding(
                "contrast", f"the {theme} palette",
                f"{role.name} {text.name(QColor.NameFormat.HexArgb)} on {under.name} "
                f"{background.name()}: {ratio:.2f}:1, under {MIN_CONTRAST}:1", role.name))
    return found


# -- cut --------------------------------------------------------------------------------------

def _whole_text_in_tooltip(tip: str, text: str) -> bool:
    tip = " ".join(plain(tip).split())
    return bool(tip) and " ".join(text.split()) in tip


def _cut(widget: QWidget, text: str, tip: str, why: str) -> Finding | None:
    if _whole_text_in_tooltip(tip, text):
        return None
    return Finding("cut", describe(widget), f"text cut, and no tooltip holds it ({why})")


def _scrolled(widget: QWidget) -> bool:
    """Whether `widget` is inside a scroll area, which shows the rest of it on demand."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def _hidden_part(widget: QWidget) -> Finding | None:
    """Text a widget shows that its parents cut off (or other widgets cover): a layout
    that could not fit it, a widget placed past its parent's edge."""
    shown = shown_text(widget)
    if shown is None or _scrolled(widget):
        return None
    seen = widget.visibleRegion().boundingRect()
    if seen.width() >= widget.width() - _SLACK_PX and seen.height() >= widget.height() - _SLACK_PX:
        return None
    return _cut(widget, shown[0], widget.toolTip(),
                f"{seen.width()}×{seen.height()} px of its {widget.width()}×{widget.height()} "
                "can be seen")


def cut_findings(widget: QWidget) -> list[Finding]:
    """Text that does not fit its widget, where no tooltip holds all of it."""
    found: list[Finding | None] = []
    if isinstance(widget, QLabel | QAbstractButton | QComboBox | QLineEdit):
        found.append(_hidden_part(widget))
    if isinstance(widget, QLabel):
        found.append(_label_cut(widget))
    elif isinstance(widget, QPushButton | QToolButton | QCheckBox | QRadioButton):
        found.append(_button_cut(widget))
    elif isinstance(widget, QComboBox) and not widget.isEditable() and widget.currentText():
        found.append(_combo_cut(widget))
    elif isinstance(widget, QAbstractItemView) and not isinstance(widget, QHeaderView):
        found += _item_cuts(widget)
    return [f for f in found if f is not None]


def _button_cut(button: QAbstractButton) -> Finding | None:
    shown = shown_text(button)
    if shown is None:
        return None
    needs = _button_text_width(button, shown[0])
    if needs <= button.width() + _SLACK_PX:
        return None
    return _cut(button, shown[0], button.toolTip(),
                f"its text needs {needs} px, it has {button.width()}")


def _combo_cut(combo: QComboBox) -> Finding | None:
    option = QStyleOptionComboBox()
    option.initFrom(combo)
    field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                         QStyle.SubControl.SC_ComboBoxEditField, combo)
    needs = combo.fontMetrics().horizontalAdvance(combo.currentText())
    if not combo.itemIcon(combo.currentIndex()).isNull():
        needs += combo.iconSize().width() + 4
    if needs <= field.width() + _SLACK_PX:
        return None
    tip = combo.toolTip() or str(combo.currentData(Qt.ItemDataRole.ToolTipRole) or "")
    return _cut(combo, combo.currentText(), tip,
                f"its text needs {needs} px, its field has {field.width()}")


def _item_cuts(view: QAbstractItemView) -> list[Finding | None]:
    found = []
    for index in _indexes(view):
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not isinstance(text, str) or not text.strip():
            continue
        needs = view.sizeHintForIndex(index).width()
        cell = view.visualRect(index)
        if not view.horizontalScrollBar().isVisible():  # the viewport cuts the cell
            cell = cell.intersected(view.viewport().rect())
        if needs > cell.width() + _SLACK_PX:
            tip = str(index.data(Qt.ItemDataRole.ToolTipRole) or "")
            found.append(_cut(view, text, tip, f"item {_quote(text, 24)} needs {needs} px, "
                                               f"its cell has {cell.width()}"))
    return found


def _label_cut(label: QLabel) -> Finding | None:
    shown = shown_text(label)
    if shown is None or not label.pixmap().isNull():
        return None
    if label.wordWrap():
        needs = label.heightForWidth(label.width())
        if needs > label.height() + _SLACK_PX:
            return _cut(label, shown[0], label.toolTip(),
                        f"it needs {needs} px of height at its width {label.width()}, "
                        f"has {label.height()}")
        return None
    needs = label.sizeHint().width()
    if needs > label.width() + _SLACK_PX:
        return _cut(label, shown[0], label.toolTip(), f"it needs {needs} px, has {label.width()}")
    return None


def _button_text_width(button: QAbstractButton, text: str) -> int:
    """The width `button` needs to show all its text (and icon), without the minimum width
    some styles give a push button."""
    if not isinstance(button, QPushButton):
        return button.sizeHint().width()  # tool buttons, check boxes: text, icon, margins
    option = QStyleOptionButton()
    option.initFrom(button)
    style = button.style()
    width = button.fontMetrics().horizontalAdvance(text)
    if not button.icon().isNull():
        width += button.iconSize().width() + 4
    if button.menu() is not None:
        width += style.pixelMetric(QStyle.PixelMetric.PM_MenuButtonIndicator, option, button)
    margin = style.pixelMetric(QStyle.PixelMetric.PM_ButtonMargin, option, button)
    frame = style.pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth, option, button)
    return width + margin + 2 * frame


# -- walking ----------------------------------------------------------------------------------

def visible_widgets(root: QWidget) -> list[QWidget]:
    """`root` and every widget under it that is shown and has a size; windows of their own
    (menus, tooltips, dialogs) are walked apart."""
    found = [root]
    for widget in root.findChildren(QWidget):
        if widget.isWindow() or not widget.isVisible():
            continue
        if widget.width() <= 0 or widget.height() <= 0:
            continue
        found.append(widget)
    return found


def findings(root: QWidget) -> list[Finding]:
    """What the three checks find on `root`'s visible widgets."""
    found: list[Finding] = []
    for widget in visible_widgets(root):
        widget.ensurePolished()
        if isinstance(widget, QAbstractButton):
            named = button_finding(widget)
            if named is not None:
                found.append(named)
        found += contrast_findings(widget)
        found += cut_findings(widget)
    return found


def spell(found: list[Finding]) -> str:
    """Findings one a line, for an assertion's message."""
    return "\n".join(sorted({str(f) for f in found}))
