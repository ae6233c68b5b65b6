"""Settings: the declaration, validation, settings.json (good and bad), and how values resolve."""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
from pathlib import Path

import pytest

from app.core.engine.base import GPU_LAYERS_AUTO, SAMPLING_FIELDS, GenerationParams, LoadSpec
from app.core.engine.offload import KV_CACHE_TYPES, auto_gpu_layers, ggml_type, gpu_layers
from app.core.settings.file import SCHEMA_VERSION, SETTINGS_FILE, SettingsFile
from app.core.settings.resolve import generation_params, load_options, load_spec
from app.core.settings.schema import (
    BY_KEY,
    GROUP_SUMMARIES,
    GROUPS,
    SETTINGS,
    Setting,
    SettingError,
    validate,
)

SAMPLING = [s for s in SETTINGS if s.group == "Sampling"]


def write(config_dir: Path, data: object) -> Path:
    path = config_dir / SETTINGS_FILE
    path.write_text(json.dumps(data), "utf-8")
    return path


def load_with(config_dir: Path, values: object = None, models: object = None) -> SettingsFile:
    data: dict[str, object] = {"version": 1}
    if values is not None:
        data["values"] = values
    if models is not None:
        data["models"] = models
    write(config_dir, data)
    return SettingsFile.load(config_dir)


# The declaration

def test_keys_are_unique_and_every_default_is_valid() -> None:
    assert len(BY_KEY) == len(SETTINGS)
    for setting in SETTINGS:
        assert validate(setting, setting.default) == setting.default, setting.key
        assert setting.group in GROUPS and setting.label and setting.description, setting.key
        assert setting.key.split(".")[0] == setting.group.lower(), setting.key
        assert (setting.kind == "choice") == bool(setting.choices), setting.key
        if setting.special:
            assert setting.kind == "int", setting.key


SUMMARY_MAX_CHARS = 80  # one line under a label in the settings panel


def test_every_setting_says_in_one_line_what_it_does_and_where_it_sits() -> None:
    for setting in SETTINGS:
        assert setting.summary and setting.section, setting.key
        assert "\n" not in setting.summary and len(setting.summary) <= SUMMARY_MAX_CHARS, \
            setting.key
    assert set(GROUP_SUMMARIES) == set(GROUPS)
    assert all(0 < len(line) <= SUMMARY_MAX_CHARS for line in GROUP_SUMMARIES.values())


def test_sliders_are_numbers_with_a_range_and_a_step_inside_it() -> None:
    sliders = {s.key for s in SETTINGS if s.slider}
    assert {"sampling.temperature", "sampling.top_p", "sampling.top_k", "sampling.min_p",
            "sampling.repeat_penalty", "app.font_size"} <= sliders
    for setting in SETTINGS:
        if setting.step is not None:
            assert setting.kind in ("int", "float") and setting.step > 0, setting.key
            if setting.kind == "int":
                assert float(setting.step).is_integer(), setting.key
        if not setting.slider:
            assert setting.slider_max is None, setting.key
            continue
        assert setting.kind in ("int", "float") and not setting.optional, setting.key
        assert setting.minimum is not None and setting.maximum is not None, setting.key
        end = setting.slider_max if setting.slider_max is not None else setting.maximum
        assert setting.minimum < end <= setting.maximum, setting.key
        assert setting.step is not None and setting.step < end - setting.minimum, setting.key


def test_issue_6_settings_are_all_declared() -> None:
    assert set(BY_KEY) == {
        "sampling.temperature", "sampling.top_p", "sampling.top_k", "sampling.min_p",
        "sampling.repeat_penalty", "sampling.max_tokens", "sampling.seed",
        "model.n_ctx", "model.flash_attn", "model.kv_cache_type", "model.overflow",
        "hardware.n_threads", "hardware.n_batch", "hardware.n_gpu_layers",
        "hardware.use_mmap", "hardware.use_mlock", "hardware.state_ram_mb",
        "hardware.state_disk_mb", "app.theme", "app.font_size", "app.enter_sends",
        # issue 20: the local server
        "server.port", "server.idle_unload_min", "server.save_chats", "server.cors_origins",
        # issue 22: reasoning models
        "sampling.thinking", "sampling.reasoning_effort",
        # issue 25: threads under load
        "hardware.n_threads_batch",
        # issue 24: the language, and where models come from
        "app.language", "app.model_source", "app.mirror_url", "app.send_token_to_mirror",
        # issue 26: many answers at once
        "server.parallel", "hardware.summary_parallel",
    }
    assert BY_KEY["hardware.n_threads"].special == ("auto",)
    assert BY_KEY["hardware.n_gpu_layers"].special == ("auto", "all")
    assert BY_KEY["app.theme"].choices == ("system", "light", "dark")
    assert BY_KEY["model.kv_cache_type"].choices == KV_CACHE_TYPES


