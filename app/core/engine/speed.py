"""How fast a model would write on this machine: an estimate, for choosing what to download.

Writing one token reads every weight once, so the speed of writing is bound by how fast memory
delivers the weights: tokens/s ≈ effective bandwidth / model bytes. The effective bandwidth is
calibrated from answers measured here (the chats keep each answer's speed): a model's size
times its median speed, taken from the largest model measured, since the smaller a model the
more of its time goes to per-token overhead instead of reading weights (SmolLM2 135M measures a
lower bandwidth than Gemma 3 270M on the same machine; see tests/benchmarks/bench_speed.py).
Without any measured answer a conservative default stands in. A model that does not fit gets
no figure: it would swap, far slower than any estimate.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.core.engine import fit
from app.files import format_bytes
from app.i18n import _, ngettext

# Bytes a second llama.cpp reads weights at, on the low side, until an answer is measured: a
# busy two-core cloud VM measured 1.2 GB/s (bench_speed.py: SmolLM2 135M 12 tok/s, Gemma 3
# 270M 4.9), a laptop with dual-channel DDR4 or DDR5 reads some 20–50, a GPU far more.
DEFAULT_BANDWIDTH = 3e9
MIN_TOKENS = 16  # an answer shorter than this measures its start more than its speed
MAX_RATE = 5000.0  # tokens a second no answer reaches: a damaged or crafted figure
MIN_SIZE = 1_000_000  # bytes; no real model is smaller


@dataclass(frozen=True)
class Measured:
    """One answer measured here: the model's name and file size, its speed and length."""

    model: str
    size_bytes: int
    tokens_per_s: float
    tokens: int


@dataclass(frozen=True)
class Bandwidth:
    """Bytes a second the weights are read at; `model` is what it was measured on (None:
    the default), over `answers` answers at a median of `tokens_per_s`."""

    bytes_per_s: float
    model: str | None = None
    answers: int = 0
    tokens_per_s: float = 0.0

    def describe(self) -> str:
        rate = f"{format_bytes(self.bytes_per_s)}/s"
        if self.model is None:
            return _("no answer has been measured here yet, so a conservative {rate} is "
                     "assumed").format(rate=rate)
        return ngettext(
            "measured here: {model} wrote {speed} tokens a second over {n} answer, which is "
            "{rate}",
            "measured here: {model} wrote {speed} tokens a second over {n} answers, which is "
            "{rate}", self.answers).format(model=self.model, speed=f"{self.tokens_per_s:.1f}",
                                           n=self.answers, rate=rate)


DEFAULT = Bandwidth(DEFAULT_BANDWIDTH)


def calibrate(samples: Iterable[Measured]) -> Bandwidth:
    """The effective bandwidth the measured answers show, from the largest model among them
    (its median speed); the default without any usable answer."""
    by_model: dict[tuple[str, int], list[float]] = defaultdict(list)
    for sample in samples:
        if (sample.tokens >= MIN_TOKENS and sample.size_bytes >= MIN_SIZE
                and math.isfinite(sample.tokens_per_s) and 0 < sample.tokens_per_s <= MAX_RATE):
            by_model[sample.model, sample.size_bytes].append(sample.tokens_per_s)
    if not by_model:
        return DEFAULT
    (model, size), rates = max(by_model.items(), key=lambda item: item[0][1])
    rate = statistics.median(rates)
    return Bandwidth(size * rate, model, len(rates), rate)


def measured(rows: Iterable[tuple[str, str, float, int]]) -> list[Measured]:
    """Answers as the history keeps them (model file, model name, tokens a second, tokens)
    with their model's size; answers by a model file that is gone are left out. Blocking (a
    stat a model file): off the GUI thread. Answers of models elsewhere (named MODEL@CONNECTION,
    not a file here) are left out: their speed is another machine's."""
    sizes: dict[str, int | None] = {}
    found = []
    for path, model, rate, tokens in rows:
        if not Path(path).is_absolute():
            sizes[path] = None
        if path not in sizes:
            try:
                sizes[path] = Path(path).stat().st_size
            except (OSError, ValueError):
                sizes[path] = None
        size = sizes[path]
        if size is not None:
            found.append(Measured(model, size, rate, tokens))
    return found


@dataclass(frozen=True)
class SpeedHint:
    """About how many tokens a second a model would write here, and how that was worked out."""

    tokens_per_s: float
    size_bytes: int
    bandwidth: Bandwidth
    tight: bool

    @property
    def text(self) -> str:
        """"~25 tok/s here": two significant figures at most, an estimate."""
        rate = self.tokens_per_s
        if rate < 1:
            return _("<1 tok/s here")
        shown = round(rate, 1 - math.floor(math.log10(rate)))
        return _("~{rate} tok/s here").format(
            rate=f"{shown:.0f}" if shown >= 10 else f"{shown:.1f}")

    def explain(self) -> str:
        why = _("An estimate, not a measurement: writing a token reads the whole model once, "
                "so the speed is about memory bandwidth / model size: {bandwidth} / {size}. "
                "The bandwidth: {how}. ").format(
                    bandwidth=f"{format_bytes(self.bandwidth.bytes_per_s)}/s",
                    size=format_bytes(self.size_bytes), how=self.bandwidth.describe())
        # Each sentence ends with the space before the next (none in Chinese).
        if self.tight:
            why += _("The model only just fits: if the system starts swapping, far slower. ")
        return why + _("A long chat, a big context or other programs make it slower.")


def hint(estimate: fit.Estimate, bandwidth: Bandwidth) -> SpeedHint | None:
    """The speed a model with this fit `estimate` would write at; None when it does not fit."""
    if estimate.verdict is fit.Verdict.TOO_BIG or estimate.weights <= 0:
        return None
    return SpeedHint(bandwidth.bytes_per_s / estimate.weights, estimate.weights, bandwidth,
                     estimate.verdict is fit.Verdict.TIGHT)
