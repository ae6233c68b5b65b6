"""The settings dialog: a widget per setting, round trips, only changes written, model scope."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QToolButton,
    QWidget,
)

from app.core.engine import ModelInfo
from app.core.engine.base import TemplateSource
from app.core.engine.devices import Hardware
from app.core.settings.file import SettingsFile
from app.core.settings.schema import BY_KEY, GROUP_SUMMARIES, GROUPS, SETTINGS
from app.qt import hardware as hardware_module
from app.qt.main_window import MainWindow
from app.qt.widgets.settings_dialog import SettingsDialog
from app.qt.widgets.settings_rows import system_points
from tests.qt import look
from tests.qt.test_chat_view import marked_language

pytestmark = [pytest.mark.qt]

MODEL = "tiny.gguf"


@pytest.fixture
def settings(tmp_path: Path) -> SettingsFile:
    return SettingsFile.load(tmp_path)


def make(qtbot, settings: SettingsFile, **kwargs: object) -> SettingsDialog:  # type: ignore[no-untyped-def]
    dialog = SettingsDialog(settings, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    return dialog


def test_a_language_change_rewords_the_open_dialog_and_keeps_its_page_and_edits(  # type: ignore[no-untyped-def]
        qtbot, settings: SettingsFile) -> None:
    """Applying another language leaves the dialog open: it says everything again in that
    language, on the page shown, with what was changed and not yet applied."""
    dialog = make(qtbot, settings, model_key=MODEL, model_label="Tiny")
    dialog.show()
    dialog.show_section("App")
    dialog.set_value("sampling.temperature", 1.3)
    row = dialog.findChild(QWidget, "app.theme.row")
    restore = dialog.findChild(QPushButton, "restoreDefaults.App")
    with marked_language(qtbot):
        assert dialog.windowTitle() == "«Settings»"
        assert restore.text() == "«Restore defaults»"
        assert dialog.scope.itemText(1) == "«{model} only»".format(model="Tiny")
        assert dialog.findChild(QComboBox, "app.theme").itemText(1) == "«Light»"
        assert dialog.findChild(QWidget, "app.font_size.reset").accessibleName().startswith(
            "«Reset")
        assert dialog.pages.currentIndex() == GROUPS.index("App")
        assert dialog.value_of("sampling.temperature") == 1.3
        assert row.isVisible()
        # The languages each keep their own name, in any language.
        language = dialog.findChild(QComboBox, "app.language")
        assert [language.itemText(i) for i in range(1, 3)] == ["English", "简体中文"]
    assert dialog.windowTitle() == "Settings" and restore.text() == "Restore defaults"
    assert dialog.changed_keys() == ["sampling.temperature"]


def test_every_setting_has_a_widget_showing_its_value(qtbot, settings: SettingsFile) -> None:  # type: ignore[no-untyped-def]
    settings.set("sampling.temperature", 0.3)
    settings.set("sampling.seed", 42)
    settings.set("hardware.n_gpu_layers", "all")
    dialog = make(qtbot, settings)
    for setting in SETTINGS:
        assert dialog.findChild(QWidget, setting.key) is not None, setting.key
        assert dialog.value_of(setting.key) == settings.get(setting.key), setting.key
    assert dialog.changed_keys() == []


@pytest.mark.parametrize(("key", "value"), [
    ("sampling.temperature", 1.25),
    ("sampling.top_k", 7),
    ("sampling.max_tokens", 512),
    ("sampling.seed", 0),
    ("hardware.n_threads", 6),
    ("hardware.n_gpu_layers", "all"),
    ("hardware.n_gpu_layers", 0),
    ("app.font_size", 14),
    ("model.kv_cache_type", "q8_0"),
    ("model.flash_attn", True),
    ("app.enter_sends", False),
    ("server.port", 8123),
    ("server.save_chats", True),
    ("server.cors_origins", "https://example.com http://localhost:3000"),
])
def test_round_trip(qtbot, settings: SettingsFile, key: str, value: object) -> None:  # type: ignore[no-untyped-def]
    dialog = make(qtbot, settings)
    dialog.set_value(key, value)  # type: ignore[arg-type]
    assert dialog.value_of(key) == value
    assert dialog.apply() == [key]
    assert settings.get(key) == value
    assert dialog.value_of(key) == value


def test_round_trip_back_to_specials(qtbot, settings: SettingsFile) -> None:  # type: ignore[no-untyped-def]
    settings.set("sampling.max_tokens", 100)
    settings.set("hardware.n_threads", 4)
    settings.set("app.font_size", 20)
    dialog = make(qtbot, settings)
    dialog.set_value("sampling.max_tokens", None)
    dialog.set_value("hardware.n_threads", "auto")
    dialog.set_value("app.font_size", "system")
    assert dialog.apply() == ["sampling.max_tokens", "hardware.n_threads", "app.font_size"]
    assert settings.get("sampling.max_tokens") is None
    assert settings.get("hardware.n_threads") == "auto"
    assert settings.get("app.font_size") == "system"
    spin = dialog.findChild(QSpinBox, "sampling.max_tokens")
    assert spin.text() == "half the context"
    assert not dialog.findChild(QSpinBox, "hardware.n_threads.number").isEnabled()


def test_only_changed_keys_are_written(qtbot, settings: SettingsFile) -> None:  # type: ignore[no-untyped-def]
    dialog = make(qtbot, settings)
    dialog.set_value("sampling.top_p", 0.5)
    dialog.set_value("app.theme", "dark")
    dialog.set_value("sampling.min_p", 0.05)  # the value it already had: not a change
    with qtbot.waitSignal(dialog.applied) as blocker:
        dialog.buttons.button(dialog.buttons.StandardButton.Apply).click()
    assert blocker.args == [["sampling.top_p", "app.theme"]]
    assert [s.key for s in SETTINGS if settings.is_set(s.key)] == ["sampling.top_p", "app.theme"]
    assert dialog.changed_keys() == []


def test_cancel_writes_nothing(qtbot, settings: SettingsFile) -> None:  # type: ignore[no-untyped-def]
    dialog = make(qtbot, settings)
    dialog.set_value("sampling.top_p", 0.5)
    with qtbot.assertNotEmitted(dialog.applied):
        dialog.buttons.button(dialog.buttons.StandardButton.Cancel).click()
    assert settings.values == {}


def test_model_scope_writes_the_override(qtbot, settings: SettingsFile) -> None:  # type: ignore[no-untyped-def]
    settings.set("sampling.temperature", 0.4)
    settings.set("model.n_ctx", 2048, MODEL)
    dialog = make(qtbot, settings, model_key=MODEL, model_label="Tiny")
    scope = dialog.findChild(QComboBox, "settingsScope")
    assert scope.isVisibleTo(dialog)
    assert scope.itemText(1) == "Tiny only"
    assert dialog.value_of("model.n_ctx") == 4096  # global scope first
    scope.setCurrentIndex(1)
    assert dialog.value_of("model.n_ctx") == 2048
    assert dialog.value_of("sampling.temperature") == 0.4  # the global value shows through
    assert not dialog.findChild(QWidget, "hardware.n_threads").isEnabled()
    assert not dialog.findChild(QWidget, "app.theme").isEnabled()
    assert dialog.findChild(QWidget, "sampling.temperature").isEnabled()
    dialog.set_value("sampling.temperature", 0.9)
    dialog.set_value("app.theme", "dark")  # disabled here: not written
    assert dialog.apply() == ["sampling.temperature"]
    assert settings.get("sampling.temperature", MODEL) == 0.9
    assert settings.get("sampling.temperature") == 0.4
    assert not settings.is_set("app.theme")
    scope.setCurrentIndex(0)
    assert dialog.value_of("sampling.temperature") == 0.4
    assert dialog.findChild(QWidget, "app.theme").isEnabled()


def test_no_scope_without_a_model(qtbot, settings: SettingsFile) -> None:  # type: ignore[no-untyped-def]
    dialog = make(qtbot, settings)
    assert not dialog.findChild(QComboBox, "settingsScope").isVisibleTo(dialog)
    assert dialog.model_scope() is None


def test_restore_defaults_resets(qtbot, settings: SettingsFile) -> None:  # type: ignore[no-untyped-def]
    settings.set("sampling.temperature", 0.7)  # set, though equal to the default
    settings.set("sampling.top_k", 10)
    settings.set("app.theme", "dark")
    dialog = make(qtbot, settings)
    dialog.findChild(QPushButton, "restoreDefaults.Sampling").click()
    assert dialog.value_of("sampling.top_k") == 40
    assert settings.get("sampling.top_k") == 10  # nothing written before OK
    assert dialog.apply() == ["sampling.temperature", "sampling.top_k"]
    assert not settings.is_set("sampling.temperature")
    assert not settings.is_set("sampling.top_k")
    assert settings.get("app.theme") == "dark"


def test_row_reset_in_model_scope_forgets_the_override(qtbot, settings: SettingsFile) -> None:  # type: ignore[no-untyped-def]
    settings.set("sampling.top_k", 10)
    settings.set("sampling.top_k", 5, MODEL)
    dialog = make(qtbot, settings, model_key=MODEL)
    dialog.findChild(QComboBox, "settingsScope").setCurrentIndex(1)
    dialog.findChild(QToolButton, "sampling.top_k.reset").click()
    assert dialog.value_of("sampling.top_k") == 10  # back to the value for all models
    assert dialog.apply() == ["sampling.top_k"]
    assert not settings.is_set("sampling.top_k", MODEL)
    assert settings.get("sampling.top_k") == 10


CPU_ONLY = Hardware(8, 16 * 2**30, False, None, "llama.cpp backend: CPU only")
CUDA = Hardware(8, 16 * 2**30, True, "CUDA", "CUDA: NVIDIA H100 80GB HBM3, 78.9 GiB free")


def test_gpu_layers_disabled_without_offload(qtbot, settings: SettingsFile) -> None:  # type: ignore[no-untyped-def]
    dialog = make(qtbot, settings, model_key=MODEL, hardware=CPU_ONLY,
                  offload_reason="This build of llama.cpp is CPU only.")
    for index in (0, 1):
        dialog.findChild(QComboBox, "settingsScope").setCurrentIndex(index)
        assert not dialog.findChild(QWidget, "hardware.n_gpu_layers").isEnabled()
    reason = dialog.findChild(QLabel, "gpuLayersReason")
    assert reason.text() == "This build of llama.cpp is CPU only."
    assert not reason.isHidden()
    assert "CPU only" in dialog.findChild(QWidget, "hardware.n_gpu_layers").toolTip()
    assert make(qtbot, settings, hardware=CUDA).findChild(QLabel, "gpuLayersReason").isHidden()


def fact(dialog: SettingsDialog, key: str) -> str:
    return dialog.findChild(QLabel, f"hardwareFact.{key}").text()


def test_the_hardware_card_shows_the_machine(qtbot, settings: SettingsFile) -> None:  # type: ignore[no-untyped-def]
    dialog = make(qtbot, settings, hardware=CUDA)
    dialog.show_section("Hardware")
    dialog.show()
    card = dialog.findChild(QFrame, "hardwareCard")
    page = dialog.findChild(QWidget, "settingsPage.Hardware")
    assert card.property("variant") == "card" and page.isAncestorOf(card)
    # the card comes first on its page, above the settings' cards
    threads = dialog.findChild(QWidget, "hardware.n_threads")
    assert card.mapTo(page, QPoint(0, 0)).y() < threads.mapTo(page, QPoint(0, 0)).y()
    assert (fact(dialog, "cores"), fact(dialog, "ram"), fact(dialog, "offload")) == (
        "8", "16.0 GiB", "CUDA")
    assert dialog.findChild(QLabel, "hardwareFact.ram.name").text() == "Memory (RAM)"
    assert dialog.findChild(QLabel, "hardwareBackend").text() == (
        "Runs on: CUDA: NVIDIA H100 80GB HBM3, 78.9 GiB free")
    assert card.text() == (
        "8 CPU cores · 16.0 GiB RAM · CUDA: NVIDIA H100 80GB HBM3, 78.9 GiB free")
    assert card.accessibleDescription() == card.text()
    dialog.set_hardware(CPU_ONLY)
    assert fact(dialog, "offload") == "Not in this build"
    qtbot.waitUntil(lambda: [f for f in look.findings(dialog) if f.check == "cut"] == [])


def test_the_hardware_read_after_the_dialog_opened_is_shown(  # type: ignore[no-untyped-def]
        qtbot, settings: SettingsFile) -> None:
    dialog = make(qtbot, settings, model_key=MODEL)
    gpu_layers = dialog.findChild(QWidget, "hardware.n_gpu_layers")
    reason = dialog.findChild(QLabel, "gpuLayersReason")
    assert dialog.hardware_card.text() == "Reading the hardware…"
    assert dialog.findChild(QLabel, "hardwareBackend").text() == "Reading the hardware…"
    assert fact(dialog, "cores") == "…"
    assert gpu_layers.isEnabled() and reason.isHidden()  # nothing refused until it is known
    dialog.set_hardware(CPU_ONLY)
    assert dialog.hardware_card.text().endswith("CPU only")
    assert fact(dialog, "cores") == "8"
    assert not gpu_layers.isEnabled() and not reason.isHidden()
    assert "sampling.temperature" not in dialog.changed_keys()
    dialog.findChild(QComboBox, "settingsScope").setCurrentIndex(1)
    assert not gpu_layers.isEnabled()  # in the model's scope too
    dialog.set_hardware(CUDA)
    assert gpu_layers.isEnabled() and reason.isHidden()


def test_a_reading_that_adds_a_row_cuts_nothing(  # type: ignore[no-untyped-def]
        qtbot, settings: SettingsFile) -> None:
    """The GPU layers' reason appears when a CPU-only reading comes after the dialog opened:
    the Hardware page grows and scrolls, where a page that kept its height cut its wrapped
    notes."""
    dialog = make(qtbot, settings, model_key=MODEL)
    page = dialog.findChild(QScrollArea, "settingsPage.Hardware")
    dialog.pages.setCurrentWidget(page)
    dialog.show()
    qtbot.waitUntil(dialog.isVisible)
    before = page.widget().height()
    dialog.set_hardware(CPU_ONLY)
    qtbot.waitUntil(lambda: dialog.findChild(QLabel, "gpuLayersReason").isVisible())
    qtbot.waitUntil(lambda: page.widget().height() > before)
    assert [f for f in look.findings(dialog) if f.check == "cut"] == []


def test_every_editor_is_named_for_a_screen_reader(qtbot, settings: SettingsFile) -> None:  # type: ignore[no-untyped-def]
    """By its row's label: a check box has no text of its own to be named by."""
    dialog = make(qtbot, settings)
    for setting in SETTINGS:
        assert dialog.findChild(QWidget, setting.key).accessibleName() == setting.label
    for page in range(dialog.pages.count()):
        dialog.pages.setCurrentIndex(page)
        dialog.show()
        assert [f for f in look.findings(dialog) if f.check == "name"] == []


