"""Member text is Markdown: clean it, render it to safe HTML, or parse it into plain blocks for document builders.

Three entry points share one parser (markdown-it-py's ``js-default`` preset, raw HTML off, tables and
strikethrough on):

- ``clean_text`` removes characters that break XML, python-docx and the HTML sanitiser.
- ``render_markdown`` turns member text into HTML that is safe to put in a page.
- ``parse_blocks`` turns member text into a flat tuple of typed, immutable blocks that the DOCX builder walks
  without touching HTML.

Images are never rendered: an image becomes its alt text, so nothing in member text makes a reader's browser (or
the PDF renderer) fetch a URL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p", "br", "em", "strong", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
        "h1", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "hr", "sup", "sub",
    }
)
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "td": frozenset({"align"}),
    "th": frozenset({"align"}),
    "ol": frozenset({"start"}),
}
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

Align = Literal["left", "center", "right"]

# Everything XML 1.0 forbids or python-docx chokes on: C0 controls other than tab and newline (carriage returns
# are turned into newlines first), DEL and the C1 controls (in member text they are always mojibake), surrogates
# (a Python str can hold them; UTF-8 cannot) and the non-characters U+FFFE and U+FFFF.
_UNWANTED_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# What a browser's URL parser ignores: tabs and newlines anywhere, C0 controls and spaces at the start.
#: Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): obeyed, one of them reverses the
#: text after it. Titles and names refuse them (``wg.lib.fields``); the report shows any other as ``[U+202E]``.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_URL_IGNORED = re.compile("[\t\n\r]")
_URL_LEADING_IGNORED = "".join(chr(code) for code in range(0x21))
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_TEXT_ALIGN = re.compile(r"^text-align:(left|center|right)$")


def clean_text(text: str) -> str:
    """Normalise newlines to ``\\n`` and drop control characters (but tab and newline), surrogates, U+FFFE/U+FFFF."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNWANTED_CHARS.sub("", text)


def safe_href(url: str) -> str | None:
    """The URL if a link to it is allowed (http, https, mailto or relative), otherwise None."""
    stripped = _URL_IGNORED.sub("", url).lstrip(_URL_LEADING_IGNORED)
    match = _URL_SCHEME.match(stripped)
    if match is None:
        # No scheme: a relative link (``/groups/3``, ``#section-2``), as the HTML sanitiser also lets through.
        return url
    return url if match.group(1).lower() in URL_SCHEMES else None


def _render_image_as_alt(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """Render an image as its escaped alt text, so that member text never makes a reader fetch a URL."""
    return escapeHtml(self.renderInlineAsText(tokens[idx].children, options, env))


def _build_parser() -> MarkdownIt:
    """The one Markdown parser: js-default (raw HTML off) with tables and strikethrough, indented code off.

    Text pasted from a word processor often starts paragraphs with a tab or four spaces: with indented code on, each
    such paragraph became a monospace code block. Code is written with fences (```) only.
    """
    md = MarkdownIt("js-default").enable(["table", "strikethrough"]).disable("code")
    md.add_render_rule("image", _render_image_as_alt)
    return md


_MD = _build_parser()
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
)


def _parse_tokens(text: str) -> list[Token]:
    """Parse cleaned text into markdown-it block tokens, with table alignment as ``align`` instead of ``style``."""
    tokens = _MD.parse(clean_text(text))
    for token in tokens:
        if token.type in ("th_open", "td_open") and token.attrs:
            match = _TEXT_ALIGN.match(str(token.attrs.get("style", "")))
            token.attrs = {"align": match.group(1)} if match else {}
    return tokens


def render_markdown(text: str) -> str:
    """Render member Markdown to sanitised HTML: raw HTML is escaped, images become alt text, links are checked."""
    tokens = _parse_tokens(text)
    html: str = _MD.renderer.render(tokens, _MD.options, {})
    return _CLEANER.clean(html)


