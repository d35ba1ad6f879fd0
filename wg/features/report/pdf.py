"""The PDF renderer: a report snapshot → HTML (Jinja, ``templates/report/``) → PDF (WeasyPrint).

Both functions are pure: they read the snapshot and the report template, never the database or the web layer.
WeasyPrint is CPU-bound (about 30 ms a page), so callers on a server use ``sandbox.render_pdf_sandboxed``, which
runs this module in a child process with time and memory limits.

Nothing the renderer loads comes from outside the application. The stylesheet is inlined into the HTML, member
text reaches the HTML only through ``wg.lib.markdown.render_markdown`` (which emits no images, styles or
embeds), and ``ReportURLFetcher`` refuses every URL but ``data:`` and the app's own assets, so even markup that
slipped through could not read a local file or reach the network. PDF attachments are dropped before writing.
"""

from __future__ import annotations

import logging
import mimetypes
import re
from datetime import datetime
from email.message import Message
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import DataHandler, Request

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from weasyprint import HTML, Document
from weasyprint.formatting_structure.boxes import FootnoteAreaBox
from weasyprint.urls import URLFetcher, URLFetcherResponse

from wg.features.report.document import EMOJI, Chapter, ReportDocument, build_document
from wg.features.report.snapshot import AdditionalViewSnap, RecommendationSnap, ReportImage, ReportSnapshot
from wg.lib.markdown import clean_text, render_markdown
from wg.settings import STATIC_DIR, TEMPLATES_DIR

log = logging.getLogger(__name__)

#: The scheme of the app's own assets: ``wg-asset:/static/wg.css`` or ``wg-asset:/report/logo.png``.
ASSET_SCHEME = "wg-asset"
#: The base URL the report is rendered against. urllib does not join relative references against an unknown
#: scheme, so a relative URL stays relative and the fetcher refuses it: assets are named by absolute wg-asset: URLs.
BASE_URL = f"{ASSET_SCHEME}:/report/"
#: The folders an asset URL may name, by its first path segment.
#: ``fonts`` is Debian's Noto folder (fonts-noto-color-emoji): the report's stylesheet loads its emoji face from
#: there by a wg-asset: URL (``src: local()`` would resolve to a file: URL, which the fetcher refuses).
ASSET_ROOTS: dict[str, Path] = {"static": STATIC_DIR, "report": TEMPLATES_DIR / "report",
                                "fonts": Path("/usr/share/fonts/truetype/noto")}
#: A data: URL larger than this is refused (an image the size of the whole report is not an image we made).
MAX_DATA_URL = 5_000_000

_PAGE_SIZES = {"A4": "A4", "Letter": "letter"}
_SEPARATORS = re.compile("[\u2028\u2029]")
_HTML_WHITESPACE = re.compile("[ \t\n\r\f\v]+")
_IMAGE_TYPES = frozenset({"image/png", "image/svg+xml"})
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%B %Y", "%b %Y", "%Y-%m", "%Y")


class FetchRefused(ValueError):
    """The report renderer asked for a URL it may not load."""


def _refuse(url: str, why: str) -> FetchRefused:
    """Log a refused fetch and build the exception WeasyPrint will catch and report as a missing resource."""
    shown = url if len(url) <= 200 else url[:200] + "…"
    log.warning("report renderer refused to fetch %r: %s", shown, why)
    return FetchRefused(f"refused to fetch {shown!r}: {why}")


