"""A create form sent twice makes one item; an API create retried with its ``Idempotency-Key`` makes one item.

Sequential here (what a double click becomes once the first request has finished, or the Back button and "send
again"); two at the same moment are fired by tests/integration/test_double_writes.py. Every test runs on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import col, select

from tests.conftest import api_token, login
from tests.forms import form_values
from wg.db import Database
from wg.lib.submissions import prune_submissions
from wg.models import (
    Comment,
    FormSubmission,
    Invitation,
    Recommendation,
    Revision,
    Section,
    Subgroup,
    WorkingGroup,
)

G = "/g/trilateral"
API = "/api/v1/groups/trilateral"
ORGANIZER = "organizer@example.org"
MEMBER = "haruka.sato@example.org"  # member of "Domestic constraints"

Client = TestClient[Litestar]


def _group_id(db: Database) -> int:
    with db.session() as s:
        return s.exec(select(WorkingGroup.id).where(WorkingGroup.slug == "trilateral")).one() or 0


def _count(db: Database, model: Any) -> int:
    with db.session() as s:
        return len(s.exec(select(model.id).where(model.group_id == _group_id(db))).all())


def _section_id(db: Database, title: str = "Domestic constraints") -> int:
    """The id of the demo section with this title (the title lives on its latest revision)."""
    with db.session() as s:
        for section in s.exec(select(Section).where(Section.group_id == _group_id(db))).all():
            head = s.exec(select(Revision).where(Revision.target_type == "section", Revision.target_id == section.id)
                          .order_by(col(Revision.rev_no).desc())).first()
            if head is not None and head.title == title:
                return section.id or 0
    raise AssertionError(title)


def _form(client: Client, url: str, selector: str) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200, page.text[:300]
    form = BeautifulSoup(page.text, "html.parser").select_one(selector)
    assert form is not None, selector
    return form_values(form)


def test_every_create_form_carries_its_own_token_and_edit_forms_none(client: Client, db: Database) -> None:
    login(client, ORGANIZER)
    section = _section_id(db)
    tokens = [
        _form(client, f"{G}/sections/new", "form.edit-form")["_submission"],
        _form(client, f"{G}/sections/new", "form.edit-form")["_submission"],
        _form(client, f"{G}/sections/{section}/recommendations/new", "form.edit-form")["_submission"],
        _form(client, f"{G}/subgroups/new", f"form[action='{G}/subgroups']")["_submission"],
        _form(client, f"{G}/members", f"form[action='{G}/members/invite']")["_submission"],
        _form(client, f"{G}/sections/{section}", "form.new-comment")["_submission"],
    ]
    assert all(len(t) >= 20 for t in tokens) and len(set(tokens)) == len(tokens), tokens
    edit = _form(client, f"{G}/sections/{section}/edit", "form.edit-form")
    assert "_submission" not in edit  # a save has its own rule for "sent twice" (the base revision)


def test_a_new_recommendation_form_sent_twice_makes_one_recommendation(client: Client, db: Database) -> None:
    login(client, MEMBER)
    section = _section_id(db)
    before = _count(db, Recommendation)
    data = {**_form(client, f"{G}/sections/{section}/recommendations/new", "form.edit-form"),
            "title": "Open a standing crisis hotline", "text": "The three governments should open one."}
    first = client.post(f"{G}/sections/{section}/recommendations", data=data, follow_redirects=False)
    second = client.post(f"{G}/sections/{section}/recommendations", data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"] == first.headers["location"]
    assert _count(db, Recommendation) == before + 1
    shown = client.get(second.headers["location"])
    assert shown.status_code == 200 and "Open a standing crisis hotline" in shown.text
    # The same form opened again is a new submission: a second recommendation is what the member asks for.
    again = {**_form(client, f"{G}/sections/{section}/recommendations/new", "form.edit-form"),
             "title": "Open a standing crisis hotline", "text": "The three governments should open one."}
    assert again["_submission"] != data["_submission"]
    third = client.post(f"{G}/sections/{section}/recommendations", data=again, follow_redirects=False)
    assert third.status_code == 303 and third.headers["location"] != first.headers["location"]
    assert _count(db, Recommendation) == before + 2


def test_the_same_form_sent_back_with_other_text_adds_that_text(client: Client, db: Database) -> None:
    """The Back button, a change, "Save" again: the token is the same but the content is not — the member asks for
    another item, and nothing typed may be swallowed by the first one's redirect."""
    login(client, ORGANIZER)
    before = _count(db, Section)
    data = {**_form(client, f"{G}/sections/new", "form.edit-form"), "title": "Maritime law", "text": "First."}
    first = client.post(f"{G}/sections", data=data, follow_redirects=False)
    changed = {**data, "title": "Maritime law and fisheries", "text": "Second, typed after going back."}
    second = client.post(f"{G}/sections", data=changed, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] != second.headers["location"]
    assert "Maritime law and fisheries" in client.get(second.headers["location"]).text
    assert _count(db, Section) == before + 2
    again = client.post(f"{G}/sections", data=changed, follow_redirects=False)  # that one sent twice: still two
    assert again.headers["location"] == second.headers["location"]
    assert _count(db, Section) == before + 2


