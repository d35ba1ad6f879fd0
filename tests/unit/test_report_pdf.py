"""The PDF export, read back the way a reader meets it: pdftotext, pdffonts, pdfinfo, pdfdetach and pdftohtml's outline.

Also: the deny-by-default URL fetcher (a canary HTTP server that must never be asked for anything), robustness
against arbitrary Unicode in every field, and the sandbox's time and memory limits.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import pickle
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from wg.features.report import pdf as pdf_module
from wg.features.report.pdf import (
    ASSET_ROOTS,
    BASE_URL,
    FetchRefused,
    ReportURLFetcher,
    render_pdf,
    render_report_html,
)
from wg.features.report.sample import sample_snapshot
from wg.features.report.sandbox import (
    EXIT_BAD_INPUT,
    RenderFailed,
    render_pdf_sandboxed,
    snapshot_from_bytes,
    snapshot_to_bytes,
)
from wg.features.report.snapshot import (
    AdditionalViewSnap,
    CountryRoster,
    FrontMatter,
    RecommendationSnap,
    ReportSnapshot,
    RosterPerson,
    SectionSnap,
)
from wg.settings import PROJECT_ROOT

TOOLS = ("pdftotext", "pdffonts", "pdfinfo", "pdfdetach", "pdftohtml")
pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in TOOLS), reason="poppler-utils is not installed"
)

DRAFT_MARK = "DRAFT — not for citation"


# --- Reading a PDF back ---------------------------------------------------------------------------------------


def run(*args: str) -> str:
    """A poppler tool's standard output."""
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def info(path: Path) -> dict[str, str]:
    """pdfinfo's fields."""
    fields: dict[str, str] = {}
    for line in run("pdfinfo", "-enc", "UTF-8", str(path)).splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def page_texts(path: Path) -> list[str]:
    """The text of each page, in order."""
    count = int(info(path)["Pages"])
    return [run("pdftotext", "-enc", "UTF-8", "-f", str(n), "-l", str(n), str(path), "-") for n in range(1, count + 1)]


def outline(path: Path) -> list[tuple[int, str]]:
    """The PDF bookmarks, depth-first, as (page, label)."""
    xml = run("pdftohtml", "-xml", "-i", "-stdout", "-q", str(path))
    return [(int(page), html.unescape(label)) for page, label in re.findall(r'<item page="(\d+)">(.*?)</item>', xml)]


def embedded_files(path: Path) -> int:
    """How many files pdfdetach finds embedded."""
    first = run("pdfdetach", "-list", str(path)).splitlines()[0]
    match = re.match(r"(\d+) embedded files", first)
    assert match, first
    return int(match.group(1))


def write(tmp: Path, name: str, data: bytes) -> Path:
    """Save PDF bytes to a file the poppler tools can read."""
    path = tmp / name
    path.write_bytes(data)
    return path


def child_processes() -> list[str]:
    """This process's children that are sandbox renderers or zombies (``pid state cmdline``)."""
    me = os.getpid()
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, ppid = stat.read_text().rsplit(")", 1)[1].split()[:2]
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
        if int(ppid) == me and (state == "Z" or "report.sandbox" in cmdline):
            found.append(f"{stat.parent.name} {state} {cmdline}")
    return found


# --- Fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report-pdf")


@pytest.fixture(scope="module")
def draft() -> ReportSnapshot:
    return sample_snapshot("public", draft=True)


@pytest.fixture(scope="module")
def draft_bytes(draft: ReportSnapshot) -> bytes:
    return render_pdf(draft)


@pytest.fixture(scope="module")
def draft_pdf(tmp: Path, draft_bytes: bytes) -> Path:
    return write(tmp, "draft.pdf", draft_bytes)


@pytest.fixture(scope="module")
def draft_pages(draft_pdf: Path) -> list[str]:
    return page_texts(draft_pdf)


@pytest.fixture(scope="module")
def final_pdf(tmp: Path) -> Path:
    return write(tmp, "final.pdf", render_pdf(sample_snapshot("public", draft=False)))


def small_snapshot(**changes: Any) -> ReportSnapshot:
    """The sample report cut to its first two sections with recommendations: quick to render."""
    sample = sample_snapshot("public", draft=True)
    sections = tuple(s for s in sample.sections if s.recommendations)[:2]
    return dataclasses.replace(sample, sections=sections, **changes)