def resolve_asset(url: str) -> Path:
    """The file a ``wg-asset:`` URL names, if it lies inside one of ``ASSET_ROOTS``; raise FetchRefused otherwise."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _refuse(url, "malformed URL") from None
    if parts.scheme.lower() != ASSET_SCHEME or parts.netloc:
        raise _refuse(url, "not an app asset URL")
    path = unquote(parts.path)
    if "\x00" in path or "\\" in path:
        raise _refuse(url, "bad characters in the path")
    segments = [s for s in path.split("/") if s]
    if len(segments) < 2 or segments[0] not in ASSET_ROOTS:
        raise _refuse(url, "not under an asset folder")
    root = ASSET_ROOTS[segments[0]].resolve()
    target = root.joinpath(*segments[1:]).resolve()
    if not target.is_relative_to(root):
        raise _refuse(url, "path escapes the asset folder")
    if not target.is_file():
        raise _refuse(url, "no such asset")
    return target


class ReportURLFetcher(URLFetcher):
    """Deny-by-default WeasyPrint fetcher: serves ``data:`` URLs and the app's own assets, refuses and logs the rest.

    The network and the file system outside ``ASSET_ROOTS`` are never touched: ``fetch`` is the only way WeasyPrint
    loads a resource (``__call__`` and ``open`` both lead here) and it opens no connection at all, so there is no
    redirect to follow, no ``file://`` to read and no proxy to ask. ``refused`` records what it turned away.
    """

    def __init__(self) -> None:
        super().__init__(timeout=1, allowed_protocols={ASSET_SCHEME, "data"}, allow_redirects=False,
                         fail_on_errors=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Return the resource for ``url`` or raise FetchRefused."""
        try:
            if not isinstance(url, str):
                raise _refuse(repr(url), "not a string")
            scheme = url.split(":", 1)[0].strip().lower() if ":" in url else ""
            if scheme == "data":
                return self._fetch_data(url)
            if scheme == ASSET_SCHEME:
                target = resolve_asset(url)
                content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, body=target.read_bytes(), headers={"Content-Type": content_type})
            raise _refuse(url, f"scheme {scheme[:20] or '(none)'!r} is not allowed")
        except FetchRefused:
            self.refused.append(str(url)[:200])
            raise

    @staticmethod
    def _fetch_data(url: str) -> URLFetcherResponse:
        """Decode a data: URL locally (urllib's DataHandler does no I/O)."""
        if len(url) > MAX_DATA_URL:
            raise _refuse(url, "data: URL too large")
        try:
            response = DataHandler().data_open(Request(url))  # noqa: S310 - data: only, decoded in memory
        except (ValueError, OSError) as error:
            raise _refuse(url, f"malformed data: URL ({error})") from None
        message: Message = response.headers
        return URLFetcherResponse(url, body=response.read(),
                                  headers={"Content-Type": message.get("Content-Type", "text/plain")})


# --- HTML ------------------------------------------------------------------------------------------------------


def _printable(text: str) -> str:
    """Text WeasyPrint can lay out: ``clean_text``, and line/paragraph separators as newlines.

    WeasyPrint 70 fails an internal assertion on U+2029 (and on U+2028 next to a space) in ordinary text.
    """
    return _SEPARATORS.sub("\n", clean_text(text))


def _markdown_filter(text: object) -> Markup:
    """Jinja filter: member Markdown → sanitised HTML (the only way member text becomes markup)."""
    return Markup(render_markdown(_printable(str(text or ""))))  # noqa: S704 - render_markdown sanitises (nh3)  # nosec B704


def _footnote_markdown_filter(text: object) -> Markup:
    """Jinja filter: member Markdown for a footnote, as sanitised HTML on one line.

    WeasyPrint 70 does not collapse white space inside ``float: footnote`` content and fails an internal assertion
    on a space before a newline there, so the footnote body gets no newlines at all. Squeezing white space in
    sanitised HTML cannot create markup; it only joins the lines of a code block, which a footnote can spare.
    """
    return Markup(_HTML_WHITESPACE.sub(" ", str(_markdown_filter(text))).strip())  # noqa: S704 - sanitised  # nosec B704


def _finalize(value: object) -> object:
    """Every ``{{ }}`` value: plain strings become one printable line; markup passes through untouched."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return _HTML_WHITESPACE.sub(" ", _printable(value)).strip()


def shown_views(rec: RecommendationSnap) -> tuple[AdditionalViewSnap, ...]:
    """The additional views of ``rec`` that have something to print (an empty view gets no footnote)."""
    return tuple(view for view in rec.views
                 if _printable(view.attribution).strip() or _printable(view.text).strip())


def _block_kind(block: object) -> str:
    """Jinja filter: the document block's type name (``Cover``, ``Chapter`` …), for the template's dispatch."""
    return type(block).__name__


def _image_url(image: object) -> str:
    """Jinja filter: a ``data:`` URL for a PNG or SVG report image, '' for anything else."""
    if not isinstance(image, ReportImage) or image.media_type not in _IMAGE_TYPES:
        return ""
    data = "".join(image.data_base64.split())
    if not data or not _BASE64.fullmatch(data):
        return ""
    return f"data:{image.media_type};base64,{data}"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """The report's own Jinja environment: autoescape on, strict undefined, the filters the template uses."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters["markdown"] = _markdown_filter
    env.filters["footnote_markdown"] = _footnote_markdown_filter
    env.filters["block_kind"] = _block_kind
    env.filters["image_url"] = _image_url
    env.globals["zip"] = zip
    return env


