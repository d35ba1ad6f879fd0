"""Durability: a save the server acknowledged survives ``kill -9`` of the server, on SQLite and on PostgreSQL.

Each cycle starts a real ``wg serve``, saves a new revision of R-1 through the JSON API, and as soon as the answer
(201) has arrived kills the server's whole process group with SIGKILL — no shutdown, no chance to flush anything.
The next cycle's server must show the acknowledged revision as the newest, and at the end the database must hold
every acknowledged save, byte for byte.

CI runs a few cycles; the issue's full run is
``WG_DURABILITY_CYCLES=50 pytest tests/integration/test_durability.py -s`` (or ``make hardening``).
The figures (cycles, acknowledged, lost, restart times) are printed and written to ``tests/artifacts/``.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import time
import uuid
from pathlib import Path

import httpx
from sqlmodel import select

from tests.live_server import running_server
from wg.db import Database
from wg.demo import DEMO_PASSWORD, DEMO_SLUG
from wg.models import Recommendation, Revision
from wg.settings import Settings

CYCLES = int(os.environ.get("WG_DURABILITY_CYCLES", "5"))
NUMBER = 1  # R-1, in the "Domestic constraints" subgroup that Maya Chen chairs
API = f"/api/v1/groups/{DEMO_SLUG}/recommendations/{NUMBER}"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_acknowledged_saves_survive_kill_9_of_the_server(settings: Settings, db: Database, database_url: str,
                                                        tmp_path: Path) -> None:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgres"
    acknowledged: dict[int, str] = {}  # rev_no -> sha256 of the text the server said it saved
    restarts: list[float] = []
    # One client for every server: the session lives in the database, so it must survive the kills too.
    with httpx.Client(timeout=15.0) as client:
        token = ""
        for cycle in range(CYCLES):
            started = time.monotonic()
            with running_server(settings, tmp_path, log_name=f"server-{cycle:02d}.log") as server:
                restarts.append(time.monotonic() - started)
                base = server.url
                if not token:
                    first = client.get(f"{base}/api/v1/session")
                    login = client.post(f"{base}/api/v1/session", headers={"x-csrftoken": first.json()["csrf_token"]},
                                        json={"email": "maya.chen@example.org", "password": DEMO_PASSWORD})
                    assert login.status_code == 200, login.text
                    token = login.json()["csrf_token"]
                head = client.get(f"{base}{API}")
                assert head.status_code == 200, f"cycle {cycle}: {head.status_code} {head.text[:300]}"
                current = head.json()["current"]
                if acknowledged:  # what the killed server acknowledged is what the new one serves
                    last = max(acknowledged)
                    assert current["rev_no"] == last, f"cycle {cycle}: newest is {current['rev_no']}, not {last}"
                    assert _sha(current["text"]) == acknowledged[last]
                text = f"Durability cycle {cycle} ({backend}), token {uuid.uuid4().hex} — 持続性 내구성.\n\n" \
                       + current["text"].split("\n\n", 1)[-1]
                saved = client.post(f"{base}{API}/revisions", headers={"x-csrftoken": token}, json={
                    "base_rev_no": current["rev_no"], "title": current["title"], "text": text,
                    "rationale": current["rationale"], "target": current["target"],
                    "note": f"durability cycle {cycle}"})
                server.kill_hard()  # at once, before anything else: the answer is all the client knows
                assert saved.status_code == 201, f"cycle {cycle}: {saved.status_code} {saved.text[:300]}"
                revision = saved.json()["revision"]
                assert revision["text"] == text
                acknowledged[revision["rev_no"]] = _sha(text)
                assert server.proc.returncode == -9

    with db.session() as session:
        rec = session.exec(select(Recommendation).where(Recommendation.number == NUMBER)).one()
        stored = {r.rev_no: _sha(r.text) for r in session.exec(
            select(Revision).where(Revision.target_type == "recommendation", Revision.target_id == rec.id)).all()}
    lost = sorted(rev_no for rev_no, sha in acknowledged.items() if stored.get(rev_no) != sha)
    summary = (f"durability [{backend}]: cycles={CYCLES} acknowledged={len(acknowledged)} lost={len(lost)} "
               f"restart median={statistics.median(restarts):.1f}s max={max(restarts):.1f}s")
    print("\n" + summary)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"durability_{backend}.txt").write_text(summary + "\n")
    assert len(acknowledged) == CYCLES, summary
    assert lost == [], f"{summary}: lost revisions {lost}"
    assert sorted(stored) == list(range(1, max(stored) + 1)), "revision numbers have a gap"