def with_review_data(snapshot: ReportSnapshot, profile: str) -> ReportSnapshot:
    """The snapshot with review states, open items and comment counts filled in, as the loader gives internally."""
    sections = tuple(
        dataclasses.replace(
            section, state="in-review", is_open=True, comment_count=2,
            recommendations=tuple(
                dataclasses.replace(rec, state="changes-requested", is_open=True, comment_count=3)
                for rec in section.recommendations
            ),
        )
        for section in snapshot.sections
    )
    return dataclasses.replace(snapshot, profile=profile, sections=sections, open_items=4,
                               notes=("Section 2 awaits its chair.",))


# --- What the reader sees ---------------------------------------------------------------------------------------


def test_reading_order_cover_contents_sections(draft: ReportSnapshot, draft_pages: list[str]) -> None:
    title_page = next(i for i, text in enumerate(draft_pages) if draft.front.title.split()[0] in text)
    contents_page = next(i for i, text in enumerate(draft_pages) if re.search(r"^Contents$", text, re.M))
    assert title_page == 0
    assert "A Practical Trilateral Agenda" in draft_pages[0]
    assert "Pacific Alliance Forum" in draft_pages[0] and "November 2026" in draft_pages[0]
    assert "Policy recommendations from an Emerging Leaders working group".upper() in draft_pages[0]
    assert title_page < contents_page
    # Issue 11: one order in PDF and DOCX: acknowledgements, members, advisers and disclaimer before the contents.
    before = [next(i for i, text in enumerate(draft_pages) if heading in text)
              for heading in ("Acknowledgements", "Members of the working group", "Senior advisers")]
    assert before == sorted(before) and before[-1] < contents_page
    starts = []
    for section in draft.sections:
        heading = f"{section.number}. {section.title}"
        starts.append(next(i for i, text in enumerate(draft_pages) if i > contents_page and heading in text))
    assert starts == sorted(starts) and len(set(starts)) == len(starts), starts
    front = [next(i for i, text in enumerate(draft_pages) if i > contents_page and heading in text)
             for heading in ("Foreword", "Executive summary")]
    assert front == sorted(front) and front[-1] < starts[0]
    summary = next(i for i, text in enumerate(draft_pages) if i > starts[-1] and "Summary of recommendations" in text)
    back = next(i for i, text in enumerate(draft_pages) if i > summary and "About Pacific Alliance Forum" in text)
    assert starts[-1] < summary < back
    # Each numbered section starts a page: its heading comes right after the running header.
    for section, start in zip(draft.sections, starts, strict=True):
        body = draft_pages[start].split(draft.front.title, 1)[1]
        assert body.lstrip().startswith(f"{section.number}. {section.title}")


def test_recommendations_are_numbered_by_section_in_order(draft: ReportSnapshot, draft_pages: list[str]) -> None:
    text = "\n".join(draft_pages)
    # Issue 11: the public report prints no R-keys.
    body = text.split("Summary of recommendations")[-2]  # after the contents, before the summary table
    numbers = re.findall(r"^Recommendation (\d+\.\d+)$", body, re.M)
    assert numbers == [rec.number for rec in draft.recommendations]
    assert numbers[0] == "2.1" and "2.2" in numbers and "3.1" in numbers
    first = draft.recommendations[0]
    assert f"Recommendation {first.number}" in text and "(R-" not in text
    assert f"Addressed to: {first.target}" in text
    assert "Outcome: Consensus" in text
    assert "Summary of recommendations" in text


def test_contents_page_numbers_are_the_real_pages(draft: ReportSnapshot, draft_pdf: Path,
                                                  draft_pages: list[str]) -> None:
    contents_page = next(i for i, text in enumerate(draft_pages) if re.search(r"^Contents$", text, re.M))
    layout = run("pdftotext", "-layout", "-f", str(contents_page + 1), "-l", str(contents_page + 1),
                 str(draft_pdf), "-")
    entries = {title.strip(): int(page)
               for title, page in re.findall(r"^\s*(?:\d+\.\s+)?(.+?)\s*\.{4,}\s*(\d+)\s*$", layout, re.M)}
    for section in draft.sections:
        heading = f"{section.number}. {section.title}"
        actual = next(i for i, text in enumerate(draft_pages) if i > contents_page and heading in text) + 1
        assert entries[section.title] == actual, (section.title, entries)
    for heading in ("Executive summary", "Summary of recommendations"):
        page = next(i for i, text in enumerate(draft_pages) if i > contents_page and heading in text)
        assert entries[heading] == page + 1, heading


