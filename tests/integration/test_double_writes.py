"""Every write route fired twice at the same moment against a real ``wg serve``, on SQLite and PostgreSQL.

A double click, a double-submitted form, two people pressing the same button: for each state-changing route of
the route table (``MATRIX`` in tests/security/test_route_matrix.py; a new write route without a case here fails
``test_every_write_route_has_a_case``), the same request — same session or two sessions of the same person,
alternately — is sent from two threads released by a barrier, ``WG_DOUBLE_WRITE_ROUNDS`` times (3 by default;
``make hardening`` runs 50). Before each round the objects are put in the state the route needs (a recommendation
submitted before a decision, a member back in the group before a removal…), as the route matrix does.

Asserted: no answer is a 5xx and the server logs no traceback; each pair of answers is one the route may give
(both succeed, or one succeeds and the other is refused the way a second, sequential request would be: the
subgroup name is taken (422), there is nothing left to decide (403), the member is already gone (404)…); and at
the end the database holds its invariants: revision numbers contiguous per text, section positions distinct in
the group, recommendation positions distinct in each section, R-numbers unique, subgroup names and positions
distinct, one position per member and recommendation. The counts per route are written to ``tests/artifacts/``.

Create forms are sent as a double-submitted form is: both requests carry the form's one-time ``_submission`` token
(the API's creates the same ``Idempotency-Key`` header), and exactly one item must be made per round, both answers
sending the browser to it (``ONCE``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import col, delete, select

from tests.live_server import Server, running_server
from tests.security.matrix_support import EMAILS, World, build_world, new_invitation
from tests.security.test_route_matrix import LOGIN, MATRIX, WRITES, Req, app_routes
from wg.app import create_app
from wg.db import Database
from wg.demo import DEMO_PASSWORD, DEMO_SLUG
from wg.features.accounts.operations import find_user_by_email
from wg.features.accounts.sessions import CSRF_COOKIE, SESSION_COOKIE, csrf_token, issue_session, session_id_for
from wg.models import (
    Comment,
    Export,
    Invitation,
    Membership,
    Position,
    Recommendation,
    ReportSettings,
    Revision,
    Section,
    Subgroup,
    SubgroupMember,
    User,
    WorkingGroup,
)
from wg.settings import Settings, load_settings

ROUNDS = int(os.environ.get("WG_DOUBLE_WRITE_ROUNDS", "3"))
ONLY = os.environ.get("WG_DOUBLE_WRITE_ONLY", "")  # fire only the routes whose path contains this (debugging)
EXPORT_ROUNDS = min(ROUNDS, 2)  # each export renders a report: a few are enough to show two at once are safe
TIMEOUT = 30.0
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
G = "/g/{slug:str}"
A = "/api/v1/groups/{slug:str}"
SEC = "/sections/{ident:int}"
REC = "/recommendations/{ident:int}"
# Whom each route is sent as: the first of these the route table lets through.
ACTOR_ORDER = ("organizer", "co_chair", "subgroup_chair", "member", "admin", "anonymous")

Pair = tuple[int, int]


def both(status: int) -> set[Pair]:
    """Both requests succeed with ``status``."""
    return {(status, status)}


def one_of(success: int, refusal: int) -> set[Pair]:
    """One request succeeds, the other is refused as a second request after it would be."""
    return {tuple(sorted((success, refusal)))}  # type: ignore[misc]


# (method, route) → the pairs of answers the route may give to the same request sent twice at once.
EXPECTED: dict[tuple[str, str], set[Pair]] = {
    ("POST", "/login"): both(303),
    # Logging out twice from one session: the second may arrive after the session ended; with no session left it
    # just goes to the login page too (it used to be refused 403 as a form from an ended session).
    ("POST", "/logout"): both(303),
    ("POST", "/profile"): both(303),
    # The first change ends every session of the user, the second request's too: it is then refused as a form
    # from an ended session (403), or, if it got in first, both succeed.
    ("POST", "/profile/password"): both(303) | one_of(303, 403),
    ("POST", "/inbox/read"): both(303),
    ("POST", "/invite/{token:str}"): one_of(303, 404),  # the link is used once; the second finds it used
    ("POST", "/admin/groups"): one_of(303, 422),  # the same address twice: "Another group already uses it"
    ("POST", "/api/v1/session"): both(200),
    ("DELETE", "/api/v1/session"): both(204),
    ("POST", "/api/v1/groups"): one_of(201, 422),
    ("POST", "/api/v1/inbox/read"): both(204),
    ("POST", G + "/members/invite"): both(200),
    ("POST", G + "/members/{user_id:int}/role"): both(303),
    ("POST", G + "/members/{user_id:int}/remove"): one_of(303, 404),
    ("POST", G + "/subgroups"): both(303),  # one form sent twice: one subgroup, both answers go to it
    ("POST", G + "/subgroups/{subgroup_id:int}"): both(303),
    ("POST", G + "/subgroups/{subgroup_id:int}/members"): both(303),
    ("POST", G + "/preview"): both(200),
    ("POST", G + "/sections"): both(303),
    ("POST", G + "/sections/{section_id:int}/move"): both(303),
    ("POST", G + "/sections/{section_id:int}/recommendations"): both(303),
    ("POST", G + "/sections/{ident:int}/edit"): both(303),  # saved, then "unchanged" (the same text)
    ("POST", G + "/sections/{ident:int}/presence"): both(200),  # one heartbeat row per person and text (upsert)
    ("POST", G + "/sections/{ident:int}/restore/{rev_no:int}"): both(303),
    ("POST", G + "/sections/{ident:int}/comments"): both(303),
    ("POST", G + "/sections/{ident:int}/comments/{comment_id:int}/resolve"): both(303),
    ("POST", G + "/r/{number:int}/move"): both(303),
    ("POST", G + "/r/{number:int}/withdraw"): both(303),
    ("POST", G + "/r/{ident:int}/edit"): both(303),
    ("POST", G + "/r/{ident:int}/presence"): both(200),
    ("POST", G + "/r/{ident:int}/restore/{rev_no:int}"): both(303),
    ("POST", G + "/r/{ident:int}/comments"): both(303),
    ("POST", G + "/r/{ident:int}/comments/{comment_id:int}/resolve"): both(303),
    ("POST", G + "/r/{number:int}/submit"): one_of(303, 403),  # the second finds it submitted already
    ("POST", G + "/r/{number:int}/decision"): one_of(303, 403),  # … nothing left to decide
    ("POST", G + "/r/{number:int}/position"): both(303),  # the second records the same position again
    ("POST", G + "/r/{number:int}/reopen-request"): both(303),  # two requests to reopen: both reach the chairs
    ("POST", G + "/r/{number:int}/reopen"): one_of(303, 409),  # the second finds it in review already
    ("POST", G + "/sections/{section_id:int}/approve"): one_of(303, 403),  # … already approved as it stands
    ("POST", G + "/exports"): both(303),
    ("POST", G + "/report/settings"): both(303),
    ("POST", G + "/report/finalise"): both(303),
    ("POST", A + "/invitations"): both(201),
    ("PATCH", A + "/members/{user_id:int}"): both(200),
    ("DELETE", A + "/members/{user_id:int}"): one_of(204, 404),
    ("POST", A + "/subgroups"): both(201),  # one Idempotency-Key: one subgroup, both answers are it
    ("PATCH", A + "/subgroups/{subgroup_id:int}"): both(200),
    ("PUT", A + "/subgroups/{subgroup_id:int}/members"): both(200),
    ("POST", A + "/preview"): both(200),
    ("POST", A + "/sections"): both(201),
    ("POST", A + "/sections/{section_id:int}/recommendations"): both(201),
    ("POST", A + SEC + "/revisions"): one_of(201, 200),  # saved, then "unchanged"
    ("POST", A + SEC + "/revisions/{rev_no:int}/restore"): both(201),
    ("POST", A + SEC + "/comments"): both(201),
    ("POST", A + SEC + "/comments/{comment_id:int}/resolve"): both(200),
    ("POST", A + "/recommendations/{number:int}/move"): both(200),
    ("POST", A + "/recommendations/{number:int}/withdraw"): both(200),
    ("POST", A + REC + "/revisions"): one_of(201, 200),
    ("POST", A + REC + "/revisions/{rev_no:int}/restore"): both(201),
    ("POST", A + REC + "/comments"): both(201),
    ("POST", A + REC + "/comments/{comment_id:int}/resolve"): both(200),
    ("POST", A + "/recommendations/{number:int}/submit"): one_of(200, 403),
    ("POST", A + "/recommendations/{number:int}/decisions"): one_of(200, 403),
    ("PUT", A + "/recommendations/{number:int}/positions/me"): both(200),
    ("POST", A + "/recommendations/{number:int}/reopen-requests"): both(202),
    ("POST", A + "/recommendations/{number:int}/reopen"): one_of(200, 409),
    ("POST", A + "/sections/{section_id:int}/approve"): one_of(200, 403),
}
# Sent as someone other than the first role the table lets through.
ACTOR = {
    ("POST", "/invite/{token:str}"): "anonymous",  # a newcomer: two accounts for one e-mail must not be made
}
# Create routes sent with one submission key per round, as a double-submitted form (or a retried API call with its
# Idempotency-Key) is: the group's items of that kind must grow by exactly one.
ONCE: dict[tuple[str, str], type[Any]] = {
    ("POST", G + "/subgroups"): Subgroup,
    ("POST", G + "/sections"): Section,
    ("POST", G + "/sections/{section_id:int}/recommendations"): Recommendation,
    ("POST", G + "/sections/{ident:int}/comments"): Comment,
    ("POST", G + "/r/{ident:int}/comments"): Comment,
    ("POST", G + "/members/invite"): Invitation,
    ("POST", A + "/subgroups"): Subgroup,
    ("POST", A + "/sections"): Section,
    ("POST", A + "/sections/{section_id:int}/recommendations"): Recommendation,
    ("POST", A + SEC + "/comments"): Comment,
    ("POST", A + REC + "/comments"): Comment,
    ("POST", A + "/invitations"): Invitation,
}
# Requests that end or replace sessions go last (the password change ends the organizer's other sessions).
LAST = [("POST", "/login"), ("POST", "/api/v1/session"), ("POST", "/logout"), ("DELETE", "/api/v1/session"),
        ("POST", "/invite/{token:str}"), ("POST", "/profile/password")]


# --- who sends ----------------------------------------------------------------------------------------------------


@dataclass
class Identity:
    """A browser's cookies and CSRF token: a session issued directly (logging in is a route of its own)."""

    cookie: str
    csrf: str

    def headers(self, api: bool) -> dict[str, str]:
        """The request headers of this browser; API clients send the CSRF token as a header."""
        headers = {"cookie": self.cookie}
        if api:
            headers["x-csrftoken"] = self.csrf
        return headers


