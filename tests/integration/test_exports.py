"""Exporting the report from the browser: jobs, progress, the stored files read back, profiles and permissions."""

from __future__ import annotations

import hashlib
import io
import subprocess
import time
from pathlib import Path

import docx
import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from tests.conftest import csrf_from, login
from wg.models import AuditEvent, Comment, Export, User


def _export(client, profile: str, fmt: str) -> Export:
    page = client.get("/g/trilateral/exports")
    assert page.status_code == 200
    response = client.post("/g/trilateral/exports", data={"profile": profile, "format": fmt,
                                                          "_csrf_token": csrf_from(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303
    job_id = int(response.headers["location"].split("started=")[1])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        listing = client.get("/g/trilateral/exports", headers={"HX-Request": "true"})
        soup = BeautifulSoup(listing.text, "html.parser")
        if soup.select_one("#export-list[hx-trigger]") is None:
            break
        time.sleep(0.3)
    else:
        pytest.fail("the export did not finish within 120 s")
    return _job(client, job_id)


def _job(client, job_id: int) -> Export:
    db = client.app.state.db
    with db.session() as s:
        job = s.get(Export, job_id)
        assert job is not None
        return job


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_organizer_exports_public_pdf_and_docx_and_reads_them_back(client, tmp_path, db):
    login(client, "organizer@example.org")
    job = _export(client, "public", "pdf")
    assert job.status == "done", job.error
    pdf = client.get(f"/g/trilateral/exports/{job.id}/file")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline")
    assert hashlib.sha256(pdf.content).hexdigest() == job.sha256
    assert Path(job.path).parent.name == "trilateral"
    text = _pdf_text(pdf.content, tmp_path)
    # Public: approved text only — section "Domestic constraints" (approved) and R-8; drafts left out.
    assert "Domestic constraints" in text and "Recommendation 1.1" in text
    # Issue 11: the public report prints no R-keys (R-8 is recommendation 2.1 in it).
    assert "Recommendation 2.1" in text and "(R-8)" not in text and "R-8" not in text
    assert "DRAFT — not for citation" in text
    assert "One member adds:" in text
    # Non-attribution: no member's name outside the roster pages, no e-mail, no comment.
    with db.session() as s:
        comments = [c.body for c in s.exec(select(Comment)).all()]
        emails = [u.email for u in s.exec(select(User)).all()]
    assert not any(e in text for e in emails)
    assert not any(c[:40] in text for c in comments)
    body = text.split("Domestic constraints", 2)[-1]
    assert "Choi Ji-woo" not in body and "James Holloway" not in body

    word = _export(client, "public", "docx")
    assert word.status == "done"
    got = client.get(f"/g/trilateral/exports/{word.id}/file")
    assert got.headers["content-disposition"].startswith("attachment")
    document = docx.Document(io.BytesIO(got.content))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert any(h.endswith("Domestic constraints") for h in headings)
    assert document.core_properties.author == "Pacific Alliance Forum"
    assert document.core_properties.last_modified_by != "python-docx"

    with db.session() as s:
        actions = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.action.startswith("export."))).all()]
    assert actions.count("export.created") == 2


def test_unchanged_report_returns_the_stored_file_without_a_new_row(client, db):
    login(client, "organizer@example.org")
    first = _export(client, "internal", "docx")
    _export(client, "public", "pdf")
    second = _export(client, "internal", "docx")
    third = _export(client, "internal", "docx")
    assert first.status == second.status == third.status == "done"
    assert first.id == second.id == third.id  # identical re-exports answer with the finished export
    assert (second.sha256, second.path) == (first.sha256, first.path)
    assert second.created_at > first.created_at  # its time is the latest request's
    page = BeautifulSoup(client.get("/g/trilateral/exports").text, "html.parser")
    rows = page.select("table.exports tbody tr")
    assert len(rows) == 2, [r.get_text(" ", strip=True) for r in rows]
    # Newest request first: the internal DOCX, asked for again, is back at the top.
    assert "DOCX" in rows[0].get_text() and "asked for again" in rows[0].select_one(".status").get_text()
    assert "PDF" in rows[1].get_text()
    with db.session() as s:
        requested = s.exec(select(AuditEvent).where(AuditEvent.action == "export.requested")).all()
    assert len(requested) == 4  # the audit log keeps every request


def test_internal_profile_marks_states_and_open_items(client, tmp_path):
    login(client, "eleanor.hayes@example.org")  # a co-chair may export
    job = _export(client, "internal", "pdf")
    text = _pdf_text(client.get(f"/g/trilateral/exports/{job.id}/file").content, tmp_path)
    assert "Introduction" in text and "Civil society and dialogue" in text
    assert "changes requested" in text.lower()


def test_members_see_exports_but_cannot_start_or_finalise(client, make_client):
    organizer = login(make_client(), "organizer@example.org")
    job = _export(organizer, "internal", "docx")
    login(client, "haruka.sato@example.org")
    page = client.get("/g/trilateral/exports")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.select_one("form.export-form") is None
    assert client.get(f"/g/trilateral/exports/{job.id}/file").status_code == 200
    token = csrf_from(page.text)
    assert client.post("/g/trilateral/exports", data={"profile": "public", "format": "pdf",
                                                      "_csrf_token": token}).status_code == 403
    assert client.post("/g/trilateral/report/finalise", data={"_csrf_token": token}).status_code == 403
    assert client.get("/g/trilateral/report/settings").status_code == 403


def test_finalising_needs_every_section_approved(client):
    login(client, "organizer@example.org")
    page = client.get("/g/trilateral/exports")
    response = client.post("/g/trilateral/report/finalise", data={"action": "finalise",
                                                                  "_csrf_token": csrf_from(page.text)})
    assert response.status_code == 422
    assert "Every section must be approved first" in response.text
    assert "Introduction" in BeautifulSoup(response.text, "html.parser").select_one(".error-summary").get_text()


def test_front_matter_bad_input_keeps_everything_typed(client):
    login(client, "organizer@example.org")
    page = client.get("/g/trilateral/report/settings")
    typed = {"title": "", "subtitle": "x" * 301, "foreword": "Kept foreword 佐藤遥", "paper_size": "A4",
             "_csrf_token": csrf_from(page.text)}
    response = client.post("/g/trilateral/report/settings", data=typed)
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("#error-title") and soup.select_one("#error-subtitle")
    assert soup.select_one("#field-foreword").get_text() == "Kept foreword 佐藤遥"
    assert soup.select_one("#field-subtitle")["value"] == "x" * 301


def test_non_members_and_other_groups_files_are_404(client, make_client):
    organizer = login(make_client(), "organizer@example.org")
    job = _export(organizer, "internal", "docx")
    login(client, "admin@example.org")  # platform admin, not a member
    assert client.get("/g/trilateral/exports").status_code == 404
    assert client.get(f"/g/trilateral/exports/{job.id}/file").status_code == 404
    assert organizer.get("/g/trilateral/exports/999999/file").status_code == 404
    assert organizer.get(f"/g/trilateral/exports/{2**70}/file").status_code == 404