def test_a_text_setting_takes_one_printable_line_of_bounded_length() -> None:
    origins = BY_KEY["server.cors_origins"]
    assert validate(origins, "https://a.example, http://localhost:3000") == \
        "https://a.example, http://localhost:3000"
    for bad in (3, None, "x" * 2001, "a\nb", "tab\there"):
        with pytest.raises(SettingError, match="Allowed web origins must be text"):
            validate(origins, bad)


def test_the_model_and_hardware_settings_need_a_reload_but_the_overflow_policy() -> None:
    live = ("model.overflow", "hardware.state_ram_mb", "hardware.state_disk_mb",
            "hardware.summary_parallel")  # read by each summary as it starts
    for setting in SETTINGS:
        expected = setting.group in ("Model", "Hardware") and setting.key not in live
        assert setting.reload == expected, setting.key


def test_the_sampling_settings_are_generation_params_with_the_same_defaults() -> None:
    defaults = GenerationParams()
    assert {s.name for s in SAMPLING} == set(SAMPLING_FIELDS)
    assert set(SAMPLING_FIELDS) <= {f.name for f in dataclasses.fields(GenerationParams)}
    for setting in SAMPLING:
        assert setting.default == getattr(defaults, setting.name), setting.key
        assert setting.per_model, setting.key


def test_the_load_defaults_are_what_the_app_loads_with_today() -> None:
    spec = LoadSpec(Path("m.gguf"))
    assert BY_KEY["model.n_ctx"].default == spec.n_ctx == 4096
    assert BY_KEY["hardware.n_batch"].default == spec.n_batch == 512
    options = load_options(SettingsFile(Path(SETTINGS_FILE)), can_offload=False)
    assert options["n_threads"] is spec.n_threads is None
    assert options["n_gpu_layers"] == spec.n_gpu_layers == 0
    assert options == {"n_ctx": 4096, "n_threads": None, "n_threads_batch": None,
                       "n_batch": 512, "n_gpu_layers": 0, "flash_attn": False,
                       "kv_cache_type": "f16", "use_mmap": True, "use_mlock": False}


def test_load_options_are_named_as_llama_takes_them() -> None:
    # Llama(**kwargs) swallows unknown names silently: a typo here would never be noticed.
    from llama_cpp import Llama

    parameters = inspect.signature(Llama.__init__).parameters
    for name in load_options(SettingsFile(Path(SETTINGS_FILE))):
        if name != "kv_cache_type":
            assert name in parameters, name
    assert {"type_k", "type_v"} <= set(parameters)


def test_kv_cache_type_names_map_to_ggml_types() -> None:
    import llama_cpp

    assert ggml_type("f16") == llama_cpp.GGML_TYPE_F16 == 1
    assert ggml_type("q8_0") == llama_cpp.GGML_TYPE_Q8_0
    assert ggml_type("q4_0") == llama_cpp.GGML_TYPE_Q4_0
    with pytest.raises(ValueError, match="KV cache type"):
        ggml_type("f32")


# Validation