def new_identity(db: Database, settings: Settings, role: str, n: int) -> Identity:
    """A fresh session for ``role`` (no session for the anonymous visitor), with its own CSRF seed."""
    seed = f"double-write-seed-{n}"
    if role == "anonymous":
        return Identity(f"{CSRF_COOKIE}={seed}", csrf_token(settings.secret_key, seed, None))
    with db.transaction() as s:
        user = find_user_by_email(s, EMAILS[role])
        assert user is not None, role
        token = issue_session(s, user, 3600)
    return Identity(f"{SESSION_COOKIE}={token}; {CSRF_COOKIE}={seed}",
                    csrf_token(settings.secret_key, seed, session_id_for(token)))


def actor_for(key: tuple[str, str]) -> str:
    """The role a route is sent as: the first in ``ACTOR_ORDER`` the route table lets through."""
    if key in ACTOR:
        return ACTOR[key]
    for role in ACTOR_ORDER:
        status = MATRIX[key][role]
        if status != LOGIN and 200 <= int(status) < 400:
            return role
    raise AssertionError(f"nobody may {key}")


# --- state each round needs ----------------------------------------------------------------------------------------


@dataclass
class Harness:
    """The world, the database and the server the rounds run against."""

    world: World
    db: Database
    settings: Settings
    server: Server
    identities: dict[str, Identity] = field(default_factory=dict)
    made: int = 0

    def identity(self, role: str, fresh: bool) -> Identity:
        """The role's main browser, or a new one for a request that ends or replaces its session."""
        if fresh or role not in self.identities:
            self.made += 1
            made = new_identity(self.db, self.settings, role, self.made)
            if fresh:
                return made
            self.identities[role] = made
        return self.identities[role]


