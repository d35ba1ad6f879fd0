"""The Word export: what a reader sees when python-docx (and LibreOffice) open what ``render_docx`` wrote."""

from __future__ import annotations

import dataclasses
import io
import os
import random
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from lxml import etree

from wg.features.report.docx import render_docx
from wg.features.report.sample import sample_snapshot
from wg.features.report.snapshot import (
    AdditionalViewSnap,
    CountryRoster,
    RecommendationSnap,
    ReportSnapshot,
    RosterPerson,
    SectionSnap,
)

IN_CI = os.environ.get("CI", "").lower() == "true"
DRAFT_LINE = "DRAFT — not for citation"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
BADGE = re.compile(r"\[(approved|submitted|draft|changes requested|open item)\]")


# --- Helpers ---------------------------------------------------------------------------------------------------


def open_docx(data: bytes) -> DocxDocument:
    """Open .docx bytes as a reader would."""
    return Document(io.BytesIO(data))


def styled(doc: DocxDocument, style_name: str) -> list[str]:
    """The text of every body paragraph in a style, in order."""
    return [p.text for p in doc.paragraphs if p.style is not None and p.style.name == style_name]


def part_xml(data: bytes, name: str) -> etree._Element:
    """One XML part of the package, parsed."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read(name))


def all_text(data: bytes) -> str:
    """Every w:t in every part (body, headers, footers, footnotes): what any reader could see."""
    chunks: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("word/") and name.endswith(".xml"):
                root = etree.fromstring(archive.read(name))
                chunks.extend("".join(t.text or "" for t in p.iter(f"{W}t")) for p in root.iter(f"{W}p"))
    return "\n".join(chunks)


def header_texts(data: bytes) -> list[str]:
    """The text of each header part."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [n for n in archive.namelist() if re.fullmatch(r"word/header\d+\.xml", n)]
        return ["".join(t.text or "" for t in etree.fromstring(archive.read(n)).iter(f"{W}t")) for n in names]


def replace_rec(snap: ReportSnapshot, section: int, index: int, **changes: object) -> ReportSnapshot:
    """A copy of the snapshot with one recommendation changed."""
    sections = list(snap.sections)
    recs = list(sections[section].recommendations)
    recs[index] = dataclasses.replace(recs[index], **changes)  # type: ignore[arg-type]
    sections[section] = dataclasses.replace(sections[section], recommendations=tuple(recs))
    return dataclasses.replace(snap, sections=tuple(sections))


