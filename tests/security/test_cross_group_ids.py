"""Ids of another group's objects, put in a form, a JSON body or a URL of group A, never reach that group.

Someone with full powers in group A (its organizer, or a co-chair for decisions) sends A's write routes with the
ids of group B's objects: a recommendation moved into B's section, a reply to B's comment, B's people as members
or chairs of A's subgroup, B's revision numbers as the revision a save or a decision started from, B's comments,
subgroups, sections, members and exports in A's URLs, B's notification marked read… Each must be refused, and
nothing may change in the database: not B's rows, and not A's either.

Every write route that takes an id in its body is here: ``section_id`` (move), ``subgroup_id`` (new section),
``parent_id`` (comments), ``members``/``chairs`` (subgroup membership), ``base_rev_no`` (saves), ``rev_no``
(decisions, section approval), ``id`` (marking a notification read); no route takes a list to reorder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import select

from tests.security.matrix_support import (
    EMAILS,
    Browser,
    World,
    build_world,
    diff_snapshots,
    head_rev,
    open_browser,
    rows_snapshot,
)
from wg.db import Database
from wg.models import SubgroupMember
from wg.settings import Settings

G = "/g/trilateral"
A = "/api/v1/groups/trilateral"


@dataclass(frozen=True)
class Case:
    """One forged request: who sends it, where, with which body, and the refusal expected."""

    name: str
    who: str
    method: str
    url: Callable[[World], str]
    expected: int
    form: Callable[[World], dict[str, Any]] | None = None
    json: Callable[[World], Any] | None = None


def _a_members(w: World) -> list[int]:
    with w.db.session() as s:
        return list(s.exec(select(SubgroupMember.user_id).where(SubgroupMember.subgroup_id == w.a.subgroup)).all())


def _a_chairs(w: World) -> list[int]:
    with w.db.session() as s:
        return list(s.exec(select(SubgroupMember.user_id).where(SubgroupMember.subgroup_id == w.a.subgroup,
                                                                SubgroupMember.is_chair == True)).all())  # noqa: E712


def _b_section_head(w: World) -> int:
    return head_rev(w.db, "section", w.b.section, slug=w.b.slug)


def _b_rec_head(w: World) -> int:
    return head_rev(w.db, "recommendation", w.b.number, slug=w.b.slug)


ORG, CO = "organizer", "co_chair"

CASES: tuple[Case, ...] = (
    # --- ids in form fields ------------------------------------------------------------------------------------
    Case("move a recommendation into B's section (form)", ORG, "POST", lambda w: f"{G}/r/{w.r_edit}/move", 404,
         form=lambda w: {"section_id": str(w.b.section)}),
    Case("new section owned by B's subgroup (form)", ORG, "POST", lambda w: f"{G}/sections", 422,
         form=lambda w: {"title": "Hijack", "subgroup_id": str(w.b.subgroup)}),
    Case("reply to B's section comment (form)", ORG, "POST", lambda w: f"{G}/sections/{w.s_edit}/comments", 404,
         form=lambda w: {"body": "Reply", "parent_id": str(w.b.section_comment)}),
    Case("reply to B's recommendation comment (form)", ORG, "POST", lambda w: f"{G}/r/{w.r_edit}/comments", 404,
         form=lambda w: {"body": "Reply", "parent_id": str(w.b.rec_comment)}),
    Case("B's member as a subgroup member (form)", ORG, "POST",
         lambda w: f"{G}/subgroups/{w.a.subgroup}/members", 422,
         form=lambda w: {"members": [*map(str, _a_members(w)), str(w.b.member)],
                         "chairs": [str(c) for c in _a_chairs(w)]}),
    Case("B's member as a subgroup chair (form)", ORG, "POST",
         lambda w: f"{G}/subgroups/{w.a.subgroup}/members", 422,
         form=lambda w: {"members": [str(m) for m in _a_members(w)],
                         "chairs": [*map(str, _a_chairs(w)), str(w.b.member)]}),
    Case("section saved from B's revision number (form)", ORG, "POST", lambda w: f"{G}/sections/{w.s_edit}/edit",
         422, form=lambda w: {"base_rev_no": str(_b_section_head(w)), "title": "Hijack", "text": "Hijack"}),
    Case("recommendation saved from B's revision number (form)", ORG, "POST", lambda w: f"{G}/r/{w.r_edit}/edit",
         422, form=lambda w: {"base_rev_no": str(_b_rec_head(w)), "title": "Hijack", "text": "Hijack"}),
    Case("decision on B's revision number (form)", CO, "POST", lambda w: f"{G}/r/{w.r_decide}/decision", 422,
         form=lambda w: {"decision": "request-changes", "rev_no": str(_b_rec_head(w)), "note": "Hijack"}),
    Case("section approved at B's revision number (form)", CO, "POST",
         lambda w: f"{G}/sections/{w.s_approve}/approve", 422, form=lambda w: {"rev_no": str(_b_section_head(w))}),
    # Marking read is answered the same whatever the id (303), but only the user's own notifications change.
    Case("B's notification marked read (form)", ORG, "POST", lambda w: "/inbox/read", 303,
         form=lambda w: {"id": str(w.b.notification)}),
    # --- ids in JSON bodies ------------------------------------------------------------------------------------
    Case("move a recommendation into B's section (API)", ORG, "POST",
         lambda w: f"{A}/recommendations/{w.r_edit}/move", 404, json=lambda w: {"section_id": w.b.section}),
    Case("new section owned by B's subgroup (API)", ORG, "POST", lambda w: f"{A}/sections", 422,
         json=lambda w: {"title": "Hijack", "subgroup_id": w.b.subgroup}),
    Case("reply to B's section comment (API)", ORG, "POST", lambda w: f"{A}/sections/{w.s_edit}/comments", 404,
         json=lambda w: {"body": "Reply", "parent_id": w.b.section_comment}),
    Case("reply to B's recommendation comment (API)", ORG, "POST",
         lambda w: f"{A}/recommendations/{w.r_edit}/comments", 404,
         json=lambda w: {"body": "Reply", "parent_id": w.b.rec_comment}),
    Case("B's member as a subgroup member (API)", ORG, "PUT", lambda w: f"{A}/subgroups/{w.a.subgroup}/members",
         422, json=lambda w: {"members": [*_a_members(w), w.b.member], "chairs": _a_chairs(w)}),
    Case("B's member as a subgroup chair (API)", ORG, "PUT", lambda w: f"{A}/subgroups/{w.a.subgroup}/members",
         422, json=lambda w: {"members": _a_members(w), "chairs": [*_a_chairs(w), w.b.member]}),
    Case("section saved from B's revision number (API)", ORG, "POST",
         lambda w: f"{A}/sections/{w.s_edit}/revisions", 422,
         json=lambda w: {"base_rev_no": _b_section_head(w), "title": "Hijack", "text": "Hijack"}),
    Case("recommendation saved from B's revision number (API)", ORG, "POST",
         lambda w: f"{A}/recommendations/{w.r_edit}/revisions", 422,
         json=lambda w: {"base_rev_no": _b_rec_head(w), "title": "Hijack", "text": "Hijack"}),
    Case("decision on B's revision number (API)", CO, "POST", lambda w: f"{A}/recommendations/{w.r_decide}/decisions",
         422, json=lambda w: {"decision": "request-changes", "rev_no": _b_rec_head(w), "note": "Hijack"}),
    Case("section approved at B's revision number (API)", CO, "POST",
         lambda w: f"{A}/sections/{w.s_approve}/approve", 422, json=lambda w: {"rev_no": _b_section_head(w)}),
    # --- B's ids in group A's URLs -----------------------------------------------------------------------------
    Case("B's member's role (page)", ORG, "POST", lambda w: f"{G}/members/{w.b.member}/role", 404,
         form=lambda w: {"role": "observer"}),
    Case("B's member removed (page)", ORG, "POST", lambda w: f"{G}/members/{w.b.member}/remove", 404,
         form=lambda w: {}),
    Case("B's member's role (API)", ORG, "PATCH", lambda w: f"{A}/members/{w.b.member}", 404,
         json=lambda w: {"role": "observer"}),
    Case("B's member removed (API)", ORG, "DELETE", lambda w: f"{A}/members/{w.b.member}", 404),
    Case("B's subgroup opened (page)", ORG, "GET", lambda w: f"{G}/subgroups/{w.b.subgroup}", 404),
    Case("B's subgroup renamed (page)", ORG, "POST", lambda w: f"{G}/subgroups/{w.b.subgroup}", 404,
         form=lambda w: {"name": "Hijacked", "mandate": ""}),
    Case("B's subgroup's members (page)", ORG, "POST", lambda w: f"{G}/subgroups/{w.b.subgroup}/members", 404,
         form=lambda w: {"members": [str(w.b.member)]}),
    Case("B's subgroup opened (API)", ORG, "GET", lambda w: f"{A}/subgroups/{w.b.subgroup}", 404),
    Case("B's subgroup renamed (API)", ORG, "PATCH", lambda w: f"{A}/subgroups/{w.b.subgroup}", 404,
         json=lambda w: {"name": "Hijacked"}),
    Case("B's subgroup's members (API)", ORG, "PUT", lambda w: f"{A}/subgroups/{w.b.subgroup}/members", 404,
         json=lambda w: {"members": [w.b.member], "chairs": []}),
    Case("B's section opened (page)", ORG, "GET", lambda w: f"{G}/sections/{w.b.section}", 404),
    Case("B's section edited (page)", ORG, "POST", lambda w: f"{G}/sections/{w.b.section}/edit", 404,
         form=lambda w: {"base_rev_no": str(_b_section_head(w)), "title": "Hijack", "text": "Hijack"}),
    Case("B's section moved (page)", ORG, "POST", lambda w: f"{G}/sections/{w.b.section}/move", 404,
         form=lambda w: {"direction": "up"}),
    Case("recommendation added to B's section (page)", ORG, "POST",
         lambda w: f"{G}/sections/{w.b.section}/recommendations", 404,
         form=lambda w: {"title": "Hijack", "text": "Hijack"}),
    Case("comment on B's section (page)", ORG, "POST", lambda w: f"{G}/sections/{w.b.section}/comments", 404,
         form=lambda w: {"body": "Hijack"}),
    Case("B's section approved (page)", CO, "POST", lambda w: f"{G}/sections/{w.b.section}/approve", 404,
         form=lambda w: {"rev_no": str(_b_section_head(w))}),
    Case("B's section edited (API)", ORG, "POST", lambda w: f"{A}/sections/{w.b.section}/revisions", 404,
         json=lambda w: {"base_rev_no": _b_section_head(w), "title": "Hijack", "text": "Hijack"}),
    Case("recommendation added to B's section (API)", ORG, "POST",
         lambda w: f"{A}/sections/{w.b.section}/recommendations", 404,
         json=lambda w: {"title": "Hijack", "text": "Hijack"}),
    Case("B's section approved (API)", CO, "POST", lambda w: f"{A}/sections/{w.b.section}/approve", 404,
         json=lambda w: {"rev_no": _b_section_head(w)}),
    Case("B's revision number restored (page)", ORG, "POST",
         lambda w: f"{G}/sections/{w.s_edit}/restore/{_b_section_head(w)}", 404, form=lambda w: {}),
    Case("B's revision number restored (API)", ORG, "POST",
         lambda w: f"{A}/recommendations/{w.r_edit}/revisions/{_b_rec_head(w)}/restore", 404, json=lambda w: {}),
    Case("B's section comment resolved (page)", ORG, "POST",
         lambda w: f"{G}/sections/{w.s_edit}/comments/{w.b.section_comment}/resolve", 404,
         form=lambda w: {"resolved": "true"}),
    Case("B's recommendation comment resolved (page)", ORG, "POST",
         lambda w: f"{G}/r/{w.r_edit}/comments/{w.b.rec_comment}/resolve", 404, form=lambda w: {"resolved": "true"}),
    Case("B's section comment resolved (API)", ORG, "POST",
         lambda w: f"{A}/sections/{w.s_edit}/comments/{w.b.section_comment}/resolve", 404,
         json=lambda w: {"resolved": True}),
    Case("B's recommendation comment resolved (API)", ORG, "POST",
         lambda w: f"{A}/recommendations/{w.r_edit}/comments/{w.b.rec_comment}/resolve", 404,
         json=lambda w: {"resolved": True}),
    Case("B's comment located (API)", ORG, "GET", lambda w: f"{A}/comments/{w.b.rec_comment}", 404),
    Case("B's export downloaded", ORG, "GET", lambda w: f"{G}/exports/{w.b.export}/file", 404),
    Case("B's export shown (API)", ORG, "GET", lambda w: f"{A}/exports/{w.b.export}", 404),
)


def send(browser: Browser, case: Case, w: World) -> Any:
    """Send one forged request with a valid CSRF token."""
    return browser.request(case.method, case.url(w), form=case.form(w) if case.form else None,
                           body=case.json(w) if case.json else None)


def test_ids_of_group_b_never_reach_group_b(db: Database, settings: Settings, make_client: Any) -> None:
    world = build_world(db, settings.exports_dir)
    browsers = {who: open_browser(db, make_client, who) for who in (ORG, CO)}
    assert {who: b.client.get("/api/v1/me").json()["email"] for who, b in browsers.items()} == {
        ORG: EMAILS[ORG], CO: EMAILS[CO]}
    problems: dict[str, object] = {}
    for case in CASES:
        before = rows_snapshot(db)
        response = send(browsers[case.who], case, world)
        changed = diff_snapshots(before, rows_snapshot(db))
        if response.status_code != case.expected or changed:
            problems[case.name] = {"status": response.status_code, "expected": case.expected, "changed": changed}
    assert not problems, "\n".join(f"{name}: {problem}" for name, problem in problems.items())
