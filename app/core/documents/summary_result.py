"""What a summary produced (`SummaryResult`: the text, each part's note, what it read), the
details a saved message keeps of it, and those details read back (`SavedSummary`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from app.core.engine.base import FinishReason, GenerationStats
from app.i18n import ngettext


@dataclass(frozen=True)
class PartNote:
    """What one part of the document said, as its note."""

    index: int  # 1-based
    start: int
    end: int
    tokens: int
    note: str


@dataclass(frozen=True)
class SummaryResult:
    """The summary (or, when stopped, the notes so far) and what it covered."""

    text: str
    name: str
    parts: tuple[PartNote, ...]
    levels: int              # 0: the document fitted one step; 1: notes combined at once; ...
    document_tokens: int
    prompt_tokens: int       # every token evaluated, instructions and notes included
    completion_tokens: int   # every token generated, notes included
    elapsed_s: float
    finish_reason: FinishReason
    stats: GenerationStats   # of the whole job: time to the summary's first token, and so on

    @property
    def cancelled(self) -> bool:
        return self.finish_reason == "cancelled"

    def coverage(self) -> str:
        """One line on what was read: 'Summarized all of report.pdf: 12 parts, 24,310 tokens'."""
        tokens = f"{self.document_tokens:,}"
        if self.cancelled:
            read = len(self.parts)
            return ngettext("Stopped after {n} part of {name} ({tokens} tokens in all).",
                            "Stopped after {n} parts of {name} ({tokens} tokens in all).",
                            read).format(n=read, name=self.name, tokens=tokens)
        parts = len(self.parts) or 1
        return ngettext("Summarized all of {name}: {n} part, {tokens} tokens.",
                        "Summarized all of {name}: {n} parts, {tokens} tokens.",
                        parts).format(n=parts, name=self.name, tokens=tokens)

    def details(self) -> dict[str, Any]:
        """What a saved message keeps to show the summary part by part."""
        return {
            "name": self.name,
            "levels": self.levels,
            "document_tokens": self.document_tokens,
            "complete": not self.cancelled,
            "elapsed_s": round(self.elapsed_s, 1),
            "parts": [dataclasses.asdict(p) for p in self.parts],
        }


@dataclass(frozen=True)
class SavedSummary:
    """A summary's details as a saved (or imported) message holds them, read defensively: a
    file from elsewhere may hold anything."""

    name: str
    document_tokens: int
    complete: bool
    elapsed_s: float | None
    parts: tuple[PartNote, ...]

    @classmethod
    def from_details(cls, details: object) -> SavedSummary:
        data = details if isinstance(details, dict) else {}
        tokens, elapsed = data.get("document_tokens"), data.get("elapsed_s")
        return cls(
            name=str(data.get("name") or "the document"),
            document_tokens=tokens if isinstance(tokens, int) and tokens >= 0 else 0,
            complete=data.get("complete") is not False,
            elapsed_s=float(elapsed) if isinstance(elapsed, int | float) else None,
            parts=tuple(part_notes_from_details(data)))


def part_notes_from_details(details: object) -> list[PartNote]:
    """The part notes of a saved summary; anything malformed is skipped."""
    if not isinstance(details, dict) or not isinstance(details.get("parts"), list):
        return []
    notes = []
    for item in details["parts"]:
        try:
            notes.append(PartNote(int(item["index"]), int(item["start"]), int(item["end"]),
                                  int(item["tokens"]), str(item["note"])))
        except (KeyError, TypeError, ValueError):
            continue
    return notes