def page_size(snapshot: ReportSnapshot) -> str:
    """The CSS page size for the snapshot's paper size (A4 unless it says Letter)."""
    return _PAGE_SIZES.get(str(snapshot.front.paper_size), "A4")


def render_report_html(snapshot: ReportSnapshot, inline_views: bool = False,
                       document: ReportDocument | None = None, *, break_before: frozenset[str] = frozenset(),
                       inline_anchors: frozenset[str] = frozenset()) -> str:
    """The report as one self-contained HTML document (stylesheet inlined, nothing to fetch): the template walks the
    document model (``build_document``) and adds typography only.

    Additional views are footnotes; with ``inline_views`` (or for the recommendations in ``inline_anchors``) they
    follow the outcome line instead. The recommendations in ``break_before`` start a new page (see ``render_pdf``).
    """
    template = _environment().get_template("report/report.html")
    doc = document if document is not None else build_document(snapshot)
    html = template.render(doc=doc, page_size=page_size(snapshot), inline_views=inline_views,
                           break_before=break_before, inline_anchors=inline_anchors, emoji=False)
    if EMOJI.search(html) is None:
        return html
    return template.render(doc=doc, page_size=page_size(snapshot), inline_views=inline_views,
                           break_before=break_before, inline_anchors=inline_anchors, emoji=True)


# --- PDF -------------------------------------------------------------------------------------------------------


def report_date(snapshot: ReportSnapshot) -> str | None:
    """The report's date as a W3C date (``2026-11-01``) read from its date line, or None if it has none we read.

    The PDF's creation and modification dates come from here, never from the clock, so the same snapshot
    gives the same bytes.
    """
    line = clean_text(snapshot.front.date_line).strip()
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(line, fmt)  # noqa: DTZ007 - a calendar date, no time of day
        except ValueError:
            continue
        return parsed.strftime("%Y-%m-%d")
    return None


def _one_line(text: str, limit: int = 500) -> str:
    """Metadata text: cleaned, on one line, bounded."""
    return " ".join(clean_text(text).split())[:limit]


def placed_footnotes(document: Document) -> int | None:
    """How many footnotes the layout put on its pages (None if WeasyPrint's page boxes are not as we know them)."""
    found: set[int] = set()
    try:
        for page in document.pages:
            for child in page._page_box.children:
                if isinstance(child, FootnoteAreaBox):
                    found.update(id(box.element) for box in child.descendants()
                                 if box.element is not None and "footnote" in (box.element.get("class") or "").split())
    except AttributeError:
        return None
    return len(found)


def footnote_pages(document: Document) -> dict[str, tuple[int, int]] | None:
    """For each footnote (by its number), the page of its call and the page of its note (0: not placed).

    None if WeasyPrint's page boxes are not as we know them.
    """
    calls: dict[str, int] = {}
    notes: dict[str, int] = {}
    try:
        for number, page in enumerate(document.pages, start=1):
            for box in page._page_box.descendants():
                footnote = getattr(box, "footnote", None)
                if footnote is not None and footnote.element is not None:
                    calls.setdefault(footnote.element.get("data-note") or "", number)
                if isinstance(box, FootnoteAreaBox):
                    for inner in box.descendants():
                        if inner.element is not None and inner.element.get("data-note"):
                            notes.setdefault(inner.element.get("data-note") or "", number)
    except AttributeError:
        return None
    return {note: (calls.get(note, 0), notes.get(note, 0)) for note in calls.keys() | notes.keys()}


def _layout(snapshot: ReportSnapshot, document: ReportDocument, base_url: str, inline_views: bool = False,
            break_before: frozenset[str] = frozenset(), inline_anchors: frozenset[str] = frozenset()) -> Document:
    """Lay the report out (every fetch goes through a fresh deny-by-default fetcher)."""
    html = render_report_html(snapshot, inline_views=inline_views, document=document, break_before=break_before,
                              inline_anchors=inline_anchors)
    return HTML(string=html, base_url=base_url, url_fetcher=ReportURLFetcher()).render()


#: How many times ``render_pdf`` lays the report out again to keep footnotes on the page of their call.
FOOTNOTE_REPAIRS = 3


