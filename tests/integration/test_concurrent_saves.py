"""Concurrent saves against a real ``wg serve``: 20 API clients (4 members, several sessions each) make 5 saves each
on the same recommendation at the same time, on SQLite and on PostgreSQL.

Half the clients each edit a paragraph of their own (their stale saves must merge), half edit the same paragraph
(their stale saves must be answered 409 with their text). Every save is accounted for, the server never answers
5xx or "database is locked", revision numbers stay contiguous, and each revision differs from the one before it
only in the paragraph its author edited — so no save ever overwrote another. The counts and p50/p95 latency of
the saves are printed (``pytest -s``) and written to ``tests/artifacts/``.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from tests.live_server import Server, running_server
from wg.db import Database
from wg.demo import DEMO_PASSWORD, DEMO_SLUG
from wg.models import Recommendation, Revision, User
from wg.settings import Settings

USERS = ("maya.chen", "haruka.sato", "kim.minjun", "choi.jiwoo")
CLIENTS = 20
SAVES = 5
OWN_CLIENTS = CLIENTS // 2  # clients 0..9 edit paragraph 1..10 (one each); clients 10..19 all edit paragraph 0
NUMBER = 1  # R-1, owned by the "Domestic constraints" subgroup the four users belong to
API = f"/api/v1/groups/{DEMO_SLUG}/recommendations/{NUMBER}"
REQUEST_TIMEOUT = 15.0
RUN_DEADLINE = 40.0  # the whole concurrent run, in seconds (a healthy run takes 1-2 s)
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LOCKED = "database is locked"


# --- a real server ------------------------------------------------------------------------------------------------

@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[Server]:
    """``python -m wg serve`` on a free port against this test's database (demo group loaded)."""
    with running_server(settings, tmp_path) as srv:
        yield srv


# --- API clients --------------------------------------------------------------------------------------------------

