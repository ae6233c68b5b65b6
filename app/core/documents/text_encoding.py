"""Which legacy encoding a text file is in, or that it cannot be told.

Bytes that are not UTF-8 decode without error in many code pages, and a short text gives a
statistical detector little to go on: a line of Shift_JIS decoded as Korean (cp949) as
cleanly as Japanese, and charset-normalizer rated both alike, so garbage was summarized.
Here each likely code page (`CODE_PAGES`) decodes a sample, and each reading is rated by what
a reader would notice first: whether its characters are the common ones of one writing
system, used as that system uses them.

- Han characters score 1 when a national standard puts them in its first level (GB 2312,
  Big5, JIS X 0208: the 3,000 to 5,000 characters in everyday use), 0.5 in its second; in a
  Japanese reading they must be JIS kanji, in a Korean one they are Hanja (0.5). Hangul
  scores 1 when KS X 1001 has it (its 2,350 syllables are everyday Korean); kana and common
  punctuation 1; letters of alphabets by how common they are; stray jamo, half-width
  katakana, Bopomofo, box drawing and most symbols 0.
- Context: Korean never puts one Hanja between two syllables; Chinese and Japanese put no
  spaces between words (a "Chinese" reading full of spaced pairs is Korean read wrongly); a
  lone ideograph beside Latin letters is a Western text read wrongly ("ent縊"). Big5 puts
  half its characters at second bytes below 0x7F and the EUC encodings none, so a long Big5
  reading with none is an EUC text.
- Words: a word mixes no scripts and no cases ("cafй", "рТЙЧЕФ"); Western text is mostly
  ASCII letters; alphabets are written with spaces, so a long unspaced run of letters and
  symbols is CJK read in a Western or Cyrillic code page; a text mostly in capitals is
  suspect (KOI8-R and Windows-1251 read each other's small letters as capitals).

A reading's plausibility is the average score of its non-ASCII characters. `guess` takes the
best reading when it is good (`GOOD`) and clearly better than every other good one, overall
(`MARGIN`, wider for a few characters) or where the two differ (`DIFFERENCE_MARGIN`), and
otherwise names the readings it could not tell apart. Measured on the sample texts of the
tests cut into every piece of two characters or more (5,500 pieces in 20 code pages): nine in
ten read right, the rest refused as unclear, none read wrong.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from app.i18n import N_, _

# The code pages tried, with the name a user knows them by; the first of those that read
# the same text stands for it.
CODE_PAGES: dict[str, str] = {
    "cp932": N_("Japanese (Shift_JIS)"),
    "euc_jp": N_("Japanese (EUC-JP)"),
    "gb18030": N_("Chinese (GB18030)"),
    "cp950": N_("Chinese (Big5)"),
    "cp949": N_("Korean (EUC-KR)"),
    "cp1252": N_("Western (Windows-1252)"),
    "cp1250": N_("Central European (Windows-1250)"),
    "cp1257": N_("Baltic (Windows-1257)"),
    "cp1254": N_("Turkish (Windows-1254)"),
    "mac_roman": N_("Western (Mac OS Roman)"),
    "cp1251": N_("Cyrillic (Windows-1251)"),
    "koi8_r": N_("Russian (KOI8-R)"),
    "koi8_u": N_("Ukrainian (KOI8-U)"),
    "cp866": N_("Cyrillic (DOS 866)"),
    "cp1253": N_("Greek (Windows-1253)"),
}
# Western code pages read most Western text alike, each a letter or two apart (French à is
# ŕ in cp1250): a close call among them goes to the one Windows uses for Western languages.
_WESTERN = frozenset({"cp1252", "cp1250", "cp1257", "cp1254", "mac_roman"})
_JAPANESE = frozenset({"cp932", "euc_jp"})
_KOREAN = frozenset({"cp949"})

# A reading is good at this plausibility. It beats another good one that is MARGIN less
# plausible, or that scores DIFFERENCE_MARGIN less on the characters where the two differ.
GOOD = 0.8
MARGIN = 0.15
DIFFERENCE_MARGIN = 0.25
_FEW_CHARACTERS = 0.5
# A Big5 reading of this many characters, none at a second byte below 0x7F, is not Big5.
_BIG5_EVIDENCE = 10

_PUNCTUATION = frozenset(
    "\u00a0«»°§©®™€£¥¢¿¡×·"
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2018\u2019\u201c\u201d\u201e\u2022\u2026"
    + "".join(chr(c) for c in range(0x3000, 0x3020))  # 、。〃々〆〇〈〉《》「」『』【】〜...
    + "".join(chr(c) for c in range(0xFF01, 0xFF5F))  # full-width ！（），：；？ and letters
)
# Letter frequencies (per cent) of Russian, with Ukrainian's і ї є ґ, and of Greek: a letter
# scores its frequency over 2 %, at most 1.
_LETTER_FREQUENCY: dict[str, float] = {
    "о": 11.0, "е": 8.5, "а": 8.0, "и": 7.4, "н": 6.7, "т": 6.3, "с": 5.5, "р": 4.7,
    "в": 4.5, "л": 4.4, "к": 3.5, "м": 3.2, "д": 3.0, "п": 2.8, "у": 2.6, "я": 2.0,
    "ы": 1.9, "ь": 1.7, "г": 1.7, "з": 1.7, "б": 1.6, "ч": 1.4, "й": 1.2, "х": 1.0,
    "ж": 0.9, "ш": 0.7, "ю": 0.6, "ц": 0.5, "щ": 0.4, "э": 0.3, "ф": 0.3, "ъ": 0.1,
    "ё": 1.0, "і": 5.0, "ї": 1.0, "є": 1.0, "ґ": 0.2, "ј": 1.0,
    "α": 12.0, "ο": 9.8, "ι": 9.3, "ε": 8.2, "τ": 8.2, "ν": 7.3, "σ": 4.5, "ς": 3.0,
    "η": 5.0, "ρ": 4.8, "κ": 4.1, "π": 4.0, "υ": 3.9, "μ": 3.4, "λ": 2.8, "ω": 1.9,
    "γ": 1.9, "δ": 1.6, "θ": 1.3, "χ": 1.1, "φ": 0.8, "β": 0.7, "ξ": 0.5, "ζ": 0.4,
    "ψ": 0.2, "ά": 2.0, "έ": 1.5, "ή": 1.0, "ί": 2.0, "ό": 2.0, "ύ": 1.0, "ώ": 0.8,
}
_SCRIPT_RANGES = (
    (0xC0, 0x24F, "latin"), (0x370, 0x3FF, "greek"), (0x400, 0x4FF, "cyrillic"),
    (0x3041, 0x3096, "kana"), (0x309B, 0x309E, "kana"), (0x30A1, 0x30FA, "kana"),
    (0x30FC, 0x30FE, "kana"), (0x3400, 0x9FFF, "han"), (0xAC00, 0xD7A3, "hangul"),
    (0xF900, 0xFAFF, "han"),
)
_ALPHABETS = frozenset({"latin", "cyrillic", "greek"})
_LETTERS = frozenset({"latin", "cyrillic", "greek", "ascii letter"})
_CJK = frozenset({"han", "kana", "hangul"})
# Punctuation that does not stand between two letters (’ and · do: "l’homme", "col·lecció").
_ODD_BETWEEN_LETTERS = frozenset("«»°§©®™€£¥¢¿¡×\u201c\u201d\u201e\u2022\u2026")
# A word of alphabets has fewer non-ASCII letters than this, and fewer symbols around it
# (other than the punctuation CJK text uses as well: quotes, dashes, ellipses, dots).
_LONGEST_WORD = 20
_MOST_SYMBOLS = 4
_WORD_PUNCTUATION = frozenset("\u00a0·\u2010\u2011\u2012\u2013\u2014\u2015\u2018\u2019\u201c"
                              "\u201d\u2022\u2026")

_SPACED_CJK = re.compile(r"[\u3041-\u30ff\u3400-\u9fff] (?=[\u3041-\u30ff\u3400-\u9fff])")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Reading:
    """The sample decoded in one code page, how plausible it is (0 to 1), and what its
    non-ASCII characters scored (each: the sum over its occurrences, and their number)."""

    encoding: str
    text: str
    plausibility: float
    scores: dict[str, tuple[float, int]]

    @property
    def label(self) -> str:
        """What the user knows the code page as, e.g. "Japanese (Shift_JIS)", in the reader's
        language."""
        return _(CODE_PAGES[self.encoding]) if self.encoding in CODE_PAGES else self.encoding

    @property
    def characters(self) -> int:
        """How many non-ASCII characters the reading has (at least 1)."""
        return max(1, sum(count for _, count in self.scores.values()))

    def plausibility_apart_from(self, other: Reading) -> float:
        """The plausibility of the characters this reading has and `other` has not."""
        total = count = 0.0
        for char, (score, occurrences) in self.scores.items():
            if char not in other.scores:
                total += score
                count += occurrences
        return total / count if count else self.plausibility


@dataclass(frozen=True)
class Guess:
    """`encoding` when one reading is clearly right; else the readings that came closest."""

    encoding: str | None
    contenders: tuple[Reading, ...]


def guess(sample: bytes) -> Guess:
    """The code page `sample` (not UTF-8, cut between characters) is in."""
    readings: list[Reading] = []
    seen: set[str] = set()
    for encoding in CODE_PAGES:
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        if text in seen or (encoding == "cp950" and not _big5_like(text)):
            continue
        seen.add(text)
        readings.append(read(encoding, text))
    readings.sort(key=lambda reading: -reading.plausibility)  # stable: ties keep the order
    if not readings or readings[0].plausibility < GOOD:
        return Guess(None, tuple(readings[:2]))
    best = readings[0]
    # A few characters are weak evidence: the fewer, the wider the margin.
    margin = MARGIN + _FEW_CHARACTERS / best.characters
    rivals = [reading for reading in readings[1:]
              if reading.plausibility >= best.plausibility - margin
              and best.plausibility_apart_from(reading) - reading.plausibility_apart_from(best)
              < DIFFERENCE_MARGIN]
    if not rivals:
        return Guess(best.encoding, (best,))
    close = (best, *rivals)
    if {reading.encoding for reading in close} <= _WESTERN and any(
            reading.encoding == "cp1252" for reading in close):
        return Guess("cp1252", close)
    return Guess(None, close[:3])


def read(encoding: str, text: str) -> Reading:
    """`text`, as read in `encoding`, rated."""
    scores: dict[str, tuple[float, int]] = {}
    for char, score in zip(text, _scores(text, encoding), strict=True):
        if not char.isascii():
            total, count = scores.get(char, (0.0, 0))
            scores[char] = (total + score, count + 1)
    occurrences = sum(count for _, count in scores.values())
    plausible = sum(total for total, _ in scores.values()) / occurrences if occurrences else 1.0
    return Reading(encoding, text, plausible, scores)


def _scores(text: str, encoding: str) -> list[float]:
    """A score from 0 to 1 for each character of `text`, read in `encoding` (ASCII ones are
    not used)."""
    tables = _tables()
    scripts = [_script(char) for char in text]
    kana = scripts.count("kana")
    hangul = scripts.count("hangul")
    han = scripts.count("han")
    # Han is Japanese kanji in a Japanese code page or beside kana, Hanja in a Korean code
    # page (even without Hangul: Korean is not written in Hanja alone) or beside Hangul.
    if encoding in _JAPANESE or (kana and encoding not in _KOREAN):
        han_scores = tables.japanese
    elif encoding in _KOREAN or hangul:
        han_scores = tables.korean
    else:
        han_scores = tables.chinese
    if han + kana >= 4 and not hangul and len(_SPACED_CJK.findall(text)) * 10 > han + kana:
        han_scores = {}  # Chinese or Japanese spaced like Korean: Korean read wrongly
    letters = _letter_scores(text)
    scores = [0.0] * len(text)
    for i, (char, script) in enumerate(zip(text, scripts, strict=True)):
        if script == "kana" or char in _PUNCTUATION:
            scores[i] = 0.0 if char in _ODD_BETWEEN_LETTERS and _between(
                scripts, i, _LETTERS) else 1.0
        elif script == "hangul":
            scores[i] = 1.0 if char in tables.hangul else 0.0
        elif script == "han":
            scores[i] = 0.0 if _between(scripts, i, {"hangul"}) or _alone_by(
                scripts, i, "ascii letter") else han_scores.get(char, 0.0)
        elif script in _ALPHABETS:
            scores[i] = letters.get(char, 0.0)
    for start, end in _unspaced(text, scripts):
        scores[start:end] = [0.0] * (end - start)
    return scores


def _between(scripts: list[str], i: int, around: frozenset[str] | set[str]) -> bool:
    """Whether the character at `i` stands alone between two characters of one of the
    scripts `around` ("츠莖乖댔": a Chinese text read in a Korean code page)."""
    return (0 < i < len(scripts) - 1 and scripts[i - 1] == scripts[i + 1]
            and scripts[i - 1] in around)


def _alone_by(scripts: list[str], i: int, neighbour: str) -> bool:
    """Whether the CJK character at `i` has no CJK neighbour and a `neighbour` one ("ent縊 ":
    a Western text read in a CJK code page)."""
    before = scripts[i - 1] if i else "ascii"
    after = scripts[i + 1] if i < len(scripts) - 1 else "ascii"
    return neighbour in {before, after} and not {before, after} & _CJK


def _unspaced(text: str, scripts: list[str]) -> Iterator[tuple[int, int]]:
    """Runs without white space that hold more letters of alphabets than a word does, or
    more Western symbols than a word has around it: a CJK text read in a Western or Cyrillic
    code page ("§l§Í¡G§£±w§H" is Big5 read as Mac OS Roman)."""
    start = letters = symbols = 0
    for i, script in enumerate([*scripts, "space"]):
        if script == "space":
            if letters >= _LONGEST_WORD or symbols >= _MOST_SYMBOLS:
                yield start, i
            start, letters, symbols = i + 1, 0, 0
        elif script in _ALPHABETS:
            letters += 1
        elif script == "other" and text[i] < "\u2e80" and text[i] not in _WORD_PUNCTUATION:
            symbols += 1


def _letter_scores(text: str) -> dict[str, float]:
    """The average score of each non-ASCII letter of an alphabet in `text`: by how common it
    is; 0 in a word that mixes scripts or cases, and for Latin ones when the text has more of
    them than ASCII letters (Cyrillic read in a Western code page); a quarter less in words
    in capitals when those are most of the text (KOI8-R and Windows-1251 read each other's
    lower case as capitals)."""
    scores: dict[str, list[tuple[float, bool]]] = {}
    ascii_letters = latin = capitals = cased = 0
    others: dict[str, int] = {}  # Cyrillic and Greek letters
    for match in _WORD.finditer(text):
        word = match.group()
        if word.isascii():
            ascii_letters += len(word)
            continue
        scripts = {_script(char) for char in word} - {"ascii letter"}
        # Latin words mix in ASCII letters; Cyrillic or Greek ones do not.
        one_script = len(scripts) == 1 and (
            scripts == {"latin"} or not any(char.isascii() for char in word))
        well_formed = one_script and (word.islower() or word.isupper() or word.istitle())
        in_capitals = len(word) > 1 and word.isupper()
        for char in word:
            script = _script(char)
            if script == "ascii letter":
                ascii_letters += 1
            elif script in _ALPHABETS:
                latin += script == "latin"
                others[script] = others.get(script, 0) + 1
                cased += len(word) > 1
                capitals += in_capitals
                score = 1.0 if script == "latin" else min(
                    1.0, _LETTER_FREQUENCY.get(char.lower(), 0.1) / 2)
                scores.setdefault(char, []).append((score if well_formed else 0.0,
                                                    in_capitals))
    too_much_latin = latin >= 2 and latin > ascii_letters
    capitals_factor = 0.75 if capitals * 2 > cased else 1.0
    result: dict[str, float] = {}
    for char, weights in scores.items():
        script = _script(char)
        factor = 1.0
        if script == "latin" and too_much_latin:
            factor = 0.0
        elif script != "latin" and others[script] < 3 and ascii_letters >= 10:
            factor = 0.5  # a stray letter in a Western text ("А noite" for "À noite")
        result[char] = factor * sum(score * (capitals_factor if capital else 1.0)
                                    for score, capital in weights) / len(weights)
    return result


def _script(char: str) -> str:
    """The script of `char`, as far as telling encodings apart goes."""
    if char.isspace():
        return "space"
    if char.isascii():
        return "ascii letter" if char.isalpha() else "ascii"
    code = ord(char)
    for low, high, script in _SCRIPT_RANGES:
        if low <= code <= high:
            return "other" if char in "×÷" else script
    return "other"


def _big5_like(text: str) -> bool:
    """Whether `text`, read as Big5, has second bytes below 0x7F, if it is long enough to."""
    double = low = 0
    for char in text:
        if not char.isascii():
            try:
                encoded = char.encode("cp950")
            except UnicodeEncodeError:  # one of the few Big5 reads but cannot write
                continue
            double += len(encoded) == 2
            low += len(encoded) == 2 and encoded[1] < 0x7F
    return low > 0 or double < _BIG5_EVIDENCE


@dataclass(frozen=True)
class _Tables:
    japanese: dict[str, float]  # kanji: JIS X 0208 level 1, level 2
    chinese: dict[str, float]   # hanzi: GB 2312 or Big5 level 1, level 2
    korean: dict[str, float]    # Hanja of KS X 1001
    hangul: frozenset[str]      # the syllables of KS X 1001


@functools.lru_cache(maxsize=1)
def _tables() -> _Tables:
    """The levels of the national standards, read from Python's own codecs (0.2 s, once)."""
    japanese: dict[str, float] = {}
    chinese: dict[str, float] = {}
    korean: dict[str, float] = {}
    for code in range(0x3400, 0xA000):
        char = chr(code)
        jis = _double_byte(char, "euc_jp")
        if jis is not None:
            japanese[char] = 1.0 if jis < 0xD000 else 0.5
        gb = _double_byte(char, "gb2312")
        big5 = _double_byte(char, "big5")
        level = max(0.0 if gb is None else 1.0 if gb < 0xD800 else 0.5,
                    0.0 if big5 is None else 1.0 if big5 < 0xC67F else 0.5)
        if level:
            chinese[char] = level
        if _double_byte(char, "euc_kr") is not None:
            korean[char] = 0.5
    hangul = frozenset(chr(code) for code in range(0xAC00, 0xD7A4)
                       if _double_byte(chr(code), "euc_kr") is not None)
    return _Tables(japanese, chinese, korean, hangul)


