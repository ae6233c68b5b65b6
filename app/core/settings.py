"""Every setting the user can change, declared once: its type, default, range and description.

The settings panel is built from `SETTINGS`; code reads typed values through `SettingsFile.get`,
`generation_params` and `load_options`, never raw strings (qutebrowser's configdata, napari's
settings). The values live in `settings.json` in the config dir:

    {"version": 1,
     "values": {"sampling.temperature": 0.4},
     "models": {"builtin": {"sampling.temperature": 0.2}}}

Only what the user set is stored, even when it equals the default: an explicit choice has to beat
a model's recommended sampling (see `generation_params`), so "set to 0.7" and "never touched" are
different things. `reset` forgets a value.

A key's part after the dot is the name of the field it fills: `GenerationParams` for the sampling
settings, `LoadSpec` (and llama-cpp-python's `Llama`) for the model and hardware ones.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict

from app.core.context import OVERFLOW_POLICIES
from app.core.engine.base import GPU_LAYERS_AUTO, GenerationParams, LoadSpec
from app.core.jsonfile import JSONInputError, load_json, write_json

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SETTINGS_FILE = "settings.json"

Value = bool | int | float | str | None
Kind = Literal["bool", "int", "float", "choice"]

GROUPS: tuple[str, ...] = ("Sampling", "Model", "Hardware", "App")
KV_CACHE_TYPES: tuple[str, ...] = ("f16", "q8_0", "q4_0")
# QSpinBox holds a C int: no maximum may exceed it, or the panel could not show the value.
_INT32_MAX = 2**31 - 1


class SettingError(ValueError):
    """A value a setting does not accept; the message names the setting and what it allows."""


@dataclass(frozen=True)
class Setting:
    """One setting: what the panel shows and what `validate` accepts.

    `special` lists the strings an "int" setting takes besides numbers ("auto" threads).
    `optional` allows None (max tokens: until the model stops; seed: random). `reload` says a
    change takes effect only when the model is loaded again. `per_model` settings may be
    overridden for one model; `per_conversation` ones by a chat (kept in `Conversation.params`,
    not here).
    """

    key: str
    label: str
    description: str
    kind: Kind
    default: Value
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()  # how the panel names `choices`, when not by the value
    special: tuple[str, ...] = ()
    optional: bool = False
    reload: bool = False
    group: str = ""
    per_model: bool = False
    per_conversation: bool = False

    @property
    def name(self) -> str:
        """The field this setting fills: "temperature" for "sampling.temperature"."""
        return self.key.rpartition(".")[2]


def _sampling(key: str, label: str, description: str, *, kind: Kind, default: Value,
              minimum: float, maximum: float, optional: bool = False) -> Setting:
    return Setting(f"sampling.{key}", label, description, kind, default, minimum, maximum,
                   optional=optional, group="Sampling", per_model=True, per_conversation=True)


SETTINGS: tuple[Setting, ...] = (
    _sampling("temperature", "Temperature",
              "How much randomness goes into each word. Low values give focused, repeatable "
              "answers; high values give varied ones that drift more easily.",
              kind="float", default=0.7, minimum=0.0, maximum=2.0),
    _sampling("top_p", "Top P",
              "Only the most likely words that together make up this share of the probability "
              "are considered. 1 considers them all.",
              kind="float", default=0.95, minimum=0.0, maximum=1.0),
    _sampling("top_k", "Top K",
              "Only this many of the most likely words are considered at each step. 0 considers "
              "them all.",
              kind="int", default=40, minimum=0, maximum=1000),
    _sampling("min_p", "Min P",
              "Words less likely than this fraction of the most likely word are left out. "
              "0 leaves none out.",
              kind="float", default=0.05, minimum=0.0, maximum=1.0),
    _sampling("repeat_penalty", "Repeat penalty",
              "Makes words that were just used less likely, against loops. 1 turns it off.",
              kind="float", default=1.1, minimum=1.0, maximum=2.0),
    _sampling("max_tokens", "Max tokens",
              "The longest answer, in tokens. Empty: until the model stops or the context is "
              "full.",
              kind="int", default=None, minimum=1, maximum=262_144, optional=True),
    _sampling("seed", "Seed",
              "The same seed with the same settings and prompt gives the same answer. Empty: a "
              "different random seed each time.",
              kind="int", default=None, minimum=0, maximum=_INT32_MAX, optional=True),
    Setting("model.n_ctx", "Context length",
            "How many tokens of the conversation the model sees at once. More remembers more "
            "of a long chat but takes more memory.",
            "int", 4096, 256, 262_144, reload=True, group="Model", per_model=True),
    Setting("model.flash_attn", "Flash attention",
            "A faster, leaner way to compute attention. Some models and backends do not "
            "support it; quantized KV caches need it.",
            "bool", False, reload=True, group="Model", per_model=True),
    Setting("model.kv_cache_type", "KV cache type",
            "How the context is stored in memory. q8_0 halves the memory of f16 with little "
            "loss, q4_0 quarters it with more; both need flash attention.",
            "choice", "f16", choices=KV_CACHE_TYPES, reload=True, group="Model",
            per_model=True),
    Setting("model.overflow", "When a chat outgrows the context",
            "Drop the oldest turns (the system prompt and the question being asked are always "
            "kept), or stop and say so.",
            "choice", "drop-oldest", choices=OVERFLOW_POLICIES,
            choice_labels=("Drop the oldest turns", "Stop and say so"), group="Model"),
    Setting("hardware.n_threads", "Threads",
            "CPU threads used to run the model. Auto: one per physical core, usually the "
            "fastest.",
            "int", "auto", 1, 256, special=("auto",), reload=True, group="Hardware"),
    Setting("hardware.n_batch", "Batch size",
            "How many prompt tokens are evaluated in one step. Larger can read long prompts "
            "faster and takes more memory.",
            "int", 512, 32, 8192, reload=True, group="Hardware"),
    Setting("hardware.n_gpu_layers", "GPU layers",
            "How many of the model's layers run on the GPU. Auto decides for you; All puts "
            "every layer there; 0 runs on the CPU only.",
            "int", "auto", 0, 999, special=("auto", "all"), reload=True, group="Hardware",
            per_model=True),
    Setting("hardware.use_mmap", "Map the model file",
            "Reads the model straight from its file as needed (memory mapping): loads faster "
            "and shares memory with the system's file cache.",
            "bool", True, reload=True, group="Hardware"),
    Setting("hardware.use_mlock", "Lock the model in memory",
            "Keeps the whole model in RAM so the system never pages it out. Needs enough free "
            "memory and, on some systems, permission.",
            "bool", False, reload=True, group="Hardware"),
    Setting("hardware.state_ram_mb", "Memory for recent chats (MB)",
            "Going back to a chat used lately continues at once instead of reading its whole "
            "history again: its evaluated state is kept in memory, up to this much. 0 keeps "
            "none.",
            "int", 1024, 0, 1_048_576, group="Hardware"),
    Setting("hardware.state_disk_mb", "Disk for reopened chats (MB)",
            "The evaluated state of chats is also saved on disk, up to this much, so that a long "
            "chat reopened after a restart continues at once. 0 saves none.",
            "int", 4096, 0, 16_777_216, group="Hardware"),
    Setting("app.theme", "Theme",
            "Light or dark colours, or whatever the system uses.",
            "choice", "system", choices=("system", "light", "dark"), group="App"),
    Setting("app.font_size", "Font size",
            "The size of the window's text, in points. System: the system's size.",
            "int", "system", 6, 48, special=("system",), group="App"),
    Setting("app.enter_sends", "Enter sends",
            "Enter sends the message and Shift+Enter starts a new line. Off: Ctrl+Enter sends "
            "and Enter starts a new line.",
            "bool", True, group="App"),
)

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _shown(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def allowed(setting: Setting) -> str:
    """What the setting accepts, in words: "a number from 0 to 2", "'auto' or a whole number..."""
    if setting.kind == "bool":
        return "true or false"
    if setting.kind == "choice":
        return "one of " + _either([repr(c) for c in setting.choices])
    number = "a whole number" if setting.kind == "int" else "a number"
    if setting.minimum is not None and setting.maximum is not None:
        number += f" from {_number(setting.minimum)} to {_number(setting.maximum)}"
    elif setting.minimum is not None:
        number += f" of at least {_number(setting.minimum)}"
    text = _either([*(repr(s) for s in setting.special), number])
    return text + ", or empty" if setting.optional else text