def replace_section(snap: ReportSnapshot, section: int, **changes: object) -> ReportSnapshot:
    """A copy of the snapshot with one section changed."""
    sections = list(snap.sections)
    sections[section] = dataclasses.replace(sections[section], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(snap, sections=tuple(sections))


def first_rec_position(snap: ReportSnapshot) -> tuple[int, int]:
    """(section index, recommendation index) of the first recommendation."""
    for s_index, section in enumerate(snap.sections):
        if section.recommendations:
            return s_index, 0
    raise AssertionError("the sample has recommendations")


# --- Fixtures --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def public_snap() -> ReportSnapshot:
    return sample_snapshot("public", draft=True)


@pytest.fixture(scope="module")
def public_docx(public_snap: ReportSnapshot) -> bytes:
    return render_docx(public_snap)


@pytest.fixture(scope="module")
def internal_snap() -> ReportSnapshot:
    snap = sample_snapshot("internal", draft=True)
    s_index, r_index = first_rec_position(snap)
    snap = replace_rec(snap, s_index, r_index, comment_count=3, is_open=True, state="submitted")
    return replace_section(snap, s_index, state="approved", is_open=True, comment_count=1)


@pytest.fixture(scope="module")
def internal_docx(internal_snap: ReportSnapshot) -> bytes:
    return render_docx(internal_snap)


# --- Structure -------------------------------------------------------------------------------------------------


def test_headings_are_in_report_order(public_snap: ReportSnapshot, public_docx: bytes) -> None:
    headings = styled(open_docx(public_docx), "Heading 1")
    sections = [f"{s.number}. {s.title}" for s in public_snap.sections]
    assert sections[0] == "1. Introduction"
    # Issue 11: one order for PDF and DOCX (the document model's): advisers listed, foreword before the summary,
    # the summary table after the chapters, back matter last.
    assert headings == [
        "Acknowledgements", "Members of the working group", "Senior advisers", "Foreword", "Executive summary",
        *sections, "Summary of recommendations", "About Pacific Alliance Forum", "Funders and support",
    ]


def test_recommendations_are_numbered_from_the_snapshot(public_snap: ReportSnapshot, public_docx: bytes) -> None:
    doc = open_docx(public_docx)
    expected = [f"Recommendation {r.number}: {r.title}" for r in public_snap.recommendations]
    assert styled(doc, "Heading 2") == expected
    assert expected[0].startswith("Recommendation 2.1: ")


@pytest.mark.parametrize("profile", ["public", "internal"])
def test_recommendation_carries_key_target_rationale_and_outcome(profile: str) -> None:
    doc = open_docx(render_docx(sample_snapshot(profile, draft=True)))
    texts = [p.text for p in doc.paragraphs]
    heads = [i for i, p in enumerate(doc.paragraphs) if p.style.name == "Heading 2"]
    start = next(i for i in heads if texts[i].startswith("Recommendation 2.2: "))
    block = texts[start:next(i for i in heads if texts[i].startswith("Recommendation 2.3: "))]
    if profile == "internal":
        assert block[1].startswith("R-12")
        assert doc.paragraphs[start + 1].style.name == "Recommendation Key"
    else:  # issue 11: the public report prints no R-keys
        assert not any("R-12" in text for text in texts)
    assert "Addressed to: Trilateral" in block
    assert "Rationale" in block
    assert doc.paragraphs[start + block.index("Rationale")].style.name == "Heading 3"
    assert "Outcome: Consensus with reservations" in block


def test_cover_has_series_title_subtitle_host_and_date(public_snap: ReportSnapshot, public_docx: bytes) -> None:
    doc = open_docx(public_docx)
    texts = [p.text for p in doc.paragraphs[:8]]
    front = public_snap.front
    assert styled(doc, "Title") == [front.title]
    for line in (front.series_line, front.subtitle, front.host_organisation, front.date_line):
        assert line in texts
    assert texts.index(front.series_line) < texts.index(front.title) < texts.index(front.date_line)


def test_acknowledgements_and_disclaimer_come_before_the_contents(public_docx: bytes) -> None:
    texts = [p.text for p in open_docx(public_docx).paragraphs]
    thanks = next(i for i, t in enumerate(texts) if "Harbor Foundation" in t)
    disclaimer = next(i for i, t in enumerate(texts) if "Chatham House rule" in t)
    # Issue 11: the document model's order: acknowledgements, members, advisers, disclaimer, contents.
    assert thanks < texts.index("Members of the working group") < disclaimer < texts.index("Contents")
    assert texts[disclaimer - 1] == "Disclaimer"
    assert "personal capacity" in texts[disclaimer]


# --- Footnotes -------------------------------------------------------------------------------------------------


def test_additional_views_are_real_footnotes(public_snap: ReportSnapshot, public_docx: bytes) -> None:
    doc = open_docx(public_docx)
    rels = [r for r in doc.part.rels.values() if r.reltype == RT.FOOTNOTES]
    assert len(rels) == 1 and rels[0].target_part.partname == "/word/footnotes.xml"
    footnotes = part_xml(public_docx, "word/footnotes.xml")
    notes = {n.get(f"{W}id"): "".join(t.text or "" for t in n.iter(f"{W}t")) for n in footnotes.iter(f"{W}footnote")}
    assert {"-1", "0"} <= set(notes)
    body = part_xml(public_docx, "word/document.xml")
    refs = [r.get(f"{W}id") for r in body.iter(f"{W}footnoteReference")]
    views = [v for r in public_snap.recommendations for v in r.views]
    assert len(refs) == len(views) > 0
    assert len(set(refs)) == len(refs)
    for ref, view in zip(refs, views, strict=True):
        assert ref in notes
        assert notes[ref].strip() == f"{view.attribution} {view.text}"
        assert notes[ref].strip().startswith("One member adds: ")
    # The reference marks are runs in the superscript FootnoteReference style.
    for ref_el in body.iter(f"{W}footnoteReference"):
        assert ref_el.getparent().find(f"{W}rPr/{W}rStyle").get(f"{W}val") == "FootnoteReference"
    assert doc.styles["footnote reference"].font.superscript is True
    assert doc.styles["footnote reference"].style_id == "FootnoteReference"


def test_footnote_attribution_follows_the_snapshot() -> None:
    snap = sample_snapshot("public", draft=False)
    view = AdditionalViewSnap("One member from Japan adds:", "Seoul's **domestic** timeline matters.", "reservation")
    snap = replace_rec(snap, 1, 0, views=(view,), outcome="Consensus with reservations")
    notes = all_text(render_docx(snap))
    assert "One member from Japan adds: Seoul's domestic timeline matters." in notes


# --- Roster and CJK --------------------------------------------------------------------------------------------


def test_roster_is_grouped_by_country_with_native_names(public_snap: ReportSnapshot, public_docx: bytes) -> None:
    doc = open_docx(public_docx)
    assert "Affiliations are for identification purposes only." in [p.text for p in doc.paragraphs]
    assert styled(doc, "Roster Country") == [c.name for c in public_snap.roster]
    entries = styled(doc, "Roster Entry")
    people = [p for c in public_snap.roster for p in c.people]
    assert len(entries) == len(people) + len(public_snap.advisers)
    for entry, person in zip(entries, people, strict=False):
        assert entry.startswith(person.name)
        assert person.affiliation in entry
        if person.native_name:
            assert person.native_name in entry
        if person.role:
            assert person.role in entry
    assert any("Co-chair" in e for e in entries)
    # Issue 11: advisers have their own list, under the group's heading, after the members.
    advisers = [p.name for p in public_snap.advisers]
    assert advisers
    assert [e.split("  ")[0].split("\n")[0] for e in entries[len(people):]] == advisers


@pytest.mark.parametrize(("name", "lang", "font"), [
    ("佐藤遥", "ja-JP", "Noto Serif CJK JP"),
    ("김민준", "ko-KR", "Noto Serif CJK KR"),
])
def test_native_names_are_runs_with_their_east_asian_language(
    public_docx: bytes, name: str, lang: str, font: str
) -> None:
    body = part_xml(public_docx, "word/document.xml")
    runs = [r for r in body.iter(f"{W}r") if "".join(t.text or "" for t in r.iter(f"{W}t")) == name]
    assert runs, f"{name} is not a run of its own"
    rpr = runs[0].find(f"{W}rPr")
    assert rpr.find(f"{W}lang").get(f"{W}eastAsia") == lang
    assert rpr.find(f"{W}rFonts").get(f"{W}eastAsia") == font


def test_styles_carry_east_asian_fonts_and_language(public_docx: bytes) -> None:
    styles = part_xml(public_docx, "word/styles.xml")
    for style_id in ("Normal", "Heading1", "Heading2", "Title"):
        style = styles.find(f"{W}style[@{W}styleId='{style_id}']")
        fonts = style.find(f"{W}rPr/{W}rFonts")
        assert fonts.get(f"{W}eastAsia") == "Noto Serif CJK JP", style_id
        assert fonts.get(f"{W}asciiTheme") is None, style_id
        assert style.find(f"{W}rPr/{W}lang").get(f"{W}eastAsia") == "ja-JP", style_id


# --- Metadata and package --------------------------------------------------------------------------------------


def test_core_properties_name_the_report_never_a_member(public_snap: ReportSnapshot, public_docx: bytes) -> None:
    props = open_docx(public_docx).core_properties
    assert props.title == public_snap.front.title
    assert props.subject == public_snap.group_name
    assert props.author == public_snap.front.host_organisation
    assert props.last_modified_by == public_snap.front.host_organisation != "python-docx"
    assert props.keywords == "working group report"
    assert props.comments == ""
    assert props.language == "en-US"
    names = {p.name for c in public_snap.roster for p in c.people} | {"Grace Whitfield"}
    values = [props.title, props.subject, props.author, props.last_modified_by, props.keywords, props.comments,
              props.category, props.content_status, props.identifier, props.version]
    assert not any(name in (value or "") for name in names for value in values)
    app = part_xml(public_docx, "docProps/app.xml")
    assert "python-docx" not in etree.tostring(app, encoding="unicode")


def test_rendering_is_deterministic(public_snap: ReportSnapshot, public_docx: bytes) -> None:
    assert render_docx(public_snap) == public_docx
    props = open_docx(public_docx).core_properties
    assert props.created is None and props.modified is None
    assert render_docx(dataclasses.replace(public_snap, draft=False)) != public_docx


LINKS_TEXT = (
    "See [the site](https://example.org/report), [write](mailto:team@example.org), [plain](http://example.com), "
    "[evil](javascript:alert(1)), [file](file:///etc/passwd), [data](data:text/html,x), [rel](/groups/3) and "
    "![a picture](https://example.org/image.png)."
)


def test_only_http_and_mailto_links_become_external_relationships() -> None:
    snap = replace_section(sample_snapshot("public", draft=False), 0, text=LINKS_TEXT)
    data = render_docx(snap)
    externals: list[tuple[str, str]] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            assert not name.startswith("word/media/") and not name.endswith((".png", ".jpeg", ".jpg", ".emf"))
            if name.endswith(".rels"):
                for rel in etree.fromstring(archive.read(name)):
                    assert not rel.get("Type").endswith(("/image", "/thumbnail", "/oleObject", "/attachedTemplate"))
                    if rel.get("TargetMode") == "External":
                        externals.append((rel.get("Type"), rel.get("Target")))
    assert {t for _, t in externals} == {"https://example.org/report", "mailto:team@example.org",
                                         "http://example.com"}
    assert all(kind == RT.HYPERLINK for kind, _ in externals)
    doc = open_docx(data)
    paragraph = next(p for p in doc.paragraphs if "the site" in p.text)
    assert [h.text for h in paragraph.hyperlinks] == ["the site", "write", "plain"]
    assert "evil" in paragraph.text and "a picture" in paragraph.text


# --- Draft, profiles, contents ---------------------------------------------------------------------------------


def test_draft_line_on_the_cover_and_in_every_header(public_docx: bytes) -> None:
    assert DRAFT_LINE in [p.text for p in open_docx(public_docx).paragraphs]
    headers = header_texts(public_docx)
    assert len(headers) >= 2
    assert all(DRAFT_LINE in text for text in headers)


def test_final_report_has_no_draft_line(public_snap: ReportSnapshot) -> None:
    data = render_docx(dataclasses.replace(public_snap, draft=False))
    assert "DRAFT" not in all_text(data)
    assert open_docx(data).core_properties.content_status == "Final"


def test_header_has_the_title_and_footer_page_x_of_y(public_snap: ReportSnapshot, public_docx: bytes) -> None:
    section = open_docx(public_docx).sections[0]
    assert public_snap.front.title in section.header.paragraphs[0].text
    with zipfile.ZipFile(io.BytesIO(public_docx)) as archive:
        footers = [archive.read(n).decode() for n in archive.namelist() if n.startswith("word/footer")]
    footer = next(f for f in footers if "PAGE" in f)
    assert re.search(r"Page .*PAGE .* of .*NUMPAGES", footer, re.S)


def test_public_profile_shows_no_review_state(public_docx: bytes) -> None:
    text = all_text(public_docx)
    assert not BADGE.search(text)
    assert "comment" not in text.lower()


def test_public_profile_ignores_review_state_a_snapshot_carries(internal_snap: ReportSnapshot) -> None:
    text = all_text(render_docx(dataclasses.replace(internal_snap, profile="public")))
    assert not BADGE.search(text)
    assert "comment" not in text.lower() and "Internal edition" not in text


def test_internal_profile_shows_badges_open_items_and_comment_counts(internal_docx: bytes) -> None:
    doc = open_docx(internal_docx)
    texts = [p.text for p in doc.paragraphs]
    key_line = next(t for t in texts if t.startswith("R-11"))
    assert key_line == "R-11 · [submitted] · [open item] · 3 comments"
    assert "[approved] · [open item] · 1 comment" in next(t for t in texts if t.startswith("Subgroup: "))
    body = part_xml(internal_docx, "word/document.xml")
    styles = {r.find(f"{W}rPr/{W}rStyle").get(f"{W}val") for r in body.iter(f"{W}r")
              if "".join(t.text or "" for t in r.iter(f"{W}t")) in ("[approved]", "[submitted]", "[open item]")}
    assert styles == {"StateBadge", "OpenItem"}


def test_settings_do_not_ask_word_to_update_fields(public_docx: bytes) -> None:
    # Issue 11: Word asked to update fields on opening; the export fills the contents' page numbers instead.
    settings = part_xml(public_docx, "word/settings.xml")
    assert settings.find(f"{W}updateFields") is None


def test_contents_are_a_toc_field_with_a_plain_list_inside(public_snap: ReportSnapshot, public_docx: bytes) -> None:
    body = part_xml(public_docx, "word/document.xml")
    # The first field in the body is the TOC; its cached result (between separate and end) is the plain list.
    chars = list(body.iter(f"{W}fldChar"))
    assert [c.get(f"{W}fldCharType") for c in chars[:3]] == ["begin", "separate", "end"]
    instruction = "".join(t.text or "" for t in body.iter(f"{W}instrText"))
    assert instruction.strip().startswith('TOC \\o "1-2" \\h \\z \\u')
    paragraphs = list(body.iter(f"{W}p"))
    first = next(i for i, p in enumerate(paragraphs) if chars[1] in p.iter())
    last = next(i for i, p in enumerate(paragraphs) if chars[2] in p.iter())
    listed = ["".join(t.text or "" for t in p.iter(f"{W}t")) for p in paragraphs[first:last + 1]]
    for section in public_snap.sections:
        assert f"{section.number}. {section.title}" in listed
    for rec in public_snap.recommendations:
        assert f"Recommendation {rec.number}: {rec.title}" in listed
    # Issue 11: the contents list every heading of the document model, back matter last.
    assert listed[0] == "Acknowledgements" and listed[-1] == "Funders and support"
    doc = open_docx(public_docx)
    assert styled(doc, "toc 1") + styled(doc, "toc 2") == sorted(listed, key=lambda t: t.startswith("Rec"))


def test_summary_table_has_one_row_per_recommendation(public_snap: ReportSnapshot, public_docx: bytes) -> None:
    table = open_docx(public_docx).tables[-1]
    rows = [[c.text for c in row.cells] for row in table.rows]
    # Issue 11: no R-keys in the public report (the internal one keeps its Key column).
    assert rows[0] == ["No.", "Recommendation", "Addressed to", "Outcome"]
    recs = public_snap.recommendations
    assert len(rows) == 1 + len(recs)
    for row, rec in zip(rows[1:], recs, strict=True):
        assert row == [rec.number, rec.title, rec.target, rec.outcome]
    internal = open_docx(render_docx(sample_snapshot("internal"))).tables[-1]
    assert [c.text for c in internal.rows[0].cells] == ["No.", "Key", "Recommendation", "Addressed to", "Outcome",
                                                        "State"]
    assert [c.text for c in internal.rows[1].cells][:2] == [recs[0].number, recs[0].key]


@pytest.mark.parametrize(("paper", "width_mm"), [("A4", 210), ("Letter", 216)])
def test_paper_size_follows_the_front_matter(public_snap: ReportSnapshot, paper: str, width_mm: int) -> None:
    snap = dataclasses.replace(public_snap, front=dataclasses.replace(public_snap.front, paper_size=paper))
    section = open_docx(render_docx(snap)).sections[0]
    assert round(section.page_width.mm) == width_mm


# --- Markdown --------------------------------------------------------------------------------------------------


MARKDOWN = """Intro with **bold**, *italic*, ~~struck~~ and `code`.

## Background

- first point
  - nested point
- second point

3. third
4. fourth

> A quoted line.

| Country | Position |
|:--------|---------:|
| Japan   | support  |

```
code block line 1
line 2
```
"""


def test_member_markdown_becomes_word_structure() -> None:
    snap = sample_snapshot("public", draft=False)
    snap = dataclasses.replace(snap, sections=(dataclasses.replace(snap.sections[0], text=MARKDOWN),))
    data = render_docx(snap)
    doc = open_docx(data)
    paragraphs = doc.paragraphs
    intro = next(p for p in paragraphs if p.text.startswith("Intro with"))
    formats = {r.text: r for r in intro.runs}
    assert formats["bold"].bold and formats["italic"].italic and formats["struck"].font.strike
    assert formats["code"].style.name == "Inline Code"
    assert "Background" in styled(doc, "Heading 3")
    assert styled(doc, "List Bullet") == ["first point", "second point"]
    assert styled(doc, "List Bullet 2") == ["nested point"]
    assert styled(doc, "List Number") == ["third", "fourth"]
    assert styled(doc, "Quote") == ["A quoted line."]
    assert styled(doc, "Code Block") == ["code block line 1\nline 2"]
    # The numbered list starts at 3, as the author wrote it.
    item = next(p for p in paragraphs if p.text == "third")
    num_id = item._p.pPr.numPr.numId.val
    numbering = doc.part.numbering_part.element
    num = numbering.num_having_numId(num_id)
    assert num.find(f"{W}lvlOverride/{W}startOverride").get(f"{W}val") == "3"
    fourth = next(p for p in paragraphs if p.text == "fourth")
    assert fourth._p.pPr.numPr.numId.val == num_id
    table = doc.tables[0]
    assert [[c.text for c in row.cells] for row in table.rows] == [["Country", "Position"], ["Japan", "support"]]
    assert table.rows[0].cells[0].paragraphs[0].runs[0].bold


# --- Hostile text ----------------------------------------------------------------------------------------------


PIECES = (
    "\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x80", "\x85", "\x9f", "\ud800", "\udbff", "\udfff",
    "\ufffe", "\uffff", "\U0001fffe", "\U0010ffff", "\u202e", "\u202d", "\u202a", "\u2066", "\u2069", "\u200f",
    "\u200e", "\ufeff", "\u2028", "\u2029", "\r", "\r\n", "\t", "\n\n", "😀", "👩\u200d👩\u200d👧", "🇯🇵", "\U000e0001",
    "&amp;", "<w:t>", "]]>", "</w:p>", "**", "__", "[x](javascript:alert(1))", "[y](http://e.org/\x00\u202e)",
    "[z](mailto:a@b\ud800)", "![i](http://e.org/i.png)", "| a | b |\n|---|---|\n| c | d |", "- item", "1. one",
    "> quote", "```\ncode\x00\n```", "# H", "佐藤遥", "김민준", "مرحبا", "\u0301\u0301", "%s%n", "{{x}}", "\\",
)


def hostile_string(rng: random.Random) -> str:
    """A string built from random code points of every plane (surrogates included) and known troublemakers."""
    parts: list[str] = []
    for _ in range(rng.randint(1, 10)):
        pick = rng.random()
        if pick < 0.35:
            parts.append(chr(rng.randint(0, 0x10FFFF)))
        elif pick < 0.75:
            parts.append(rng.choice(PIECES))
        elif pick < 0.85:
            parts.append(rng.choice(("x", "漢", "😀", "\u202e", "a\u0301")) * rng.randint(200, 3000))
        else:
            plane = rng.randint(0, 16) * 0x10000
            parts.append("".join(chr(plane + rng.randint(0, 0xFFFF)) for _ in range(rng.randint(1, 30))))
    return "".join(parts)


Setter = Callable[[ReportSnapshot, str], ReportSnapshot]


def front_setter(name: str) -> Setter:
    return lambda snap, value: dataclasses.replace(snap, front=dataclasses.replace(snap.front, **{name: value}))


def section_setter(name: str) -> Setter:
    return lambda snap, value: replace_section(snap, 1, **{name: value})


def rec_setter(name: str) -> Setter:
    return lambda snap, value: replace_rec(snap, 1, 1, **{name: value})


def view_setter(name: str) -> Setter:
    def apply(snap: ReportSnapshot, value: str) -> ReportSnapshot:
        rec = snap.sections[1].recommendations[1]
        view = dataclasses.replace(rec.views[0], **{name: value})
        return replace_rec(snap, 1, 1, views=(view, *rec.views[1:]))
    return apply


def person_setter(name: str) -> Setter:
    def apply(snap: ReportSnapshot, value: str) -> ReportSnapshot:
        country = snap.roster[1]
        person = dataclasses.replace(country.people[0], **{name: value})
        roster = (snap.roster[0], dataclasses.replace(country, people=(person, *country.people[1:])), *snap.roster[2:])
        return dataclasses.replace(snap, roster=roster)
    return apply


def country_setter(snap: ReportSnapshot, value: str) -> ReportSnapshot:
    roster = (dataclasses.replace(snap.roster[0], name=value, code=value[:2]), *snap.roster[1:])
    return dataclasses.replace(snap, roster=roster)


SETTERS: tuple[Setter, ...] = (
    *(front_setter(n) for n in ("title", "subtitle", "series_line", "host_organisation", "date_line",
                                "acknowledgements", "foreword", "executive_summary", "disclaimer")),
    lambda snap, value: dataclasses.replace(snap, group_name=value),
    lambda snap, value: dataclasses.replace(snap, notes=(value,)),
    country_setter,
    *(person_setter(n) for n in ("name", "native_name", "affiliation", "role", "lang")),
    *(section_setter(n) for n in ("title", "text", "subgroup", "state")),
    *(rec_setter(n) for n in ("key", "number", "title", "text", "rationale", "target", "outcome", "state")),
    *(view_setter(n) for n in ("attribution", "text")),
)


def small_snapshot(profile: str, draft: bool) -> ReportSnapshot:
    """The sample cut to three sections (one with an additional view), to keep 50 renders quick."""
    snap = sample_snapshot(profile, draft=draft)
    return dataclasses.replace(snap, sections=snap.sections[:3])


def test_hostile_text_in_every_field_never_breaks_the_export() -> None:
    rng = random.Random(20261126)
    bases = {(p, d): small_snapshot(p, d) for p in ("public", "internal") for d in (True, False)}
    placed = 0
    for round_no in range(50):
        snap = bases[("internal" if round_no % 2 else "public", round_no % 3 != 0)]
        snap = replace_rec(snap, 1, 1, is_open=True, comment_count=round_no)
        for setter in rng.sample(SETTERS, k=20):
            snap = setter(snap, hostile_string(rng))
            placed += 1
        data = render_docx(snap)
        doc = open_docx(data)
        assert doc.paragraphs, f"round {round_no}"
        text = all_text(data)
        assert not re.search("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]", text)
    assert placed == 1000


def test_empty_snapshot_still_renders() -> None:
    snap = ReportSnapshot(
        group_slug="g", group_name="", profile="public", draft=False,
        front=dataclasses.replace(sample_snapshot().front, title="", subtitle="", series_line="", host_organisation="",
                                  date_line="", acknowledgements="", foreword="", executive_summary="", disclaimer="",
                                  about_host="", funders=""),
        roster=(CountryRoster("JP", "Japan", ()),), sections=(SectionSnap(number=1, title=""),),
    )
    doc = open_docx(render_docx(snap))
    assert doc.core_properties.title == "Report"
    assert styled(doc, "Heading 1") == ["1."]


def test_a_recommendation_without_a_number_or_title_still_has_a_heading() -> None:
    rec = RecommendationSnap(key="R-1", number="", title="", text="Text.")
    person = RosterPerson(name="", native_name="小林葵", lang="ja")
    snap = ReportSnapshot(
        group_slug="g", group_name="Group", profile="internal", draft=True, front=sample_snapshot().front,
        roster=(CountryRoster("JP", "Japan", (person,)),),
        sections=(SectionSnap(number=1, title="Only", recommendations=(rec,)),),
    )
    doc = open_docx(render_docx(snap))
    assert styled(doc, "Heading 2") == ["Recommendation"]
    assert styled(doc, "Roster Entry") == ["小林葵"]


# --- LibreOffice as a reader -----------------------------------------------------------------------------------


def test_libreoffice_renders_the_report_with_cjk_fonts(tmp_path: Path, public_snap: ReportSnapshot,
                                                       public_docx: bytes) -> None:
    office = shutil.which("libreoffice") or shutil.which("soffice")
    tools = shutil.which("pdftotext") and shutil.which("pdffonts")
    if not office or not tools:
        missing = "libreoffice" if not office else "poppler-utils"
        if IN_CI:
            pytest.fail(f"{missing} is not installed; CI must read the DOCX back (scripts/ensure-test-packages.sh)")
        pytest.skip(f"{missing} is not installed (scripts/ensure-test-packages.sh installs it); CI=true fails instead")
    source = tmp_path / "report.docx"
    source.write_bytes(public_docx)
    subprocess.run(
        [office, "--headless", f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=180,
    )
    pdf = tmp_path / "report.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    assert public_snap.front.title in flat
    # The body starts after the contents list, whose last entry is the back matter (issue 11: one order).
    body = flat.index("Funders and support") + len("Funders and support")
    positions = [flat.index(f"{s.number}. {s.title}", body) for s in public_snap.sections]
    assert positions == sorted(positions)
    numbers = [f"Recommendation {r.number}:" for r in public_snap.recommendations]
    found = [flat.index(n, body) for n in numbers]
    assert found == sorted(found)
    for name in ("佐藤遥", "森本健二", "김민준", "박성호"):
        assert name in text
    assert "One member adds: The timeline should be realistic." in flat
    assert DRAFT_LINE in flat
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Noto\S*CJK", fonts, re.I), fonts
