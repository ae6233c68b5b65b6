"""Conversation titles: the quick one from the first message, and the model's, cleaned."""

from __future__ import annotations

import pytest

from app.core.chat.titles import (
    REQUEST_INPUT_CHARS,
    TITLE_PARAMS,
    clean_title,
    fallback_title,
    title_request,
)


@pytest.mark.parametrize(("text", "title"), [
    ("What's the capital of Australia?", "What's the capital of Australia?"),
    ("  hello\n\n  there\t ", "hello there"),
    ("How do I sort a list of dictionaries by a key in Python?", "How do I sort a list…"),
    ("Explain, in detail, everything about quantum mechanics please",
     "Explain, in detail, everything about quantum…"),
    ("# Heading\n**Bold** and *italic* with `code` and [a link](https://x.org)",
     "Heading Bold and italic with code…"),
    ("> quoted\n- item one\n1. numbered", "quoted item one numbered"),
    ("Fix this:\n```python\nfor i in range(10)\n    print(i)\n```", "Fix this:"),
    ("```\nSELECT * FROM users;\n```", "SELECT FROM users;"),
    ("", "New chat"),
    ("  \n\t ", "New chat"),
    ("```\n```", "New chat"),
])
def test_fallback_title(text: str, title: str) -> None:
    assert fallback_title(text) == title


def test_fallback_title_cuts_at_a_word_within_the_character_limit() -> None:
    title = fallback_title("Internationalization considerations for multilingual "
                           "applications nowadays")
    assert title == "Internationalization considerations for…"
    assert len(title) <= 48
    assert fallback_title("a b c d e f g", max_words=3) == "a b c…"


def test_fallback_title_cuts_text_without_spaces_by_characters() -> None:
    chinese = "请帮我写一封邮件给我的老板说明我下周需要请假三天因为家里有事情需要处理"
    title = fallback_title(chinese)
    assert title.endswith("…") and chinese.startswith(title[:-1])
    assert len(title) == 24  # wide characters count double: 23 of them and the ellipsis
    assert fallback_title("短い質問") == "短い質問"
    url = "https://example.org/" + "x" * 100
    assert fallback_title(url) == url[:47] + "…"


def test_the_title_request_is_short_and_ends_with_the_exchange() -> None:
    messages = title_request("How do I bake bread?" + " more" * 500, "Knead, rise, bake." * 100)
    assert messages[0].role == "system"
    assert [m.role for m in messages[1:]] == ["user", "assistant"] * 2 + ["user"]
    last = messages[-1].content
    assert "How do I bake bread?" in last and "Knead, rise, bake." in last
    assert "title" in last.lower()
    assert len(last) < 2 * REQUEST_INPUT_CHARS + 200
    assert "…" in last


def test_title_params_are_short_and_repeatable() -> None:
    assert TITLE_PARAMS.max_tokens == 20
    assert TITLE_PARAMS.temperature == 0.2
    assert TITLE_PARAMS.seed is not None


@pytest.mark.parametrize(("raw", "title"), [
    ("Baking Banana Bread", "Baking Banana Bread"),
    ('"Sorting Lists in Python"', "Sorting Lists in Python"),
    ("“The Capital of Australia.”", "The Capital of Australia"),
    ("Title: How Vaccines Work", "How Vaccines Work"),
    ('**Title:** "TCP vs UDP"', "TCP vs UDP"),
    ("## Battery Saving Tips!", "Battery Saving Tips"),
    ("\n\n  Learning   French  \nThis title captures the topic.", "Learning French"),
    ('Here\'s a 3-word title for your text: "Battery Saver Mode"', "Battery Saver Mode"),
    ("Here is a possible title for this text:\n\nThe Sea's Quiet Song", "The Sea's Quiet Song"),
    ("秋天的诗。", "秋天的诗"),
    ("Heredoc Syntax in Bash", "Heredoc Syntax in Bash"),
    ("A B", "A B"),
])
def test_clean_title_keeps_the_title(raw: str, title: str) -> None:
    assert clean_title(raw) == title


@pytest.mark.parametrize("raw", [
    "",
    "   \n  ",
    '""',
    "X.",
    "I'm ready to help. What's on your mind?",
    "I can't create a title for that.",
    "Sure! Here is a title:",
    "Here's a more concise way to do it:",
    "Certainly",
    "User: How do I bake bread?",
    "This is a Python example of sorting a list by key.",
    "You can use the sorted() function with a key argument to sort a list of dictionaries",
])
def test_clean_title_refuses_what_is_not_a_title(raw: str) -> None:
    assert clean_title(raw) is None


def test_clean_title_caps_the_length_at_a_word() -> None:
    raw = "Supercalifragilistic Expialidocious Adventures Throughout Wonderful Kingdoms"
    title = clean_title(raw)
    assert title == "Supercalifragilistic Expialidocious Adventures Throughout…"  # cut: says so
    assert clean_title("x" * 100) == "x" * 59 + "…"


def test_a_chinese_title_is_cut_at_a_phrase_and_says_so() -> None:
    """Seen: "LLaMA是一种自监督学习技", cut inside a word with nothing to say it was cut."""
    text = "LLaMA是一种自监督学习技术训练的大型语言模型，由Meta发布，用于研究。"
    assert fallback_title(text) == "LLaMA是一种自监督学习技术训练的大型语言模型…"
    model_title = clean_title(
        "LLaMA是一种自监督学习技术训练的大型语言模型由Meta发布用于研究和商业用途")
    assert model_title == "LLaMA是一种自监督学习技术训练的大型语言模型由Meta…"
    # Without punctuation or Latin words, cut by width, and marked.
    analects = "学而时习之不亦说乎有朋自远方来不亦乐乎人不知而不愠不亦君子乎"
    assert fallback_title(analects).endswith("…")
