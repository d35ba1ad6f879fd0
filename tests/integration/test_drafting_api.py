"""Drafting through the JSON API under /api/v1/groups/{slug}: the same operations and rules as the pages.

Scripts log in with POST /api/v1/session and send the CSRF token they are given as ``x-csrftoken``. Rows are
counted around every refused request, so a refusal that still wrote something fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import func
from sqlmodel import col, select

from wg.demo import DEMO_PASSWORD
from wg.features.accounts.operations import create_user
from wg.features.accounts.sessions import SESSION_COOKIE, issue_session
from wg.features.drafting.textmerge import join_paragraphs, split_paragraphs
from wg.models import (
    AuditEvent,
    Comment,
    Membership,
    Mention,
    Recommendation,
    Revision,
    Role,
    Section,
    Subgroup,
    User,
    WorkingGroup,
)

API = "/api/v1/groups/trilateral"
ORGANIZER = "organizer@example.org"
CO_CHAIR = "eleanor.hayes@example.org"
CHAIR = "maya.chen@example.org"  # chairs "Domestic constraints"
MEMBER = "haruka.sato@example.org"  # member of "Domestic constraints"
MEMBER_KR = "kim.minjun@example.org"  # member of "Domestic constraints"
OTHER_CHAIR = "ren.nakamura@example.org"  # chairs "Non-traditional security…"
ADVISER = "robert.lindqvist@example.org"
OBSERVER = "takeshi.ono@example.org"
OUTSIDER = "outsider@example.org"
SECTION_TITLES = [
    "Introduction",
    "Domestic constraints",
    "Non-traditional security: pandemics and climate",
    "New areas of cooperation",
    "Civil society and dialogue",
]


class Api:
    """A script talking to the API: JSON in and out, the CSRF token on every change."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.token = token

    def get(self, path: str, **params: Any) -> Any:
        """GET a path below /api/v1/groups/trilateral (or an absolute /api path)."""
        return self.client.get(path if path.startswith("/api/") else API + path, params=params or None)

    def post(self, path: str, body: Any = None) -> Any:
        """POST JSON to a path below /api/v1/groups/trilateral (or an absolute /api path)."""
        url = path if path.startswith("/api/") else API + path
        return self.client.post(url, json=body if body is not None else {}, headers={"x-csrftoken": self.token})


@pytest.fixture
def api(app: Any, db: Any, settings: Any) -> Iterator[Callable[[str], Api]]:
    """Open an API client logged in as an e-mail address; clients close newest first.

    Sessions are issued directly (a password hash per client costs a quarter of a second);
    ``test_a_script_logs_in_and_reads_the_outline`` covers POST /api/v1/session itself.
    """
    with ExitStack() as stack:

        def _open(email: str) -> Api:
            client = stack.enter_context(TestClient(app=app, base_url="http://testserver.local"))
            with db.transaction() as s:
                user = s.exec(select(User).where(User.email == email)).one()
                token = issue_session(s, user, settings.session_max_age)
            client.cookies.set(SESSION_COOKIE, token, domain="testserver.local", path="/")
            return Api(client, client.get("/api/v1/session").json()["csrf_token"])

        yield _open


# --- the database ---------------------------------------------------------------------------------------------


def ids(db: Any) -> dict[str, int]:
    """Section ids by current title, subgroup ids by name and user ids by e-mail, in one dictionary."""
    with db.session() as s:
        found: dict[str, int] = {}
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        for section in s.exec(select(Section).where(Section.group_id == group.id)):
            head = s.exec(select(Revision).where(Revision.target_type == "section", Revision.target_id == section.id)
                          .order_by(col(Revision.rev_no).desc())).first()
            assert head is not None
            found[f"section:{head.title}"] = section.id or 0
        for subgroup in s.exec(select(Subgroup).where(Subgroup.group_id == group.id)):
            found[f"subgroup:{subgroup.name}"] = subgroup.id or 0
        for user in s.exec(select(User)):
            found[user.email] = user.id or 0
        return found


def rec_revisions(db: Any, number: int) -> list[Revision]:
    """Every revision of the demo group's R-<number>, oldest first."""
    with db.session() as s:
        rec = s.exec(select(Recommendation).join(WorkingGroup, col(WorkingGroup.id) == col(Recommendation.group_id))
                     .where(WorkingGroup.slug == "trilateral", Recommendation.number == number)).one()
        return list(s.exec(select(Revision).where(Revision.target_type == "recommendation",
                                                  Revision.target_id == rec.id).order_by(col(Revision.rev_no))))