def test_the_window_reads_the_hardware_off_the_gui_thread(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    # Reading it loads llama.cpp and asks the GPUs for their memory: the window must not wait.
    threads: list[threading.Thread] = []

    def read() -> Hardware:
        threads.append(threading.current_thread())
        return CUDA

    monkeypatch.setattr(hardware_module, "read_hardware", read)
    dialog = window.show_settings()
    card = dialog.hardware_card
    assert card.text() == "Reading the hardware…"
    qtbot.waitUntil(lambda: card.text() == CUDA.describe())
    assert fact(dialog, "offload") == "CUDA"
    assert threads and threads[0] is not threading.main_thread()
    dialog.close()
    again = window.show_settings()  # the last reading at once, a fresh one after
    assert again.hardware_card.text() == CUDA.describe()
    qtbot.waitUntil(lambda: len(threads) == 2)
    again.close()


def test_read_only_shows_the_banner(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "settings.json").write_text(json.dumps({"version": 99, "values": {}}))
    settings = SettingsFile.load(tmp_path)
    assert settings.read_only
    dialog = make(qtbot, settings)
    assert dialog.findChild(QLabel, "settingsReadOnly").isVisibleTo(dialog)
    assert make(qtbot, SettingsFile.load(tmp_path / "other")).findChild(
        QLabel, "settingsReadOnly") is None


def test_a_refused_value_keeps_the_dialog_open(qtbot, settings: SettingsFile,  # type: ignore[no-untyped-def]
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = make(qtbot, settings)
    dialog.show()
    dialog.set_value("sampling.top_k", 3)
    # The widgets keep values in range; a refusal can still come from the declaration.
    shown = dialog.value_of
    monkeypatch.setattr(dialog, "value_of",
                        lambda key: -1 if key == "sampling.top_k" else shown(key))
    with qtbot.assertNotEmitted(dialog.applied):
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    error = dialog.findChild(QLabel, "settingsError")
    assert error.isVisible()
    assert "Top K" in error.text()
    assert dialog.isVisible()
    assert not settings.is_set("sampling.top_k")


def test_the_server_page_shows_its_four_settings_and_checks_the_text(  # type: ignore[no-untyped-def]
        qtbot, settings: SettingsFile) -> None:
    dialog = make(qtbot, settings)
    dialog.show()
    page = dialog.findChild(QWidget, "settingsPage.Server")
    assert page is not None
    keys = ["server.port", "server.idle_unload_min", "server.save_chats", "server.cors_origins"]
    assert all(page.findChild(QWidget, key) is not None for key in keys)
    origins = page.findChild(QLineEdit, "server.cors_origins")
    assert isinstance(origins, QLineEdit) and origins.placeholderText()
    origins.setText("https://a.example\tbad")  # typed or pasted: a tab is not printable
    with qtbot.assertNotEmitted(dialog.applied):
        assert dialog.apply() is None
    error = dialog.findChild(QLabel, "settingsError")
    assert error.isVisible() and "Allowed web origins" in error.text()
    assert settings.get("server.cors_origins") == ""
    origins.setText("https://a.example")
    assert dialog.apply() == ["server.cors_origins"]
    assert settings.get("server.cors_origins") == "https://a.example"


def test_ok_applies_and_closes(qtbot, settings: SettingsFile) -> None:  # type: ignore[no-untyped-def]
    dialog = make(qtbot, settings)
    dialog.show()
    dialog.set_value("app.font_size", 16)
    with qtbot.waitSignal(dialog.accepted):
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert settings.get("app.font_size") == 16


def test_the_model_tooltip_names_the_gpu_backend_once_read(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(hardware_module, "read_hardware", lambda: CUDA)
    info = ModelInfo(tmp_path / "tiny.gguf", "tiny", 4096, 8192, 8, 10**8, 10**8, "chatml",
                     TemplateSource.GGUF, gpu_offload=True)
    window.controller.info = info
    with qtbot.waitSignal(window.hardware.read):
        window._on_model_loaded(info)  # asks for the hardware on a worker thread
    assert "GPU offload (CUDA)" in window.status.model.toolTip()


# The page: sections, cards, explanations, sliders, the text size

def test_the_section_list_switches_the_page(qtbot, settings: SettingsFile) -> None:  # type: ignore[no-untyped-def]
    dialog = make(qtbot, settings)
    dialog.show()
    sections = dialog.sections
    assert [sections.item(i).text() for i in range(sections.count())] == list(GROUPS)
    assert dialog.pages.currentWidget().objectName() == "settingsPage.Sampling"
    title, subtitle = (dialog.findChild(QLabel, name) for name in ("settingsTitle",
                                                                   "settingsSubtitle"))
    assert (title.text(), subtitle.text()) == ("Sampling", GROUP_SUMMARIES["Sampling"])
    rect = sections.visualItemRect(sections.item(2))
    QTest.mouseClick(sections.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.pages.currentWidget().objectName() == "settingsPage.Hardware"
    assert dialog.pages.currentWidget().isVisible()
    assert title.text() == "Hardware" and subtitle.text() == GROUP_SUMMARIES["Hardware"]
    sections.setFocus()
    QTest.keyClick(sections, Qt.Key.Key_Down)  # the keyboard too
    assert dialog.pages.currentWidget().objectName() == "settingsPage.Server"
    dialog.show_section("App")  # and code: the list follows
    assert sections.currentRow() == GROUPS.index("App") and title.text() == "App"
    dialog.show_section("Sampling")
    # Tab goes from the list into its page (no model: no "Apply to" between them)
    assert next_tab_stop(sections) is slider_of(dialog, "sampling.temperature")


def next_tab_stop(widget: QWidget) -> QWidget:
    """Where Tab goes from `widget`: the next shown, enabled widget in the focus chain that
    takes the focus by Tab."""
    current = widget.nextInFocusChain()
    while current is not widget:
        if (current.isVisible() and current.isEnabled()
                and current.focusPolicy() & Qt.FocusPolicy.TabFocus):
            return current
        current = current.nextInFocusChain()
    return widget


def test_each_section_is_a_card_of_rows_with_a_one_line_explanation(  # type: ignore[no-untyped-def]
        qtbot, settings: SettingsFile) -> None:
    dialog = make(qtbot, settings)
    for setting in SETTINGS:
        row = dialog.findChild(QWidget, f"{setting.key}.row")
        card = row.parentWidget()
        assert card.property("variant") == "card", setting.key
        assert card.objectName() == f"settingsCard.{setting.group}.{setting.section}"
        assert card.title.text() == setting.section
        assert dialog.findChild(QWidget, f"settingsPage.{setting.group}").isAncestorOf(card)
        summary = dialog.findChild(QLabel, f"{setting.key}.summary")
        assert summary.text() == setting.summary and summary.property("textStyle") == "caption"
        label = dialog.findChild(QLabel, f"{setting.key}.label")
        assert label.text() == setting.label
        assert setting.description in look.plain(label.toolTip())  # the whole of it, on hover


def slider_of(dialog: SettingsDialog, key: str) -> QSlider:
    return dialog.findChild(QSlider, f"{key}.slider")


def test_sampling_numbers_are_sliders_beside_their_value(  # type: ignore[no-untyped-def]
        qtbot, settings: SettingsFile) -> None:
    dialog = make(qtbot, settings)
    dialog.show()
    for key in ("sampling.temperature", "sampling.top_p", "sampling.top_k", "sampling.min_p",
                "sampling.repeat_penalty"):
        slider, value = slider_of(dialog, key), dialog.findChild(QWidget, f"{key}.value")
        assert slider is not None and value is not None, key
        assert slider.accessibleName() == BY_KEY[key].label
        assert value.accessibleName() == f"{BY_KEY[key].label}, value"
        assert slider.focusPolicy() & Qt.FocusPolicy.TabFocus
    temperature = slider_of(dialog, "sampling.temperature")
    box = dialog.findChild(QDoubleSpinBox, "sampling.temperature.value")
    assert (temperature.value(), box.value()) == (70, 0.7)
    temperature.setFocus()
    QTest.keyClick(temperature, Qt.Key.Key_Right)  # one step: 0.05
    assert box.value() == pytest.approx(0.75) and dialog.value_of("sampling.temperature") == 0.75
    box.setValue(1.3)  # typed in the box: the slider follows
    assert temperature.value() == 130
    temperature.setValue(temperature.maximum())
    assert box.value() == 2.0
    assert dialog.apply() == ["sampling.temperature"]
    assert settings.get("sampling.temperature") == 2.0


def test_a_value_past_the_sliders_end_is_kept(qtbot, settings: SettingsFile) -> None:  # type: ignore[no-untyped-def]
    """Top K's slider ends at 200, where people stop; the box takes up to 1000."""
    settings.set("sampling.top_k", 500)
    dialog = make(qtbot, settings)
    slider = slider_of(dialog, "sampling.top_k")
    assert slider.maximum() == 200 and slider.value() == 200
    assert dialog.value_of("sampling.top_k") == 500 and dialog.changed_keys() == []
    slider.setValue(30)
    assert dialog.value_of("sampling.top_k") == 30


def test_the_text_size_control(qtbot, settings: SettingsFile) -> None:  # type: ignore[no-untyped-def]
    dialog = make(qtbot, settings)
    dialog.show_section("App")
    dialog.show()
    key = "app.font_size"
    assert dialog.findChild(QLabel, f"{key}.label").text() == "Text size"
    system = dialog.findChild(QCheckBox, f"{key}.system")
    slider = slider_of(dialog, key)
    points = dialog.findChild(QSpinBox, f"{key}.value")
    preview = dialog.findChild(QLabel, f"{key}.preview")
    assert system.isChecked() and not slider.isEnabled() and not points.isEnabled()
    assert points.value() == system_points() and points.text().endswith(" pt")
    assert dialog.value_of(key) == "system"
    system.click()  # the user's own size
    assert slider.isEnabled() and points.isEnabled()
    slider.setFocus()
    for _ in range(3):
        QTest.keyClick(slider, Qt.Key.Key_Right)
    assert points.value() == system_points() + 3
    assert preview.font().pointSize() == system_points() + 3  # the "Aa" at that size
    assert preview.text() == "Aa"
    points.setValue(16)
    assert slider.value() == 16 and preview.font().pointSize() == 16
    assert dialog.apply() == [key]
    assert settings.get(key) == 16
    system.click()
    assert dialog.value_of(key) == "system" and points.value() == system_points()
    assert dialog.apply() == [key] and settings.get(key) == "system"
    assert [f for f in look.findings(dialog) if f.check in ("cut", "name")] == []


def test_a_wheel_over_a_slider_scrolls_the_page_instead(  # type: ignore[no-untyped-def]
        qtbot, settings: SettingsFile) -> None:
    dialog = make(qtbot, settings)
    dialog.show()
    slider = slider_of(dialog, "sampling.top_p")
    assert not slider.hasFocus()
    wheel = QWheelEvent(QPointF(5, 5), QPointF(slider.mapToGlobal(QPoint(5, 5))), QPoint(0, 0),
                        QPoint(0, -120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(slider, wheel)
    assert dialog.value_of("sampling.top_p") == 0.95


def test_at_its_opening_size_no_page_scrolls_sideways(qtbot, settings: SettingsFile) -> None:  # type: ignore[no-untyped-def]
    """Opened over a 900×650 window (the smallest the screenshots show), every row fits the
    page's width: only a page taller than the dialog scrolls, and only down."""
    window = QWidget()
    qtbot.addWidget(window)
    window.resize(900, 650)
    dialog = SettingsDialog(settings, model_key=MODEL, model_label="A model with a long name",
                            hardware=CPU_ONLY, parent=window)
    dialog.show()
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.width() <= 900 and dialog.height() <= 650
    for index in range(dialog.pages.count()):
        dialog.pages.setCurrentIndex(index)
        page = dialog.pages.currentWidget()
        qtbot.waitUntil(page.isVisible)
        bar = page.horizontalScrollBar()
        qtbot.waitUntil(lambda: not bar.isVisible())  # noqa: B023 - waited for at once
        assert page.widget().width() == page.viewport().width()