def _invalid(setting: Setting, value: object) -> SettingError:
    return SettingError(f"{setting.label} must be {allowed(setting)}, not {_shown(value)}.")


def validate(setting: Setting, value: object) -> Value:
    """`value` as the setting keeps it, or `SettingError`.

    Numbers are converted to the setting's type: JSON's 3.0 for a whole-number setting is 3, its
    1 for a decimal one is 1.0. A bool is never a number, though Python counts it as one.
    """
    if value is None:
        if setting.optional:
            return None
        raise _invalid(setting, value)
    if setting.kind == "bool":
        if isinstance(value, bool):
            return value
        raise _invalid(setting, value)
    if setting.kind == "choice":
        if isinstance(value, str) and value in setting.choices:
            return value
        raise _invalid(setting, value)
    if isinstance(value, str) and value in setting.special:
        return value
    return _validate_number(setting, value)


def _validate_number(setting: Setting, value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(setting, value)
    number: int | float
    if setting.kind == "int":
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise _invalid(setting, value)
        number = int(value)
    else:
        if not math.isfinite(value):
            raise _invalid(setting, value)
        number = float(value)
    if (setting.minimum is not None and number < setting.minimum) or (
            setting.maximum is not None and number > setting.maximum):
        raise _invalid(setting, value)
    return number


def _setting(key: str) -> Setting:
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"no setting {key!r}") from None