@pytest.mark.parametrize(("key", "value", "expected"), [
    ("sampling.temperature", 1, 1.0),
    ("sampling.temperature", 0.0, 0.0),
    ("sampling.top_k", 3.0, 3),
    ("sampling.max_tokens", None, None),
    ("sampling.seed", 0, 0),
    ("hardware.n_threads", "auto", "auto"),
    ("hardware.n_threads", 4, 4),
    ("hardware.n_gpu_layers", "all", "all"),
    ("hardware.n_gpu_layers", 0, 0),
    ("app.font_size", "system", "system"),
    ("app.theme", "dark", "dark"),
    ("model.flash_attn", True, True),
])
def test_valid_values_are_converted_to_the_settings_type(key: str, value: object,
                                                         expected: object) -> None:
    result = validate(BY_KEY[key], value)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(("key", "value", "words"), [
    ("sampling.temperature", "hot", ["Temperature", "a number from 0 to 2", "'hot'"]),
    ("sampling.temperature", 2.5, ["Temperature", "from 0 to 2", "2.5"]),
    ("sampling.temperature", float("nan"), ["Temperature", "from 0 to 2"]),
    ("sampling.temperature", None, ["Temperature", "not empty"]),
    ("sampling.temperature", True, ["Temperature", "not true"]),
    ("sampling.top_k", 3.5, ["Top K", "whole number from 0 to 1000", "3.5"]),
    ("sampling.max_tokens", 0, ["Max tokens", "from 1 to", "or empty"]),
    ("hardware.n_threads", "many", ["Threads", "'auto' or a whole number from 1 to 256"]),
    ("hardware.n_gpu_layers", -1, ["GPU layers", "'auto', 'all' or a whole number", "-1"]),
    ("app.theme", "blue", ["Theme", "one of 'system', 'light' or 'dark'", "'blue'"]),
    ("model.kv_cache_type", "q2_k", ["KV cache type", "'f16', 'q8_0' or 'q4_0'"]),
    ("model.flash_attn", 1, ["Flash attention", "true or false", "not 1"]),
    ("app.enter_sends", "yes", ["Enter sends", "true or false"]),
])
def test_invalid_values_are_refused_with_what_is_allowed(key: str, value: object,
                                                         words: list[str]) -> None:
    with pytest.raises(SettingError) as caught:
        validate(BY_KEY[key], value)
    message = str(caught.value)
    assert "\n" not in message and message.endswith(".")
    for word in words:
        assert word in message


def test_the_message_example_of_the_brief() -> None:
    with pytest.raises(SettingError, match=r"^Temperature must be a number from 0 to 2, "
                                           r"not 'hot'\.$"):
        validate(BY_KEY["sampling.temperature"], "hot")


# get / set / reset and the round trip

def test_an_empty_settings_file_object_gives_the_defaults(tmp_path: Path) -> None:
    settings = SettingsFile.load(tmp_path)
    assert settings.problems == [] and not settings.read_only
    for setting in SETTINGS:
        assert settings.get(setting.key) == setting.default
        assert settings.get(setting.key, "some-model") == setting.default
    assert not (tmp_path / SETTINGS_FILE).exists()  # nothing is written until a save


def test_set_validates_and_per_model_only_where_declared(tmp_path: Path) -> None:
    settings = SettingsFile.load(tmp_path)
    with pytest.raises(SettingError, match="Temperature"):
        settings.set("sampling.temperature", 9)
    with pytest.raises(SettingError, match="Threads for answers cannot be set per model"):
        settings.set("hardware.n_threads", 2, model="builtin")
    with pytest.raises(KeyError, match="no_such"):
        settings.set("sampling.no_such", 1)
    assert settings.values == {} and settings.models == {}


def test_a_value_set_equal_to_the_default_is_kept_until_reset(tmp_path: Path) -> None:
    settings = SettingsFile.load(tmp_path)
    settings.set("sampling.temperature", 0.7)
    assert settings.is_set("sampling.temperature")
    settings.reset("sampling.temperature")
    assert not settings.is_set("sampling.temperature")
    settings.set("sampling.top_k", 10, model="m")
    settings.reset("sampling.top_k", model="m")
    assert settings.models == {}
    settings.reset("sampling.top_k", model="never-set")  # no error