def _user(h: Harness, name: str) -> int:
    return h.world.users[name]


def _rejoin(h: Harness, name: str) -> None:
    """Put a member removed by an earlier round back in group A."""
    with h.db.transaction() as s:
        if s.exec(select(Membership).where(Membership.group_id == h.world.a.group_id,
                                           Membership.user_id == _user(h, name))).first() is None:
            s.add(Membership(group_id=h.world.a.group_id, user_id=_user(h, name), role="member"))


def _subgroup_members(h: Harness, round_no: int) -> dict[str, list[int]]:
    """The subgroup's members with one person added on even rounds and taken out again on odd ones."""
    with h.db.session() as s:
        rows = s.exec(select(SubgroupMember).where(SubgroupMember.subgroup_id == h.world.a.subgroup)).all()
    members = {r.user_id for r in rows}
    chairs = sorted(r.user_id for r in rows if r.is_chair)
    extra = _user(h, "priya.raman")
    members = members | {extra} if round_no % 2 == 0 else members - {extra}
    return {"members": sorted(members), "chairs": chairs}


def _forget_front_matter(h: Harness, round_no: int) -> None:
    """On even rounds the report has no front matter yet, so both requests race to create it."""
    if round_no % 2 == 0:
        with h.db.transaction() as s:
            s.exec(delete(ReportSettings).where(col(ReportSettings.group_id) == h.world.a.group_id))