def test_draft_mark_on_every_page(draft_pages: list[str]) -> None:
    assert len(draft_pages) > 10
    missing = [n for n, text in enumerate(draft_pages, start=1) if DRAFT_MARK not in text]
    assert missing == []


def test_final_has_no_draft_mark(final_pdf: Path) -> None:
    pages = page_texts(final_pdf)
    assert len(pages) > 10
    assert [n for n, text in enumerate(pages, start=1) if "DRAFT" in text or "not for citation" in text] == []


def test_page_footer_reads_n_of_total(draft_pages: list[str]) -> None:
    total = len(draft_pages)
    for number, text in enumerate(draft_pages[1:], start=2):
        assert f"{number} of {total}" in text


def test_additional_views_are_footnotes_on_the_page_of_their_call(draft: ReportSnapshot,
                                                                  draft_pages: list[str]) -> None:
    views = [view for rec in draft.recommendations for view in rec.views]
    assert views
    note_pages = [i for i, text in enumerate(draft_pages) for _ in re.findall(r"One member adds:", text)]
    assert len(note_pages) == len(views)
    for i in note_pages:
        assert re.search(r"Outcome: Consensus with reservations\s*\d", draft_pages[i]), draft_pages[i]
        assert re.search(r"^\d+\. One member adds: The timeline should be realistic\.", draft_pages[i], re.M)


def test_member_names_in_native_script_with_cjk_fonts_embedded(draft_pdf: Path, draft_pages: list[str]) -> None:
    roster = next(text for text in draft_pages if "Members of the working group" in text and "UNITED STATES" in text)
    for name in ("Haruka Sato", "佐藤遥", "Kim Min-jun", "김민준", "Kenji Morimoto", "森本健二"):
        assert name in roster
    assert "Kansai University of Foreign Studies" in roster and "Co-chair" in roster
    fonts = run("pdffonts", str(draft_pdf))
    rows = [line for line in fonts.splitlines() if "CJK" in line]
    # pdftotext reads the right characters even from empty boxes: the font itself must be in the file.
    assert any("Noto-Serif-CJK-JP" in row or "NotoSerifCJKjp" in row for row in rows), fonts
    assert any("CJK-KR" in row or "CJKkr" in row for row in rows), fonts
    assert all(" yes " in row for row in rows)


def test_metadata_names_the_report_and_host_never_a_member(draft: ReportSnapshot, draft_pdf: Path,
                                                           draft_pages: list[str]) -> None:
    fields = info(draft_pdf)
    assert fields["Title"] == draft.front.title
    assert fields["Author"] == "Pacific Alliance Forum"
    assert int(fields["Pages"]) == len(draft_pages)
    assert "2026" in fields["CreationDate"] and "2026" in fields["ModDate"]
    everything = json.dumps(fields, ensure_ascii=False)
    for country in draft.roster:
        for person in country.people:
            assert person.name not in everything
            assert not person.native_name or person.native_name not in everything


def test_bookmarks_for_sections_and_recommendations(draft: ReportSnapshot, draft_pdf: Path) -> None:
    labels = [label for _, label in outline(draft_pdf)]
    expected = []
    for section in draft.sections:
        expected.append(f"{section.number}. {section.title}")
        # Issue 11: one heading text everywhere (contents, bookmarks, DOCX headings).
        expected.extend(f"Recommendation {rec.number}: {rec.title}" for rec in section.recommendations)
    assert [label for label in labels if label in expected] == expected
    assert "Members of the working group" in labels and "Summary of recommendations" in labels
    pages = dict((label, page) for page, label in outline(draft_pdf))
    assert pages["1. Introduction"] < pages["2. Domestic constraints"]