def test_round_trip(tmp_path: Path) -> None:
    settings = SettingsFile.load(tmp_path)
    settings.set("sampling.temperature", 1)
    settings.set("sampling.max_tokens", 256)
    settings.set("sampling.seed", None)
    settings.set("hardware.n_threads", 2)
    settings.set("hardware.n_gpu_layers", "all")
    settings.set("app.theme", "dark")
    settings.set("app.enter_sends", False)
    settings.set("sampling.temperature", 0.2, model="builtin")
    settings.set("model.n_ctx", 8192, model="builtin")
    settings.set("model.kv_cache_type", "q8_0", model="gemma")
    settings.save()

    data = json.loads((tmp_path / SETTINGS_FILE).read_text("utf-8"))
    assert data["version"] == SCHEMA_VERSION == 1
    assert data["values"]["sampling.temperature"] == 1.0
    assert data["models"]["builtin"] == {"sampling.temperature": 0.2, "model.n_ctx": 8192}

    again = SettingsFile.load(tmp_path)
    assert again.problems == []
    for setting in SETTINGS:
        for model in (None, "builtin", "gemma", "other"):
            assert again.get(setting.key, model) == settings.get(setting.key, model)
    assert again.get("sampling.temperature") == 1.0
    assert again.get("sampling.temperature", "builtin") == 0.2
    assert again.get("model.n_ctx", "builtin") == 8192
    assert again.get("model.n_ctx", "gemma") == 4096
    assert again.get("sampling.seed") is None and again.is_set("sampling.seed")


# Bad files: never a crash; a problem to show; defaults

def assert_defaults(settings: SettingsFile) -> None:
    assert settings.values == {} and settings.models == {}
    assert all(settings.get(s.key) == s.default for s in SETTINGS)


def test_a_missing_file_is_no_problem(tmp_path: Path) -> None:
    settings = SettingsFile.load(tmp_path / "not-created-yet")
    assert settings.problems == []
    assert_defaults(settings)


def test_an_empty_file_is_reported_and_overwritten_later(tmp_path: Path) -> None:
    (tmp_path / SETTINGS_FILE).write_bytes(b"")
    settings = SettingsFile.load(tmp_path)
    assert len(settings.problems) == 1 and "empty" in settings.problems[0]
    assert_defaults(settings)
    settings.save()
    assert json.loads((tmp_path / SETTINGS_FILE).read_text("utf-8"))["version"] == 1


@pytest.mark.parametrize(("content", "reason"), [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"version": "x", "values": {}}', "no version number"),
    ('{"values": {"sampling.temperature": 0.3}}', "no version number"),
    ('{"version": true, "values": {}}', "no version number"),
    ('{"version": 0, "values": {}}', "no version number"),
])
def test_a_damaged_file_is_reported_kept_aside_and_defaults_used(
        tmp_path: Path, content: str, reason: str) -> None:
    (tmp_path / SETTINGS_FILE).write_text(content, "utf-8")
    settings = SettingsFile.load(tmp_path)
    assert_defaults(settings)
    assert len(settings.problems) == 1
    problem = settings.problems[0]
    assert SETTINGS_FILE in problem and reason in problem and "default settings" in problem
    kept = list(tmp_path.glob(f"{SETTINGS_FILE}.bad-*"))
    assert len(kept) == 1 and kept[0].name in problem
    assert kept[0].read_text("utf-8") == content
    assert not (tmp_path / SETTINGS_FILE).exists()
    settings.set("sampling.temperature", 0.5)
    settings.save()  # writes a fresh file; the damaged one stays aside
    assert kept[0].read_text("utf-8") == content
    assert SettingsFile.load(tmp_path).get("sampling.temperature") == 0.5


def test_a_newer_file_is_not_used_and_never_overwritten(tmp_path: Path) -> None:
    path = write(tmp_path, {"version": 99, "values": {"sampling.temperature": 0.1},
                            "future": {"anything": [1, 2]}})
    before = path.read_bytes()
    settings = SettingsFile.load(tmp_path)
    assert settings.read_only
    assert_defaults(settings)
    assert len(settings.problems) == 1
    assert "newer Lamplight" in settings.problems[0]
    assert "not used" in settings.problems[0] and "99" in settings.problems[0]
    settings.set("sampling.temperature", 1.5)  # works for this session
    assert settings.get("sampling.temperature") == 1.5
    settings.save()
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]