def _following_recommendations(model: ReportDocument) -> dict[str, str]:
    """Each recommendation's anchor → the anchor of the next recommendation in the same chapter."""
    following: dict[str, str] = {}
    for block in model.blocks:
        if isinstance(block, Chapter):
            for rec, after in zip(block.recommendations, block.recommendations[1:], strict=False):
                following[rec.anchor] = after.anchor
    return following


def _keep_footnotes_with_their_calls(snapshot: ReportSnapshot, model: ReportDocument, base_url: str,
                                     document: Document) -> Document:
    """Lay the report out again until every footnote is on the page of its call (see ``render_pdf``)."""
    following = _following_recommendations(model)
    owner = {str(note.number): rec.anchor for rec in model.recommendations for note in rec.footnotes}
    break_before: set[str] = set()
    inline: set[str] = set()
    for attempt in range(FOOTNOTE_REPAIRS + 1):
        pages = footnote_pages(document)
        if pages is None:
            return document
        astray = {owner[number] for number, (call, note) in pages.items() if number in owner and call != note}
        astray |= {anchor for number, anchor in owner.items() if number not in pages} - inline
        if not astray:
            break
        log.warning("PDF layout of %r put %d footnote(s) on another page than their call; laying it out again",
                    snapshot.group_slug, len(astray))
        # First the recommendation after the call starts a new page (it holds the squeezed paragraph); if that was
        # not enough, the recommendation with the call does.
        movable = {following[a] if a in following and following[a] not in break_before else a for a in astray}
        movable -= break_before
        if attempt == FOOTNOTE_REPAIRS or not movable:
            inline |= astray
            movable = set()
        break_before |= movable
        document = _layout(snapshot, model, base_url, break_before=frozenset(break_before),
                           inline_anchors=frozenset(inline))
    if inline:
        log.error("PDF layout of %r: additional views of %d recommendation(s) printed in the text, not as footnotes",
                  snapshot.group_slug, len(inline))
    return document


def render_pdf(snapshot: ReportSnapshot, base_url: str = BASE_URL) -> bytes:
    """Render the report to PDF bytes: deterministic metadata, no attachments, no fetch outside the app's assets.

    Title is the report title; Author is the host organisation (never a member); the dates come from the
    report's date line. ``base_url`` only anchors relative URLs; whatever it says, the fetcher still refuses
    anything but ``data:`` and ``wg-asset:`` URLs.

    Additional views are footnotes, and a footnote sits on the page of its call. WeasyPrint 70 breaks that in two
    ways: to fit one more line of a paragraph at the foot of a page (orphans), it moves the notes already on the
    page to the next one; and it can drop a note it moved when it lays a page out again. After the layout, each
    note's page is checked against its call's: when they differ, the recommendation after the call starts a new
    page (the squeezed paragraph is in it), or else the one with the call does, and the report is laid out again
    (at most ``FOOTNOTE_REPAIRS`` times).
    A note still astray is printed in the text under its outcome line instead; if the layout lost a note, every
    view is printed in the text: the report never silently loses a member's view, nor prints it away from its
    call.
    """
    model = build_document(snapshot)
    document = _layout(snapshot, model, base_url)
    expected = len(model.footnotes)
    placed = placed_footnotes(document)
    if placed is not None and placed < expected:
        log.error("PDF layout of %r placed %d of %d footnotes; printing additional views in the text instead",
                  snapshot.group_slug, placed, expected)
        document = _layout(snapshot, model, base_url, inline_views=True)
    elif expected:
        document = _keep_footnotes_with_their_calls(snapshot, model, base_url, document)
    metadata = document.metadata
    # No embedded files, whatever the markup asked for: <link rel=attachment> fills metadata.attachments and
    # <a rel=attachment> adds 'attachment' links; both would be fetched (and embedded) while writing.
    metadata.attachments = []
    for page in document.pages:
        page.links = [link for link in page.links if link[0] != "attachment"]
    metadata.title = _one_line(model.title) or None
    host = _one_line(model.host)
    metadata.authors = [host] if host else []
    metadata.description = _one_line(model.subtitle) or None
    metadata.keywords = []
    metadata.generator = "wg"
    metadata.custom = {}
    metadata.lang = "en"
    date = report_date(snapshot)
    metadata.created = date
    metadata.modified = date
    pdf: bytes = document.write_pdf(pdf_identifier=False, custom_metadata=False, attachments=None)
    return pdf