def test_a_comment_sent_twice_through_htmx_is_one_comment(client: Client, db: Database) -> None:
    login(client, MEMBER)
    section = _section_id(db)
    data = {**_form(client, f"{G}/sections/{section}", "form.new-comment"), "body": "Only once, please."}
    answers = [client.post(f"{G}/sections/{section}/comments", data=data, headers={"HX-Request": "true"})
               for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[1].text.count("Only once, please.") == 1
    with db.session() as s:
        assert len(s.exec(select(Comment).where(Comment.body == "Only once, please.")).all()) == 1


def test_a_subgroup_form_sent_twice_goes_to_the_one_subgroup(client: Client, db: Database) -> None:
    login(client, ORGANIZER)
    data = {**_form(client, f"{G}/subgroups/new", f"form[action='{G}/subgroups']"), "name": "Cyber norms"}
    first = client.post(f"{G}/subgroups", data=data, follow_redirects=False)
    second = client.post(f"{G}/subgroups", data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303  # not "Another subgroup already has this name"
    assert first.headers["location"] == second.headers["location"]
    with db.session() as s:
        assert len(s.exec(select(Subgroup).where(Subgroup.name == "Cyber norms")).all()) == 1


def test_an_invitation_form_sent_twice_shows_one_working_link(client: Client, make_client: Any, db: Database
                                                               ) -> None:
    login(client, ORGANIZER)
    before = _count(db, Invitation)
    data = {**_form(client, f"{G}/members", f"form[action='{G}/members/invite']"),
            "email": "twice@example.org", "display_name": "Sent Twice", "country": "JP"}
    answers = [client.post(f"{G}/members/invite", data=data) for _ in range(2)]
    links = [BeautifulSoup(a.text, "html.parser").select_one("#invite-link") for a in answers]
    assert [a.status_code for a in answers] == [200, 200] and all(links)
    first, last = (str(link["value"]) for link in links if link is not None)
    assert first != last
    assert _count(db, Invitation) == before + 1
    newcomer = make_client()
    assert newcomer.get(urlsplit(last).path).status_code == 200  # the link the organizer sees works
    assert newcomer.get(urlsplit(first).path).status_code == 404  # the one replaced, never shown, does not


def test_the_api_answers_a_repeated_idempotency_key_with_the_first_item(client: Client, db: Database) -> None:
    login(client, ORGANIZER)
    headers = {"x-csrftoken": api_token(client), "Idempotency-Key": "create-section-0001"}
    before = _count(db, Section)
    body = {"title": "Energy security", "text": "Grids and gas."}
    first = client.post(f"{API}/sections", json=body, headers=headers)
    second = client.post(f"{API}/sections", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert _count(db, Section) == before + 1
    other_body = client.post(f"{API}/sections", json={**body, "title": "Energy"}, headers=headers)
    assert other_body.status_code == 422
    assert other_body.json()["errors"] == [{"field": "Idempotency-Key",
                                            "message": "This Idempotency-Key was used for another request; "
                                                       "use a new key."}]
    other_route = client.post(f"{API}/sections/{first.json()['id']}/comments", json={"body": "x"}, headers=headers)
    assert other_route.status_code == 422
    bad = client.post(f"{API}/sections", json=body, headers={**headers, "Idempotency-Key": "has a space"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "Idempotency-Key"
    without = {"x-csrftoken": headers["x-csrftoken"]}
    assert [client.post(f"{API}/sections", json=body, headers=without).status_code for _ in range(2)] == [201, 201]
    assert _count(db, Section) == before + 3  # no key, no deduplication: two people may add the same title


def test_a_key_is_one_users(client: Client, make_client: Any, db: Database) -> None:
    """Another member using the same key makes their own item: keys are scoped to the user who sent them."""
    login(client, MEMBER)
    other = login(make_client(), "kim.minjun@example.org")
    section = _section_id(db)
    for browser in (client, other):
        answer = browser.post(f"{API}/sections/{section}/comments", json={"body": "Agreed."},
                              headers={"x-csrftoken": api_token(browser), "Idempotency-Key": "same-key"})
        assert answer.status_code == 201
    with db.session() as s:
        assert len(s.exec(select(Comment).where(Comment.body == "Agreed.")).all()) == 2


def test_the_openapi_schema_documents_the_idempotency_key(client: Client) -> None:
    schema = client.get("/schema/openapi.json").json()
    for path in ("/api/v1/groups/{slug}/sections", "/api/v1/groups/{slug}/sections/{section_id}/recommendations",
                 "/api/v1/groups/{slug}/subgroups", "/api/v1/groups/{slug}/invitations",
                 "/api/v1/groups/{slug}/sections/{ident}/comments"):
        params = {p["name"]: p for p in schema["paths"][path]["post"].get("parameters", [])}
        assert params["Idempotency-Key"]["in"] == "header", path
        assert params["Idempotency-Key"]["required"] is False
        assert "24 hours" in params["Idempotency-Key"]["description"]


def test_used_keys_are_pruned_after_a_day(client: Client, db: Database) -> None:
    login(client, ORGANIZER)
    headers = {"x-csrftoken": api_token(client), "Idempotency-Key": "old-key"}
    body = {"title": "Old key", "text": ""}
    assert client.post(f"{API}/sections", json=body, headers=headers).status_code == 201
    with db.transaction() as s:
        row = s.exec(select(FormSubmission).where(FormSubmission.key == "old-key")).one()
        row.created_at = row.created_at - dt.timedelta(hours=25)
        s.add(row)
    with db.transaction() as s:
        prune_submissions(s)
    with db.session() as s:
        assert s.exec(select(FormSubmission).where(FormSubmission.key == "old-key")).first() is None
    before = _count(db, Section)
    assert client.post(f"{API}/sections", json=body, headers=headers).status_code == 201
    assert _count(db, Section) == before + 1  # a day later the key is new again
