"""Helpers for the schemathesis fuzz of the JSON API: a logged-in client per role, and the demo group's real ids.

The fuzzer generates requests from the OpenAPI document; left alone it would mostly hit 404s (a random slug, a
random section id). ``DemoFacts.realistic`` swaps the generated path parameters and body fields for real ones most
of the time (the demo group's slug, its sections, recommendation numbers, people, the current revision numbers,
valid stances and decisions), so requests reach the operations and their rules, not only the 404 at the door.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import col, select

from wg.db import Database
from wg.demo import DEMO_SLUG
from wg.features.accounts.sessions import SESSION_COOKIE, issue_session
from wg.models import Comment, Membership, Recommendation, Revision, Section, Subgroup, User, WorkingGroup

ROLES: dict[str, str | None] = {
    "anonymous": None,
    "member": "haruka.sato@example.org",
    "subgroup-chair": "maya.chen@example.org",
    "co-chair": "eleanor.hayes@example.org",
    "organizer": "organizer@example.org",
    "observer": "takeshi.ono@example.org",
    "admin": "admin@example.org",
}
"""Each role the API is fuzzed as, with the demo login that has it (the admin is not a member of the group)."""


def examples_per_operation() -> int:
    """How many generated requests per operation and role: ``WG_FUZZ_EXAMPLES`` (default 6, CI's budget)."""
    return int(os.environ.get("WG_FUZZ_EXAMPLES", "6"))


class RoleSession:
    """A client's session as one demo person: the cookie in ``client``'s jar and the CSRF token for writes.

    The fuzzer may log this client out (``DELETE /api/v1/session``) or rotate its session; ``refresh`` notices
    and signs in again, or fetches the new token, so the next request is still made as this role.
    """

    def __init__(self, client: Any, db: Database, email: str | None, max_age: int) -> None:
        self.client = client
        self.db = db
        self.email = email
        self.max_age = max_age
        self.token = ""
        self.cookie: str | None = None
        self.sign_in()

    def sign_in(self) -> None:
        """A fresh session for this person (none for anonymous), then its CSRF token."""
        self.client.cookies.clear()
        if self.email is not None:
            with self.db.transaction() as s:
                user = s.exec(select(User).where(User.email == self.email)).one()
                cookie = issue_session(s, user, self.max_age)
            # The domain the cookie jar files the server's own cookies under for a dotless host, so a rotated
            # session replaces this cookie instead of sitting beside it.
            self.client.cookies.set(SESSION_COOKIE, cookie, domain="testserver.local", path="/")
        self._fetch_token()

    def _fetch_token(self) -> None:
        answer = self.client.get("/api/v1/session")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["authenticated"] is (self.email is not None), body
        self.token = body["csrf_token"]
        self.cookie = self._session_cookie()

    def _session_cookie(self) -> str | None:
        values = [c.value for c in self.client.cookies if c.name == SESSION_COOKIE and c.value]
        assert len(values) <= 1, f"the client holds {len(values)} session cookies"
        return values[0] if values else None

    def headers(self) -> dict[str, str]:
        """Headers every request carries."""
        return {"x-csrftoken": self.token}

    def refresh(self) -> None:
        """After a request: sign in again if it logged us out, fetch the token if the session id rotated."""
        cookie = self._session_cookie()
        if self.email is not None and not cookie:
            self.sign_in()
        elif cookie != self.cookie:
            self._fetch_token()


@dataclass
class DemoFacts:
    """Real ids of the demo group, re-read when the fuzzer may have added some."""

    db: Database
    group_id: int = 0
    countries: list[str] = field(default_factory=list)
    section_ids: list[int] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    subgroup_ids: list[int] = field(default_factory=list)
    comment_ids: list[int] = field(default_factory=list)

    def load(self) -> DemoFacts:
        """Read the ids from the database."""
        with self.db.session() as s:
            group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == DEMO_SLUG)).one()
            self.group_id = group.id or 0
            self.countries = list(group.countries)
            self.section_ids = list(s.exec(select(Section.id).where(Section.group_id == self.group_id)
                                           .order_by(col(Section.id))))  # type: ignore[arg-type]
            self.numbers = list(s.exec(select(Recommendation.number)
                                       .join(Section, col(Section.id) == col(Recommendation.section_id))
                                       .where(Section.group_id == self.group_id).order_by(col(Recommendation.number))))
            self.user_ids = list(s.exec(select(Membership.user_id).where(Membership.group_id == self.group_id)
                                        .order_by(col(Membership.user_id))))
            self.subgroup_ids = list(s.exec(select(Subgroup.id).where(Subgroup.group_id == self.group_id)
                                            .order_by(col(Subgroup.id))))  # type: ignore[arg-type]
            self.comment_ids = list(s.exec(select(Comment.id).order_by(col(Comment.id))))  # type: ignore[arg-type]
        return self

    def head_rev(self, kind: str, ident: Any) -> int:
        """The newest revision number of a section (by id) or recommendation (by number); 1 if there is none."""
        if not isinstance(ident, int) or isinstance(ident, bool) or not -2**31 < ident < 2**31:
            return 1
        with self.db.session() as s:
            if kind == "recommendation":
                rec_id = s.exec(select(Recommendation.id)
                                .join(Section, col(Section.id) == col(Recommendation.section_id))
                                .where(Section.group_id == self.group_id, Recommendation.number == ident)).first()
                if rec_id is None:
                    return 1
                ident = rec_id
            head = s.exec(select(func.max(Revision.rev_no)).where(Revision.target_type == kind,
                                                                  Revision.target_id == ident)).one()
        return int(head or 1)

    def realistic(self, draw: Any, case: Any) -> None:
        """Replace, most of the time, generated path parameters and body fields with real values (in place)."""

        def often() -> bool:
            return bool(draw(st.integers(0, 9)) < 8)

        path = case.path or ""
        kind = "recommendation" if "/recommendations/" in path else "section"
        params = case.path_parameters if isinstance(case.path_parameters, dict) else {}
        choices: dict[str, list[Any]] = {
            "slug": [DEMO_SLUG],
            "section_id": self.section_ids,
            "number": self.numbers,
            "ident": self.numbers if kind == "recommendation" else self.section_ids,
            "subgroup_id": self.subgroup_ids,
            "user_id": self.user_ids,
            "comment_id": self.comment_ids,
        }
        for name in list(params):
            if name in choices and choices[name] and often():
                params[name] = draw(st.sampled_from(choices[name]))
        ident = params.get("ident", params.get("number", params.get("section_id")))
        head = self.head_rev(kind, ident)

        # Revision numbers are drawn as "the newest, or a few before it": what is drawn never depends on the
        # database, so Hypothesis can replay and shrink an example after the fuzzer has added revisions.
        def recent_rev() -> int:
            return max(1, head - int(draw(st.sampled_from([0, 0, 1, 2]))))

        if "rev_no" in params and often():
            params["rev_no"] = recent_rev()
        query = case.query if isinstance(case.query, dict) else {}
        for name in ("from_rev", "to_rev"):
            if name in query and often():
                query[name] = recent_rev()
        body = case.body
        if not isinstance(body, dict):
            return
        fields: dict[str, Any] = {
            "base_rev_no": st.sampled_from([0, 0, 1, 2]).map(lambda back: max(1, head - back)),
            "rev_no": st.sampled_from([0, 0, 1, 2]).map(lambda back: max(1, head - back)),
            "decision": st.sampled_from(["approve", "request-changes"]),
            "stance": st.sampled_from(["support", "reservation", "abstain", "object"]),
            "role": st.sampled_from(["organizer", "co-chair", "member", "adviser", "observer"]),
            "direction": st.sampled_from(["up", "down"]),
            "section_id": st.sampled_from(self.section_ids or [1]),
            "subgroup_id": st.sampled_from([*self.subgroup_ids, None]),
            "parent_id": st.sampled_from([*self.comment_ids, None]),
            "paragraph": st.sampled_from([None, 1, 2, 3]),
            "members": st.lists(st.sampled_from(self.user_ids or [1]), max_size=4, unique=True),
            "chairs": st.lists(st.sampled_from(self.user_ids or [1]), max_size=2, unique=True),
            "country": st.sampled_from(self.countries or ["US"]),
            "countries": st.lists(st.sampled_from(["US", "JP", "KR", "CN"]), min_size=1, max_size=3, unique=True),
            "deadline": st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)).map(dt.date.isoformat),
            "email": st.sampled_from(["new.member@example.org", "haruka.sato@example.org"]),
            "organizer_email": st.sampled_from(["new.organizer@example.org", "organizer@example.org"]),
            "attribution_mode": st.sampled_from(["none", "country", "name"]),
            "consensus_rule": st.sampled_from(["each-country", "no-objection", "majority"]),
        }
        for name in list(body):
            if name in fields and often():
                body[name] = draw(fields[name])
