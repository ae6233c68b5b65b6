"""Which language a text is written in, well enough to ask a model to answer in it.

A summary is written in the document's own language unless the user picks another. Small models
asked to "answer in the language of the text" mostly answer in English, so the app names the
language itself. Scripts settle most languages at once; Latin-script text is told apart by its
most common short words. The names are those of `presets.LANGUAGES` (plus a few it lacks), so the
picker and the detector agree.
"""

from __future__ import annotations

import re
from collections import Counter

from app.core.text import HAN, HANGUL, KANA
from app.i18n import N_, _

# The languages a translation or a summary may be asked in, as the model is told them: these
# English names are the values kept and sent; `_(name)` is how the reader's language names
# them, for a picker or a prompt in that language.
DEFAULT_LANGUAGE = "English"
CHINESE_SIMPLIFIED, CHINESE_TRADITIONAL = "Chinese (Simplified)", "Chinese (Traditional)"

LANGUAGES: tuple[str, ...] = (
    N_("English"),
    N_("Chinese (Simplified)"),
    N_("Chinese (Traditional)"),
    N_("Spanish"),
    N_("French"),
    N_("German"),
    N_("Japanese"),
    N_("Korean"),
    N_("Portuguese"),
    N_("Russian"),
    N_("Italian"),
    N_("Arabic"),
    N_("Hindi"),
    N_("Dutch"),
    N_("Turkish"),
    N_("Polish"),
    N_("Vietnamese"),
    N_("Indonesian"),
    N_("Ukrainian"),
    N_("Swedish"),
)

SAMPLE_CHARS = 20_000


def language_named(name: str) -> str | None:
    """The name in `LANGUAGES` that `name` means, whatever its case, spaces and brackets
    ("german", "chinese simplified"), or as the reader's language names it ("德语"); None
    when it means none of them."""
    words = _key(name)
    return next((language for language in LANGUAGES
                 if words in (_key(language), _key(_(language)))), None)


def is_chinese_name(language: str) -> bool:
    """Whether `language` (a name of `LANGUAGES`, or one from elsewhere) is a Chinese."""
    return _key(language).startswith("chinese")


def _key(name: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", name.casefold()))

# (first, last) code point of each script that names a language by itself.
_SCRIPTS: tuple[tuple[str, int, int], ...] = (
    *(("Hangul", first, last) for first, last in HANGUL),
    *(("Kana", first, last) for first, last in KANA),
    *(("Han", first, last) for first, last in HAN),
    ("Cyrillic", 0x0400, 0x04FF),
    ("Arabic", 0x0600, 0x06FF),
    ("Devanagari", 0x0900, 0x097F),
    ("Greek", 0x0370, 0x03FF),
    ("Hebrew", 0x0590, 0x05FF),
    ("Thai", 0x0E00, 0x0E7F),
)
_BY_SCRIPT = {"Hangul": "Korean", "Kana": "Japanese", "Arabic": "Arabic", "Devanagari": "Hindi",
              "Greek": "Greek", "Hebrew": "Hebrew", "Thai": "Thai"}

# Characters written differently in the two Chinese scripts (simplified, traditional).
_SIMPLIFIED = set("这们说会国来时为与学个过对没见长问门马东车书话语经发开关")
_TRADITIONAL = set("這們說會國來時為與學個過對沒見長問門馬東車書話語經發開關")
_TRADITIONAL -= _SIMPLIFIED  # 书/書 etc. differ; any shared character would count for both

_UKRAINIAN = set("іїєґІЇЄҐ")

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOPWORDS: dict[str, frozenset[str]] = {
    "English": _words("the and of to is in that it was for with as on are be this by"),
    "French": _words("le la les et des est une que dans pour qui pas sur au du ne"),
    "German": _words("der die und das ist nicht ein eine zu den mit sich auf für von"),
    "Spanish": _words("el la los las y que es en por una para con del se no"),
    "Italian": _words("il la che di e è un una per non con sono gli della nel"),
    "Portuguese": _words("o a os as e que é em um uma para com não do da"),
    "Dutch": _words("de het een en van is dat niet op te zijn met voor die"),
    "Swedish": _words("och att det som en är på för med inte av till den har"),
    "Polish": _words("i w nie się na że jest do to z jak ale co po"),
    "Turkish": _words("ve bir bu da de için ile çok ne olarak daha gibi ama"),
    "Indonesian": _words("yang dan di itu dengan untuk tidak ini dari dalam akan"),
    "Vietnamese": _words("và của là có không những được cho một người này trong"),
}
_WORD = re.compile(r"[^\W\d_]+")


def detect_language(text: str) -> str:
    """The language of `text` by name ("English", "Chinese (Simplified)", ...); English when
    nothing tells."""
    sample = text[:SAMPLE_CHARS]
    scripts: Counter[str] = Counter()
    letters = 0
    for char in sample:
        if not char.isalpha():
            continue
        letters += 1
        code = ord(char)
        for name, first, last in _SCRIPTS:
            if first <= code <= last:
                scripts[name] += 1
                break
    if not letters:
        return DEFAULT_LANGUAGE
    if scripts["Kana"] >= max(10, letters * 0.05):
        return "Japanese"  # Japanese mixes kana into Han; Chinese has none
    if scripts["Han"] >= letters * 0.3:
        traditional = sum(c in _TRADITIONAL for c in sample)
        simplified = sum(c in _SIMPLIFIED for c in sample)
        return "Chinese (Traditional)" if traditional > simplified else "Chinese (Simplified)"
    if scripts:
        script, count = scripts.most_common(1)[0]
        if count >= letters * 0.3:
            if script == "Cyrillic":
                return "Ukrainian" if sum(c in _UKRAINIAN for c in sample) > 3 else "Russian"
            if script in _BY_SCRIPT:
                return _BY_SCRIPT[script]
    return _latin_language(sample)


def _latin_language(sample: str) -> str:
    votes: Counter[str] = Counter()
    for word in _WORD.findall(sample.lower()):
        for language, words in _STOPWORDS.items():
            if word in words:
                votes[language] += 1
    if not votes:
        return DEFAULT_LANGUAGE
    return votes.most_common(1)[0][0]
