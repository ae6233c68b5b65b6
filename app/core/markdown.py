"""Markdown to the HTML subset Qt's rich text engine draws, with highlighted code blocks.

Model output is untrusted: raw HTML in it is shown as text, never interpreted.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

COPY_SCHEME = "copy-code"


@dataclass(frozen=True)
class _CodeTheme:
    """How code blocks look: Qt's rich text has no CSS classes to restyle, so the colours are
    written into the HTML and a theme change renders again."""

    formatter: HtmlFormatter  # type: ignore[type-arg]
    block: str  # the <pre>'s style
    head: str  # the "python  Copy" line above it


def _code_theme(pygments_style: str, background: str, foreground: str, muted: str) -> _CodeTheme:
    return _CodeTheme(
        HtmlFormatter(noclasses=True, nowrap=True, style=pygments_style),
        f"background-color:{background}; color:{foreground}; font-family:monospace; "
        "white-space:pre-wrap; margin:0; padding:6px",
        f"color:{muted}; font-size:small")


_LIGHT = _code_theme("friendly", "#f3f4f6", "#1f2328", "#57606a")
_DARK = _code_theme("github-dark", "#161b22", "#e6edf3", "#9198a1")


@dataclass
class RenderedMarkdown:
    html: str
    code_blocks: list[str] = field(default_factory=list)


def _highlight(code: str, language: str, formatter: HtmlFormatter) -> str:  # type: ignore[type-arg]
    try:
        lexer = get_lexer_by_name(language) if language else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return html.escape(code)
    return str(highlight(code, lexer, formatter)).rstrip("\n")


class MarkdownRenderer:
    """Renders one message; `code_blocks[i]` is the text behind the link `copy-code:i`.

    `dark` picks code block colours for a dark window.
    """

    def __init__(self, dark: bool = False) -> None:
        self.dark = dark
        self._md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
        self._md.enable(["table", "strikethrough"])
        self._blocks: list[str] = []

        # markdown-it binds a rule to its renderer as `self`, so the rule is a closure.
        def fence(_renderer: Any, tokens: Any, idx: int, _options: Any, _env: Any) -> str:
            return self._render_fence(tokens[idx])

        self._md.add_render_rule("fence", fence)
        self._md.add_render_rule("code_block", fence)

    def _render_fence(self, token: Any) -> str:
        code = token.content.rstrip("\n")
        language = (token.info or "").strip().split(" ")[0]
        index = len(self._blocks)
        self._blocks.append(code)
        label = html.escape(language) if language else "code"
        theme = _DARK if self.dark else _LIGHT
        return (f'<p style="{theme.head}">{label} &nbsp; '
                f'<a href="{COPY_SCHEME}:{index}">Copy</a></p>'
                f'<pre style="{theme.block}">{_highlight(code, language, theme.formatter)}</pre>\n')

    def render(self, text: str, first_code_block: int = 0) -> RenderedMarkdown:
        """Render `text`; its code blocks are numbered from `first_code_block`, so a message
        rendered in parts keeps one numbering."""
        self._blocks = [""] * first_code_block
        body = self._md.render(text)
        return RenderedMarkdown(body, self._blocks[first_code_block:])


_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


def stable_prefix_length(text: str, start: int = 0) -> int:
    """How much of a growing Markdown text is final: the part before its last blank line that
    is outside a code fence and not followed by an indented line.

    Text appended later cannot change how that part renders (with one cosmetic exception: a
    list whose items are separated by blank lines renders as several lists until the whole
    text is rendered again), so a streaming view renders it once and re-renders only the rest.
    `start` is 0 or what this returned for an earlier state of the same text: the scan resumes
    there, so each call costs the new text only.
    """
    stable = position = start
    fence: str | None = None
    previous_blank = start > 0  # a stable prefix ends after a blank line outside any fence
    for line in text[start:].splitlines(keepends=True):
        if not line.endswith("\n"):
            break  # the last line is still being written
        match = _FENCE.match(line)
        if fence is None:
            if previous_blank and line.strip() and not line[0].isspace():
                stable = position
            if match:
                fence = match[1]
        elif match and match[1][0] == fence[0] and len(match[1]) >= len(fence) \
                and not line[match.end():].strip():
            fence = None
        previous_blank = fence is None and not line.strip()
        position += len(line)
    return stable


def plain_text_html(text: str) -> str:
    """A user's message as typed: escaped, line breaks kept."""
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"
