"""The consensus record cannot silently change (issue 11, item 1).

R-8 of the demo is approved ("Consensus"). A member who changes her position to "object" is refused (409 through the
API, the form shown disabled with the reason and a 409 page for a stale form); she asks the chair to reopen it, the
chair reopens it, the positions unlock, and approval is refused again while the rule does not hold. Finalising is
refused while an approved item has no valid outcome, naming each item and why, and the final public PDF prints an
outcome under every recommendation. Through the API and the forms, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
import re
import subprocess
import time
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from docx import Document
from sqlalchemy import func
from sqlmodel import col, select

from tests.conftest import csrf_from, login
from tests.forms import form_values
from tests.integration.test_review_api import api, counts, error_fields, kinds_for, ok  # noqa: F401 (fixture)
from wg.models import AuditEvent, Export, ReviewEvent, User

G = "/g/trilateral"
R8 = f"{G}/r/8"
LOCKED = ("R-8 is approved (Consensus): positions are locked so the recorded outcome cannot change silently. "
          "To change yours, ask the chair to reopen it.")


def page(client: Any, url: str) -> BeautifulSoup:
    """GET a page (200) and parse it."""
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    return BeautifulSoup(response.text, "html.parser")


def post(client: Any, url: str, action: str, data: dict[str, str]) -> Any:
    """Submit a form to ``action`` with the CSRF token of ``url`` (as the browser would), without following."""
    token = csrf_from(client.get(url).text)
    return client.post(action, data={**data, "_csrf_token": token}, follow_redirects=False)


def text(node: Any) -> str:
    """The visible text of a node, whitespace collapsed."""
    return " ".join(node.get_text(" ").split())


def approved_without_outcome(reviewer: Any) -> list[str]:
    """Every approved recommendation the API reports without a met rule or an outcome label (must stay empty)."""
    return [r["key"] for s in ok(reviewer.get("/review")) for r in s["recommendations"]
            if r["state"] == "approved" and not (r["rule_met"] and r["outcome"])]


def test_position_change_after_approval_goes_through_reopening(api, make_client, db):  # noqa: F811
    haruka_api, lee_api = api("haruka.sato"), api("lee.seoyeon")
    haruka = login(make_client(), "haruka.sato@example.org")
    lee = login(make_client(), "lee.seoyeon@example.org")
    assert ok(haruka_api.get("/recommendations/8/review"))["state"] == "approved"

    # The API: 409 with the reason; nothing written; R-8 keeps its outcome.
    before = counts(db)
    response = haruka_api.put("/recommendations/8/positions/me", {"stance": "object", "text": "Not any more."})
    assert response.status_code == 409
    assert response.json()["detail"] == LOCKED
    assert counts(db) == before
    review = ok(haruka_api.get("/recommendations/8/review"))
    assert (review["state"], review["rule_met"], review["outcome"]) == ("approved", True, "Consensus")
    assert approved_without_outcome(lee_api) == []

    # The form: shown disabled with the reason; a stale form posted anyway gets the reason (409), nothing written.
    soup = page(haruka, R8)
    form = soup.find("form", attrs={"action": f"{R8}/position"})
    assert form.select_one("fieldset.position-fields").has_attr("disabled")
    assert text(soup.select_one("#positions-lock")) == f"Positions are locked. {LOCKED}"
    response = post(haruka, R8, f"{R8}/position", {"stance": "object", "text": "Not any more."})
    assert response.status_code == 409
    assert LOCKED in text(BeautifulSoup(response.text, "html.parser").select_one(".error-summary"))
    assert counts(db) == before

    # She asks to reopen: a reason is required (kept beside the field); then the chair of the subgroup is told.
    response = post(haruka, R8, f"{R8}/reopen-request", {"reason": "  "})
    assert response.status_code == 422
    assert "Say why it should be reopened" in text(BeautifulSoup(response.text, "html.parser").select_one(
        "#error-reason"))
    assert counts(db) == before
    response = post(haruka, R8, f"{R8}/reopen-request", {"reason": "Tokyo's position changed; I must object."})
    assert response.status_code == 303
    soup = page(haruka, response.headers["location"])
    assert "Your request was sent to the chair." in text(soup.select_one("#reopen-asked"))
    assert kinds_for(db, "lee.seoyeon").count("reopen-requested") == 1
    assert ok(haruka_api.get("/recommendations/8/review"))["state"] == "approved"
    assert haruka_api.post("/recommendations/8/reopen", {"reason": "I would like to."}).status_code == 403

    # The chair reopens it with the form: back to review; the section needs a new approval.
    chair_page = page(lee, R8)
    reopen_form = chair_page.find("form", attrs={"action": f"{R8}/reopen"})
    assert reopen_form is not None
    response = post(lee, R8, f"{R8}/reopen", {"reason": ""})
    assert response.status_code == 422
    assert BeautifulSoup(response.text, "html.parser").select_one("#error-reopen_reason") is not None
    response = post(lee, R8, f"{R8}/reopen", {"reason": "Haruka Sato must record an objection."})
    assert response.status_code == 303
    review = ok(haruka_api.get("/recommendations/8/review"))
    assert review["state"] == "submitted"
    assert "reopened" in kinds_for(db, "haruka.sato")

    # Positions unlock: the objection is recorded through the form.
    soup = page(haruka, R8)
    assert soup.select_one("#positions-lock") is None
    form = soup.find("form", attrs={"action": f"{R8}/position"})
    assert not form.select_one("fieldset.position-fields").has_attr("disabled")
    values = {**form_values(form), "stance": "object", "text": "Tokyo's position changed."}
    assert haruka.post(f"{R8}/position", data=values, follow_redirects=False).status_code == 303
    review = ok(haruka_api.get("/recommendations/8/review"))
    assert (review["state"], review["rule_met"], review["outcome"]) == ("submitted", False, "")
    assert approved_without_outcome(lee_api) == []

    # Approval is refused while the rule does not hold, through the form and the API.
    chair_page = page(lee, R8)
    approve = chair_page.find("button", attrs={"value": "approve"})
    assert approve.has_attr("disabled") and approve["aria-disabled"] == "true"
    assert "1 member objects." in text(chair_page.select_one(f"#{approve['aria-describedby']}"))
    before = counts(db)
    response = lee_api.post("/recommendations/8/decisions", {"decision": "approve", "rev_no": review["rev_no"]})
    assert error_fields(response) == ["consensus"]
    assert "1 member objects." in response.json()["errors"][0]["message"]
    response = post(lee, R8, f"{R8}/decision", {"decision": "approve", "rev_no": str(review["rev_no"]), "note": ""})
    assert response.status_code == 422
    assert counts(db) == before

    # She settles on a reservation; the chair approves again, with the new outcome.
    ok(haruka_api.put("/recommendations/8/positions/me", {"stance": "reservation", "text": "Tokyo needs time."}))
    review = ok(lee_api.post("/recommendations/8/decisions", {"decision": "approve", "rev_no": review["rev_no"]}))
    assert (review["state"], review["outcome"]) == ("approved", "Consensus with reservations")
    assert haruka_api.put("/recommendations/8/positions/me", {"stance": "support"}).status_code == 409
    assert approved_without_outcome(lee_api) == []

    # Everything is in the audit log, in order.
    with db.session() as s:
        actions = [a for a in s.exec(select(AuditEvent.action).where(col(AuditEvent.object_type) == "recommendation")
                                     .order_by(col(AuditEvent.id))).all()]
        assert actions[-5:] == ["recommendation.reopen_requested", "recommendation.reopened", "position.recorded",
                                "position.recorded", "recommendation.approved"]
        reopen = s.exec(select(ReviewEvent).where(ReviewEvent.kind == "reopen")).one()
        assert reopen.note == "Haruka Sato must record an objection." and reopen.deadline is not None


def _export(client: Any, fmt: str) -> bytes:
    """Export the public report in ``fmt`` through the exports page and download the file."""
    response = post(client, f"{G}/exports", f"{G}/exports", {"profile": "public", "format": fmt})
    assert response.status_code == 303
    job_id = int(response.headers["location"].split("started=")[1])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        soup = BeautifulSoup(client.get(f"{G}/exports", headers={"HX-Request": "true"}).text, "html.parser")
        if soup.select_one("#export-list[hx-trigger]") is None:
            break
        time.sleep(0.3)
    file = client.get(f"{G}/exports/{job_id}/file")
    assert file.status_code == 200, file.text[:300]
    return file.content


def _export_pdf(client: Any, tmp_path: Path) -> str:
    """Export the public PDF through the exports page and read it back with pdftotext."""
    path = tmp_path / "final.pdf"
    path.write_bytes(_export(client, "pdf"))
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_finalising_names_each_item_without_an_outcome_and_the_final_report_prints_every_outcome(
        api, make_client, db, tmp_path):  # noqa: F811
    # Test clients sharing one app must close newest first: the API clients are opened before the browser.
    eleanor, organizer_api, lee_api = api("eleanor.hayes"), api("organizer"), api("lee.seoyeon")
    organizer = login(make_client(), "organizer@example.org")
    # A co-chair settles everything: what is not approved is withdrawn, then every section is approved.
    for section in ok(eleanor.get("/review")):
        for r in section["recommendations"]:
            if r["state"] != "approved":
                ok(eleanor.post(f"/recommendations/{r['number']}/withdraw", {"withdrawn": True}))
    for section in ok(eleanor.get("/review")):
        if section["state"] != "approved":
            ok(eleanor.post(f"/sections/{section['id']}/approve", {"rev_no": section["rev_no"]}))
    approved = [r["key"] for s in ok(eleanor.get("/review")) for r in s["recommendations"] if r["state"] == "approved"]
    assert approved == ["R-1", "R-2", "R-3", "R-8"]

    # The only Japanese supporter becomes an observer: the approved items lose their outcome (positions stayed
    # locked; the membership changed). Finalising is refused, naming each item and why.
    with db.session() as s:
        haruka_id = s.exec(select(User.id).where(User.email == "haruka.sato@example.org")).one()
    ok(organizer_api.client.patch(f"/api/v1/groups/trilateral/members/{haruka_id}", json={"role": "observer"},
                                  headers={"x-csrftoken": organizer_api.token}))
    assert approved_without_outcome(eleanor) == approved
    soup = page(organizer, f"{G}/exports")
    blockers = [text(li) for li in soup.select(".finalise-blockers li")]
    assert len(blockers) == 4 and all("No member from Japan supports it yet." in b for b in blockers), blockers
    response = post(organizer, f"{G}/exports", f"{G}/report/finalise", {"action": "finalise"})
    assert response.status_code == 422
    summary = text(BeautifulSoup(response.text, "html.parser").select_one(".error-summary"))
    for key in approved:
        assert f"{key} “" in summary
    assert "approved, but the group's rule no longer holds: No member from Japan supports it yet." in summary
    with db.session() as s:
        assert s.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "report.finalised")).one() == 0

    # She is a member again: the report can be finalised, and a chair can no longer reopen an item of it.
    ok(organizer_api.client.patch(f"/api/v1/groups/trilateral/members/{haruka_id}", json={"role": "member"},
                                  headers={"x-csrftoken": organizer_api.token}))
    assert post(organizer, f"{G}/exports", f"{G}/report/finalise", {"action": "finalise"}).status_code == 303
    response = lee_api.post("/recommendations/8/reopen", {"reason": "Too late?"})
    assert response.status_code == 409 and "The report is final" in response.json()["detail"]

    # The final public PDF prints an outcome under every recommendation, and no "Not yet decided".
    pdf_text = _export_pdf(organizer, tmp_path)
    assert "DRAFT" not in pdf_text
    # (a footnote marker may follow the label: "Consensus with reservations 1")
    outcomes = [re.sub(r"\s+\d+$", "", line.split("Outcome:", 1)[1].strip())
                for line in pdf_text.splitlines() if "Outcome:" in line]
    assert outcomes == ["Consensus", "Consensus with reservations", "Consensus", "Consensus"], outcomes
    assert "Not yet decided" not in pdf_text
    with db.session() as s:
        assert s.exec(select(Export.status).order_by(col(Export.id).desc())).first() == "done"

    # The final public DOCX, read back with python-docx, prints the same outcomes, one under each recommendation.
    docx = Document(io.BytesIO(_export(organizer, "docx")))
    styles = [(p.style.name if p.style is not None else "", " ".join(p.text.split())) for p in docx.paragraphs]
    docx_outcomes = [t.removeprefix("Outcome:").strip() for name, t in styles if name == "Recommendation Outcome"]
    assert docx_outcomes == outcomes, styles
    headings = [t for name, t in styles if name == "Heading 2"]
    assert len([h for h in headings if re.match(r"^Recommendation \d+\.\d+", h)]) == len(outcomes), headings
    docx_text = "\n".join(t for _, t in styles)
    assert "DRAFT" not in docx_text and "Not yet decided" not in docx_text
    with db.session() as s:
        assert s.exec(select(Export.status).order_by(col(Export.id).desc())).first() == "done"
