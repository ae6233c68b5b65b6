from __future__ import annotations

from app.core.markdown import COPY_SCHEME, MarkdownRenderer, plain_text_html


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
