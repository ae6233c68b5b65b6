"""The user's settings file, `settings.json`: read defensively, written atomically.

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

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.jsonfile import JSONInputError, load_json, write_json
from app.core.settings.schema import (
    BY_KEY,
    SETTINGS,
    SettingError,
    Value,
    setting_named,
    shown_value,
    validate,
)
from app.i18n import _

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SETTINGS_FILE = "settings.json"


# Turn version N's data into version N+1's. Empty while there is only version 1; a file of a
# version older than the oldest migration is not understood and is treated as damaged.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def language_setting(config_dir: Path) -> Value:
    """The *Language* setting saved in `config_dir`, read on its own before anything else
    (the terminal speaks it from its first word, before its command line is parsed): its
    default, "system", when the file is missing, cannot be read, or holds no valid value.
    Only reads: what is wrong with the file is for `SettingsFile.load` to say and handle."""
    setting = BY_KEY["app.language"]
    try:
        data = load_json(config_dir / SETTINGS_FILE)
    except (OSError, JSONInputError):
        return setting.default
    if not isinstance(data, dict) or data.get("version") != SCHEMA_VERSION:
        return setting.default
    values = data.get("values")
    try:
        return validate(setting, values.get(setting.key) if isinstance(values, dict) else None)
    except SettingError:
        return setting.default


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
    def in_memory(cls) -> SettingsFile:
        """The defaults, kept in memory only (tests, benchmarks): `save` writes nothing."""
        return cls(Path(SETTINGS_FILE), read_only=True,
                   read_only_reason=_("are not kept in a file"))

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
            self.read_only_reason = _("could not be read from {path} ({reason})").format(
                path=self.path, reason=reason)
            self.problems.append(_(
                "{file} cannot be read ({reason}); the default settings are used, and changes "
                "made now are not saved to it.").format(file=self.path.name, reason=reason))
            log.warning("cannot read %s: %s", self.path, exc)
            return None
        except JSONInputError as exc:
            self._damaged(_("it is not valid JSON ({reason})").format(reason=exc))
            return None

    def _read_data(self, data: object) -> None:
        if not isinstance(data, dict):
            self._damaged(_("it is not a JSON object"))
            return
        version = data.get("version")
        if type(version) is not int or version < 1:  # type(): True == 1, but is no version
            self._damaged(_("it has no version number this Lamplight understands"))
            return
        if version > SCHEMA_VERSION:
            self.read_only = True
            self.read_only_reason = _("were saved by a newer Lamplight")
            self.problems.append(_(
                "{file} was written by a newer Lamplight (settings version {version}); its "
                "settings are not used, and changes made now are not saved to it.").format(
                    file=self.path.name, version=version))
            log.warning("%s is settings version %d, newer than %d: not used, not overwritten",
                        self.path, version, SCHEMA_VERSION)
            return
        while version < SCHEMA_VERSION:
            if version not in MIGRATIONS:
                self._damaged(_("its settings version {version} is too old to read").format(
                    version=version))
                return
            data = MIGRATIONS[version](data)
            version += 1
        self._read_values(data.get("values", {}))
        self._read_models(data.get("models", {}))

    def _damaged(self, reason: str) -> None:
        name = self.path.name
        try:
            if self.path.stat().st_size == 0:
                self.problems.append(_("{file} is empty. The default settings are used.").format(
                    file=name))
                return
            aside = self.path.with_name(f"{self.path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
            self.path.replace(aside)
        except OSError as exc:
            log.warning("could not keep the damaged %s aside: %s", self.path, exc)
            self.problems.append(_("{file} could not be used: {reason}. The default settings "
                                   "are used.").format(file=name, reason=reason))
            return
        log.warning("%s is damaged (%s); moved to %s", self.path, reason, aside)
        self.problems.append(_("{file} could not be used: {reason}. The default settings are "
                               "used; the file was kept as {aside}.").format(
                                   file=name, reason=reason, aside=aside.name))

    def _read_values(self, raw: object) -> None:
        if not isinstance(raw, dict):
            self.problems.append(_('"values" in {file} is not a JSON object; the default '
                                   "settings are used.").format(file=self.path.name))
            return
        for key, value in raw.items():
            ok, converted = self._checked(key, value, self.path.name, global_value=True)
            if ok:
                self.values[key] = converted

    def _read_models(self, raw: object) -> None:
        if not isinstance(raw, dict):
            self.problems.append(_('"models" in {file} is not a JSON object; no per-model '
                                   "settings are used.").format(file=self.path.name))
            return
        for model, overrides in raw.items():
            if not isinstance(overrides, dict):
                self.problems.append(_("The settings for model {model} are not a JSON object; "
                                       "they are not used.").format(model=repr(model)))
                continue
            kept: dict[str, Value] = {}
            for key, value in overrides.items():
                setting = BY_KEY.get(key)
                if setting is not None and not setting.per_model:
                    self.problems.append(_("{setting} cannot be set per model (found for model "
                                           "{model}); that value is not used.").format(
                                               setting=_(setting.label), model=repr(model)))
                    continue
                ok, converted = self._checked(key, value, repr(model), global_value=False)
                if ok:
                    kept[key] = converted
            if kept:
                self.models[model] = kept

    def _checked(self, key: str, value: object, where: str, *,
                 global_value: bool) -> tuple[bool, Value]:
        """(True, the value converted), or (False, None) for a key to leave out: `where` is
        the file's name for a global value, else the model's name (quoted)."""
        setting = BY_KEY.get(key)
        if setting is None:
            log.info("dropping unknown setting %r (%s) in %s", key, where, self.path)
            return False, None
        try:
            return True, validate(setting, value)
        except SettingError as exc:
            problem = (_("{problem} ({file}); the default, {default}, is used.")
                       if global_value else
                       _("{problem} (model {model}); the model's override is not used."))
            self.problems.append(problem.format(problem=exc, file=where, model=where,
                                                default=shown_value(setting.default)))
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
        setting = setting_named(key)
        if model is not None and key in (overrides := self.models.get(model, {})):
            return overrides[key]
        if key in self.values:
            return self.values[key]
        return setting.default

    def is_set(self, key: str, model: str | None = None) -> bool:
        """Whether the user set `key`: for `model` when one is given, else globally."""
        setting_named(key)
        if model is not None:
            return key in self.models.get(model, {})
        return key in self.values

    def set(self, key: str, value: object, model: str | None = None) -> None:
        """Set `key` globally, or for `model` only. Raises `SettingError`.

        A value equal to the default is kept as set (see the module docstring); the panel should
        call this only for what the user changed, and `reset` for "restore the default".
        """
        setting = setting_named(key)
        converted = validate(setting, value)
        if model is None:
            self.values[key] = converted
        elif setting.per_model:
            self.models.setdefault(model, {})[key] = converted
        else:
            raise SettingError(_("{setting} cannot be set per model.").format(
                setting=_(setting.label)))

    def reset(self, key: str, model: str | None = None) -> None:
        """Forget the user's value: the global one, or `model`'s override only."""
        setting_named(key)
        if model is None:
            self.values.pop(key, None)
            return
        overrides = self.models.get(model)
        if overrides is not None:
            overrides.pop(key, None)
            if not overrides:
                del self.models[model]
