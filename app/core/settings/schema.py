"""Every setting the user can change, declared once: its type, default, range and words.

The settings panel is built from `SETTINGS`: a page per group (`GROUPS`, each with a line that
says what it holds, `GROUP_SUMMARIES`), on it a card per `section`, in it a row per setting with
its `label` and its one-line `summary` (the longer `description` is the row's tooltip and the
command line's help). Every value from outside (the settings file, a preset, an imported chat,
a command-line flag) is checked by `validate`, which says in words what the setting accepts
(`allowed`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from app.core.engine.base import REASONING_EFFORTS
from app.core.engine.offload import KV_CACHE_TYPES
from app.i18n import N_, _

# When a chat outgrows the context: leave out its oldest turns, or stop and say so.
OverflowPolicy = Literal["drop-oldest", "stop"]
OVERFLOW_POLICIES: tuple[OverflowPolicy, ...] = ("drop-oldest", "stop")

Value = bool | int | float | str | None
Kind = Literal["bool", "int", "float", "choice", "text"]

GROUPS: tuple[str, ...] = (N_("Sampling"), N_("Model"), N_("Hardware"), N_("Server"), N_("App"))
# What each group's page holds, in one line under its title.
GROUP_SUMMARIES: dict[str, str] = {
    "Sampling": N_("How the model picks its words. Changes apply to the next answer."),
    "Model": N_("How much of a chat the model sees, and how that is kept in memory."),
    "Hardware": N_("What this machine runs models on, and how much of it they may use."),
    "Server": N_("The local OpenAI-compatible server that other programs can use."),
    "App": N_("How Lamplight looks, and how typing a message works."),
}
TEXT_MAX_CHARS = 2000
# The local server's port: one none of the apps people use beside us takes (LM Studio 1234,
# Jan 1337, GPT4All 4891, Ollama 11434, llama-server 8080, vLLM 8000).
DEFAULT_SERVER_PORT = 5757
# QSpinBox holds a C int: no maximum may exceed it, or the panel could not show the value.
_INT32_MAX = 2**31 - 1


class SettingError(ValueError):
    """A value a setting does not accept; the message names the setting and what it allows."""


@dataclass(frozen=True)
class Setting:
    """One setting: what the panel shows and what `validate` accepts.

    `special` lists the strings an "int" setting takes besides numbers ("auto" threads).
    `optional` allows None (max tokens: half the context, at most 8,192; seed: random).
    `reload` says a change takes effect only when the model is loaded again. `per_model`
    settings may be overridden for one model.

    How the panel shows it: `summary` is one short line under the label (the whole
    `description` is the row's tooltip), `section` the card of its group's page it sits in.
    A number's `step` is what one press of an arrow key adds; with `slider` it is a slider
    beside a box showing its value, the slider covering `minimum` to `slider_max` (or to
    `maximum`: a wider range than people use would make the slider too coarse) while the box
    takes the whole range.
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
    summary: str = ""
    section: str = ""
    step: float | None = None
    slider: bool = False
    slider_max: float | None = None

    @property
    def name(self) -> str:
        """The field this setting fills: "temperature" for "sampling.temperature"."""
        return self.key.rpartition(".")[2]


def _sampling(key: str, label: str, description: str, *, kind: Kind, default: Value,
              minimum: float, maximum: float, summary: str, section: str,
              optional: bool = False, step: float | None = None, slider: bool = False,
              slider_max: float | None = None) -> Setting:
    return Setting(f"sampling.{key}", label, description, kind, default, minimum, maximum,
                   optional=optional, group="Sampling", per_model=True, summary=summary,
                   section=section, step=step, slider=slider, slider_max=slider_max)


WORD_CHOICE, LENGTH, REASONING = (N_("Word choice"), N_("Length and repeatability"),
                                  N_("Reasoning models"))

SETTINGS: tuple[Setting, ...] = (
    _sampling("temperature", N_("Temperature"),
              N_("How much randomness goes into each word. Low values give focused, repeatable "
                 "answers; high values give varied ones that drift more easily."),
              kind="float", default=0.7, minimum=0.0, maximum=2.0,
              summary=N_("Low: focused, repeatable answers. High: varied ones that drift more."),
              section=WORD_CHOICE, step=0.05, slider=True),
    _sampling("top_p", N_("Top P"),
              N_("Only the most likely words that together make up this share of the probability "
                 "are considered. 1 considers them all."),
              kind="float", default=0.95, minimum=0.0, maximum=1.0,
              summary=N_("Consider only the likeliest words that make up this share. 1: all."),
              section=WORD_CHOICE, step=0.01, slider=True),
    _sampling("top_k", N_("Top K"),
              N_("Only this many of the most likely words are considered at each step. 0 considers "
                 "them all."),
              kind="int", default=40, minimum=0, maximum=1000,
              summary=N_("Consider only this many of the likeliest words. 0: all of them."),
              section=WORD_CHOICE, step=1, slider=True, slider_max=200),
    _sampling("min_p", N_("Min P"),
              N_("Words less likely than this fraction of the most likely word are left out. "
                 "0 leaves none out."),
              kind="float", default=0.05, minimum=0.0, maximum=1.0,
              summary=N_("Leave out words far less likely than the likeliest. 0: none."),
              section=WORD_CHOICE, step=0.01, slider=True),
    _sampling("repeat_penalty", N_("Repeat penalty"),
              N_("Makes words that were just used less likely, against loops. 1 turns it off."),
              kind="float", default=1.1, minimum=1.0, maximum=2.0,
              summary=N_("Makes words just used less likely, against loops. 1: off."),
              section=WORD_CHOICE, step=0.05, slider=True),
    _sampling("max_tokens", N_("Max tokens"),
              N_("The longest answer, in tokens. Empty: half the context length (at most 8,192), "
                 "so a model that never stops ends there."),
              kind="int", default=None, minimum=1, maximum=262_144, optional=True,
              summary=N_("The longest answer, in tokens. Empty: half the context, up to 8,192."),
              section=LENGTH, step=64),
    _sampling("seed", N_("Seed"),
              N_("The same seed with the same settings and prompt gives the same answer. Empty: a "
                 "different random seed each time."),
              kind="int", default=None, minimum=0, maximum=_INT32_MAX, optional=True,
              summary=N_("The same seed, settings and prompt give the same answer. Empty: random."),
              section=LENGTH),
    Setting("sampling.thinking", N_("Thinking"),
            N_("Lets a reasoning model think before it answers, for models whose template has "
               "the switch (Qwen3). Off: it answers at once, faster and shorter. Other models "
               "are not affected."),
            "bool", True, group="Sampling", per_model=True,
            summary=N_("Lets a model with the switch (Qwen3) think first. Off: faster, shorter."),
            section=REASONING),
    Setting("sampling.reasoning_effort", N_("Reasoning effort"),
            N_("How long a reasoning model that offers the choice (gpt-oss) thinks before it "
               "answers: longer is slower and often better."),
            "choice", "medium", choices=REASONING_EFFORTS,
            choice_labels=(N_("Low"), N_("Medium"), N_("High")), group="Sampling", per_model=True,
            summary=N_("How long a model that offers the choice (gpt-oss) thinks first."),
            section=REASONING),
    Setting("model.n_ctx", N_("Context length"),
            N_("How many tokens of the conversation the model sees at once. More remembers more "
               "of a long chat but takes more memory."),
            "int", 4096, 256, 262_144, reload=True, group="Model", per_model=True,
            summary=N_("Tokens of the chat the model sees at once. More takes more memory."),
            section=N_("Context"), step=256),
    Setting("model.flash_attn", N_("Flash attention"),
            N_("A faster, leaner way to compute attention. Some models and backends do not "
               "support it; quantized KV caches need it."),
            "bool", False, reload=True, group="Model", per_model=True,
            summary=N_("Faster, leaner attention, where the model and backend support it."),
            section=N_("Memory and speed")),
    Setting("model.kv_cache_type", N_("KV cache type"),
            N_("How the context is stored in memory. q8_0 halves the memory of f16 with little "
               "loss, q4_0 quarters it with more; both need flash attention."),
            "choice", "f16", choices=KV_CACHE_TYPES, reload=True, group="Model",
            per_model=True,
            summary=N_("How the context is stored: q8_0 takes half the memory, q4_0 a quarter."),
            section=N_("Memory and speed")),
    Setting("model.overflow", N_("When a chat outgrows the context"),
            N_("Drop the oldest turns (the system prompt and the question being asked are always "
               "kept), or stop and say so."),
            "choice", "drop-oldest", choices=OVERFLOW_POLICIES,
            choice_labels=(N_("Drop the oldest turns"), N_("Stop and say so")), group="Model",
            summary=N_("The system prompt and the question being asked are always kept."),
            section=N_("Context")),
    Setting("hardware.n_threads", N_("Threads for answers"),
            N_("CPU threads that write the answer. Auto: one per performance core, fewer while "
               "other programs keep the machine busy (the app measures each token and adapts)."),
            "int", "auto", 1, 256, special=("auto",), reload=True, group="Hardware",
            summary=N_("CPU threads that write the answer. Auto adapts to a busy machine."),
            section=N_("CPU")),
    Setting("hardware.n_threads_batch", N_("Threads for prompts"),
            N_("CPU threads that read the prompt and documents. Auto: one per performance core, "
               "fewer while other programs keep the machine busy."),
            "int", "auto", 1, 256, special=("auto",), reload=True, group="Hardware",
            summary=N_("CPU threads that read the prompt and documents."),
            section=N_("CPU")),
    Setting("hardware.n_batch", N_("Batch size"),
            N_("How many prompt tokens are evaluated in one step. Larger can read long prompts "
               "faster and takes more memory."),
            "int", 512, 32, 8192, reload=True, group="Hardware",
            summary=N_("Prompt tokens read in one step. Larger: faster, more memory."),
            section=N_("CPU"), step=32),
    Setting("hardware.n_gpu_layers", N_("GPU layers"),
            N_("How many of the model's layers run on the GPU. Auto decides for you; All puts "
               "every layer there; 0 runs on the CPU only."),
            "int", "auto", 0, 999, special=("auto", "all"), reload=True, group="Hardware",
            per_model=True,
            summary=N_("Layers of the model on the GPU. Auto decides; 0 runs on the CPU only."),
            section=N_("GPU")),
    Setting("hardware.summary_parallel", N_("Summary parts at once"),
            N_("How many parts of a long document a summary reads at once, decoded together "
               "in one batch, with a context's memory for each: much faster on a GPU; on a CPU "
               "reading is bound by its cores and gains little. Auto: 4 when the model runs on "
               "a GPU, else 1 (one after another); fewer when memory is short."),
            "int", "auto", 1, 64, special=("auto",), group="Hardware",
            summary=N_("Parts of a long document read at once. 1: one after another."),
            section=N_("CPU")),
    Setting("hardware.use_mmap", N_("Map the model file"),
            N_("Reads the model straight from its file as needed (memory mapping): loads faster "
               "and shares memory with the system's file cache."),
            "bool", True, reload=True, group="Hardware",
            summary=N_("Read the model from its file as needed: loads faster."),
            section=N_("Memory")),
    Setting("hardware.use_mlock", N_("Lock the model in memory"),
            N_("Keeps the whole model in RAM so the system never pages it out. Needs enough free "
               "memory and, on some systems, permission."),
            "bool", False, reload=True, group="Hardware",
            summary=N_("Keep the whole model in RAM, never paged out."),
            section=N_("Memory")),
    Setting("hardware.state_ram_mb", N_("Memory for recent chats (MB)"),
            N_("Going back to a chat used lately continues at once instead of reading its whole "
               "history again: its evaluated state is kept in memory, up to this much. 0 keeps "
               "none."),
            "int", 1024, 0, 1_048_576, group="Hardware",
            summary=N_("Going back to a recent chat continues at once. 0 keeps none."),
            section=N_("Memory"), step=256),
    Setting("hardware.state_disk_mb", N_("Disk for reopened chats (MB)"),
            N_("The evaluated state of chats is also saved on disk, up to this much, so that a "
               "long chat reopened after a restart continues at once. 0 saves none."),
            "int", 4096, 0, 16_777_216, group="Hardware",
            summary=N_("A long chat reopened after a restart continues at once. 0 saves none."),
            section=N_("Memory"), step=512),
    Setting("server.port", N_("Port"),
            N_("The port the local server (the OpenAI-compatible API) listens on."),
            "int", DEFAULT_SERVER_PORT, 1024, 65535, group="Server",
            summary=N_("Where the local server listens for other programs."),
            section=N_("Local server")),
    Setting("server.parallel", N_("Parallel requests"),
            N_("How many requests the local server answers at once, decoded together in one "
               "batch (continuous batching): more answers per second in total, each a little "
               "slower, with a context's memory for each. Auto: 4 (8 on a machine of more than "
               "8 cores), fewer when memory is short; 1 answers them one after another."),
            "int", "auto", 1, 64, special=("auto",), group="Server",
            summary=N_("Requests answered at once. 1: one after another."),
            section=N_("Local server")),
    Setting("server.idle_unload_min", N_("Unload an idle model after (minutes)"),
            N_("A model the server loaded for a request is freed after this many minutes without "
               "one. 0 keeps it loaded."),
            "int", 30, 0, 10_080, group="Server",
            summary=N_("Frees a model the server loaded once idle this long. 0: never."),
            section=N_("Local server")),
    Setting("server.save_chats", N_("Save API chats"),
            N_("Keep the chats other programs have through the server with your own, in the "
               "sidebar's API group."),
            "bool", False, group="Server",
            summary=N_("Keep other programs' chats in the sidebar's API group."),
            section=N_("Chats and access")),
    Setting("server.cors_origins", N_("Allowed web origins"),
            N_("Web pages (origins such as https://example.com, separated by spaces or commas) "
               "allowed to call the server from a browser. Empty allows none."),
            "text", "", group="Server",
            summary=N_("Web pages allowed to call the server from a browser. Empty: none."),
            section=N_("Chats and access")),
    Setting("app.language", N_("Language"),
            N_("The language of the window, the terminal and the task presets. System: the "
               "system's language when Lamplight has it, else English."),
            "choice", "system", choices=("system", "en", "zh_CN"),
            choice_labels=(N_("System"), "English", "简体中文"), group="App",
            summary=N_("The language of the window, the terminal and the presets."),
            section=N_("Appearance")),
    Setting("app.theme", N_("Theme"),
            N_("Light or dark colours, or whatever the system uses."),
            "choice", "system", choices=("system", "light", "dark"), group="App",
            summary=N_("Light or dark colours, or whatever the system uses."),
            section=N_("Appearance")),
    Setting("app.font_size", N_("Text size"),
            N_("The size of the window's text, in points. System: the system's size."),
            "int", "system", 6, 48, special=("system",), group="App",
            summary=N_("The size of the window's text, in points, or the system's size."),
            section=N_("Appearance"), step=1, slider=True, slider_max=24),
    Setting("app.enter_sends", N_("Enter sends"),
            N_("Enter sends the message and Shift+Enter starts a new line. Off: Ctrl+Enter sends "
               "and Enter starts a new line."),
            "bool", True, group="App",
            summary=N_("Shift+Enter starts a new line. Off: Ctrl+Enter sends."),
            section=N_("Typing")),
    # The Models page's *Model source* (app/core/models/sources.py) sets these too.
    Setting("app.model_source", N_("Model source"),
            N_("Where models are searched for and downloaded from: the Hugging Face Hub, a mirror "
               "of it (for where the hub cannot be reached), or ModelScope."),
            "choice", "huggingface", choices=("huggingface", "mirror", "modelscope"),
            choice_labels=(N_("Hugging Face"), N_("Hugging Face mirror"), N_("ModelScope")),
            group="App",
            summary=N_("Where models are searched for and downloaded from."),
            section=N_("Downloads")),
    Setting("app.mirror_url", N_("Mirror address"),
            N_("The address of a server that speaks the Hugging Face Hub's protocol, used when "
               "the model source is a mirror: https:// (or http://) and a host, nothing more."),
            "text", "https://hf-mirror.com", group="App",
            summary=N_("A server that speaks the hub's protocol, such as hf-mirror.com."),
            section=N_("Downloads")),
    Setting("app.send_token_to_mirror", N_("Send the hub token to the mirror"),
            N_("Send your Hugging Face token (HF_TOKEN, or the one `hf auth login` stored) to the "
               "mirror, for gated models. Off: the mirror never sees it."),
            "bool", False, group="App",
            summary=N_("For gated models. Off: the mirror never sees your token."),
            section=N_("Downloads")),
)

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def shown_value(value: object) -> str:
    """A value as an error line quotes it: `empty`, `true`, `2.5`, a string cut at 40."""
    if value is None:
        # TRANSLATORS: a setting left without a value, as in "Seed must be ..., not empty."
        return _("empty")
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _either(words: list[str]) -> str:
    if len(words) == 1:
        return words[0]
    # TRANSLATORS: the last of some choices: "'auto', 'all' or a whole number ...".
    return _("{items} or {last}").format(items=_(", ").join(words[:-1]), last=words[-1])


def allowed(setting: Setting) -> str:
    """What the setting accepts, in words (the reader's language): "a number from 0 to 2",
    "'auto' or a whole number..."."""
    if setting.kind == "bool":
        return _("true or false")
    if setting.kind == "text":
        return _("text of at most {n} characters").format(n=TEXT_MAX_CHARS)
    if setting.kind == "choice":
        return _("one of {choices}").format(choices=_either([repr(c) for c in setting.choices]))
    low, high = setting.minimum, setting.maximum
    whole = setting.kind == "int"
    if low is not None and high is not None:
        number = (_("a whole number from {low} to {high}") if whole else
                  _("a number from {low} to {high}")).format(low=_number(low),
                                                             high=_number(high))
    elif low is not None:
        number = (_("a whole number of at least {low}") if whole else
                  _("a number of at least {low}")).format(low=_number(low))
    else:
        number = _("a whole number") if whole else _("a number")
    text = _either([*(repr(s) for s in setting.special), number])
    return _("{allowed}, or empty").format(allowed=text) if setting.optional else text


def _invalid(setting: Setting, value: object) -> SettingError:
    return SettingError(_("{setting} must be {allowed}, not {value}.").format(
        setting=_(setting.label), allowed=allowed(setting), value=shown_value(value)))


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
    if setting.kind == "text":
        if isinstance(value, str) and len(value) <= TEXT_MAX_CHARS and value.isprintable():
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


def setting_named(key: str) -> Setting:
    """The setting declared as `key`; `KeyError` naming it when there is none."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"no setting {key!r}") from None
