"""Kinds of characters: CJK scripts, token-dense ones, and double width, told apart."""

from __future__ import annotations

import pytest

from app.core.text import CJK, TOKEN_DENSE, char_width, text_width


@pytest.mark.parametrize("char", ["の", "カ", "中", "㐀", "豈", "한"])
def test_cjk_scripts(char: str) -> None:
    assert CJK.search(char) and TOKEN_DENSE.search(char)


@pytest.mark.parametrize("char", ["a", "é", "я", "α", "1", "。", "Ａ", "ｶ"])
def test_other_characters_are_not_cjk(char: str) -> None:
    assert not CJK.search(char)


def test_full_width_forms_are_dense_but_not_a_cjk_script() -> None:
    for char in "Ａ１！ｶ":
        assert TOKEN_DENSE.search(char) and not CJK.search(char)
    assert not TOKEN_DENSE.search("A1!")


def test_width_is_a_different_question() -> None:
    assert text_width("中文") == 4 and text_width("ab") == 2
    assert char_width("。") == 2 and not CJK.search("。")  # wide, of no script
    assert char_width("ｶ") == 1 and TOKEN_DENSE.search("ｶ")  # half-width kana: dense, narrow
