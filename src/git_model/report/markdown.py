"""Markdown that anyone with push access wrote (descriptions, model-card sections), made
safe to place in the page: CommonMark with raw HTML off (``<script>`` and ``onerror=``
show as text), no images (an image is a request), and links only to the web, mail and
anchors in the page (no ``javascript:``, ``data:``, ``file:`` or relative paths)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

SAFE_LINKS = ("http://", "https://", "mailto:", "#")


def _safe_link(url: str) -> bool:
    return url.strip().lower().startswith(SAFE_LINKS)


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt  # noqa: PLC0415 (only the report renders Markdown)

    parser = MarkdownIt("commonmark", {"html": False, "linkify": False})
    parser.disable("image")
    parser.validateLink = _safe_link  # type: ignore[method-assign]
    return parser


def to_html(text: str) -> str:
    """``text`` (Markdown) as HTML safe to place in the page."""
    return str(_parser().render(text))