def build(h: Harness, key: tuple[str, str], role: str, round_no: int) -> Req:
    """The request of one round: the route matrix's request, after the state the route needs is set up."""
    method, template = key
    w = h.world
    if key in {("POST", G + "/members/{user_id:int}/remove"), ("DELETE", A + "/members/{user_id:int}")}:
        name = "park.sungho" if method == "POST" else "robert.lindqvist"
        _rejoin(h, name)
    if key == ("POST", G + "/subgroups/{subgroup_id:int}/members"):
        return Req(f"/g/{w.a.slug}/subgroups/{w.a.subgroup}/members", form=_subgroup_members(h, round_no))
    if key == ("PUT", A + "/subgroups/{subgroup_id:int}/members"):
        return Req(f"/api/v1/groups/{w.a.slug}/subgroups/{w.a.subgroup}/members", json=_subgroup_members(h, round_no))
    if key in {("POST", G + "/report/settings"), ("POST", G + "/report/finalise")}:
        _forget_front_matter(h, round_no)
    if key == ("POST", "/profile/password"):
        return Req("/profile/password", form={"current_password": DEMO_PASSWORD, "new_password": DEMO_PASSWORD},
                   fresh=True)
    if key == ("POST", "/invite/{token:str}"):
        n = w.next()
        token = new_invitation(h.db, f"double{n}@example.org", w.a.group_id)
        return Req(f"/invite/{token}", form={"display_name": f"Double {n}", "country": "JP",
                                             "time_zone": "Asia/Tokyo", "password": "newcomer-password",
                                             "password_confirm": "newcomer-password"}, fresh=True)
    return WRITES[key](w, role)


# --- firing --------------------------------------------------------------------------------------------------------


@dataclass
class Answer:
    """One response (or the transport error instead of one)."""

    status: int = 0
    body: str = ""
    error: str = ""
    location: str = ""

    @property
    def gist(self) -> str:
        """What the answer said, short: a page's title and first error message, or the start of a JSON body."""
        if "<title>" not in self.body:
            return self.error or self.body[:200]
        title = self.body.split("<title>", 1)[1].split("</title>", 1)[0]
        found = re.search(r'class="error-message"[^>]*>\s*([^<]+)<', self.body)
        return f"{title} — {found.group(1).strip()}" if found else title


def fire_twice(clients: list[httpx.Client], method: str, req: Req, identities: list[Identity], key: str = ""
               ) -> list[Answer]:
    """Send the same request from two threads released together; return both answers.

    ``key``: the one-time submission token both carry (the form's ``_submission`` field, the API's
    ``Idempotency-Key`` header), as a form submitted twice does."""
    api = req.url.startswith("/api/")
    barrier = threading.Barrier(2)
    answers = [Answer(), Answer()]

    def send(i: int) -> None:
        client, identity = clients[i], identities[i]
        client.cookies.clear()
        kwargs: dict[str, Any] = {"headers": identity.headers(api)}
        if key and api:
            kwargs["headers"]["Idempotency-Key"] = key
        if method in {"POST", "PUT", "PATCH"}:
            if req.json is not None or api:
                kwargs["json"] = req.json if req.json is not None else {}
            else:
                kwargs["data"] = {**(req.form or {}), "_csrf_token": identity.csrf, **({"_submission": key} if key
                                                                                       else {})}
        try:
            barrier.wait(timeout=TIMEOUT)
            response = client.request(method, req.url, **kwargs)
            answers[i] = Answer(response.status_code, response.text[:20000],
                                location=response.headers.get("location", ""))
        except Exception as exc:  # noqa: BLE001 - a transport error is reported with the pair, never hidden
            answers[i] = Answer(error=f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=TIMEOUT * 2)
    return answers