def _double_byte(char: str, encoding: str) -> int | None:
    """`char`'s two-byte code in `encoding`, None if it has none (Python's euc_kr spells the
    syllables KS X 1001 lacks in eight bytes)."""
    try:
        encoded = char.encode(encoding)
    except UnicodeEncodeError:
        return None
    return encoded[0] << 8 | encoded[1] if len(encoded) == 2 else None


def utf16_without_bom(head: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" when `head`, the start of a file with zero bytes in it, is
    UTF-16 text without a byte-order mark, else None.

    UTF-16 writes a space or a line end with a zero byte, Latin text one in every character:
    the zero bytes fall mostly on one side of the pairs, which tells the likelier order. A
    reading must then be text: no NUL characters and hardly any controls, white space between
    words or lines, and plausible characters (in the wrong order, Latin text reads as rare
    ideographs and CJK text as a jumble of every script).
    """
    head = head[:len(head) // 2 * 2]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    for encoding in ("utf-16-le", "utf-16-be") if odd >= even else ("utf-16-be", "utf-16-le"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:  # a lone surrogate, or a character cut at the end
            try:
                text = head[:-2].decode(encoding)
            except UnicodeDecodeError:
                continue
        sample = text[:_UTF16_SAMPLE]
        spaces = sum(sample.count(char) for char in " \n\t")
        controls = len(_CONTROL.findall(sample))
        if ("\0" not in sample and spaces and spaces * 500 >= len(sample)
                and controls * 100 <= len(sample)
                and read(encoding, sample).plausibility >= GOOD):
            return encoding
    return None


_UTF16_SAMPLE = 16 * 1024
# Controls other than tab, line ends, form feed and escape: hardly ever in text.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