COUNTED = (Section, Recommendation, Revision, Comment, Mention, AuditEvent)


def counts(db: Any) -> dict[str, int]:
    """Rows in every drafting table and the audit log."""
    with db.session() as s:
        return {m.__tablename__: s.exec(select(func.count()).select_from(m)).one() for m in COUNTED}  # type: ignore


def drafting_counts(db: Any) -> dict[str, int]:
    """Rows in the drafting tables only (reads may write audit events such as logins)."""
    return {k: v for k, v in counts(db).items() if k != "audit_events"}


def audit_actions_since(db: Any, mark: int) -> list[tuple[str, int | None, dict[str, Any]]]:
    """(action, actor, detail) of the audit events after ``mark``."""
    with db.session() as s:
        return [(e.action, e.actor_id, e.detail) for e in s.exec(select(AuditEvent).where(col(AuditEvent.id) > mark)
                                                                   .order_by(col(AuditEvent.id)))]


def last_audit_id(db: Any) -> int:
    """The newest audit event's id."""
    with db.session() as s:
        return s.exec(select(func.max(AuditEvent.id))).one() or 0


def error_fields(response: Any) -> list[str]:
    """The field paths of a 422 answer."""
    assert response.status_code == 422, (response.status_code, response.text)
    body = response.json()
    assert body["status_code"] == 422 and body["errors"], body
    return [e["field"] for e in body["errors"]]


def joined(ops: list[dict[str, str]], *kinds: str) -> str:
    """The text of the diff ops of the given kinds, in order."""
    return "".join(op["text"] for op in ops if op["kind"] in kinds)


# --- reading -------------------------------------------------------------------------------------------------


def test_a_script_logs_in_and_reads_the_outline(client, db):
    assert client.get(f"{API}/sections").status_code == 401
    token = client.get("/api/v1/session").json()["csrf_token"]
    response = client.post("/api/v1/session", json={"email": MEMBER, "password": DEMO_PASSWORD},
                           headers={"x-csrftoken": token})
    assert response.status_code == 200 and response.json()["authenticated"] is True
    sections = client.get(f"{API}/sections").json()
    assert [s["current"]["title"] for s in sections] == SECTION_TITLES
    assert [s["position"] for s in sections] == [0, 1, 2, 3, 4]
    assert [[r["key"] for r in s["recommendations"]] for s in sections] == [
        [], ["R-1", "R-2", "R-3"], ["R-4", "R-5", "R-6"], ["R-7", "R-8", "R-9", "R-10"], ["R-11", "R-12"]]
    domestic = sections[1]
    assert domestic["subgroup_id"] == ids(db)["subgroup:Domestic constraints"]
    assert domestic["recommendations"][0]["title"] == rec_revisions(db, 1)[-1].title
    assert domestic["recommendations"][0]["target"] == "United States"
    one = client.get(f"{API}/sections/{domestic['id']}").json()
    assert one == domestic
    rec = client.get(f"{API}/recommendations/2").json()
    assert (rec["key"], rec["number"], rec["section_id"], rec["withdrawn"]) == ("R-2", 2, domestic["id"], False)
    assert rec["current"]["text"] == rec_revisions(db, 2)[-1].text
    assert client.get(f"{API}/recommendations/404").status_code == 404
    assert client.get(f"{API}/sections/99999").status_code == 404


# --- sections and recommendations ----------------------------------------------------------------------------