def count_items(db: Database, model: type[Any], group_id: int) -> int:
    """How many rows of this kind group A has (sections, recommendations, comments, subgroups, invitations)."""
    with db.session() as s:
        return len(s.exec(select(model.id).where(model.group_id == group_id)).all())


def same_item(answers: list[Answer], api: bool) -> bool:
    """Both answers show the one item: the same redirect, or (API) the same id."""
    if api:
        ids = [re.search(r'"(?:id|key)":\s*("[^"]*"|\d+)', a.body) for a in answers]
        return all(ids) and len({m.group(1) for m in ids if m}) == 1
    return len({a.location for a in answers}) == 1


# --- invariants ----------------------------------------------------------------------------------------------------


def broken_invariants(db: Database) -> list[str]:
    """What is wrong in the database: gaps in revision numbers, positions given twice, names or keys twice."""
    problems: list[str] = []
    with db.session() as s:
        revisions: dict[tuple[str, int], list[int]] = defaultdict(list)
        for target_type, target_id, rev_no in s.exec(select(Revision.target_type, Revision.target_id,
                                                            Revision.rev_no)).all():
            revisions[target_type, target_id].append(rev_no)
        for target, numbers in revisions.items():
            if sorted(numbers) != list(range(1, len(numbers) + 1)):
                problems.append(f"revision numbers of {target} are not 1..n: {sorted(numbers)}")
        sections: dict[int, list[int]] = defaultdict(list)
        for group_id, position in s.exec(select(Section.group_id, Section.position)).all():
            sections[group_id].append(position)
        recs: dict[int, list[int]] = defaultdict(list)
        numbers: dict[int, list[int]] = defaultdict(list)
        for section_id, group_id, position, number in s.exec(select(
                Recommendation.section_id, Recommendation.group_id, Recommendation.position,
                Recommendation.number)).all():
            recs[section_id].append(position)
            numbers[group_id].append(number)
        subgroups: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for group_id, name, position in s.exec(select(Subgroup.group_id, Subgroup.name, Subgroup.position)).all():
            subgroups[group_id].append((name, position))
        positions = Counter(s.exec(select(Position.recommendation_id, Position.user_id)).all())
        groups = Counter(s.exec(select(WorkingGroup.slug)).all())
    for where, items, what in [*((g, p, "section positions in group") for g, p in sections.items()),
                               *((sid, p, "recommendation positions in section") for sid, p in recs.items()),
                               *((g, n, "R-numbers in group") for g, n in numbers.items())]:
        twice = sorted(v for v, c in Counter(items).items() if c > 1)
        if twice:
            problems.append(f"{what} {where} given twice: {twice}")
    for group_id, items in subgroups.items():
        for index, what in ((0, "names"), (1, "positions")):
            twice = sorted(str(v) for v, c in Counter(i[index] for i in items).items() if c > 1)
            if twice:
                problems.append(f"subgroup {what} in group {group_id} given twice: {twice}")
    problems += [f"{n} positions of user {u} on recommendation {r}" for (r, u), n in positions.items() if n > 1]
    problems += [f"group slug {slug} used {n} times" for slug, n in groups.items() if n > 1]
    return problems


# --- the tests -----------------------------------------------------------------------------------------------------


def write_routes(app: Any) -> list[tuple[str, str]]:
    """Every state-changing (method, route) the app registers."""
    return sorted(key for key in app_routes(app) if key[0] not in {"GET", "HEAD"})