# --- The block model -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of inline text with one formatting; ``text`` holds ``\\n`` where the author forced a line break."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    strike: bool = False
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of text (inside a list item when ``list_level`` > 0, inside a quote when ``quote_depth`` > 0)."""

    runs: tuple[Run, ...]
    quote_depth: int = 0
    list_level: int = 0


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading of level 1 to 6."""

    level: int
    runs: tuple[Run, ...]
    quote_depth: int = 0
    list_level: int = 0


@dataclass(frozen=True, slots=True)
class ListItem:
    """The first paragraph of a list item, the one that carries the bullet or number.

    ``list_level`` is 1 for a top-level list, 2 for a list inside it, and so on. ``number`` is the item's number
    in an ordered list (as a browser would show it: the list's start plus the item's position), None for bullets.
    Further paragraphs of the same item follow as ``Paragraph`` blocks with the same ``list_level``.
    """

    runs: tuple[Run, ...]
    ordered: bool
    number: int | None
    list_level: int
    quote_depth: int = 0


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """Preformatted text from a fenced code block (indented code is off); ``language`` is the fence's first word."""

    text: str
    language: str = ""
    quote_depth: int = 0
    list_level: int = 0


@dataclass(frozen=True, slots=True)
class ThematicBreak:
    """A horizontal rule."""

    quote_depth: int = 0
    list_level: int = 0


@dataclass(frozen=True, slots=True)
class TableCell:
    """One cell of a table, with the column's alignment if the author gave one."""

    runs: tuple[Run, ...]
    align: Align | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """A table: one header row and any number of body rows."""

    header: tuple[TableCell, ...]
    rows: tuple[tuple[TableCell, ...], ...] = ()
    quote_depth: int = 0
    list_level: int = 0


Block = Paragraph | Heading | ListItem | CodeBlock | ThematicBreak | Table


@dataclass(frozen=True, slots=True)
class _Format:
    """The formatting in force at one point of an inline token stream."""

    bold: bool = False
    italic: bool = False
    code: bool = False
    strike: bool = False
    href: str | None = None


def _inline_runs(token: Token | None) -> tuple[Run, ...]:
    """Turn an inline token's children into runs, merging neighbours that share a formatting."""
    runs: list[Run] = []
    formats: list[_Format] = []
    stack: list[_Format] = [_Format()]

    def emit(text: str, fmt: _Format) -> None:
        """Add text in a formatting, extending the last run when it has the same formatting."""
        if not text:
            return
        if formats and formats[-1] == fmt:
            runs[-1] = replace(runs[-1], text=runs[-1].text + text)
        else:
            runs.append(Run(text, bold=fmt.bold, italic=fmt.italic, code=fmt.code, strike=fmt.strike, href=fmt.href))
            formats.append(fmt)

    for child in (token.children or []) if token is not None else []:
        fmt = stack[-1]
        kind = child.type
        if kind == "strong_open":
            stack.append(replace(fmt, bold=True))
        elif kind == "em_open":
            stack.append(replace(fmt, italic=True))
        elif kind == "s_open":
            stack.append(replace(fmt, strike=True))
        elif kind == "link_open":
            stack.append(replace(fmt, href=safe_href(str(child.attrs.get("href", "")))))
        elif kind in ("strong_close", "em_close", "s_close", "link_close"):
            if len(stack) > 1:
                stack.pop()
        elif kind == "code_inline":
            emit(child.content, replace(fmt, code=True))
        elif kind == "softbreak":
            # As in the HTML, where a single newline inside a paragraph shows as a space.
            emit(" ", fmt)
        elif kind == "hardbreak":
            emit("\n", fmt)
        elif kind == "image":
            emit("".join(grandchild.content for grandchild in child.children or []), fmt)
        else:
            emit(child.content, fmt)
    return tuple(runs)


@dataclass(slots=True)
class _ListFrame:
    """An open list while walking the token stream."""

    ordered: bool
    next_number: int
    awaiting_marker: bool = False
    current_number: int | None = None


