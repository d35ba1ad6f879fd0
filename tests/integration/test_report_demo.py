"""The demo group's report from the database (issue 11): one number per item whatever the profile, advisers listed,
no R-keys and no empty chapters in public, and the public PDF, the DOCX and the document model agreeing, every
footnote on the page of its call. Runs on SQLite and, with WG_TEST_POSTGRES_URL, on PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from tests.conftest import login
from tests.report_readback import footnote_pages, from_docx, from_model, from_pandoc, from_pdf, pdf_pages
from wg.demo import DEMO_SLUG
from wg.features.report.document import build_document
from wg.features.report.docx import render_docx
from wg.features.report.loader import load_snapshot, report_numbers
from wg.features.report.pdf import render_pdf
from wg.models import Membership, Role, User, WorkingGroup

TOOLS = ("pdftotext", "pdfinfo", "pdftohtml", "pandoc")


def _group(s) -> WorkingGroup:  # type: ignore[no-untyped-def]
    return s.exec(select(WorkingGroup).where(WorkingGroup.slug == DEMO_SLUG)).one()


def test_one_number_per_item_whatever_the_profile_and_advisers_listed(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        group = _group(s)
        public = load_snapshot(s, group, "public")
        internal = load_snapshot(s, group, "internal")
        numbers = report_numbers(s, group)
        advisers = s.exec(select(User.display_name).join(Membership, Membership.user_id == User.id).where(
            Membership.group_id == group.id, Membership.role == Role.ADVISER.value,
            Membership.listed_in_report)).all()
    by_key = {r.key: r.number for r in public.recommendations}
    assert by_key, "the demo has approved recommendations"
    for rec in internal.recommendations:
        assert rec.number == by_key.get(rec.key, ""), rec.key
        assert rec.published == (rec.key in by_key)
    assert any(not r.published for r in internal.recommendations)  # the internal profile marks, not renumbers
    assert {f"R-{n}": v for n, v in numbers.recs.items()} == by_key
    assert [s.number for s in public.sections] == list(range(1, len(public.sections) + 1))
    # No empty chapters: each public chapter has published items or approved text of its own.
    assert all(s.recommendations or s.text.strip() for s in public.sections)
    assert sorted(p.name for p in public.advisers) == sorted(advisers) and advisers
    model = build_document(public)
    assert ("Advisers" in [h for _, h in model.headings()])
    assert all(r.key == "" for r in model.recommendations)


@pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS), reason="poppler or pandoc missing")
def test_demo_public_pdf_and_docx_agree_and_footnotes_sit_on_their_pages(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        snapshot = load_snapshot(s, _group(s), "public")
    document = build_document(snapshot)
    pdf, docx = tmp_path / "demo.pdf", tmp_path / "demo.docx"
    pdf.write_bytes(render_pdf(snapshot))
    docx.write_bytes(render_docx(snapshot))
    pages = pdf_pages(pdf)
    model = from_model(document)
    assert from_pdf(pdf, pages) == model
    assert from_docx(docx.read_bytes()) == model
    assert from_pandoc(docx) == model
    placed = footnote_pages(document, pages)
    assert len(placed) == len(document.footnotes) > 0
    assert [(n, c, p) for n, c, p in placed if c == 0 or c != p] == []
    text = " ".join(pages)
    assert "(R-" not in text


def test_pages_show_the_report_number_beside_the_key(client, db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        numbers = report_numbers(s, _group(s))
    number, shown = next(iter(sorted(numbers.recs.items())))
    login(client, "haruka.sato@example.org")
    for url in (f"/g/{DEMO_SLUG}/report", f"/g/{DEMO_SLUG}/r/{number}", f"/g/{DEMO_SLUG}"):
        page = BeautifulSoup(client.get(url).text, "html.parser")
        keys = {k.get_text(strip=True): k for k in page.select(".key")}
        key = keys[f"R-{number}"]
        beside = key.find_next_sibling(class_="report-number")
        assert beside is not None and beside.get_text(strip=True) == shown, url
    # An item the report leaves out shows no number.
    outline = BeautifulSoup(client.get(f"/g/{DEMO_SLUG}/report").text, "html.parser")
    unnumbered = [k for k in outline.select(".key") if int(k.get_text(strip=True)[2:]) not in numbers.recs]
    assert unnumbered and all(k.find_next_sibling(class_="report-number") is None for k in unnumbered)