def test_every_write_route_has_a_case(tmp_path: Path) -> None:
    app = create_app(load_settings({"WG_ENV": "test", "WG_DATA_DIR": str(tmp_path),
                                    "WG_DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
                                    "WG_SECRET_KEY": "test-secret-key-" + "x" * 32}))
    routes = set(write_routes(app))
    assert sorted(routes - EXPECTED.keys()) == [], "write routes the double-write harness does not fire"
    assert sorted(EXPECTED.keys() - routes) == [], "cases for routes the app no longer has"


@pytest.fixture
def harness(settings: Settings, db: Database, tmp_path: Path) -> Iterator[Harness]:
    """Group A with the route matrix's objects (and group B), and a real server on this test's database."""
    world = build_world(db, settings.exports_dir)
    with running_server(settings, tmp_path) as server:
        yield Harness(world=world, db=db, settings=settings, server=server)


def _wait_for_exports(db: Database, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session() as s:
            if not s.exec(select(Export.id).where(col(Export.status).in_(["queued", "running"]))).first():
                return
        time.sleep(0.2)
    pytest.fail("exports started by the harness did not finish")


def test_every_write_route_fired_twice_at_once(harness: Harness, database_url: str) -> None:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgres"
    h = harness
    keys = [k for k in [*(k for k in sorted(EXPECTED) if k not in LAST), *LAST] if ONLY in k[1]]
    wrong: list[str] = []
    server_errors: list[str] = []
    tally: dict[tuple[str, str], Counter[Pair]] = defaultdict(Counter)
    started = time.monotonic()
    clients = [httpx.Client(base_url=h.server.url, timeout=TIMEOUT, follow_redirects=False) for _ in range(2)]
    try:
        for key in keys:
            method, template = key
            role = actor_for(key)
            rounds = EXPORT_ROUNDS if key == ("POST", G + "/exports") else ROUNDS
            for round_no in range(rounds):
                req = build(h, key, role, round_no)
                # Odd rounds: one browser double-clicking; even rounds: the same person in two browsers.
                first = h.identity(role, req.fresh)
                second = first if round_no % 2 or req.fresh else h.identity(role, True)
                model = ONCE.get(key)
                key_sent = f"double-submit-{backend}-{len(keys)}-{h.world.next()}" if model else ""
                before = count_items(h.db, model, h.world.a.group_id) if model else 0
                answers = fire_twice(clients, method, req, [first, second], key_sent)
                pair: Pair = tuple(sorted(a.status for a in answers))  # type: ignore[assignment]
                tally[key][pair] += 1
                where = f"{method} {template} round {round_no + 1}"
                for a in answers:
                    if a.error or a.status >= 500:
                        server_errors.append(f"{where}: {a.status} {a.gist}")
                if pair not in EXPECTED[key]:
                    wrong.append(f"{where}: {pair}, expected one of {sorted(EXPECTED[key])}: "
                                 + " | ".join(a.gist for a in answers))
                if model is not None:
                    made_now = count_items(h.db, model, h.world.a.group_id) - before
                    if made_now != 1:
                        wrong.append(f"{where}: one form sent twice made {made_now} {model.__name__} rows, not 1")
                    elif pair in EXPECTED[key] and template != G + "/members/invite" and not same_item(
                            answers, template.startswith("/api/")):
                        wrong.append(f"{where}: the two answers show different items: "
                                     + " | ".join(a.location or a.body[:120] for a in answers))
        _wait_for_exports(h.db)
    finally:
        for c in clients:
            c.close()
    elapsed = time.monotonic() - started
    log = h.server.stop()
    pairs = sum(sum(c.values()) for c in tally.values())
    five_xx = sum(n for c in tally.values() for p, n in c.items() for s in p if s >= 500)
    lines = [f"double writes [{backend}]: {len(keys)} routes, {pairs} pairs ({ROUNDS} rounds), {five_xx} answers 5xx, "
             f"{len(wrong)} unexpected pairs, {elapsed:.1f} s"]
    lines += [f"  {m} {t}: " + ", ".join(f"{p}×{n}" for p, n in sorted(c.items())) for (m, t), c in tally.items()]
    summary = "\n".join(lines)
    print("\n" + summary)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"double_writes_{backend}.txt").write_text(summary + "\n")
    (ARTIFACTS / f"double_writes_{backend}.log").write_text(log)

    assert server_errors == [], f"{len(server_errors)} server errors:\n" + "\n".join(server_errors[:20]) + \
        f"\nserver log:\n{log[-4000:]}"
    assert "Traceback" not in log, log[-4000:]
    assert wrong == [], f"{len(wrong)} unexpected pairs:\n" + "\n".join(wrong[:30])
    assert broken_invariants(h.db) == []
    # The harness really reached the rows: every round of these made something new.
    with h.db.session() as s:
        group_id = s.exec(select(WorkingGroup.id).where(WorkingGroup.slug == DEMO_SLUG)).one()
        made = s.exec(select(Section.id).where(Section.group_id == group_id,
                                               col(Section.created_at) > dt.datetime.now(dt.UTC) - dt.timedelta(
                                                   seconds=elapsed + 60))).all()
    # One per round of each section-creating route (the form and the API, each sent twice with one key).
    assert ONLY or len(made) >= 2 * ROUNDS, "sections created by the harness are missing"