def test_same_snapshot_gives_the_same_bytes(draft: ReportSnapshot, draft_bytes: bytes) -> None:
    assert render_pdf(draft) == draft_bytes


def test_paper_size_follows_the_front_matter(tmp: Path) -> None:
    a4 = small_snapshot()
    letter = dataclasses.replace(a4, front=dataclasses.replace(a4.front, paper_size="Letter"))
    assert "(A4)" in info(write(tmp, "a4.pdf", render_pdf(a4)))["Page size"]
    assert info(write(tmp, "letter.pdf", render_pdf(letter)))["Page size"].startswith("612 x 792")


def test_public_profile_shows_no_review_marks(tmp: Path) -> None:
    public = with_review_data(small_snapshot(), "public")
    internal = with_review_data(small_snapshot(), "internal")
    public_text = "\n".join(page_texts(write(tmp, "public.pdf", render_pdf(public))))
    internal_text = "\n".join(page_texts(write(tmp, "internal.pdf", render_pdf(internal))))
    marks = ("3 comments", "2 comments", "Open item", "Changes requested", "In review", "Internal review copy",
             "Review status", "awaits its chair")
    for mark in marks:
        assert mark in internal_text, mark
        assert mark not in public_text, mark
    assert "@" not in public_text and "example.org" not in public_text


def test_member_headings_stay_out_of_the_outline(tmp: Path) -> None:
    snapshot = small_snapshot()
    section = dataclasses.replace(snapshot.sections[0], text="# A member's own heading\n\nText.")
    path = write(tmp, "headings.pdf", render_pdf(dataclasses.replace(snapshot, sections=(section,))))
    assert "A member's own heading" in "\n".join(page_texts(path))
    assert all("member's own heading" not in label for _, label in outline(path))


def test_footnotes_and_separators_that_crashed_weasyprint_render(tmp: Path) -> None:
    # WeasyPrint 70 asserts on a space before a newline inside footnote content, and on U+2029 anywhere.
    snapshot = small_snapshot()
    view = AdditionalViewSnap("One member adds:", "First point.  \nSecond line.\n\n- a list\n\n```\ncode  \nmore\n```",
                              "reservation")
    rec = dataclasses.replace(snapshot.sections[0].recommendations[0], views=(view,),
                              title="A title\u2029with a paragraph separator", text="Text \u2029 and\u2028more.")
    section = dataclasses.replace(snapshot.sections[0], recommendations=(rec,))
    path = write(tmp, "separators.pdf", render_pdf(dataclasses.replace(snapshot, sections=(section,))))
    text = " ".join(" ".join(page_texts(path)).split())
    assert "One member adds: First point." in text and "Second line." in text
    assert "A title with a paragraph separator" in text


