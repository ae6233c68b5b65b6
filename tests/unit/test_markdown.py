from __future__ import annotations

import pytest

from app.core.markdown import (
    COPY_SCHEME,
    MarkdownRenderer,
    plain_text_html,
    stable_prefix_length,
)


def test_code_blocks_are_highlighted_and_copyable() -> None:
    text = "Here:\n\n```python\ndef f(x):\n    return x * 2\n```\n\nand\n\n```\nplain <b>\n```\n"
    rendered = MarkdownRenderer().render(text)
    assert rendered.code_blocks == ["def f(x):\n    return x * 2", "plain <b>"]
    assert f'href="{COPY_SCHEME}:0"' in rendered.html
    assert f'href="{COPY_SCHEME}:1"' in rendered.html
    assert "<span" in rendered.html  # pygments colours the Python block
    assert "plain &lt;b&gt;" in rendered.html


def test_each_render_starts_its_own_list_of_blocks() -> None:
    renderer = MarkdownRenderer()
    renderer.render("```\none\n```")
    assert renderer.render("```\ntwo\n```").code_blocks == ["two"]


def test_model_output_cannot_inject_html() -> None:
    rendered = MarkdownRenderer().render('<img src="x" onerror="alert(1)"> **bold**')
    assert "<img" not in rendered.html
    assert "&lt;img" in rendered.html
    assert "<strong>bold</strong>" in rendered.html


def test_an_unfinished_fence_while_streaming_still_renders() -> None:
    rendered = MarkdownRenderer().render("Start\n\n```python\nprint('hi')")
    assert rendered.code_blocks == ["print('hi')"]


def test_unknown_languages_fall_back_to_plain_code() -> None:
    rendered = MarkdownRenderer().render("```klingon\nQapla'\n```")
    assert "Qapla&#x27;" in rendered.html or "Qapla'" in rendered.html


def test_tables_and_line_breaks() -> None:
    html = MarkdownRenderer().render("| a | b |\n|---|---|\n| 1 | 2 |\n\nline one\nline two").html
    assert "<table>" in html
    assert "line one<br" in html


def test_user_text_is_shown_as_typed() -> None:
    assert plain_text_html("<b>hi</b>\n**x**") == "<p>&lt;b&gt;hi&lt;/b&gt;<br>**x**</p>"


@pytest.mark.parametrize(("text", "stable"), [
    ("a\n\nb", ""),                      # the last line is still being written
    ("a\n\nb\n", "a\n\n"),
    ("a\n\nb\n\nc\n", "a\n\nb\n\n"),
    ("x\n\n```\ncode\n\nmore\n", "x\n\n"),  # a blank line inside an open fence is not an end
    ("x\n\n```\ncode\n\nmore\n```\n\nafter\n", "x\n\n```\ncode\n\nmore\n```\n\n"),
    ("x\n\n~~~~\n```\n\nstill code\n", "x\n\n"),  # only a matching fence closes
    ("- a\n\n  continued\n", ""),        # an indented line continues the list item
    ("p\n\n- a\n", "p\n\n"),
])
def test_the_stable_prefix_ends_where_later_text_cannot_reach(text: str, stable: str) -> None:
    assert text[:stable_prefix_length(text)] == stable


def test_the_stable_prefix_only_grows_as_text_streams_in() -> None:
    text = ("Intro *text*.\n\n1. one\n2. two\n\n```python\nx = 1\n\ny = 2\n```\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |\n\nEnd.\n") * 3
    previous = 0
    for end in range(len(text) + 1):
        stable = stable_prefix_length(text[:end])
        assert stable >= previous
        assert stable_prefix_length(text[:end], previous) == stable  # resuming scans the same
        assert text[:stable].count("```") % 2 == 0  # never inside a code block
        previous = stable
    assert previous > len(text) // 2


def test_code_blocks_can_be_numbered_from_an_offset() -> None:
    rendered = MarkdownRenderer().render("```\nthird\n```", first_code_block=2)
    assert rendered.code_blocks == ["third"]
    assert f'href="{COPY_SCHEME}:2"' in rendered.html