def test_invalid_values_fall_back_to_their_default_only(tmp_path: Path) -> None:
    settings = load_with(tmp_path, values={
        "sampling.temperature": "hot",       # wrong type
        "sampling.top_p": 1.5,               # out of range
        "app.theme": "blue",                 # unknown choice
        "hardware.n_threads": None,          # not optional
        "sampling.top_k": 20,                # fine
        "app.font_size": 12.0,               # fine: a whole number written as a float
    })
    assert settings.get("sampling.top_k") == 20
    assert settings.get("app.font_size") == 12 and isinstance(settings.get("app.font_size"), int)
    assert settings.get("sampling.temperature") == 0.7
    assert settings.get("sampling.top_p") == 0.95
    assert settings.get("app.theme") == "system"
    assert settings.get("hardware.n_threads") == "auto"
    assert len(settings.problems) == 4
    temperature, top_p, theme, threads = settings.problems
    assert "Temperature must be a number from 0 to 2, not 'hot'" in temperature
    assert "the default, 0.7, is used" in temperature and SETTINGS_FILE in temperature
    assert "Top P" in top_p and "1.5" in top_p and "0.95" in top_p
    assert "Theme" in theme and "'blue'" in theme and "'system'" in theme
    assert "Threads" in threads and "'auto'" in threads


def test_unknown_keys_are_dropped_and_only_logged(tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="app.core.settings.file")
    settings = load_with(tmp_path, values={"sampling.mirostat": 2, "app.theme": "light"},
                         models={"m": {"sampling.typical_p": 0.9, "sampling.top_k": 5}})
    assert settings.problems == []
    assert settings.values == {"app.theme": "light"}
    assert settings.models == {"m": {"sampling.top_k": 5}}
    assert "sampling.mirostat" in caplog.text and "sampling.typical_p" in caplog.text
    settings.save()
    saved = (tmp_path / SETTINGS_FILE).read_text("utf-8")
    assert "mirostat" not in saved and "typical_p" not in saved


def test_bad_per_model_overrides_are_reported(tmp_path: Path) -> None:
    settings = load_with(tmp_path, values={"sampling.temperature": 0.4}, models={
        "builtin": {"hardware.n_threads": 2, "sampling.temperature": -1, "model.n_ctx": 2048},
        "broken": [1, 2],
    })
    assert settings.models == {"builtin": {"model.n_ctx": 2048}}
    assert settings.get("sampling.temperature", "builtin") == 0.4  # the global value, not -1
    assert len(settings.problems) == 3
    threads, temperature, broken = settings.problems
    assert "Threads for answers cannot be set per model" in threads and "'builtin'" in threads
    assert "Temperature" in temperature and "-1" in temperature and "'builtin'" in temperature
    assert "override is not used" in temperature
    assert "'broken'" in broken and "not used" in broken


def test_values_or_models_of_the_wrong_shape_are_reported(tmp_path: Path) -> None:
    settings = load_with(tmp_path, values=[1], models="x")
    assert_defaults(settings)
    assert len(settings.problems) == 2
    assert '"values"' in settings.problems[0] and '"models"' in settings.problems[1]


# Resolving values

def test_generation_params_precedence(tmp_path: Path) -> None:
    settings = SettingsFile.load(tmp_path)
    recommended = GenerationParams(temperature=0.2, top_p=0.9)
    # Nothing set: the model's recommended values over the declared defaults.
    assert generation_params(settings) == GenerationParams()
    assert generation_params(settings, "builtin", recommended) == recommended
    # The user's global choice beats the model's recommendation, field by field.
    settings.set("sampling.temperature", 0.8)
    assert generation_params(settings, "builtin", recommended) == GenerationParams(
        temperature=0.8, top_p=0.9)
    # Even a global choice equal to the declared default.
    settings.set("sampling.top_p", 0.95)
    assert generation_params(settings, "builtin", recommended).top_p == 0.95
    # A per-model override beats the global choice, for that model only.
    settings.set("sampling.temperature", 0.1, model="builtin")
    settings.set("sampling.max_tokens", 100, model="builtin")
    assert generation_params(settings, "builtin", recommended) == GenerationParams(
        temperature=0.1, top_p=0.95, max_tokens=100)
    assert generation_params(settings, "other", GenerationParams()) == GenerationParams(
        temperature=0.8, top_p=0.95)
    assert generation_params(settings) == GenerationParams(temperature=0.8, top_p=0.95)
    # A global "until the model stops" (None) is a choice too.
    settings.set("sampling.max_tokens", None)
    assert generation_params(settings, "other", GenerationParams(max_tokens=50)).max_tokens is None