def test_a_lost_footnote_falls_back_to_views_in_the_text(tmp: Path, monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    # WeasyPrint 70 can drop a footnote it moved to a page it lays out twice: the view must still be printed.
    monkeypatch.setattr(pdf_module, "placed_footnotes", lambda document: 0)
    snapshot = small_snapshot()
    with caplog.at_level("ERROR", logger="wg.features.report.pdf"):
        path = write(tmp, "inline-views.pdf", render_pdf(snapshot))
    text = "\n".join(page_texts(path))
    assert text.count("One member adds: The timeline should be realistic.") == len(
        [view for rec in snapshot.recommendations for view in rec.views])
    assert not re.search(r"Outcome: Consensus with reservations\s*\d", text)
    assert "placed 0 of" in caplog.text


# --- Hostile content and the fetcher ----------------------------------------------------------------------------


class Canary:
    """A local HTTP server that records every request; ``/redirect`` answers 302 to ``/landing``."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                canary.requests.append(f"{self.command} {self.path}")
                if self.path.startswith("/redirect"):
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.1:{canary.port}/landing")
                    self.end_headers()
                    return
                body = b"root:x:0:0:canary"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    server = Canary()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def hostile_text(canary: Canary) -> str:
    """Everything a member might type to make the renderer read a file or call out."""
    return "\n\n".join((
        "<img src=file:///etc/passwd>",
        "<link rel=attachment href=file:///etc/passwd>",
        f"<style>@import url({canary.url('/import.css')});</style>",
        f"[x]({canary.url('/a')})",
        f"![i]({canary.url('/i.png')})",
        f'<span style="background: url({canary.url("/bg.png")})">styled</span>',
        f'<svg><image href="{canary.url("/s")}"/></svg>',
        f'<iframe src="{canary.url("/frame")}"></iframe>',
        f"[redirect]({canary.url('/redirect')}) <img src=\"{canary.url('/redirect')}\">",
        "<a rel=attachment href=file:///etc/passwd>attached</a>",
        f'<object data="{canary.url("/object")}"></object><embed src="{canary.url("/embed")}">',
        f'<base href="{canary.url("/base/")}"><img src="relative.png">',
        f"<style>@font-face {{ font-family: x; src: url({canary.url('/font.woff')}); }}</style>",
        '<link rel="attachment" href="data:text/plain,smuggled">',
        '<a rel="attachment" href="data:text/plain,smuggled-too">data</a>',
        '<a rel="attachment" href="wg-asset:/report/report.css">our own file</a>',
        "<img src=wg-asset:/static/../../../../etc/passwd>",
    ))


def fill_strings(value: Any, make: Callable[[str, str], str], path: str = "") -> Any:
    """Replace every string field of a snapshot (recursively) with ``make(path, old)``; keep the profile."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in dataclasses.fields(value):
            if field.name == "profile":
                continue
            changes[field.name] = fill_strings(getattr(value, field.name), make, f"{path}.{field.name}")
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(fill_strings(item, make, f"{path}[{i}]") for i, item in enumerate(value))
    if isinstance(value, str):
        return make(path, value)
    return value


MEMBER_TEXT_FIELDS = ("text", "rationale", "title", "acknowledgements", "foreword", "executive_summary",
                      "disclaimer", "name", "native_name", "affiliation")


def hostile_snapshot(canary: Canary, everywhere: bool = False) -> ReportSnapshot:
    """The hostile text in every member text field, and a short hostile string in every other string field.

    (The whole payload in every field, ``everywhere``, is cheap as HTML but makes a slow PDF: 900-character cells.)
    """
    payload = hostile_text(canary)

    def make(path: str, _old: str) -> str:
        if everywhere or path.rsplit(".", 1)[-1] in MEMBER_TEXT_FIELDS:
            return payload
        return "<img src=file:///etc/passwd>"

    return fill_strings(small_snapshot(profile="internal"), make)


def test_hostile_member_text_is_escaped_in_the_html(canary: Canary) -> None:
    soup = BeautifulSoup(render_report_html(hostile_snapshot(canary, everywhere=True)), "html.parser")
    for tag in ("img", "iframe", "object", "embed", "link", "base", "image", "script"):
        assert soup.find_all(tag) == [], tag
    assert len(soup.find_all("style")) == 1  # the report's own stylesheet
    assert [svg.parent.get("class") for svg in soup.find_all("svg")] == [["watermark"]]
    assert soup.find_all(style=True) == []
    assert [a for a in soup.find_all(rel=True) if "attachment" in a["rel"]] == []


def test_hostile_member_text_fetches_nothing_and_embeds_nothing(canary: Canary, tmp: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    canary.requests.clear()
    path = write(tmp, "hostile.pdf", render_pdf(hostile_snapshot(canary)))
    text = "\n".join(page_texts(path))
    assert canary.requests == []
    assert embedded_files(path) == 0
    assert "root:" not in text
    assert "<img src=file:///etc/passwd>" in text  # shown as the text the member typed


def test_fetcher_holds_even_if_raw_html_got_past_the_sanitiser(canary: Canary, tmp: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    # Simulate a sanitiser bug: member Markdown goes into the page as raw HTML.
    monkeypatch.setattr(pdf_module, "render_markdown", lambda text: text)
    canary.requests.clear()
    with caplog.at_level("WARNING", logger="wg.features.report.pdf"):
        path = write(tmp, "raw.pdf", render_pdf(hostile_snapshot(canary)))
    assert canary.requests == []
    assert embedded_files(path) == 0
    assert "root:" not in "\n".join(page_texts(path))
    refused = " ".join(record.getMessage() for record in caplog.records)
    assert "file:///etc/passwd" in refused
    assert canary.url("/i.png") in refused or canary.url("/redirect") in refused
    assert "/etc/passwd" in refused


REFUSED_URLS = (
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "ftp://127.0.0.1/x",
    "https://127.0.0.1/x",
    "gopher://127.0.0.1/x",
    "javascript:alert(1)",
    "/etc/passwd",
    "../../../../etc/passwd",
    "wg-asset:/static/../../../../../etc/passwd",
    "wg-asset:/report/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "wg-asset:/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "wg-asset:/etc/passwd",
    "wg-asset://evil.example/static/wg.css",
    "wg-asset:/static/",
    "wg-asset:/static/no-such-file.css",
)


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_fetcher_refuses(url: str) -> None:
    fetcher = ReportURLFetcher()
    with pytest.raises(FetchRefused):
        fetcher.fetch(url)
    with pytest.raises(FetchRefused):
        fetcher(url)
    assert fetcher.refused


def test_fetcher_refuses_the_network_without_connecting(canary: Canary) -> None:
    canary.requests.clear()
    fetcher = ReportURLFetcher()
    for path in ("/x", "/redirect"):
        for call in (fetcher.fetch, fetcher, fetcher.open):
            with pytest.raises(FetchRefused):
                call(canary.url(path))
    assert canary.requests == []


def test_fetcher_refuses_a_symlink_out_of_the_asset_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "passwd").symlink_to("/etc/passwd")
    (tmp_path / "ok.css").write_text("p {}")
    monkeypatch.setitem(ASSET_ROOTS, "static", tmp_path)
    fetcher = ReportURLFetcher()
    with pytest.raises(FetchRefused):
        fetcher.fetch("wg-asset:/static/passwd")
    assert fetcher.fetch("wg-asset:/static/ok.css").read() == b"p {}"


def test_fetcher_serves_data_urls_and_the_apps_own_assets() -> None:
    fetcher = ReportURLFetcher()
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    css = fetcher.fetch(BASE_URL + "report.css")
    assert css.content_type == "text/css"
    assert css.read().startswith(b"/*")
    assert fetcher.refused == []


# --- Robustness ------------------------------------------------------------------------------------------------

_POOLS = (
    "\x00\x01\x07\x08\x0b\x0c\x1b\x1f\x7f\x80\x85\x9f",  # NUL, C0 and C1 controls
    "\ud800\udbff\udc00\udfff",  # lone surrogates
    "\ufffe\uffff\ufeff\ufffd",
    "\u202e\u202d\u202a\u202b\u202c\u2066\u2067\u2068\u2069\u200f\u200e",  # bidi overrides and isolates
    "😀👩‍👩‍👧‍👦🇯🇵🇰🇷🏳️‍🌈✊🏿",
    "\u0301\u0308\u0327\u036f\u20dd\u0489",  # combining marks
    "佐藤遥김민준한국語日本語ひらがなカタカナ",
    "العربيةעברית",
    "*_`#>[]()!|-+~\\<>&\"'{}%;:",
    " \t\n\r\u00a0\u2028\u2029\u3000",
)


def arbitrary_string(rng: random.Random) -> str:
    """One nasty string: mixes of the pools, random code points, combining storms and very long words."""
    kind = rng.randrange(6)
    if kind == 0:
        return "".join(rng.choice(rng.choice(_POOLS)) for _ in range(rng.randrange(1, 40)))
    if kind == 1:
        return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(1, 30)))
    if kind == 2:
        return "x" + "\u0301" * rng.randrange(50, 200)
    if kind == 3:
        return rng.choice(("W", "語", "😀", "ab")) * rng.randrange(100, 300)
    if kind == 4:
        return "\u202e" + "".join(rng.choice(_POOLS[rng.randrange(len(_POOLS))]) for _ in range(30)) + " ok"
    return "".join(rng.choice(rng.choice(_POOLS)) + rng.choice("abc d") for _ in range(rng.randrange(1, 50)))