def test_sections_are_created_by_co_chairs_and_by_chairs_for_their_subgroup(api, db):
    known = ids(db)
    eleanor = api(CO_CHAIR)
    response = eleanor.post("/sections", {"title": "Conclusion", "text": "We end.\n\nThanks.", "note": "Draft"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["position"], created["subgroup_id"], created["recommendations"]) == (5, None, [])
    assert (created["current"]["rev_no"], created["current"]["title"], created["current"]["note"]) == (
        1, "Conclusion", "Draft")
    assert created["current"]["author_id"] == known[CO_CHAIR]
    assert [s["current"]["title"] for s in eleanor.get("/sections").json()] == [*SECTION_TITLES, "Conclusion"]
    assert eleanor.get(f"/sections/{created['id']}").json() == created

    maya = api(CHAIR)
    domestic = known["subgroup:Domestic constraints"]
    response = maya.post("/sections", {"title": "Domestic annex", "subgroup_id": domestic})
    assert response.status_code == 201 and response.json()["subgroup_id"] == domestic
    before = counts(db)
    nts = known["subgroup:Non-traditional security: pandemics and climate"]
    assert maya.post("/sections", {"title": "Not my subgroup", "subgroup_id": nts}).status_code == 403
    assert maya.post("/sections", {"title": "Whole group"}).status_code == 403
    assert api(MEMBER).post("/sections", {"title": "A member's section"}).status_code == 403
    assert error_fields(eleanor.post("/sections", {"title": "Nowhere", "subgroup_id": 99999})) == ["subgroup_id"]
    assert error_fields(eleanor.post("/sections", {"title": "Nowhere", "subgroup_id": 0})) == ["subgroup_id"]
    assert counts(db) == before


def test_recommendations_are_created_moved_withdrawn_and_reinstated_keeping_their_key(api, db):
    known = ids(db)
    domestic, civil = known["section:Domestic constraints"], known["section:Civil society and dialogue"]
    haruka = api(MEMBER)
    mark = last_audit_id(db)
    response = haruka.post(f"/sections/{domestic}/recommendations", {
        "title": "Create a trilateral parliamentary caucus", "text": "Meet every year.", "rationale": "Continuity.",
        "target": "Trilateral", "note": "First draft"})
    assert response.status_code == 201, response.text
    rec = response.json()
    assert (rec["key"], rec["number"], rec["section_id"], rec["position"], rec["withdrawn"]) == (
        "R-13", 13, domestic, 3, False)
    assert (rec["current"]["rev_no"], rec["current"]["author_id"], rec["current"]["target"]) == (
        1, known[MEMBER], "Trilateral")
    assert haruka.get("/recommendations/13").json() == rec
    assert [a for a, _, _ in audit_actions_since(db, mark)] == ["recommendation.created"]

    moved = haruka.post("/recommendations/13/move", {"direction": "up"})
    assert moved.status_code == 200 and (moved.json()["key"], moved.json()["position"]) == ("R-13", 2)
    outline = {s["id"]: [r["key"] for r in s["recommendations"]] for s in haruka.get("/sections").json()}
    assert outline[domestic] == ["R-1", "R-2", "R-13", "R-3"]
    before = counts(db)
    nts = known["section:Non-traditional security: pandemics and climate"]
    assert haruka.post("/recommendations/13/move", {"section_id": nts}).status_code == 403
    assert counts(db) == before
    moved = api(CO_CHAIR).post("/recommendations/13/move", {"section_id": civil})
    assert moved.status_code == 200
    assert (moved.json()["key"], moved.json()["section_id"], moved.json()["position"]) == ("R-13", civil, 2)
    outline = {s["id"]: [r["key"] for r in s["recommendations"]] for s in haruka.get("/sections").json()}
    assert outline[domestic] == ["R-1", "R-2", "R-3"] and outline[civil] == ["R-11", "R-12", "R-13"]

    withdrawn = haruka.post("/recommendations/2/withdraw", {"withdrawn": True})
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn"] is True
    assert haruka.get("/recommendations/2").json()["current"]["text"] == rec_revisions(db, 2)[-1].text
    before = counts(db)
    head = rec_revisions(db, 2)[-1].rev_no
    assert haruka.post("/recommendations/2/revisions", {"base_rev_no": head, "title": "x", "text": "y"}
                       ).status_code == 403
    assert haruka.post("/recommendations/2/revisions/1/restore").status_code == 403
    assert counts(db) == before
    assert len(haruka.get("/recommendations/2/revisions").json()) == head
    reinstated = haruka.post("/recommendations/2/withdraw", {"withdrawn": False})
    assert reinstated.json()["withdrawn"] is False


# --- revisions -----------------------------------------------------------------------------------------------


def test_revisions_are_listed_read_saved_restored_and_compared(api, db):
    known = ids(db)
    haruka = api(MEMBER)
    listed = haruka.get("/recommendations/1/revisions").json()
    assert [r["rev_no"] for r in listed] == [3, 2, 1]
    with db.session() as s:
        names = {u.id: u.display_name for u in s.exec(select(User))}
    assert [r["author"] for r in listed] == [names[r.author_id] for r in reversed(rec_revisions(db, 1))]
    second = haruka.get("/recommendations/1/revisions/2").json()
    assert second == listed[1] | {"author": None}
    assert haruka.get("/recommendations/1/revisions/9").status_code == 404

    head = rec_revisions(db, 1)[-1]
    new_text = head.text.replace("should", "must", 1)
    mark = last_audit_id(db)
    saved = haruka.post("/recommendations/1/revisions", {
        "base_rev_no": 3, "title": head.title, "text": new_text, "rationale": head.rationale, "target": head.target,
        "note": "Stronger verb"})
    assert saved.status_code == 201, saved.text
    body = saved.json()
    assert body["outcome"] == "saved"
    assert (body["revision"]["rev_no"], body["revision"]["parent_rev_no"], body["revision"]["text"]) == (
        4, 3, new_text)
    assert body["revision"]["author_id"] == known[MEMBER]
    assert audit_actions_since(db, mark) == [("revision.saved", known[MEMBER], {"rev_no": 4, "merged_with": None})]

    before = counts(db)
    again = haruka.post("/recommendations/1/revisions", {
        "base_rev_no": 4, "title": head.title, "text": new_text, "rationale": head.rationale, "target": head.target})
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
    assert again.json()["revision"]["rev_no"] == 4 and counts(db) == before

    diff = haruka.get("/recommendations/1/diff", from_rev=3, to_rev=4).json()
    assert (diff["from_rev"], diff["to_rev"]) == (3, 4)
    text_ops = diff["fields"]["text"]
    assert [op["text"].strip() for op in text_ops if op["kind"] == "delete"] == ["should"]
    assert [op["text"].strip() for op in text_ops if op["kind"] == "insert"] == ["must"]
    assert joined(text_ops, "equal", "delete") == head.text and joined(text_ops, "equal", "insert") == new_text
    assert diff["fields"]["title"] == [{"kind": "equal", "text": head.title}]
    assert haruka.get("/recommendations/1/diff", from_rev=1, to_rev=9).status_code == 404

    first = rec_revisions(db, 1)[0]
    restored = haruka.post("/recommendations/1/revisions/1/restore")
    assert restored.status_code == 201
    assert (restored.json()["rev_no"], restored.json()["restored_from"], restored.json()["text"]) == (5, 1, first.text)
    after = rec_revisions(db, 1)
    assert [r.rev_no for r in after] == [1, 2, 3, 4, 5]
    assert haruka.post("/recommendations/1/revisions/9/restore").status_code == 404
    assert len(rec_revisions(db, 1)) == 5
    assert (after[-1].title, after[-1].rationale) == (first.title, first.rationale)

    section = known["section:Domestic constraints"]
    section_revisions = haruka.get(f"/sections/{section}/revisions").json()
    assert [r["rev_no"] for r in section_revisions] == [3, 2, 1]
    assert haruka.get(f"/sections/{section}/revisions/1").json()["title"] == "Domestic constraints"


def test_a_stale_save_of_the_same_paragraph_is_a_409_with_both_texts_and_writes_nothing(api, db):
    haruka, kim = api(MEMBER), api(MEMBER_KR)
    head = rec_revisions(db, 1)[-1]
    paragraphs = split_paragraphs(head.text)
    fields = {"title": head.title, "rationale": head.rationale, "target": head.target}
    his = join_paragraphs(["Kim's opening.", paragraphs[1]])
    assert kim.post("/recommendations/1/revisions", {"base_rev_no": 3, "text": his, **fields}).status_code == 201
    before = counts(db)
    hers = join_paragraphs(["Haruka's opening.", paragraphs[1]])
    response = haruka.post("/recommendations/1/revisions", {"base_rev_no": 3, "text": hers, **fields})
    assert response.status_code == 409
    body = response.json()
    assert body["conflicting_fields"] == ["text"]
    assert (body["current"]["rev_no"], body["current"]["text"]) == (4, his)
    assert body["mine"] == {"title": head.title, "text": hers, "rationale": head.rationale, "target": head.target}
    assert "nothing was written" in body["detail"]
    assert counts(db) == before
    retry = haruka.post("/recommendations/1/revisions", {"base_rev_no": 4, "text": hers, **fields})
    assert retry.status_code == 201 and retry.json()["outcome"] == "saved"
    assert rec_revisions(db, 1)[-1].text == hers
    # A title changed differently on both sides conflicts too.
    assert kim.post("/recommendations/1/revisions", {**fields, "base_rev_no": 5, "text": hers,
                                                     "title": "Kim's title"}).status_code == 201
    clash = haruka.post("/recommendations/1/revisions", {**fields, "base_rev_no": 5, "text": hers,
                                                         "title": "Haruka's title"})
    assert clash.status_code == 409 and clash.json()["conflicting_fields"] == ["title"]


def test_a_stale_save_of_another_paragraph_is_merged(api, db):
    known = ids(db)
    haruka, kim = api(MEMBER), api(MEMBER_KR)
    head = rec_revisions(db, 1)[-1]
    paragraphs = split_paragraphs(head.text)
    fields = {"title": head.title, "rationale": head.rationale, "target": head.target}
    assert kim.post("/recommendations/1/revisions", {"base_rev_no": 3, **fields, "text": join_paragraphs(
        [paragraphs[0] + " (Kim)", paragraphs[1]])}).status_code == 201
    response = haruka.post("/recommendations/1/revisions", {
        "base_rev_no": 3, **fields, "text": join_paragraphs([paragraphs[0], paragraphs[1] + " (Haruka)"])})
    assert response.status_code == 201
    body = response.json()
    assert body["outcome"] == "merged"
    assert (body["revision"]["rev_no"], body["revision"]["merged_rev_no"], body["revision"]["parent_rev_no"]) == (
        5, 4, 3)
    assert body["revision"]["text"] == join_paragraphs([paragraphs[0] + " (Kim)", paragraphs[1] + " (Haruka)"])

    # The same for a section's text, with the title changed on one side only.
    section = known["section:Domestic constraints"]
    current = haruka.get(f"/sections/{section}").json()["current"]
    parts = split_paragraphs(current["text"])
    maya = api(CHAIR)
    assert maya.post(f"/sections/{section}/revisions", {"base_rev_no": 3, "title": "Domestic politics",
                                                        "text": current["text"]}).status_code == 201
    merged = haruka.post(f"/sections/{section}/revisions", {
        "base_rev_no": 3, "title": current["title"], "text": join_paragraphs([*parts[:-1], parts[-1] + " (H)"])})
    assert merged.status_code == 201 and merged.json()["outcome"] == "merged"
    assert merged.json()["revision"]["title"] == "Domestic politics"
    assert merged.json()["revision"]["text"].endswith(" (H)")


# --- comments ----------------------------------------------------------------------------------------------------


def test_comments_are_listed_added_threaded_and_resolved(api, db):
    known = ids(db)
    haruka, kim, maya = api(MEMBER), api(MEMBER_KR), api(CHAIR)
    assert haruka.get("/recommendations/1/comments").json() == []
    mark = last_audit_id(db)
    response = haruka.post("/recommendations/1/comments", {"body": "@kim.minjun is ¶2 right?", "paragraph": 2})
    assert response.status_code == 201, response.text
    comment = response.json()
    assert (comment["author_id"], comment["author"], comment["paragraph"], comment["rev_no"], comment["resolved"]) == (
        known[MEMBER], "Haruka Sato", 2, 3, False)
    with db.session() as s:
        assert list(s.exec(select(Mention.user_id).where(Mention.comment_id == comment["id"]))) == [known[MEMBER_KR]]
    reply = kim.post("/recommendations/1/comments", {"body": "Yes, checked.", "parent_id": comment["id"]})
    assert reply.status_code == 201
    threads = haruka.get("/recommendations/1/comments").json()
    assert [t["id"] for t in threads] == [comment["id"]]
    assert [r["id"] for r in threads[0]["replies"]] == [reply.json()["id"]]
    assert threads[0]["replies"][0]["body"] == "Yes, checked."
    assert [a for a, _, _ in audit_actions_since(db, mark)] == ["comment.added", "comment.added"]

    before = counts(db)
    assert kim.post(f"/recommendations/1/comments/{comment['id']}/resolve", {"resolved": True}).status_code == 403
    assert counts(db) == before
    resolved = haruka.post(f"/recommendations/1/comments/{comment['id']}/resolve", {"resolved": True})
    assert resolved.status_code == 200 and resolved.json()[0]["resolved"] is True
    reopened = maya.post(f"/recommendations/1/comments/{comment['id']}/resolve", {"resolved": False})
    assert reopened.status_code == 200 and reopened.json()[0]["resolved"] is False
    # A comment belongs to one target: not resolvable, not repliable, through another.
    assert haruka.post(f"/recommendations/2/comments/{comment['id']}/resolve", {}).status_code == 404
    assert haruka.post("/recommendations/2/comments", {"body": "x", "parent_id": comment["id"]}).status_code == 404

    section = known["section:Domestic constraints"]
    with db.session() as s:
        stored = s.exec(select(func.count()).select_from(Comment).where(
            Comment.target_type == "section", Comment.target_id == section)).one()
    threads = haruka.get(f"/sections/{section}/comments").json()
    assert sum(1 + len(t["replies"]) for t in threads) == stored
    added = haruka.post(f"/sections/{section}/comments", {"body": "On the section.", "paragraph": 1})
    assert added.status_code == 201 and added.json()["paragraph"] == 1


def test_a_comment_on_a_paragraph_that_does_not_exist_is_refused(api, db):
    haruka = api(MEMBER)
    before = counts(db)
    for paragraph in (9, 0, -1):
        answer = haruka.post("/recommendations/1/comments", {"body": "x", "paragraph": paragraph})
        assert error_fields(answer) == ["paragraph"], paragraph
    assert error_fields(haruka.post("/recommendations/1/comments", {"body": "  "})) == ["body"]
    assert counts(db) == before


def test_the_preview_renders_sanitised_html(api):
    response = api(MEMBER).post("/preview", {"text": "**Bold** <script>alert(1)</script> [x](javascript:alert(1))"})
    assert response.status_code == 200
    html = response.json()["html"]
    assert "<strong>Bold</strong>" in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html.lower()


# --- bad bodies ---------------------------------------------------------------------------------------------------


def test_bad_bodies_are_422_with_the_path_of_each_field(api, db):
    known = ids(db)
    haruka = api(MEMBER)
    domestic = known["section:Domestic constraints"]
    head = rec_revisions(db, 1)[-1]
    before = counts(db)
    save = "/recommendations/1/revisions"
    assert error_fields(haruka.post(save, {"base_rev_no": 3, "title": "T" * 301, "text": "x"})) == ["title"]
    assert error_fields(haruka.post(save, {"base_rev_no": 3, "title": "T", "text": "x" * 50_001})) == ["text"]
    assert error_fields(haruka.post(save, {"base_rev_no": 3, "title": "T", "text": "x", "rationale": "r" * 50_001}
                                    )) == ["rationale"]
    assert error_fields(haruka.post(save, {"base_rev_no": 3, "title": "T", "text": "x", "note": "n" * 301})) == [
        "note"]
    assert error_fields(haruka.post(save, {"base_rev_no": 3, "title": "T", "text": "x", "target": "Mars"})) == [
        "target"]
    assert error_fields(haruka.post(save, {"base_rev_no": 3, "title": "", "text": ""})) == ["title", "text"]
    assert error_fields(haruka.post(save, {"base_rev_no": 7, "title": "T", "text": "x"})) == ["base_rev_no"]
    # Wrong types and missing fields are named too.
    assert error_fields(haruka.post(save, {"base_rev_no": "three", "title": "T", "text": "x"})) == ["base_rev_no"]
    assert error_fields(haruka.post(save, {"base_rev_no": 3, "title": 5, "text": "x"})) == ["title"]
    assert error_fields(haruka.post(save, {"title": "T", "text": "x"})) == ["base_rev_no"]
    assert error_fields(haruka.post(save, {"base_rev_no": 3, "title": "T", "text": ["x"]})) == ["text"]
    assert error_fields(haruka.post(f"/sections/{domestic}/recommendations", {"title": "T" * 301, "text": "x"})) == [
        "title"]
    assert error_fields(haruka.post(f"/sections/{domestic}/recommendations", {"text": "x"})) == ["title"]
    assert error_fields(haruka.post("/recommendations/1/comments", {"body": 12})) == ["body"]
    assert error_fields(haruka.post("/recommendations/1/comments", {"body": "x", "paragraph": "two"})) == [
        "paragraph"]
    assert error_fields(haruka.post("/recommendations/1/move", {"direction": "sideways"})) == ["direction"]
    assert error_fields(haruka.post("/recommendations/1/withdraw", {"withdrawn": "perhaps"})) == ["withdrawn"]
    assert error_fields(api(CO_CHAIR).post("/sections", {"title": "T" * 301})) == ["title"]
    assert counts(db) == before
    assert rec_revisions(db, 1)[-1].id == head.id


# --- who may do what ------------------------------------------------------------------------------------------------


def write_requests(known: dict[str, int]) -> list[tuple[str, Any]]:
    """Every change the API offers on the Domestic constraints section and R-1, with valid bodies."""
    section = known["section:Domestic constraints"]
    return [
        (f"/sections/{section}/revisions", {"base_rev_no": 3, "title": "Taken over", "text": "New."}),
        (f"/sections/{section}/revisions/1/restore", {}),
        (f"/sections/{section}/recommendations", {"title": "Not mine", "text": "x"}),
        ("/recommendations/1/revisions", {"base_rev_no": 3, "title": "Taken over", "text": "New."}),
        ("/recommendations/1/revisions/1/restore", {}),
        ("/recommendations/1/move", {"direction": "down"}),
        ("/recommendations/1/withdraw", {"withdrawn": True}),
    ]


def demo_comment_id(db: Any) -> int:
    """A demo comment on R-2 (by Haruka Sato)."""
    with db.session() as s:
        rec = s.exec(select(Recommendation).where(Recommendation.number == 2)).first()
        assert rec is not None
        return s.exec(select(Comment.id).where(Comment.target_type == "recommendation",
                                               Comment.target_id == rec.id)).first() or 0


def test_people_outside_the_subgroup_get_403_for_changes_but_read_everything(api, db):
    known = ids(db)
    for email in (OBSERVER, ADVISER, OTHER_CHAIR):
        client = api(email)
        before = drafting_counts(db)
        refused = [(email, path, client.post(path, body).status_code) for path, body in write_requests(known)]
        assert [r for r in refused if r[2] != 403] == []
        # Refused for the right reason even when the body is also wrong.
        assert client.post("/recommendations/1/revisions", {"base_rev_no": 3, "title": "", "text": ""}
                           ).status_code == 403, email
        assert client.post("/recommendations/1/move", {"direction": "sideways"}).status_code == 403, email
        assert drafting_counts(db) == before
        for path in ("/sections", "/recommendations/1", "/recommendations/1/revisions",
                     "/recommendations/1/revisions/1", "/recommendations/1/comments",
                     f"/sections/{known['section:Domestic constraints']}/comments"):
            assert client.get(path).status_code == 200, (email, path)
        assert client.get("/recommendations/1/diff", from_rev=1, to_rev=3).status_code == 200
        comment = client.post("/recommendations/1/comments", {"body": "A view from outside the subgroup."})
        assert comment.status_code == (403 if email == OBSERVER else 201), email

    # Observers read but neither comment, reply nor resolve.
    takeshi = api(OBSERVER)
    before = drafting_counts(db)
    comment = demo_comment_id(db)
    assert takeshi.post("/recommendations/2/comments", {"body": "x"}).status_code == 403
    assert takeshi.post("/recommendations/2/comments", {"body": "x", "parent_id": comment}).status_code == 403
    assert takeshi.post(f"/recommendations/2/comments/{comment}/resolve", {"resolved": True}).status_code == 403
    assert takeshi.post("/preview", {"text": "x"}).status_code == 200
    assert drafting_counts(db) == before


def test_co_chairs_and_organizers_save_anywhere(api, db):
    known = ids(db)
    for email in (CO_CHAIR, ORGANIZER):
        client = api(email)
        for section in client.get("/sections").json():
            response = client.post(f"/sections/{section['id']}/revisions", {
                "base_rev_no": section["current"]["rev_no"], "title": section["current"]["title"] + ".",
                "text": section["current"]["text"]})
            assert response.status_code == 201, (email, response.text)
            for rec in section["recommendations"][:1]:
                current = client.get(f"/recommendations/{rec['number']}").json()["current"]
                saved = client.post(f"/recommendations/{rec['number']}/revisions", {
                    "base_rev_no": current["rev_no"], "title": current["title"],
                    "text": current["text"] + f" Amended by {email}.", "rationale": current["rationale"],
                    "target": current["target"]})
                assert saved.status_code == 201 and saved.json()["revision"]["author_id"] == known[email]


@pytest.fixture
def outsider(db: Any) -> dict[str, int]:
    """A second group with an organizer who is in no other group, and a section, R-99 and a comment of its own."""
    with db.transaction() as s:
        user = create_user(s, email=OUTSIDER, display_name="Ulrike Weber", password=DEMO_PASSWORD, country="DE",
                           time_zone="Europe/Berlin")
        group = WorkingGroup(slug="euro-dialogue", name="Franco-German Energy Dialogue", countries=["DE", "FR"])
        s.add(group)
        s.flush()
        s.add(Membership(group_id=group.id or 0, user_id=user.id or 0, role=Role.ORGANIZER.value))
        section = Section(group_id=group.id or 0, position=0)
        s.add(section)
        s.flush()
        rec = Recommendation(group_id=group.id or 0, section_id=section.id or 0, number=99, position=0)
        s.add(rec)
        s.flush()
        for kind, target_id in (("section", section.id or 0), ("recommendation", rec.id or 0)):
            s.add(Revision(group_id=group.id or 0, target_type=kind, target_id=target_id, rev_no=1,
                           author_id=user.id, title="Storage targets", text="Fill to 90% by November."))
        comment = Comment(group_id=group.id or 0, target_type="recommendation", target_id=rec.id or 0,
                          author_id=user.id, body="Too ambitious?")
        s.add(comment)
        s.flush()
        return {"section": section.id or 0, "number": 99, "comment": comment.id or 0}


def every_request(section: int, number: int, comment: int) -> list[tuple[str, str, Any]]:
    """Every drafting endpoint of the demo group, for one section, recommendation and comment."""
    s, r = f"/sections/{section}", f"/recommendations/{number}"
    return [
        ("GET", "/sections", None), ("POST", "/sections", {"title": "x"}), ("POST", "/preview", {"text": "x"}),
        ("GET", s, None), ("GET", f"{s}/revisions", None), ("GET", f"{s}/revisions/1", None),
        ("GET", f"{s}/diff?from_rev=1&to_rev=1", None), ("GET", f"{s}/comments", None),
        ("POST", f"{s}/revisions", {"base_rev_no": 1, "title": "x"}), ("POST", f"{s}/revisions/1/restore", {}),
        ("POST", f"{s}/recommendations", {"title": "x", "text": "y"}), ("POST", f"{s}/comments", {"body": "x"}),
        ("POST", f"{s}/comments/{comment}/resolve", {"resolved": True}),
        ("GET", r, None), ("GET", f"{r}/revisions", None), ("GET", f"{r}/revisions/1", None),
        ("GET", f"{r}/diff?from_rev=1&to_rev=1", None), ("GET", f"{r}/comments", None),
        ("POST", f"{r}/revisions", {"base_rev_no": 1, "title": "x", "text": "y"}),
        ("POST", f"{r}/revisions/1/restore", {}), ("POST", f"{r}/move", {"direction": "up"}),
        ("POST", f"{r}/withdraw", {"withdrawn": True}), ("POST", f"{r}/comments", {"body": "x"}),
        ("POST", f"{r}/comments/{comment}/resolve", {"resolved": True}), ("GET", f"/comments/{comment}", None),
    ]


def answers(client: Api, requests: list[tuple[str, str, Any]]) -> list[tuple[str, str, int]]:
    """The status of each request."""
    return [(m, p, (client.get(p) if m == "GET" else client.post(p, body)).status_code) for m, p, body in requests]


def test_non_members_get_404_for_everything(api, db, outsider):
    client = api(OUTSIDER)
    before = drafting_counts(db)
    assert [a for a in answers(client, every_request(2, 1, demo_comment_id(db))) if a[2] != 404] == []
    assert drafting_counts(db) == before
    assert client.get(f"/api/v1/groups/euro-dialogue/sections/{outsider['section']}").status_code == 200


def test_ids_of_another_group_are_not_found_inside_this_one(api, db, outsider):
    haruka = api(MEMBER)
    before = drafting_counts(db)
    group_wide = {"/sections", "/preview"}
    found = answers(haruka, every_request(outsider["section"], outsider["number"], outsider["comment"]))
    assert [a for a in found if a[1] not in group_wide and a[2] != 404] == []
    assert haruka.post(f"/recommendations/1/comments/{outsider['comment']}/resolve", {}).status_code == 404
    assert haruka.post("/recommendations/1/comments", {"body": "x", "parent_id": outsider["comment"]}
                       ).status_code == 404
    assert haruka.post("/recommendations/1/move", {"section_id": outsider["section"]}).status_code == 404
    assert haruka.get(f"/api/v1/groups/euro-dialogue/recommendations/{outsider['number']}").status_code == 404
    assert drafting_counts(db) == before
