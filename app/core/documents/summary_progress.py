"""Where a summary is, in words, with the time left estimated from the speeds measured so
far in the job."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from app.core.engine.base import GenerationStats
from app.i18n import _

Stage = Literal["preparing", "reading", "combining", "writing"]


@dataclass(frozen=True)
class SummaryProgress:
    """Where a summary is. `step` is 1-based among the `steps` of its stage."""

    stage: Stage
    step: int
    steps: int
    eta_s: float | None

    def describe(self) -> str:
        """Where the summary is and the time left, in the reader's language."""
        if self.stage == "preparing":
            return _("Measuring the document")
        if self.stage == "reading":
            what = _("Reading part {step} of {steps}").format(step=self.step, steps=self.steps)
        elif self.stage == "combining":
            what = _("Combining notes, step {step} of {steps}").format(step=self.step,
                                                                      steps=self.steps)
        else:
            what = _("Writing the summary")
        return f"{what} · {format_eta(self.eta_s)}"


OnProgress = Callable[[SummaryProgress], None]


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return _("estimating the time left")
    if seconds < 10:
        return _("a few seconds left")
    if seconds < 90:
        return _("about {n} s left").format(n=f"{round(seconds / 5) * 5:.0f}")
    minutes = seconds / 60
    if minutes < 90:
        return _("about {n} min left").format(n=f"{minutes:.0f}")
    return _("about {n} h left").format(n=f"{minutes / 60:.1f}")


# A guess until the job has written something: SmolLM2 on 2 cores reads ~1,000 tokens/s and
# writes ~125.
WRITE_VS_READ = 8.0


@dataclass
class Rates:
    """Speeds measured so far in a job, for the time estimate."""

    prompt_tokens: int = 0
    prompt_s: float = 0.0
    generated_tokens: int = 0
    generation_s: float = 0.0

    def add(self, stats: GenerationStats) -> None:
        self.prompt_tokens += stats.prompt_tokens
        self.prompt_s += stats.ttft_s
        self.generated_tokens += stats.completion_tokens
        self.generation_s += stats.generation_s

    def estimate(self, prompt_tokens: float, generated_tokens: float) -> float | None:
        """Seconds to read `prompt_tokens` and write `generated_tokens` at these speeds; None
        before anything was read. Before any token was written, writing one is taken to cost
        `WRITE_VS_READ` times reading one (on CPUs reading is batched, writing is not)."""
        if self.prompt_s <= 0 or self.prompt_tokens == 0:
            return None
        read_s = self.prompt_s / self.prompt_tokens
        if self.generated_tokens and self.generation_s > 0:
            write_s = self.generation_s / self.generated_tokens
        else:
            write_s = read_s * WRITE_VS_READ
        return prompt_tokens * read_s + generated_tokens * write_s

    def with_step(self, read: int, read_s: float, written: int = 0,
                  written_s: float = 0.0) -> Rates:
        """These speeds with what the step under way has read and written so far."""
        return Rates(self.prompt_tokens + read, self.prompt_s + read_s,
                     self.generated_tokens + written, self.generation_s + written_s)