def tiny_snapshot(index: int) -> ReportSnapshot:
    """A small report with every kind of field, to be filled with arbitrary strings."""
    view = AdditionalViewSnap("One member adds:", "text", "reservation")
    recs = tuple(
        RecommendationSnap(key=f"R-{n}", number=f"1.{n}", title="t", text="x", rationale="r", target="Trilateral",
                           outcome="Consensus", state="approved", is_open=True, comment_count=1, views=(view,))
        for n in (1, 2)
    )
    return ReportSnapshot(
        group_slug="g", group_name="Group", profile="internal" if index % 2 else "public", draft=index % 3 != 0,
        front=FrontMatter(title="T", subtitle="S", series_line="L", host_organisation="H", date_line="D",
                          acknowledgements="A", foreword="F", executive_summary="E", disclaimer="X",
                          paper_size="Letter" if index % 4 == 1 else "A4"),
        roster=(CountryRoster("JP", "Japan", (RosterPerson("N", "名", "Aff", "Role", "ja"),
                                               RosterPerson("M", "이", "Aff", "", "ko"))),),
        sections=(SectionSnap(number=1, title="S", text="Body", subgroup="Sub", state="in-review", is_open=True,
                              comment_count=2, recommendations=recs),),
        open_items=1, notes=("note",),
    )


