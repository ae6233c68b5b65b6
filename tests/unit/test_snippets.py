"""Search snippets as plain text: Markdown markup out, the matches marked where they were."""

from __future__ import annotations

import pytest

from app.core.chat.snippets import MATCH_END, MATCH_START, MAX_SNIPPET_CHARS, plain_snippet


def plain(snippet: str) -> str:
    """`plain_snippet` with the matches written as [[...]] on both sides, for readable tests."""
    marked = snippet.replace("[[", MATCH_START).replace("]]", MATCH_END)
    return plain_snippet(marked).replace(MATCH_START, "[[").replace(MATCH_END, "]]")


@pytest.mark.parametrize(("snippet", "shown"), [
    # Emphasis, a match inside it, and a run cut by the snippet's start.
    ("**[[Part]] 1.** Summary of the text", "[[Part]] 1. Summary of the text"),
    ("…[[Part]] 1.** The first part", "…[[Part]] 1. The first part"),
    ("*one* _[[two]]_ ***three*** ~~[[four]]~~ __five__", "one [[two]] three [[four]] five"),
    # Headings, quotes, bullets and task boxes at line starts; an ordered list's number stays.
    ("## [[Heading]] ##\n- item one\n* [ ] task", "[[Heading]] item one task"),
    ("> quoted **[[bold]]**\n> > deeper", "quoted [[bold]] deeper"),
    ("1. first [[item]]\n2. second", "1. first [[item]] 2. second"),
    # Code: fences and their language out, backticks out, what is inside shown as written.
    ("```python\nprint([[x]])\n```", "print([[x]])"),
    ("```[[python]]\nprint(x)\n~~~", "[[python]] print(x)"),
    ("`a *b* [[c]]` and *d*", "a *b* [[c]] and d"),
    # Links as their text; a match in the target shows the target.
    ("See [the [[docs]]](https://x.org/a) now", "See the [[docs]] now"),
    ("See [docs](https://[[example]].org/a) now", "See docs (https://[[example]].org/a) now"),
    ("…see [the notes](https://example.org…", "…see the notes…"),
    ("…notes](https://example.org) and [[more]]", "…notes and [[more]]"),
    ("see [a](https://[[example]].org…", "see a (https://[[example]].org…"),
    ("![a [[cat]]](cat.png) and [ref][1] and <https://[[lamp]].org>",
     "a [[cat]] and ref and https://[[lamp]].org"),
    # Tables: the delimiter row out, pipes at the ends out, those between cells a dot.
    ("| Name | [[Age]] |\n|---|---:|\n| Ann | 30 |", "Name · [[Age]] Ann · 30"),
    ("…Ann | [[30]] | Paris |", "…Ann · [[30]] · Paris"),
    # Text that only looks like markup stays.
    ("2 * 3 = 6, snake_case_[[name]], 5*3, a | b", "2 * 3 = 6, snake_case_[[name]], 5*3, a | b"),
    ("\\*not emphasis\\* [[x]]", "*not emphasis* [[x]]"),
    ("rules:\n---\n***\ntitle\n===", "rules: title"),
])
def test_markdown_markup_is_taken_out_and_matches_stay_marked(snippet: str, shown: str) -> None:
    assert plain(snippet) == shown


def test_a_match_on_markup_characters_is_kept_whole() -> None:
    # A substring search for symbols ("**", "C++") keeps what it found.
    assert plain("say [[**]] twice") == "say [[**]] twice"
    assert plain("- [[C++]] **templates**") == "[[C++]] templates"


def test_a_huge_snippet_is_cut_around_its_first_match_with_its_marks_balanced() -> None:
    snippet = "*[" * 100_000 + MATCH_START + "word" + MATCH_END + "_`" * 100_000
    shown = plain_snippet(snippet)
    assert len(shown) <= MAX_SNIPPET_CHARS + 2
    assert shown.count(MATCH_START) == shown.count(MATCH_END) == 1
    assert f"{MATCH_START}word{MATCH_END}" in shown


def test_a_match_cut_by_the_bound_is_closed() -> None:
    shown = plain_snippet(MATCH_START + "x" * 10 * MAX_SNIPPET_CHARS + MATCH_END)
    assert shown.count(MATCH_START) == shown.count(MATCH_END) == 1