@dataclass(slots=True)
class _TableBuilder:
    """A table being collected while walking the token stream."""

    header: list[TableCell] = field(default_factory=list)
    rows: list[list[TableCell]] = field(default_factory=list)
    in_head: bool = False


def _align_of(token: Token) -> Align | None:
    """The alignment ``_parse_tokens`` left on a table cell token."""
    value = token.attrs.get("align")
    if value == "left":
        return "left"
    if value == "center":
        return "center"
    if value == "right":
        return "right"
    return None


def parse_blocks(text: str) -> tuple[Block, ...]:
    """Parse member Markdown into a flat tuple of blocks, in document order, for builders that do not speak HTML.

    Links keep their text; a link whose URL is not http, https, mailto or relative loses its href. Images become
    their alt text. Raw HTML stays literal text, as in ``render_markdown``.
    """
    tokens = _parse_tokens(text)
    blocks: list[Block] = []
    lists: list[_ListFrame] = []
    quote_depth = 0
    table: _TableBuilder | None = None
    row: list[TableCell] = []

    def flush_marker(runs: tuple[Run, ...] = ()) -> bool:
        """Emit the ListItem the innermost open list item still owes, if it owes one."""
        if not (lists and lists[-1].awaiting_marker):
            return False
        frame = lists[-1]
        frame.awaiting_marker = False
        blocks.append(
            ListItem(
                runs=runs, ordered=frame.ordered, number=frame.current_number, list_level=len(lists),
                quote_depth=quote_depth,
            )
        )
        return True

    def add(block: Block) -> None:
        """Append a block; a list item's first paragraph becomes its ListItem, anything else follows an empty one."""
        if isinstance(block, Paragraph) and flush_marker(block.runs):
            return
        flush_marker()
        blocks.append(block)

    for index, token in enumerate(tokens):
        kind = token.type
        inline = tokens[index + 1] if index + 1 < len(tokens) and tokens[index + 1].type == "inline" else None
        if kind == "blockquote_open":
            flush_marker()
            quote_depth += 1
        elif kind == "blockquote_close":
            quote_depth -= 1
        elif kind in ("bullet_list_open", "ordered_list_open"):
            # A list that opens its parent item (``- - x``): the parent still gets its own, empty, marker.
            flush_marker()
            start = token.attrs.get("start", 1)
            lists.append(_ListFrame(ordered=kind == "ordered_list_open", next_number=int(start)))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            frame = lists[-1]
            frame.awaiting_marker = True
            frame.current_number = frame.next_number if frame.ordered else None
            frame.next_number += 1
        elif kind == "list_item_close":
            flush_marker()  # an empty item
        elif kind == "paragraph_open":
            add(Paragraph(runs=_inline_runs(inline), quote_depth=quote_depth, list_level=len(lists)))
        elif kind == "heading_open":
            level = int(token.tag[1]) if token.tag[1:].isdigit() else 1
            add(Heading(level=level, runs=_inline_runs(inline), quote_depth=quote_depth, list_level=len(lists)))
        elif kind in ("fence", "code_block"):
            code = token.content[:-1] if token.content.endswith("\n") else token.content
            language = token.info.split()[0] if token.info.strip() else ""
            add(CodeBlock(text=code, language=language, quote_depth=quote_depth, list_level=len(lists)))
        elif kind == "hr":
            add(ThematicBreak(quote_depth=quote_depth, list_level=len(lists)))
        elif kind == "table_open":
            table = _TableBuilder()
        elif kind == "thead_open" and table is not None:
            table.in_head = True
        elif kind == "thead_close" and table is not None:
            table.in_head = False
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and table is not None:
            if table.in_head:
                table.header = row
            else:
                table.rows.append(row)
        elif kind in ("th_open", "td_open"):
            row.append(TableCell(runs=_inline_runs(inline), align=_align_of(token)))
        elif kind == "table_close" and table is not None:
            add(
                Table(
                    header=tuple(table.header), rows=tuple(tuple(cells) for cells in table.rows),
                    quote_depth=quote_depth, list_level=len(lists),
                )
            )
            table = None
    return tuple(blocks)