def string_fields(snapshot: ReportSnapshot) -> list[str]:
    """The paths of a snapshot's string fields, in ``fill_strings`` order."""
    paths: list[str] = []
    fill_strings(snapshot, lambda path, old: paths.append(path) or old)
    return paths


def fuzz_snapshots(count: int = 20, strings: int = 1000) -> list[ReportSnapshot]:
    """``count`` small snapshots sharing ``strings`` arbitrary strings, each string in one field of one snapshot.

    Each snapshot takes the next ``strings // count`` strings into a window of its fields that moves on from one
    snapshot to the next, so that together they put arbitrary text into every field.
    """
    rng = random.Random(20261101)
    pool = [arbitrary_string(rng) for _ in range(strings)]
    per = strings // count
    paths = string_fields(tiny_snapshot(0))
    snapshots = []
    for index in range(count):
        chosen = {paths[(index * per + k) % len(paths)]: pool[index * per + k] for k in range(min(per, len(paths)))}
        snapshots.append(fill_strings(tiny_snapshot(index), lambda path, old, chosen=chosen: chosen.get(path, old)))
    return snapshots


def test_snapshots_pickle_and_serialise_cleanly() -> None:
    for snapshot in [sample_snapshot("internal", scale=2), *fuzz_snapshots(count=20)]:
        assert pickle.loads(pickle.dumps(snapshot)) == snapshot
        assert snapshot_from_bytes(snapshot_to_bytes(snapshot)) == snapshot


def test_arbitrary_unicode_in_every_field_still_renders(tmp: Path) -> None:
    for index, snapshot in enumerate(fuzz_snapshots()):
        data = render_pdf(snapshot)
        assert data.startswith(b"%PDF-"), index
        assert int(info(write(tmp, f"fuzz-{index}.pdf", data))["Pages"]) >= 8


# --- The sandbox -----------------------------------------------------------------------------------------------


def test_sandbox_renders_the_same_pdf(tmp: Path) -> None:
    snapshot = small_snapshot()
    data = render_pdf_sandboxed(snapshot, timeout_s=60)
    assert data == render_pdf(snapshot)
    assert child_processes() == []


def test_sandbox_timeout_raises_and_leaves_no_child() -> None:
    started = time.monotonic()
    with pytest.raises(RenderFailed) as failure:
        render_pdf_sandboxed(sample_snapshot(scale=8), timeout_s=0.5)
    assert time.monotonic() - started < 5
    assert failure.value.reason == "timeout"
    assert str(failure.value).startswith("The PDF took longer than 0.5 s to render")
    assert child_processes() == []


def test_sandbox_memory_limit_raises_and_leaves_no_child() -> None:
    with pytest.raises(RenderFailed) as failure:
        render_pdf_sandboxed(sample_snapshot(scale=8), timeout_s=60, memory_mb=200)
    assert failure.value.reason == "memory"
    assert "200 MB" in str(failure.value)
    assert child_processes() == []


def test_sandbox_child_rejects_input_that_is_not_a_snapshot() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wg.features.report.sandbox", "--memory-mb", "512", "--cpu-seconds", "10"],
        input=pickle.dumps({"not": "a snapshot"}), capture_output=True, cwd=PROJECT_ROOT, timeout=30,
    )
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stdout == b""