def _logged_in_client(base: str, user: str) -> tuple[httpx.Client, str]:
    """A client with its own session cookie, logged in through the API; returns it and its CSRF token."""
    client = httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT)
    first = client.get("/api/v1/session")
    assert first.status_code == 200, first.text
    response = client.post("/api/v1/session", json={"email": f"{user}@example.org", "password": DEMO_PASSWORD},
                           headers={"x-csrftoken": first.json()["csrf_token"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["authenticated"] is True
    return client, str(body["csrf_token"])


def _paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


@dataclass
class Save:
    """One save attempt and what the server answered."""

    client: int
    user: str
    attempt: int
    paragraph: int
    base_rev_no: int
    sent_text: str
    new_paragraph: str
    status: int = 0
    body: Any = None
    raw: str = ""
    seconds: float = 0.0
    error: str = ""


@dataclass
class Run:
    """Everything the concurrent run produced."""

    saves: list[Save] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _worker(index: int, user: str, client: httpx.Client, token: str, barrier: threading.Barrier, run: Run) -> None:
    paragraph = index + 1 if index < OWN_CLIENTS else 0
    try:
        for attempt in range(SAVES):
            barrier.wait(timeout=RUN_DEADLINE)  # every client starts its n-th save together: maximum contention
            current = client.get(API)
            assert current.status_code == 200, f"GET {API}: {current.status_code} {current.text[:300]}"
            head = current.json()["current"]
            parts = _paragraphs(head["text"])
            new_paragraph = f"Client {index:02d} ({user}) save {attempt + 1}: paragraph {paragraph} — 協力 협력."
            parts[paragraph] = new_paragraph
            text = "\n\n".join(parts)
            save = Save(index, user, attempt, paragraph, head["rev_no"], text, new_paragraph)
            started = time.perf_counter()
            try:
                response = client.post(f"{API}/revisions", headers={"x-csrftoken": token}, json={
                    "base_rev_no": head["rev_no"], "title": head["title"], "text": text,
                    "rationale": head["rationale"], "target": head["target"],
                    "note": f"client {index} save {attempt + 1}"})
                save.seconds = time.perf_counter() - started
                save.status = response.status_code
                save.raw = response.text
                try:
                    save.body = response.json()
                except ValueError:
                    save.body = None
            except httpx.HTTPError as exc:
                save.seconds = time.perf_counter() - started
                save.error = f"{type(exc).__name__}: {exc}"
            with run.lock:
                run.saves.append(save)
            if save.error:  # a save the server did not answer: stop, the run has failed
                raise RuntimeError(f"save {attempt + 1} got no answer: {save.error}")
    except BaseException as exc:  # a failed client must not leave the others waiting at the barrier
        barrier.abort()
        with run.lock:
            run.errors.append(f"client {index} ({user}): {type(exc).__name__}: {exc}")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


# --- the test -----------------------------------------------------------------------------------------------------

def test_twenty_clients_saving_the_same_recommendation_lose_nothing(server: Server, db: Database,
                                                                    database_url: str) -> None:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgres"
    clients = [(i, USERS[i % len(USERS)], *_logged_in_client(server.url, USERS[i % len(USERS)]))
               for i in range(CLIENTS)]
    try:
        # A known text: one shared opening paragraph and one paragraph per own-paragraph client.
        _, _, setup, setup_token = clients[0]
        head = setup.get(API).json()["current"]
        baseline_text = "\n\n".join(["Shared opening paragraph that half the clients fight over."]
                                    + [f"Paragraph {p} belongs to client {p - 1:02d}." for p in range(1, 11)])
        created = setup.post(f"{API}/revisions", headers={"x-csrftoken": setup_token}, json={
            "base_rev_no": head["rev_no"], "title": head["title"], "text": baseline_text,
            "rationale": head["rationale"], "target": head["target"], "note": "baseline for the concurrency test"})
        assert created.status_code == 201, created.text
        baseline = created.json()["revision"]
        assert baseline["text"] == baseline_text

        run = Run()
        barrier = threading.Barrier(CLIENTS)
        threads = [threading.Thread(target=_worker, args=(i, user, client, token, barrier, run), daemon=True,
                                    name=f"saver-{i}") for i, user, client, token in clients]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(0.1, RUN_DEADLINE - (time.monotonic() - started)))
        elapsed = time.monotonic() - started
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:
            barrier.abort()
        final_revisions = None if stuck or run.errors else clients[1][2].get(f"{API}/revisions")
    finally:
        for _, _, client, _ in clients:
            client.close()
    server_log = server.stop()

    with run.lock:
        saves = list(run.saves)
    statuses = Counter(s.status for s in saves)
    outcomes = Counter((s.body or {}).get("outcome", "") for s in saves if s.status in (200, 201))
    saved, merged = outcomes["saved"], outcomes["merged"]
    unchanged, conflicts = statuses[200], statuses[409]
    latencies = [s.seconds for s in saves if not s.error]
    p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
    p95 = _percentile(latencies, 0.95) * 1000 if latencies else float("nan")
    other = len(saves) - saved - merged - conflicts - unchanged
    summary = (f"concurrent saves [{backend}]: saved={saved} merged={merged} conflicts={conflicts} "
               f"unchanged={unchanged} other={other} p50={p50:.0f}ms p95={p95:.0f}ms "
               f"(clients={CLIENTS} saves={len(saves)} wall={elapsed:.1f}s"
               + (f" STUCK={len(stuck)} client errors={len(run.errors)}" if stuck or run.errors else "") + ")")
    print("\n" + summary)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"concurrent_saves_{backend}.txt").write_text(summary + "\n")

    # Every client finished within the deadline, and every save was answered, without a transport error, a 5xx
    # or a lock error.
    assert not stuck, (f"{len(stuck)} clients still waiting after {RUN_DEADLINE:.0f}s (server deadlocked?): "
                       f"{run.errors[:3]}\nserver log:\n{server_log[-3000:]}")
    assert run.errors == [], f"{run.errors}\nserver log:\n{server_log[-3000:]}"
    assert final_revisions is not None
    assert [s.error for s in saves if s.error] == []
    assert len(saves) == CLIENTS * SAVES
    server_errors = [(s.client, s.attempt, s.status, s.raw[:300]) for s in saves if s.status >= 500]
    assert server_errors == [], server_errors
    unexpected = [(s.client, s.status, s.raw[:300]) for s in saves if s.status not in (200, 201, 409)]
    assert unexpected == [], unexpected
    assert saved + merged + conflicts + unchanged == CLIENTS * SAVES, summary
    assert statuses[201] == saved + merged
    assert not [s for s in saves if LOCKED in s.raw.lower()]
    assert LOCKED not in server_log.lower(), server_log[-3000:]
    assert "Traceback" not in server_log, server_log[-3000:]
    # With every client starting each save together, stale saves happen: some merge, some conflict.
    assert merged > 0 and conflicts > 0, summary

    # Clients that edit only their own paragraph are never refused; every refusal keeps the text that was sent.
    for s in saves:
        if s.status == 409:
            assert s.paragraph == 0, f"client {s.client} edited its own paragraph and got a conflict: {s.raw[:500]}"
            assert s.body["conflicting_fields"] == ["text"]
            assert s.body["mine"]["text"] == s.sent_text
            assert s.body["current"]["rev_no"] > s.base_rev_no

    # Revision numbers are contiguous from 1 to N, in the API and in the database.
    assert final_revisions.status_code == 200, final_revisions.text
    api_numbers = [r["rev_no"] for r in final_revisions.json()]
    top = max(api_numbers)
    assert sorted(api_numbers) == list(range(1, top + 1)), api_numbers
    with db.session() as session:
        rec = session.exec(select(Recommendation).where(Recommendation.number == NUMBER)).one()
        rows = list(session.exec(select(Revision).where(Revision.target_type == "recommendation",
                                                        Revision.target_id == rec.id)).all())
        user_ids = {u.email.split("@")[0]: u.id for u in session.exec(select(User)).all()}
    by_no = {r.rev_no: r for r in rows}
    assert sorted(r.rev_no for r in rows) == list(range(1, top + 1))
    assert len(by_no) == len(rows)
    assert top == baseline["rev_no"] + saved + merged, summary

    # Every accepted save is stored exactly as its answer reported it, under its author.
    accepted = {s.body["revision"]["rev_no"]: s for s in saves if s.status == 201}
    assert len(accepted) == saved + merged, "two accepted saves reported the same revision number"
    for rev_no, s in accepted.items():
        reported = s.body["revision"]
        stored = by_no[rev_no]
        assert (stored.title, stored.text, stored.rationale, stored.target) == (
            reported["title"], reported["text"], reported["rationale"], reported["target"])
        assert stored.author_id == user_ids[s.user]
        assert stored.parent_rev_no == s.base_rev_no
        if s.body["outcome"] == "saved":
            assert stored.text == s.sent_text and stored.merged_rev_no is None
        else:
            assert stored.merged_rev_no is not None and stored.merged_rev_no > s.base_rev_no
            assert _paragraphs(stored.text)[s.paragraph] == s.new_paragraph

    # No lost update: each revision after the baseline differs from the one before only in its author's paragraph.
    assert by_no[baseline["rev_no"]].text == baseline_text
    for rev_no in range(baseline["rev_no"] + 1, top + 1):
        s = accepted[rev_no]
        expected = _paragraphs(by_no[rev_no - 1].text)
        expected[s.paragraph] = s.new_paragraph
        assert _paragraphs(by_no[rev_no].text) == expected, f"revision {rev_no} lost or changed another's text"
