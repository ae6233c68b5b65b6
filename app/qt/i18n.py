"""The window's language: Qt's translators for our strings and Qt's own, switched live.

Our strings are `self.tr()` / `QCoreApplication.translate("Context", …)` in the code,
`resources/translations/lamplight_<code>.ts` (pyside6-lupdate) compiled to `.qm`
(pyside6-lrelease; `scripts/translations.py`); the standard dialogs' buttons come from Qt's own
`qtbase_<code>.qm`. The core's messages (settings' names, presets, errors) are gettext's
(`app.i18n`); `apply_language` sets both, so the window and the core never disagree.

Installing or removing a translator makes Qt send every widget a `LanguageChange` event: a
widget with fixed texts sets them in one method that `on_language_change` calls again then,
so a switch in Settings takes effect at once, with the open chat as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QLibraryInfo, QLocale, QObject, QTranslator
from PySide6.QtWidgets import QWidget

from app import i18n
from app.paths import resources_dir

log = logging.getLogger(__name__)

_installed: list[QTranslator] = []
_applied: list[str] = []  # the language the translators are for, once one is applied


def translations_dir() -> str:
    return str(resources_dir() / "translations")


def _qt_translations() -> list[str]:
    """Where Qt's own `.qm` files are: where Qt says, and beside PySide6's Qt (a frozen
    app's Qt may not know its own folder)."""
    import PySide6

    return [QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath),
            str(Path(PySide6.__file__).resolve().parent / "Qt" / "translations")]


def apply_language(setting: object) -> str:
    """Speak the language a *Language* setting means ("system", "en", "zh_CN") in the core and
    the window; returns the language chosen. A missing `.qm` leaves the window in English."""
    code = i18n.set_language(setting if isinstance(setting, str) else i18n.SYSTEM)
    app = QCoreApplication.instance()
    if app is None or _applied == [code]:  # the same again: no needless LanguageChange
        return code
    _applied[:] = [code]
    QLocale.setDefault(QLocale(code if code != i18n.ENGLISH else "en_US"))
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    if code != i18n.ENGLISH:
        for name, folders in ((f"lamplight_{code}", [translations_dir()]),
                              (f"qtbase_{code}", _qt_translations())):
            translator = QTranslator(app)
            if any(translator.load(name, folder) for folder in folders):
                app.installTranslator(translator)
                _installed.append(translator)
            else:
                log.warning("no translation %s in %s", name, " or ".join(folders))
    log.info("language %s: %d translations installed", code, len(_installed))
    return code


class _LanguageWatch(QObject):
    def __init__(self, watched: QObject, callback: Callable[[], None]) -> None:
        super().__init__(watched)
        self._callback = callback
        watched.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LanguageChange:
            self._callback()
        return False


def on_language_change(widget: QWidget, callback: Callable[[], None]) -> None:
    """Call `callback` (which sets `widget`'s fixed texts again) whenever the language
    changes, for as long as `widget` lives. Qt sends the event to widgets only: a model or
    other object that makes texts is refreshed by the widget that shows it."""
    _LanguageWatch(widget, callback)