def _wait_for_blocked_insert(db: Database, timeout: float = 30) -> None:
    """Until the server's INSERT of a user waits for this test's transaction (PostgreSQL's lock wait)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.engine.connect() as conn:
            waiting = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO users%%'").scalar()
        if waiting:
            return
        time.sleep(0.05)
    pytest.fail("the server's INSERT never waited for the test's transaction")


def test_a_unique_key_taken_meanwhile_is_409_not_500(settings: Settings, db: Database, tmp_path: Path) -> None:
    """What no lock guards — two different invitations of one new e-mail address accepted at the same moment — is
    answered by the one handler for lost races: on PostgreSQL the insert of the second account fails on the unique
    e-mail and the page says to try again (409); on SQLite the writers take turns and the second is told the
    account exists (422). Never a 500; the invitation stays open and there is one account."""
    email = "race.newcomer@example.org"
    with db.session() as s:
        group_id = s.exec(select(WorkingGroup.id).where(WorkingGroup.slug == DEMO_SLUG)).one() or 0
    token = new_invitation(db, email, group_id)
    browser = new_identity(db, settings, "anonymous", 1)
    form = {"display_name": "Racing Newcomer", "country": "JP", "time_zone": "Asia/Tokyo",
            "password": "newcomer-password", "password_confirm": "newcomer-password", "_csrf_token": browser.csrf}
    answers: list[httpx.Response] = []
    with running_server(settings, tmp_path) as server, db.session(write=True) as other:
        other.add(User(email=email, display_name="Accepted the other invitation", password_hash="x"))
        other.flush()  # the other acceptance has made the account, and not committed yet
        sender = threading.Thread(target=lambda: answers.append(httpx.post(
            f"{server.url}/invite/{token}", data=form, headers=browser.headers(False), timeout=TIMEOUT)))
        sender.start()
        if db.is_sqlite:
            time.sleep(1)  # the request waits for SQLite's write lock, which this transaction holds
        else:
            _wait_for_blocked_insert(db)
        other.commit()
        sender.join(timeout=TIMEOUT)
        log = server.stop()
    assert len(answers) == 1
    answer = answers[0]
    if db.is_sqlite:
        assert answer.status_code == 422, answer.text[:500]
        assert "Log in as the invited account" in answer.text
    else:
        assert answer.status_code == 409, answer.text[:500]
        assert "Someone else changed this at the same moment" in answer.text
        assert "Concurrent change refused on POST /invite/" in log
    assert "Traceback" not in log
    with db.session() as s:
        assert len(s.exec(select(User).where(User.email == email)).all()) == 1
        invitation = s.exec(select(Invitation).where(Invitation.email == email)).one()
        assert invitation.used_at is None


def test_invariants_check_can_fail(db: Database) -> None:
    """The invariant check sees a position given twice and a gap in revision numbers."""
    assert broken_invariants(db) == []
    with db.transaction() as s:
        first, second = s.exec(select(Section).order_by(col(Section.id)).limit(2)).all()
        second.position = first.position
        s.add(second)
        head = s.exec(select(Revision).where(Revision.target_type == "section", Revision.target_id == first.id)
                      .order_by(col(Revision.rev_no).desc())).first()
        assert head is not None
        s.add(Revision(group_id=first.group_id, target_type="section", target_id=first.id or 0,
                       rev_no=head.rev_no + 2, title="gap", text="gap"))
    problems = broken_invariants(db)
    assert any("section positions" in p for p in problems), problems
    assert any("revision numbers" in p for p in problems), problems


