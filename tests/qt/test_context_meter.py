from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from app.qt.widgets.context_meter import ContextMeter
from tests.qt.test_chat_view import marked_language

pytestmark = [pytest.mark.qt]

DROP_RULE = "its oldest turns are left out of what the model sees (the system prompt is kept)"
STOP_RULE = "the model stops and says so."


@pytest.fixture
def meter(qtbot) -> ContextMeter:  # type: ignore[no-untyped-def]
    widget = ContextMeter()
    qtbot.addWidget(widget)
    widget.set_limit(4096)
    return widget


def test_the_meter_counts_the_chat_and_the_message_against_the_context(
        meter: ContextMeter) -> None:
    meter.set_usage(1020, 214, room=1024, exact=True)
    assert meter.objectName() == "contextMeter"
    assert meter.text() == "1,234 / 4,096"
    assert meter.level() == "ok"
    assert meter.toolTip().startswith(
        "This chat: 1,020 tokens · Your message: 214 · Kept for the answer: 1,024 · "
        "Context: 4,096 tokens")
    assert "1,234 of 4,096 tokens" in meter.accessibleName()
    assert "Kept for the answer: 1,024" in meter.accessibleDescription()


def test_three_quarters_full_is_high_and_no_room_for_the_answer_is_over(
        meter: ContextMeter) -> None:
    meter.set_usage(3000, 71, room=1024, exact=True)  # 3,071: just under three quarters
    assert meter.level() == "ok"
    meter.set_usage(3000, 72, room=1024, exact=True)  # 3,072 of 4,096, the answer fits exactly
    assert meter.level() == "high"
    meter.set_usage(3000, 73, room=1024, exact=True)
    assert meter.level() == "over"
    # Half full, but a long answer kept free does not fit: over before it is high.
    meter.set_usage(2000, 48, room=3000, exact=True)
    assert meter.level() == "over"
    meter.set_usage(0, 0, room=1024, exact=True)
    assert meter.level() == "ok"


def test_estimates_read_as_estimates(meter: ContextMeter) -> None:
    meter.set_usage(1020, 214, room=1024, exact=False)
    assert meter.text() == "~1,234 / 4,096"
    assert "This chat: ~1,020 tokens · Your message: ~214" in meter.toolTip()
    assert "estimates" in meter.toolTip()
    meter.set_usage(1031, 214, room=1024, exact=True)  # the model has counted
    assert meter.text() == "1,245 / 4,096"
    assert "estimates" not in meter.toolTip()


def test_without_a_model_the_meter_shows_no_numbers(meter: ContextMeter) -> None:
    meter.set_usage(1020, 214, room=1024, exact=True)
    meter.set_limit(None)
    assert meter.text() == "No model"
    assert meter.level() == "ok"
    assert "No model is loaded" in meter.toolTip()
    assert "4,096" not in meter.toolTip()
    meter.set_limit(2048)
    assert meter.text() == "1,234 / 2,048"


def test_the_tooltip_says_what_the_policy_does_and_what_the_next_send_does_when_over(
        meter: ContextMeter) -> None:
    meter.set_usage(1000, 10, room=512, exact=True)
    assert DROP_RULE in meter.toolTip()
    assert "next answer would not fit" not in meter.toolTip()
    meter.set_policy("stop")
    assert STOP_RULE in meter.toolTip() and DROP_RULE not in meter.toolTip()
    meter.set_usage(4000, 10, room=512, exact=True)
    assert "The next answer would not fit: when you send, the model stops" in meter.toolTip()
    meter.set_policy("drop-oldest")
    assert "when you send, the oldest turns are left out" in meter.toolTip()
    with pytest.raises(ValueError, match="overflow policy"):
        meter.set_policy("truncate")


def _menu_actions(menu: QMenu) -> dict[str, QAction]:
    return {action.objectName(): action for action in menu.actions() if action.objectName()}


def test_choosing_a_policy_from_the_menu_emits_it_and_checks_it(qtbot,  # type: ignore[no-untyped-def]
                                                                meter: ContextMeter) -> None:
    menu = meter.menu()
    header = menu.actions()[0]
    assert header.text() == "When this chat outgrows the context" and not header.isEnabled()
    actions = _menu_actions(menu)
    assert actions["dropOldestAction"].isChecked() and not actions["stopAction"].isChecked()
    with qtbot.waitSignal(meter.policyChosen) as blocker:
        actions["stopAction"].trigger()
    assert blocker.args == ["stop"]
    assert actions["stopAction"].isChecked() and not actions["dropOldestAction"].isChecked()
    assert STOP_RULE in meter.toolTip()
    reopened = _menu_actions(meter.menu())  # the next menu shows the choice too
    assert reopened["stopAction"].isChecked()
    with qtbot.waitSignal(meter.policyChosen) as blocker:
        reopened["dropOldestAction"].trigger()
    assert blocker.args == ["drop-oldest"]
    assert DROP_RULE in meter.toolTip()


def test_a_click_pops_the_menu_up_below_the_meter(  # type: ignore[no-untyped-def]
        qtbot, meter: ContextMeter, monkeypatch: pytest.MonkeyPatch) -> None:
    # Recorded instead of shown: the offscreen platform warns that it cannot grab the keyboard.
    shown: list[tuple[QMenu, QPoint]] = []
    monkeypatch.setattr(QMenu, "popup", lambda menu, at, *_: shown.append((menu, at)))
    meter.show()
    qtbot.mouseClick(meter, Qt.MouseButton.LeftButton)
    [(menu, at)] = shown
    assert menu.objectName() == "contextPolicyMenu"
    assert at == meter.mapToGlobal(QPoint(0, meter.height()))


def test_the_meter_keeps_its_width_as_the_count_grows(meter: ContextMeter) -> None:
    widths = set()
    for used in (0, 999, 1000, 3888, 4096):
        meter.set_usage(used, 0, room=0, exact=False)
        widths.add(meter.sizeHint().width())
    assert len(widths) == 1


def test_a_language_change_rewords_the_meter(qtbot, meter: ContextMeter) -> None:  # type: ignore[no-untyped-def]
    meter.set_usage(3000, 500, room=1024, exact=True, summary_parts=3)
    assert meter.text() == "Summary in 3 parts"
    with marked_language(qtbot):
        assert meter.text() == "«Summary in 3 parts»"
        assert meter.toolTip().endswith("«Click to change what this chat does.»")
    assert meter.text() == "Summary in 3 parts"
