"""Template filters for member text: the only place where sanitised HTML is marked safe for Jinja."""

from __future__ import annotations

from jinja2 import Environment
from markupsafe import Markup

from wg.features.drafting.textdiff import diff_html
from wg.features.drafting.textmerge import split_paragraphs
from wg.lib.markdown import render_markdown


def markdown_html(text: str | None) -> Markup:
    """Member Markdown as HTML; safe because render_markdown escapes raw HTML and nh3 sanitises the result."""
    return Markup(render_markdown(text or ""))  # noqa: S704 - sanitised by nh3 with an allow-list  # nosec B704


def markdown_paragraphs(text: str | None) -> list[tuple[int, Markup]]:
    """Member Markdown rendered paragraph by paragraph, numbered from 1 (comments can point at one)."""
    return [(n, markdown_html(p)) for n, p in enumerate(split_paragraphs(text or ""), start=1)]


def word_diff_html(old: str | None, new: str | None) -> Markup:
    """A tracked-changes view of two texts; safe because diff_html escapes every piece of text."""
    return Markup(diff_html(old or "", new or ""))  # noqa: S704 - diff_html escapes both inputs  # nosec B704


def register_filters(env: Environment) -> None:
    """Make the filters available to every template."""
    env.filters["markdown"] = markdown_html
    env.filters["markdown_paragraphs"] = markdown_paragraphs
    env.globals["word_diff"] = word_diff_html
