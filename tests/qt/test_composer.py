from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.qt.widgets.composer import Composer

pytestmark = [pytest.mark.qt]


def test_the_composer_grows_with_its_text_up_to_a_limit(qtbot) -> None:  # type: ignore[no-untyped-def]
    composer = Composer()
    qtbot.addWidget(composer)
    composer.show()
    empty = composer.height()
    composer.setPlainText("one\ntwo\nthree\nfour")
    four_lines = composer.height()
    composer.setPlainText("\n".join(["line"] * 40))
    many = composer.height()
    assert empty < four_lines < many
    composer.setPlainText("\n".join(["line"] * 80))
    assert composer.height() == many  # capped; from there on it scrolls
    composer.clear()
    assert composer.height() == empty


def test_enter_submits_and_clears_but_blank_text_is_not_sent(qtbot) -> None:  # type: ignore[no-untyped-def]
    composer = Composer()
    qtbot.addWidget(composer)
    sent: list[str] = []
    composer.submitted.connect(sent.append)
    qtbot.keyClicks(composer, "   ")
    qtbot.keyClick(composer, Qt.Key.Key_Return)
    assert sent == []
    composer.clear()
    qtbot.keyClicks(composer, "hello")
    qtbot.keyClick(composer, Qt.Key.Key_Enter)  # the keypad's Enter too
    assert sent == ["hello"]
    assert composer.toPlainText() == ""
    composer.can_submit = False  # while an answer streams, typing goes on but nothing is sent
    qtbot.keyClicks(composer, "next")
    qtbot.keyClick(composer, Qt.Key.Key_Return)
    assert sent == ["hello"] and composer.toPlainText() == "next"
