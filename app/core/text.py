"""Kinds of characters, each told in one place.

Two different questions are asked of East Asian text, and they have different answers:

- Is it a CJK character (kana, a Han ideograph, a Hangul syllable)? Words of these scripts are
  not separated the way the search index and token estimates expect (`CJK`), and which of them a
  text uses says its language (`KANA`, `HAN`, `HANGUL`). A tokenizer also spends about a token
  on each full-width form (`TOKEN_DENSE`).
- How wide is it when drawn? East Asian wide and full-width characters take the room of two
  Latin ones (`char_width`); that includes symbols and punctuation no script test names, and
  leaves out half-width kana.
"""

from __future__ import annotations

import re
import unicodedata

Ranges = tuple[tuple[int, int], ...]  # (first, last) code points

KANA: Ranges = ((0x3040, 0x30FF),)  # hiragana and katakana
HAN: Ranges = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))  # ext. A, unified, compat.
HANGUL: Ranges = ((0xAC00, 0xD7AF),)  # syllables
FULL_WIDTH: Ranges = ((0xFF00, 0xFFEF),)  # half-width and full-width forms


def _any_of(ranges: Ranges) -> re.Pattern[str]:
    return re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in ranges) + "]")


CJK = _any_of(KANA + HAN + HANGUL)
"""Matches a character of the Chinese, Japanese or Korean scripts."""

TOKEN_DENSE = _any_of(KANA + HAN + HANGUL + FULL_WIDTH)
"""Matches a character a tokenizer spends about a token on: a CJK one or a full-width form
(English and its kin average about four characters a token)."""


def char_width(char: str) -> int:
    """2 for a character drawn double width (East Asian wide or full-width), else 1."""
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def text_width(text: str) -> int:
    """The room `text` takes, in Latin characters (see `char_width`)."""
    return sum(char_width(c) for c in text)
