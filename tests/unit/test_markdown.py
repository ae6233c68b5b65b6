from __future__ import annotations

import dataclasses
import html
import re

import pytest

from app.core.chat.markdown import (
    ALL_SCHEME,
    CELL_COST,
    CODE_SCHEME,
    COPY_SCHEME,
    LIGHT_COLOURS,
    LINK_SCHEME,
    MAX_CODE_LINES,
    MAX_RENDER_COST,
    MAX_TABLE_COLUMNS,
    MAX_TABLE_ROWS,
    MAX_WORD_CHARS,
    MIN_TABLE_ROWS,
    TABLE_SCHEME,
    Link,
    MarkdownRenderer,
    cell_text,
    literal_html,
    plain_text_html,
    shown_length,
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


def test_a_code_block_has_a_bar_with_its_language_and_copy() -> None:
    """The bar above the code: a one-row table in the header colours, the language at the left
    (escaped: it is the model's text), Copy at the right."""
    colours = dataclasses.replace(LIGHT_COLOURS, code_header="#123456",
                                  code_header_text="#abcdef")
    rendered = MarkdownRenderer(colours=colours).render(
        '```python\nx = 1\n```\n\n```<b>"x"\ny\n```')
    bars = re.findall(r"<table [^>]*>.*?</table>", rendered.html, re.DOTALL)
    assert len(bars) == 2
    for index, (bar, label) in enumerate(zip(bars, ["python", "&lt;b&gt;&quot;x&quot;"],
                                             strict=True)):
        assert 'bgcolor="#123456"' in bar and 'width="100%"' in bar
        cells = re.findall(r"<td[^>]*>(.*?)</td>", bar, re.DOTALL)
        assert len(cells) == 2 and label in cells[0] and "color:#abcdef" in cells[0]
        assert f'<a href="{COPY_SCHEME}:{index}"' in cells[1] and ">Copy</a>" in cells[1]
    assert "<b>" not in rendered.html


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
    out = MarkdownRenderer().render("| a | b |\n|---|---|\n| 1 | 2 |\n\nline one\nline two").html
    assert "<table " in out
    assert "line one<br" in out


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


# -- nothing in the HTML reads a resource; links stand for entries of `links` ----------------

@pytest.mark.parametrize("text", [
    "![alt](/etc/passwd)", "![alt](picture.png)", "![alt](https://example.com/a.png)",
    "![alt][r]\n\n[r]: /dev/zero", "![alt](data:image/png;base64,iVBORw0KGgo=)",
    '<img src="/dev/zero">', "| a |\n|---|\n| ![x](/dev/zero) |",
])
def test_images_become_their_alt_text_never_an_img(text: str) -> None:
    out = MarkdownRenderer().render(text).html
    assert "<img" not in out
    assert not re.search(r"<[^>]*\b(?:src|background)=", out)  # no tag loads anything


def test_a_web_image_is_a_link_to_it_and_a_local_one_is_not() -> None:
    rendered = MarkdownRenderer().render("![web](https://example.com/a.png) ![local](/tmp/a.png)")
    assert rendered.links == [Link("[image: web]", "https://example.com/a.png")]
    assert f'href="{LINK_SCHEME}:0"' in rendered.html
    assert "[image: local]" in rendered.html and "/tmp/a.png" not in rendered.html


def test_link_targets_and_titles_stay_out_of_the_html() -> None:
    rendered = MarkdownRenderer().render(
        '[a](https://example.com/x "<img src=/dev/zero>") [b](file:///etc/passwd) '
        "[c](ftp://example.com/) [d](/etc/passwd) <https://example.com/y>")
    assert rendered.links == [Link("a", "https://example.com/x"),
                              Link("https://example.com/y", "https://example.com/y")]
    hrefs = re.findall(r'href="([^"]*)"', rendered.html)
    assert hrefs == [f"{LINK_SCHEME}:0", f"{LINK_SCHEME}:1"]
    # The title Qt shows on hover is the real target, as literal text; the link's own title
    # (outside text that Qt would take for rich text) is not used.
    titles = [html.unescape(t) for t in re.findall(r'title="([^"]*)"', rendered.html)]
    assert titles == [literal_html("https://example.com/x"), literal_html("https://example.com/y")]
    assert "/dev/zero" not in rendered.html


@pytest.mark.parametrize(("link", "openable", "asks"), [
    (Link("https://example.com", "https://example.com"), True, False),
    (Link("example.com", "https://example.com/"), True, False),
    (Link("me@example.com", "mailto:me@example.com"), True, False),
    (Link("docs", "https://example.com/docs"), True, True),
    (Link("https://bank.example", "https://evil.example"), True, True),
    (Link("x", "file:///etc/passwd"), False, True),
    (Link("x", "/etc/passwd"), False, True),
    (Link("x", "ftp://example.com/"), False, True),
    (Link("x", "javascript:alert(1)"), False, True),
    (Link("x", "data:text/html,hi"), False, True),
    (Link("x", "https://"), False, True),
    (Link("x", "mailto:"), False, True),
])
def test_only_web_and_mail_links_open_and_a_hidden_target_is_shown_first(
        link: Link, openable: bool, asks: bool) -> None:
    assert link.openable is openable
    assert link.needs_confirmation is asks


def test_numbering_continues_across_parts() -> None:
    rendered = MarkdownRenderer().render(
        "[a](https://a.example) ```x```\n\n```\ncode\n```\n\n| h |\n|---|\n" + "| r |\n" * 500,
        first_code_block=2, first_link=3, first_table=4)
    assert f'href="{LINK_SCHEME}:3"' in rendered.html
    assert f'href="{COPY_SCHEME}:2"' in rendered.html
    assert f'href="{TABLE_SCHEME}:4"' in rendered.html
    assert len(rendered.links) == len(rendered.code_blocks) == len(rendered.tables) == 1


# -- what is rendered is bounded ---------------------------------------------------------------

def table_text(rows: int, columns: int) -> str:
    head = "|" + "|".join(f"h{c}" for c in range(columns)) + "|"
    rule = "|" + "---|" * columns
    return "\n".join([head, rule] + ["|" + "|".join(f"{r}:{c}" for c in range(columns)) + "|"
                                     for r in range(rows)])


def test_a_long_table_shows_its_first_rows_and_keeps_all() -> None:
    rendered = MarkdownRenderer().render(table_text(500, 2) + "\n\nafter")
    assert rendered.html.count("<tr>") == MAX_TABLE_ROWS + 1  # and the header
    [table] = rendered.tables
    assert table.shown == MAX_TABLE_ROWS
    assert table.complete and table.count_rows() == (500, True)
    assert table.header == ["h0", "h1"]
    assert table.row(499) == ["499:0", "499:1"]
    assert "after" in rendered.html  # what follows the table is shown too
    assert rendered.rest is None


def test_wide_tables_show_fewer_rows_and_a_very_wide_one_none() -> None:
    rendered = MarkdownRenderer().render(table_text(200, 60))
    rows = rendered.html.count("<tr>") - 1
    assert MIN_TABLE_ROWS <= rows <= MAX_RENDER_COST // CELL_COST // 60
    rendered = MarkdownRenderer().render(table_text(3, MAX_TABLE_COLUMNS + 1))
    assert "<table" not in rendered.html
    assert rendered.tables[0].shown == 0 and len(rendered.tables[0].header) == 65
    assert f'href="{TABLE_SCHEME}:0"' in rendered.html


def test_a_table_longer_than_what_is_parsed_is_read_on_for_show_all() -> None:
    text = "Intro\n\n" + table_text(20_000, 3) + "\n\nThe end."
    rendered = MarkdownRenderer().render(text)
    [table] = rendered.tables
    assert not table.complete
    assert table.count_rows() == (20_000, True)  # counted without being read
    while not table.complete:
        table.rows.extend(table.more_rows(1000))
    assert len(table.rows) == 20_000
    assert table.row(19_999) == ["19999:0", "19999:1", "19999:2"]
    assert rendered.rest == text.index("The end.") - 1  # the rest: what follows the table
    assert "The end" not in rendered.html and "Show all" in rendered.notice


def test_a_long_code_block_shows_its_start_and_copies_whole() -> None:
    code = "\n".join(f"x_{i} = {i}" for i in range(30_000))  # longer than what is parsed
    rendered = MarkdownRenderer().render(f"```python\n{code}\n```\n\nafter")
    assert rendered.code_blocks == [code]
    assert f'href="{CODE_SCHEME}:0"' in rendered.html
    shown = html.unescape(re.sub(r"<[^>]+>", "", rendered.html))
    assert f"x_{MAX_CODE_LINES - 1} = " in shown and f"x_{MAX_CODE_LINES} = " not in shown
    assert rendered.rest is not None and "after" not in rendered.html


def test_long_code_is_coloured_only_as_far_as_the_budget_goes() -> None:
    short = MarkdownRenderer().render("```python\nx = 1\n```").html
    assert "<span" in short
    code = "\n".join(f"value_{i} = compute({i})" for i in range(MAX_CODE_LINES))
    html_text = MarkdownRenderer().render(f"```python\n{code}\n```").html
    last = html_text.rsplit("\n", 2)[-2]
    assert "<span" in html_text.split("\n")[1] and "<span" not in last


def test_a_long_message_is_shown_in_part_up_to_a_line_break() -> None:
    text = "\n\n".join(f"Paragraph {i} " + "word " * 20 for i in range(5_000))
    rendered = MarkdownRenderer().render(text)
    assert rendered.rest is not None and rendered.rest <= MAX_RENDER_COST
    assert text[rendered.rest - 1] == "\n"
    assert f"{len(text) - rendered.rest:,} more characters" in rendered.notice
    assert f'href="{ALL_SCHEME}:"' in rendered.notice


@pytest.mark.parametrize("text", ["x" * 100_000, "intro\n\n" + "y" * 100_000 + " tail"])
def test_an_unbroken_run_ends_the_shown_part(text: str) -> None:
    assert shown_length(text) <= text.find(text.strip()[-10]) + MAX_WORD_CHARS
    rendered = MarkdownRenderer().render(text)
    assert rendered.rest is not None
    assert len(re.sub(r"<[^>]+>", "", rendered.html)) < MAX_WORD_CHARS + 100


def test_many_small_tables_are_shown_until_the_budget_is_spent() -> None:
    text = "\n\n".join(f"| a | b |\n|---|---|\n| {i} | {i} |" for i in range(3000))
    rendered = MarkdownRenderer().render(text)
    cells = rendered.html.count("<td>") + rendered.html.count("<th>")
    assert 0 < cells <= MAX_RENDER_COST // CELL_COST + 4
    assert rendered.rest is not None and rendered.rest < len(text)


def test_a_long_user_message_is_shown_in_part() -> None:
    text = "line\n" * 100_000
    html_text = plain_text_html(text)
    assert html_text.count("line") <= MAX_RENDER_COST // 5
    assert f'href="{ALL_SCHEME}:"' in html_text


def test_table_cells_show_their_words() -> None:
    assert cell_text("**bold** and `code`") == "bold and code"
    assert cell_text("plain") == "plain"
    assert cell_text("![pic](/etc/passwd) [a](https://x.example)") == "[image: pic] a"