# Turn version N's data into version N+1's. Empty while there is only version 1; a file of a
# version older than the oldest migration is not understood and is treated as damaged.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


@dataclass
class SettingsFile:
    """The user's settings, kept in `config_dir/settings.json` (layout in the module docstring).

    `values` holds what the user set globally and `models` the per-model overrides, keyed by the
    caller's name for a model (the app uses `ModelEntry.name`). `problems` says, one line each,
    what was wrong in the file when it was loaded, for the window to show once. `read_only` is
    set when the file was written by a newer Lamplight or cannot be read: changes then apply to
    this session only, and `save` leaves that file alone.

    Used from one thread (the GUI's).
    """

    path: Path
    values: dict[str, Value] = field(default_factory=dict)
    models: dict[str, dict[str, Value]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    read_only: bool = False
    read_only_reason: str = ""  # why, in words that finish "These settings …"

    @classmethod
    def load(cls, config_dir: Path) -> SettingsFile:
        """The settings in `config_dir`; never raises for a bad file.

        Missing: defaults. Empty: defaults and a problem. Not JSON (a UTF-8 BOM is fine; NaN,
        Infinity and nesting past `jsonfile.MAX_DEPTH` are not), not an object, or no version
        this app understands: defaults, a problem, and the file is renamed to
        `settings.json.bad-<time>` so that the next save does not destroy what the user may want
        back. A newer version, or a file that cannot be read (permissions): defaults, a problem,
        `read_only`, and the file is left where it is. Unknown keys are dropped (logged
        only: most likely a setting of a newer release or a removed one). An invalid value: a
        problem, and that key's default.
        """
        settings = cls(config_dir / SETTINGS_FILE)
        settings._read()
        return settings

    def _read(self) -> None:
        data = self._load()
        if data is not None:
            self._read_data(data)

    def _load(self) -> object | None:
        """The file's JSON value; None (and a problem unless it is missing) when there is none
        to read."""
        try:
            return load_json(self.path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            # Not damage: the file may be fine and only unreadable now (permissions, a folder
            # in its place). It stays where it is, and this session does not overwrite it.
            self.read_only = True
            reason = exc.strerror.lower() if exc.strerror else type(exc).__name__
            self.read_only_reason = f"could not be read from {self.path} ({reason})"
            self.problems.append(
                f"{self.path.name} cannot be read ({reason}); the default settings are used, "
                "and changes made now are not saved to it.")
            log.warning("cannot read %s: %s", self.path, exc)
            return None
        except JSONInputError as exc:
            self._damaged(f"it is not valid JSON ({exc})")
            return None

    def _read_data(self, data: object) -> None:
        if not isinstance(data, dict):
            self._damaged("it is not a JSON object")
            return
        version = data.get("version")
        if type(version) is not int or version < 1:  # type(): True == 1, but is no version
            self._damaged("it has no version number this Lamplight understands")
            return
        if version > SCHEMA_VERSION:
            self.read_only = True
            self.read_only_reason = "were saved by a newer Lamplight"
            self.problems.append(
                f"{self.path.name} was written by a newer Lamplight (settings version {version})"
                "; its settings are not used, and changes made now are not saved to it.")
            log.warning("%s is settings version %d, newer than %d: not used, not overwritten",
                        self.path, version, SCHEMA_VERSION)
            return
        while version < SCHEMA_VERSION:
            if version not in MIGRATIONS:
                self._damaged(f"its settings version {version} is too old to read")
                return
            data = MIGRATIONS[version](data)
            version += 1
        self._read_values(data.get("values", {}))
        self._read_models(data.get("models", {}))

    def _damaged(self, reason: str) -> None:
        message = f"{self.path.name} could not be used: {reason}. The default settings are used"
        try:
            if self.path.stat().st_size == 0:
                self.problems.append(f"{self.path.name} is empty. The default settings are used.")
                return
            aside = self.path.with_name(f"{self.path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
            self.path.replace(aside)
        except OSError as exc:
            log.warning("could not keep the damaged %s aside: %s", self.path, exc)
            self.problems.append(message + ".")
            return
        log.warning("%s is damaged (%s); moved to %s", self.path, reason, aside)
        self.problems.append(f"{message}; the file was kept as {aside.name}.")

    def _read_values(self, raw: object) -> None:
        if not isinstance(raw, dict):
            self.problems.append(f'"values" in {self.path.name} is not a JSON object; the '
                                 "default settings are used.")
            return
        for key, value in raw.items():
            ok, converted = self._checked(key, value, self.path.name, "the default, {}, is used")
            if ok:
                self.values[key] = converted

    def _read_models(self, raw: object) -> None:
        if not isinstance(raw, dict):
            self.problems.append(f'"models" in {self.path.name} is not a JSON object; no '
                                 "per-model settings are used.")
            return
        for model, overrides in raw.items():
            if not isinstance(overrides, dict):
                self.problems.append(f"The settings for model {model!r} are not a JSON object; "
                                     "they are not used.")
                continue
            kept: dict[str, Value] = {}
            for key, value in overrides.items():
                setting = BY_KEY.get(key)
                if setting is not None and not setting.per_model:
                    self.problems.append(f"{setting.label} cannot be set per model (found for "
                                         f"model {model!r}); that value is not used.")
                    continue
                ok, converted = self._checked(key, value, f"model {model!r}",
                                              "the model's override is not used")
                if ok:
                    kept[key] = converted
            if kept:
                self.models[model] = kept

    def _checked(self, key: str, value: object, where: str, fallback: str) -> tuple[bool, Value]:
        """(True, the value converted), or (False, None) for a key to leave out."""
        setting = BY_KEY.get(key)
        if setting is None:
            log.info("dropping unknown setting %r (%s) in %s", key, where, self.path)
            return False, None
        try:
            return True, validate(setting, value)
        except SettingError as exc:
            shown_default = _shown(setting.default)
            self.problems.append(f"{exc} ({where}); {fallback.format(shown_default)}.")
            return False, None

    def save(self) -> None:
        """Write the file atomically. Raises `OSError`.

        Does nothing (logged) when the file on disk was written by a newer Lamplight or could
        not be read.
        """
        if self.read_only:
            log.warning("not saving %s: it is read-only for this session", self.path)
            return
        order = {s.key: i for i, s in enumerate(SETTINGS)}

        def ordered(values: dict[str, Value]) -> dict[str, Value]:
            return dict(sorted(values.items(), key=lambda kv: order[kv[0]]))

        write_json(self.path, {
            "version": SCHEMA_VERSION,
            "values": ordered(self.values),
            "models": {m: ordered(v) for m, v in sorted(self.models.items()) if v},
        })

    def get(self, key: str, model: str | None = None) -> Value:
        """The model's override, else the user's global value, else the declared default."""
        setting = _setting(key)
        if model is not None and key in (overrides := self.models.get(model, {})):
            return overrides[key]
        if key in self.values:
            return self.values[key]
        return setting.default

    def is_set(self, key: str, model: str | None = None) -> bool:
        """Whether the user set `key`: for `model` when one is given, else globally."""
        _setting(key)
        if model is not None:
            return key in self.models.get(model, {})
        return key in self.values

    def set(self, key: str, value: object, model: str | None = None) -> None:
        """Set `key` globally, or for `model` only. Raises `SettingError`.

        A value equal to the default is kept as set (see the module docstring); the panel should
        call this only for what the user changed, and `reset` for "restore the default".
        """
        setting = _setting(key)
        converted = validate(setting, value)
        if model is None:
            self.values[key] = converted
        elif setting.per_model:
            self.models.setdefault(model, {})[key] = converted
        else:
            raise SettingError(f"{setting.label} cannot be set per model.")

    def reset(self, key: str, model: str | None = None) -> None:
        """Forget the user's value: the global one, or `model`'s override only."""
        _setting(key)
        if model is None:
            self.values.pop(key, None)
            return
        overrides = self.models.get(model)
        if overrides is not None:
            overrides.pop(key, None)
            if not overrides:
                del self.models[model]


def generation_params(settings: SettingsFile, model: str | None = None,
                      base: GenerationParams | None = None) -> GenerationParams:
    """The sampling settings to answer with, before a conversation's own (`Conversation.params`,
    applied by the caller on top).

    Each field, from weakest to strongest: the declared default, `base` (the model's recommended
    sampling, `ModelEntry.default_params`), the user's global value if they set one, the user's
    override for `model`. What the user chose beats what the app guessed for the model; a
    per-model override is how they make one model differ from their global choice.
    """
    start = base if base is not None else GenerationParams()
    chosen: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.group == "Sampling" and (
                settings.is_set(setting.key) or
                (model is not None and settings.is_set(setting.key, model))):
            chosen[setting.name] = settings.get(setting.key, model)
    return dataclasses.replace(start, **chosen)


class LoadOptions(TypedDict):
    """The load-time settings, named as `LoadSpec` fields (and, but for `kv_cache_type`, as
    `llama_cpp.Llama` arguments). `kv_cache_type` is a name in `KV_CACHE_TYPES`: `ggml_type`
    gives the `type_k`/`type_v` value."""

    n_ctx: int
    n_threads: int | None
    n_batch: int
    n_gpu_layers: int
    flash_attn: bool
    kv_cache_type: str
    use_mmap: bool
    use_mlock: bool


def gpu_layers(value: int | str, can_offload: bool, layers: int | None = None, *,
               fit: Callable[[], int] | None = None) -> int:
    """The `n_gpu_layers` to load with: "all" is -1 (llama-cpp-python: every layer), N is N.

    "auto" is 0 when the build cannot offload (`llama_cpp.llama_supports_gpu_offload()`), else
    what `fit` answers (called only then: `auto_gpu_layers` for the model being loaded), else -1.
    `layers`, the model's block count, is accepted for callers that know it; the fit reads it
    from the model itself.
    """
    if value == "all":
        return -1
    if value == "auto":
        if not can_offload:
            return 0
        return fit() if fit is not None else -1
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"not a GPU layers value: {value!r}")


def _int(value: Value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, got {value!r}")
    return value


def _bool(value: Value) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def load_options(settings: SettingsFile, model: str | None = None, *, can_offload: bool = False,
                 layers: int | None = None, fit: Callable[[], int] | None = None) -> LoadOptions:
    """The model and hardware settings as concrete values for loading `model`.

    "auto" threads become None (`LoadSpec`: one per physical core); GPU layers go through
    `gpu_layers` with `can_offload`, `layers` and `fit`.
    """
    def get(key: str) -> Value:
        return settings.get(key, model)

    threads = get("hardware.n_threads")
    gpu = get("hardware.n_gpu_layers")
    return LoadOptions(
        n_ctx=_int(get("model.n_ctx")),
        n_threads=None if threads == "auto" else _int(threads),
        n_batch=_int(get("hardware.n_batch")),
        n_gpu_layers=gpu_layers(gpu if isinstance(gpu, str) else _int(gpu), can_offload, layers,
                                fit=fit),
        flash_attn=_bool(get("model.flash_attn")),
        kv_cache_type=str(get("model.kv_cache_type")),
        use_mmap=_bool(get("hardware.use_mmap")),
        use_mlock=_bool(get("hardware.use_mlock")),
    )


def load_spec(settings: SettingsFile, path: Path, model: str | None = None, *,
              n_ctx: int | None = None) -> LoadSpec:
    """How to load the model file at `path` (known to the settings as `model`): the settings'
    load options, `n_ctx` over theirs when given (a `--ctx` flag, a test's small context).

    "Auto" GPU layers are `GPU_LAYERS_AUTO`: the engine's load asks `auto_gpu_layers` for the
    layers that fit the GPU's free memory at that context (none on a CPU-only build).
    """
    options = load_options(settings, model, can_offload=True, fit=lambda: GPU_LAYERS_AUTO)
    if n_ctx is not None:
        options["n_ctx"] = n_ctx
    return LoadSpec(path, **options)


def auto_gpu_layers(path: Path, n_ctx: int) -> int:
    """What "auto" GPU layers means for the model file at `path` with a context of `n_ctx`.

    0 when llama.cpp has no GPU device (a CPU-only build, or no GPU found); -1 (all) when the GPU
    does not report its memory, as before "auto" was sized; else the layers that fit the first
    GPU's free memory (`fit.gpu_layers_that_fit`). Imports llama_cpp and reads the GGUF header.
    """
    from app.core.engine.devices import offload_device
    from app.core.models.fit import Shape, gpu_layers_that_fit
    from app.core.models.gguf import GGUFError, read_header

    device = offload_device()
    if device is None:
        return 0
    if not device.memory_free:
        return -1
    try:
        size = path.stat().st_size
    except OSError:
        return -1  # the load itself says what is wrong with the file
    try:
        shape = Shape.from_header(read_header(path), size)
    except (GGUFError, OSError):
        shape = Shape.from_size(size)
    layers = gpu_layers_that_fit(shape, n_ctx, device.memory_free)
    log.info("auto GPU layers for %s: %d (%s, %.1f GiB free)", path.name, layers,
             device.description or device.name, device.memory_free / 2**30)
    return layers


def ggml_type(name: str) -> int:
    """The GGML type number of a KV cache type name, for `Llama(type_k=..., type_v=...)`.

    Imports llama_cpp, so call it where the model is loaded. Note that llama.cpp refuses a
    quantized V cache without flash attention.
    """
    if name not in KV_CACHE_TYPES:
        raise ValueError(f"not a KV cache type: {name!r}")
    import llama_cpp

    return int(getattr(llama_cpp, f"GGML_TYPE_{name.upper()}"))


def state_limits(settings: SettingsFile) -> tuple[int, int]:
    """Bytes of memory and of disk for chats' kept states (`engine.states.StateCache`)."""
    ram, disk = settings.get("hardware.state_ram_mb"), settings.get("hardware.state_disk_mb")
    return _int(ram) << 20, _int(disk) << 20
