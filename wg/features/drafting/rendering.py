"""Template filters for member text: the only place where sanitised HTML is marked safe for Jinja."""

from __future__ import annotations

import re
from collections.abc import Iterable

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


# An @handle in rendered HTML text, as ``operations.MENTION_RE`` finds it in the Markdown (escaping leaves handles
# alone: they are letters, digits and dots).
_MENTION_IN_TEXT = re.compile(r"(?<![\w.@])@([a-z0-9]+(?:\.[a-z0-9]+)*)(?![\w@]|\.\w)", re.IGNORECASE)
# A tag of the sanitiser's output: attribute values are always double-quoted there and may hold ">".
_TAG = re.compile(r'(<[^>"]*(?:"[^"]*"[^>"]*)*>)')
_NO_MENTIONS_INSIDE = frozenset({"a", "code", "pre"})


def comment_html(text: str | None, handles: Iterable[str] = ()) -> Markup:
    """A comment's Markdown as HTML with each @handle of a group member wrapped in ``<span class="mention">``.

    The span is added after sanitising, only around text that matched a member's handle, and never inside links
    or code: the rest of the HTML is exactly ``markdown_html``'s.
    """
    html = render_markdown(text or "")
    known = {h.lower() for h in handles}
    if not known or "@" not in html:
        return Markup(html)  # noqa: S704 - sanitised by nh3 with an allow-list  # nosec B704
    out: list[str] = []
    skip = 0
    for piece in _TAG.split(html):
        if piece.startswith("<"):
            name = piece.strip("</>").split()[0].lower() if piece.strip("</>") else ""
            if name in _NO_MENTIONS_INSIDE:
                skip += -1 if piece.startswith("</") else 1
            out.append(piece)
        elif skip <= 0 and "@" in piece:
            out.append(_MENTION_IN_TEXT.sub(
                lambda m: f'<span class="mention">{m.group(0)}</span>' if m.group(1).lower() in known
                else m.group(0), piece))
        else:
            out.append(piece)
    return Markup("".join(out))  # noqa: S704 - nh3-sanitised HTML plus spans around [a-z0-9.@] text  # nosec B704


def word_diff_html(old: str | None, new: str | None) -> Markup:
    """A tracked-changes view of two texts; safe because diff_html escapes every piece of text."""
    return Markup(diff_html(old or "", new or ""))  # noqa: S704 - diff_html escapes both inputs  # nosec B704


def register_filters(env: Environment) -> None:
    """Make the filters available to every template."""
    env.filters["markdown"] = markdown_html
    env.filters["markdown_paragraphs"] = markdown_paragraphs
    env.filters["comment_html"] = comment_html
    env.globals["word_diff"] = word_diff_html
