"""How a summary should read (length, form, language, a question), as the user chose it and
as a saved question keeps it, and the words each length asks for."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from app.i18n import _

Length = Literal["short", "medium", "detailed"]
Form = Literal["bullets", "prose"]
LENGTHS: tuple[Length, ...] = ("short", "medium", "detailed")
FORMS: tuple[Form, ...] = ("bullets", "prose")

# Words asked for: of the summary, and of each part's note.
SUMMARY_WORDS: dict[Length, int] = {"short": 80, "medium": 180, "detailed": 350}
NOTE_WORDS: dict[Length, int] = {"short": 50, "medium": 90, "detailed": 160}
FORM_WORDS: dict[Form, str] = {"bullets": "as a bulleted list", "prose": "as plain paragraphs"}


@dataclass(frozen=True)
class SummaryOptions:
    """How the summary should read. `language` None means the document's own."""

    length: Length = "medium"
    form: Form = "bullets"
    language: str | None = None
    question: str = ""  # when set, the notes and the answer address it


def summary_request(options: SummaryOptions, language: str, documents: int = 1) -> str:
    """The question shown (and sent) when the user attaches documents and types nothing, in
    the reader's language (the summary's own language is `language`, named in it)."""
    one, bullets = documents == 1, options.form == "bullets"
    if one:
        text = (_("Summarize the attached document in {language}, as a bulleted list, in about "
                  "{words} words.") if bullets else
                _("Summarize the attached document in {language}, as plain paragraphs, in "
                  "about {words} words."))
    else:
        text = (_("Summarize the attached documents in {language}, as a bulleted list, in "
                  "about {words} words.") if bullets else
                _("Summarize the attached documents in {language}, as plain paragraphs, in "
                  "about {words} words."))
    return text.format(language=_(language), words=SUMMARY_WORDS[options.length])


def options_to_json(options: SummaryOptions) -> dict[str, Any]:
    return dataclasses.asdict(options)


def options_from_json(data: object) -> SummaryOptions:
    """Options saved with a question; what is missing or unknown falls back to the default."""
    default = SummaryOptions()
    if not isinstance(data, dict):
        return default
    length, form = data.get("length"), data.get("form")
    language, question = data.get("language"), data.get("question")
    return SummaryOptions(
        length=length if length in LENGTHS else default.length,
        form=form if form in FORMS else default.form,
        language=language if isinstance(language, str) and language else None,
        question=question if isinstance(question, str) else "")