@pytest.mark.parametrize(("value", "can_offload", "layers", "expected"), [
    ("auto", False, 30, 0),
    ("auto", True, 30, -1),
    ("auto", True, None, -1),
    ("all", True, 30, -1),
    ("all", False, None, -1),
    (12, True, 30, 12),
    (12, False, None, 12),
    (0, True, 30, 0),
])
def test_gpu_layers(value: int | str, can_offload: bool, layers: int | None,
                    expected: int) -> None:
    assert gpu_layers(value, can_offload, layers) == expected


def test_auto_gpu_layers_take_what_fits_and_only_then_ask() -> None:
    def fit() -> int:
        asked.append(True)
        return 17

    asked: list[bool] = []
    assert gpu_layers("auto", True, 30, fit=fit) == 17
    assert asked == [True]
    assert gpu_layers("auto", False, 30, fit=fit) == 0
    assert gpu_layers("all", True, 30, fit=fit) == -1
    assert gpu_layers(12, True, 30, fit=fit) == 12
    assert asked == [True]


def test_auto_gpu_layers_on_this_cpu_build_are_none(tmp_path: Path) -> None:
    settings = SettingsFile.load(tmp_path)
    assert settings.get("hardware.n_gpu_layers") == "auto"
    assert auto_gpu_layers(tmp_path / "m.gguf", 4096) == 0
    spec = load_spec(settings, tmp_path / "m.gguf", "m", n_ctx=1024)
    assert spec.n_gpu_layers == GPU_LAYERS_AUTO and spec.n_ctx == 1024  # decided at load
    settings.set("hardware.n_gpu_layers", "all")
    assert load_spec(settings, tmp_path / "m.gguf", "m").n_gpu_layers == -1


@pytest.mark.parametrize(("free", "expected"), [(80 * 2**30, -1), (2**30, 0), (0, -1)])
def test_auto_gpu_layers_size_to_the_gpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         free: int, expected: int) -> None:
    """A made-up GPU (no GPU here): all when the model fits its free memory, none when nothing
    does, all when it does not report its memory. The file is no GGUF: its size is the guide."""
    from app.core.engine import devices

    gpu = devices.Device("CUDA0", "Made-up GPU", "gpu", "CUDA", free, 80 * 2**30)
    monkeypatch.setattr(devices, "devices", lambda: [gpu])
    model = tmp_path / "m.gguf"
    with model.open("wb") as file:
        file.truncate(2 * 2**30)  # sparse: 2 GiB of "weights" without the disk space
    assert auto_gpu_layers(model, 4096) == expected


def test_gpu_layers_refuses_what_is_not_a_layers_value() -> None:
    with pytest.raises(ValueError, match="GPU layers"):
        gpu_layers("some", True, 30)


def test_load_options_resolve_per_model(tmp_path: Path) -> None:
    settings = SettingsFile.load(tmp_path)
    settings.set("hardware.n_threads", 2)
    settings.set("model.n_ctx", 8192)
    settings.set("model.n_ctx", 2048, model="small")
    settings.set("hardware.n_gpu_layers", 20, model="small")
    settings.set("model.flash_attn", True, model="small")
    settings.set("model.kv_cache_type", "q8_0", model="small")
    settings.set("hardware.use_mlock", True)
    assert load_options(settings, "small", can_offload=True, layers=30) == {
        "n_ctx": 2048, "n_threads": 2, "n_threads_batch": None, "n_batch": 512,
        "n_gpu_layers": 20, "flash_attn": True, "kv_cache_type": "q8_0", "use_mmap": True,
        "use_mlock": True}
    other = load_options(settings, "other", can_offload=True)
    assert other["n_ctx"] == 8192 and other["n_gpu_layers"] == -1 and not other["flash_attn"]
    assert load_options(settings, "other", can_offload=False)["n_gpu_layers"] == 0


def test_setting_name_is_the_field_it_fills() -> None:
    setting = Setting("sampling.top_p", "Top P", "", "float", 0.5)
    assert setting.name == "top_p"
