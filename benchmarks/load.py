"""A bounded load: writers saving revisions and readers reading pages against a real ``wg serve``.

    python -m benchmarks.load --seconds 120 --backend both [--writers 20 --readers 20]

For each backend: a fresh database (demo group loaded), a ``wg serve`` subprocess on 127.0.0.1, and this process as
the client (threads with httpx; one session per client). Writers save recommendations and sections through the JSON
API, each starting from the revision it just read; a quarter of them share one recommendation (R-1), so stale saves
merge or conflict (a 409 conflict is a correct answer, not an error). Readers read the dashboard, section and
recommendation pages and the API. Afterwards the database is checked: every acknowledged save is stored as
answered, and every text's revision numbers are contiguous.

Prints ``name: value`` lines; the exit status is not 0 when any request got a 5xx, a transport error or an
unexpected status, "database is locked" appears anywhere, a traceback is in the server log, or a check fails.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import col, select

from benchmarks.server import fresh_database, prepare_database, serve
from wg.db import Database
from wg.demo import DEMO_PASSWORD, DEMO_SLUG, PEOPLE, SUBGROUPS
from wg.features.accounts.sessions import SESSION_COOKIE, issue_session
from wg.models import Recommendation, Revision, Role, User

API = f"/api/v1/groups/{DEMO_SLUG}"
PAGES = f"/g/{DEMO_SLUG}"
HOT_NUMBER = 1  # the recommendation a quarter of the writers fight over
LOCKED = "database is locked"
REQUEST_TIMEOUT = 30.0
SESSION_MAX_AGE = 14 * 24 * 3600
TAG_RE = re.compile(r" \[w\d+ s\d+\]$")
# Who drafts: members in their own subgroups, co-chairs everywhere (organizers too, but they do not write text).
WRITER_PEOPLE = [p for p in PEOPLE if p.role in (Role.MEMBER, Role.CO_CHAIR)]
HOT_PEOPLE = [p for p in WRITER_PEOPLE if p.role is Role.CO_CHAIR or p.key in SUBGROUPS[0][3]]
READER_PEOPLE = list(PEOPLE)


# --- what a run records --------------------------------------------------------------------------------------------

@dataclass
class Ack:
    """A save the server acknowledged (201): what it said it stored."""

    kind: str  # "recommendation" | "section"
    ident: int  # recommendation number or section id
    rev_no: int
    base_rev_no: int
    author: str
    title: str
    text: str


@dataclass
class Tally:
    """Everything the clients saw; appended to under a lock by every thread."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    save_seconds: list[float] = field(default_factory=list)
    read_seconds: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)  # saved, merged, unchanged, conflict
    errors: Counter[str] = field(default_factory=Counter)  # 5xx, connection, locked, unexpected
    examples: list[str] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    requests: int = 0

    def error(self, kind: str, example: str) -> None:
        """Count an error and keep the first few examples."""
        with self.lock:
            self.errors[kind] += 1
            if len(self.examples) < 10:
                self.examples.append(f"{kind}: {example[:400]}")


@dataclass
class LoadReport:
    """The figures of one run and the result of the checks after it."""

    backend: str
    seconds: float
    writers: int
    readers: int
    requests: int
    reads: int
    outcomes: dict[str, int]
    errors: dict[str, int]
    examples: list[str]
    save_ms: dict[str, float]
    read_ms: dict[str, float]
    problems: list[str]  # failed checks after the run: missing saves, gaps, lock errors in the server log…

    @property
    def acknowledged(self) -> int:
        """Saves the server answered 201 (saved as sent or merged)."""
        return self.outcomes.get("saved", 0) + self.outcomes.get("merged", 0)

    @property
    def ok(self) -> bool:
        """No error of any kind and every check passed."""
        return not any(self.errors.values()) and not self.problems

    def lines(self) -> list[str]:
        """The ``name: value`` lines."""
        p = f"load.{self.backend}."
        out = [f"{p}seconds: {self.seconds:.1f}", f"{p}writers: {self.writers}", f"{p}readers: {self.readers}",
               f"{p}requests: {self.requests}", f"{p}throughput: {self.requests / self.seconds:.1f} req/s",
               f"{p}saves.attempted: {sum(self.outcomes.values())}", f"{p}saves.acknowledged: {self.acknowledged}",
               f"{p}saves.per_second: {self.acknowledged / self.seconds:.1f}"]
        out += [f"{p}saves.{k}: {self.outcomes.get(k, 0)}" for k in ("saved", "merged", "conflict", "unchanged")]
        out += [f"{p}save.{k}: {v:.1f} ms" for k, v in self.save_ms.items()]
        out += [f"{p}reads: {self.reads}"] + [f"{p}read.{k}: {v:.1f} ms" for k, v in self.read_ms.items()]
        out += [f"{p}errors.{k}: {self.errors.get(k, 0)}" for k in ("5xx", "connection", "locked", "unexpected")]
        out += [f"{p}checks.failed: {len(self.problems)}"]
        out += [f"{p}problem: {x}" for x in self.problems[:10]] + [f"{p}example: {x}" for x in self.examples]
        out += [f"{p}result: {'ok' if self.ok else 'FAIL'}"]
        return out


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (NaN for no values)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def _ms(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 0.50) * 1000, "p95": percentile(values, 0.95) * 1000,
            "p99": percentile(values, 0.99) * 1000, "max": max(values, default=float("nan")) * 1000}


# --- clients ---------------------------------------------------------------------------------------------------------

@dataclass
class Client:
    """One browser-like client: its own cookies (session) and CSRF token."""

    email: str
    http: httpx.Client
    token: str = ""


def _password_login(base: str, email: str) -> Client:
    """Log in through ``POST /api/v1/session`` with the demo password."""
    http = httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT)
    first = http.get("/api/v1/session")
    first.raise_for_status()
    answer = http.post("/api/v1/session", json={"email": email, "password": DEMO_PASSWORD},
                       headers={"x-csrftoken": first.json()["csrf_token"]})
    if answer.status_code != 200 or answer.json().get("authenticated") is not True:
        raise RuntimeError(f"login as {email} failed: {answer.status_code} {answer.text[:300]}")
    return Client(email, http, str(answer.json()["csrf_token"]))


def _issued_login(base: str, database: Database, email: str) -> Client:
    """A session issued straight into the database (no Argon2 verification), then used over HTTP like any other."""
    with database.transaction() as db:
        user = db.exec(select(User).where(User.email == email)).one()
        cookie = issue_session(db, user, SESSION_MAX_AGE)
    http = httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT, cookies={SESSION_COOKIE: cookie})
    answer = http.get("/api/v1/session")
    if answer.status_code != 200 or answer.json().get("authenticated") is not True:
        raise RuntimeError(f"session for {email} not accepted: {answer.status_code} {answer.text[:300]}")
    return Client(email, http, str(answer.json()["csrf_token"]))


def open_clients(base: str, database: Database, emails: list[str], login: str) -> list[Client]:
    """Log every client in; ``login`` is "password" (the real login) or "issued".

    Password logins go two at a time: on SQLite a login holds the database's write lock through its Argon2
    verification, so logins queue one behind the other whatever this side does (and 8 at once on a busy machine
    took longer than the 30 s request timeout).
    """
    def one(email: str) -> Client:
        return _password_login(base, email) if login == "password" else _issued_login(base, database, email)

    with ThreadPoolExecutor(max_workers=2 if login == "password" else 8) as pool:
        return list(pool.map(one, emails))


# --- what writers and readers do ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """A text writers save: a recommendation (by number) or a section (by id)."""

    kind: str
    ident: int
    subgroup_id: int | None

    @property
    def api(self) -> str:
        """Its API path."""
        return f"{API}/{'recommendations' if self.kind == 'recommendation' else 'sections'}/{self.ident}"

    @property
    def page(self) -> str:
        """Its page."""
        return f"{PAGES}/r/{self.ident}" if self.kind == "recommendation" else f"{PAGES}/sections/{self.ident}"


def _targets(client: Client) -> list[Target]:
    """Every section and (not withdrawn) recommendation of the demo group."""
    outline = client.http.get(f"{API}/sections")
    outline.raise_for_status()
    found: list[Target] = []
    for section in outline.json():
        found.append(Target("section", section["id"], section["subgroup_id"]))
        found += [Target("recommendation", r["number"], section["subgroup_id"])
                  for r in section["recommendations"] if not r["withdrawn"]]
    return found


def _drafting_rights(client: Client) -> dict[str, set[int] | None]:
    """Per demo e-mail, the subgroups whose texts they may edit (None: everything, as a co-chair)."""
    listed = client.http.get(f"{API}/subgroups")
    listed.raise_for_status()
    ids = {s["name"]: s["id"] for s in listed.json()}
    rights: dict[str, set[int] | None] = {}
    for person in WRITER_PEOPLE:
        rights[person.email] = None if person.role is Role.CO_CHAIR else {
            ids[name] for name, _, _, members in SUBGROUPS if person.key in members}
    return rights


def _edit(text: str, paragraph: int, tag: str) -> str:
    """The text with one paragraph's trailing tag replaced (so a text never grows)."""
    parts = text.split("\n\n")
    index = paragraph % len(parts)
    parts[index] = TAG_RE.sub("", parts[index]) + f" {tag}"
    return "\n\n".join(parts)


def _check(tally: Tally, response: httpx.Response, expected: tuple[int, ...], what: str) -> bool:
    """Count the answer as an error unless its status is expected; True when it is."""
    if LOCKED in response.text.lower():
        tally.error("locked", f"{what}: {response.status_code} {response.text}")
        return False
    if response.status_code >= 500:
        tally.error("5xx", f"{what}: {response.status_code} {response.text}")
        return False
    if response.status_code not in expected:
        tally.error("unexpected", f"{what}: {response.status_code} {response.text}")
        return False
    return True


def _writer(index: int, client: Client, targets: list[Target], stop: threading.Event, tally: Tally,
            think: float) -> None:
    """Read a text, change one paragraph of it, save it from the revision read; until told to stop."""
    save_no = 0
    while not stop.is_set():
        target = targets[save_no % len(targets)]
        save_no += 1
        try:
            current = client.http.get(target.api)
            with tally.lock:
                tally.requests += 1
            if not _check(tally, current, (200,), f"GET {target.api}"):
                continue
            head = current.json()["current"]
            text = _edit(head["text"], index, f"[w{index} s{save_no}]")
            body = {"base_rev_no": head["rev_no"], "title": head["title"], "text": text,
                    "rationale": head["rationale"], "target": head["target"], "note": f"load w{index} s{save_no}"}
            started = time.perf_counter()
            answer = client.http.post(f"{target.api}/revisions", json=body, headers={"x-csrftoken": client.token})
            seconds = time.perf_counter() - started
        except httpx.HTTPError as exc:
            tally.error("connection", f"writer {index}: {type(exc).__name__}: {exc}")
            time.sleep(0.1)
            continue
        ok = _check(tally, answer, (200, 201, 409), f"POST {target.api}/revisions")
        with tally.lock:
            tally.requests += 1
            tally.save_seconds.append(seconds)
            if ok:
                outcome = "conflict" if answer.status_code == 409 else str(answer.json()["outcome"])
                tally.outcomes[outcome] += 1
                if answer.status_code == 201:
                    rev = answer.json()["revision"]
                    tally.acks.append(Ack(target.kind, target.ident, rev["rev_no"], head["rev_no"], client.email,
                                          rev["title"], rev["text"]))
        if think:
            stop.wait(think)


def _reader(index: int, client: Client, urls: list[str], stop: threading.Event, tally: Tally, think: float) -> None:
    """Read pages and API answers in turn until told to stop."""
    n = index
    while not stop.is_set():
        url = urls[n % len(urls)]
        n += 1
        started = time.perf_counter()
        try:
            answer = client.http.get(url)
        except httpx.HTTPError as exc:
            tally.error("connection", f"reader {index}: GET {url}: {type(exc).__name__}: {exc}")
            time.sleep(0.1)
            continue
        seconds = time.perf_counter() - started
        ok = _check(tally, answer, (200,), f"GET {url}")
        with tally.lock:
            tally.requests += 1
            if ok:
                tally.read_seconds.append(seconds)
        if think:
            stop.wait(think)


# --- checking the database afterwards ------------------------------------------------------------------------------

def _target_ids(database: Database) -> dict[tuple[str, int], int]:
    """(kind, number-or-section-id) → the ``target_id`` revisions use."""
    with database.session() as db:
        numbers = db.exec(select(Recommendation.number, Recommendation.id)).all()
    ids: dict[tuple[str, int], int] = {("recommendation", n): i or 0 for n, i in numbers}
    return ids


def _heads(database: Database) -> dict[tuple[str, int], int]:
    """(target_type, target_id) → newest rev_no."""
    with database.session() as db:
        rows = db.exec(select(Revision.target_type, Revision.target_id, func.max(Revision.rev_no))
                       .group_by(col(Revision.target_type), col(Revision.target_id))).all()
    return {(t, i): n for t, i, n in rows}


def verify(database: Database, acks: list[Ack], heads_before: dict[tuple[str, int], int]) -> list[str]:
    """Every acknowledged save is stored as answered, under its author, and revision numbers have no gaps."""
    problems: list[str] = []
    rec_ids = _target_ids(database)
    with database.session() as db:
        rows = db.exec(select(Revision)).all()
        emails = {u.id: u.email for u in db.exec(select(User)).all()}
    by_target: dict[tuple[str, int], dict[int, Revision]] = {}
    for row in rows:
        by_target.setdefault((row.target_type, row.target_id), {})[row.rev_no] = row
    for key, revisions in by_target.items():
        if sorted(revisions) != list(range(1, len(revisions) + 1)):
            problems.append(f"{key}: revision numbers not contiguous: {sorted(revisions)[:20]}…")
    seen: set[tuple[str, int, int]] = set()
    acked_per_target: Counter[tuple[str, int]] = Counter()
    for ack in acks:
        key = (ack.kind, rec_ids[("recommendation", ack.ident)] if ack.kind == "recommendation" else ack.ident)
        acked_per_target[key] += 1
        if (*key, ack.rev_no) in seen:
            problems.append(f"{key} revision {ack.rev_no} acknowledged to two saves")
        seen.add((*key, ack.rev_no))
        stored = by_target.get(key, {}).get(ack.rev_no)
        if stored is None:
            problems.append(f"acknowledged save missing: {ack.kind} {ack.ident} revision {ack.rev_no}")
        elif (stored.title, stored.text, emails.get(stored.author_id)) != (ack.title, ack.text, ack.author):
            problems.append(f"{ack.kind} {ack.ident} revision {ack.rev_no} differs from what the save was told")
    for key, revisions in by_target.items():
        added = len(revisions) - heads_before.get(key, 0)
        if added != acked_per_target[key]:
            problems.append(f"{key}: {added} revisions written during the run, {acked_per_target[key]} acknowledged")
    return problems


# --- a run -----------------------------------------------------------------------------------------------------

class Load:
    """Clients for one server, reused from one run to the next (sessions are opened once, the server warmed once)."""

    def __init__(self, base_url: str, database_url: str, login: str = "password", backend: str = "") -> None:
        self.base_url = base_url
        self.login = login
        self.backend = backend or ("sqlite" if database_url.startswith("sqlite") else "postgres")
        self.database = Database(database_url)
        self._clients: dict[tuple[str, int], Client] = {}
        self._targets: list[Target] = []
        self._rights: dict[str, set[int] | None] = {}
        self._urls: list[str] = []

    def __enter__(self) -> Load:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every client and the database connections."""
        for client in self._clients.values():
            client.http.close()
        self._clients.clear()
        self.database.dispose()

    def _slots(self, writers: int, readers: int) -> list[Client]:
        """Clients for the first ``writers`` writer slots (hot ones first) and ``readers`` reader slots."""
        wanted = [(("hot", i), p.email) for i, p in enumerate(_spread(HOT_PEOPLE, writers // 4))]
        wanted += [(("writer", i), p.email) for i, p in enumerate(_spread(WRITER_PEOPLE, writers - writers // 4))]
        wanted += [(("reader", i), p.email) for i, p in enumerate(_spread(READER_PEOPLE, readers))]
        missing = [(slot, email) for slot, email in wanted if slot not in self._clients]
        opened = open_clients(self.base_url, self.database, [email for _, email in missing], self.login)
        self._clients.update((slot, client) for (slot, _), client in zip(missing, opened, strict=True))
        return [self._clients[slot] for slot, _ in wanted]

    def open(self, writers: int, readers: int) -> None:
        """Log the clients of a run in and warm the server up ahead of time (so a short run measures only load)."""
        self._prepare(self._slots(writers, readers)[0])

    def _prepare(self, client: Client) -> None:
        if self._targets:
            return
        self._targets = _targets(client)
        self._rights = _drafting_rights(client)
        sections = [t for t in self._targets if t.kind == "section"]
        recommendations = [t for t in self._targets if t.kind == "recommendation"]
        self._urls = [f"{PAGES}/", f"{API}/sections", f"{PAGES}/report"]
        self._urls += [t.page for t in sections] + [t.page for t in recommendations]
        self._urls += [t.api for t in recommendations]
        for url in self._urls + [t.api for t in sections]:  # warm up: a fresh server compiles templates on first use
            warm = client.http.get(url)
            if warm.status_code != 200:
                raise RuntimeError(f"warm-up GET {url}: {warm.status_code} {warm.text[:300]}")

    def _plan(self, index: int, hot: int, client: Client) -> list[Target]:
        """The texts a writer saves in turn: R-1 for the hot writers, otherwise every text its user may edit."""
        if index < hot:
            return [next(t for t in self._targets if t.kind == "recommendation" and t.ident == HOT_NUMBER)]
        allowed = self._rights[client.email]
        mine = [t for t in self._targets if t.subgroup_id is not None and (allowed is None or t.subgroup_id in allowed)
                or t.subgroup_id is None and allowed is None]
        return mine[index % len(mine):] + mine[:index % len(mine)]

    def run(self, seconds: float, writers: int = 20, readers: int = 20, think: float = 0.0,
            server_log: Callable[[], str] | None = None, name: str = "") -> LoadReport:
        """Run ``writers`` + ``readers`` clients for ``seconds``, then check the database.

        ``server_log`` is called once the load is over (it may stop the server) to look for lock errors and
        tracebacks.
        """
        clients = self._slots(writers, readers)
        self._prepare(clients[0])
        hot = writers // 4
        heads_before = _heads(self.database)
        tally = Tally()
        stop = threading.Event()
        threads = [threading.Thread(target=_writer, args=(i, c, self._plan(i, hot, c), stop, tally, think),
                                    name=f"writer-{i}") for i, c in enumerate(clients[:writers])]
        threads += [threading.Thread(target=_reader, args=(i, c, self._urls, stop, tally, think), name=f"reader-{i}")
                    for i, c in enumerate(clients[writers:])]
        started = time.perf_counter()
        for t in threads:
            t.start()
        stop.wait(seconds)
        stop.set()
        for t in threads:
            t.join(timeout=REQUEST_TIMEOUT + 5)
        elapsed = time.perf_counter() - started
        problems = [f"client thread {t.name} did not stop" for t in threads if t.is_alive()]
        with tally.lock:
            acks = list(tally.acks)
        problems += verify(self.database, acks, heads_before)
        if server_log is not None:
            log = server_log()
            if LOCKED in log.lower():
                tally.errors["locked"] += log.lower().count(LOCKED)
                problems.append("the server log says 'database is locked'")
            if "Traceback" in log:
                problems.append(f"the server log has {log.count('Traceback')} traceback(s): "
                                + log[log.index("Traceback"):][:600])
        with tally.lock:
            return LoadReport(backend=name or self.backend, seconds=elapsed, writers=writers, readers=readers,
                              requests=tally.requests, reads=len(tally.read_seconds), outcomes=dict(tally.outcomes),
                              errors=dict(tally.errors), examples=list(tally.examples),
                              save_ms=_ms(tally.save_seconds), read_ms=_ms(tally.read_seconds), problems=problems)


def run_load(base_url: str, database_url: str, seconds: float, writers: int = 20, readers: int = 20,
             login: str = "password", think: float = 0.0, backend: str = "",
             server_log: Callable[[], str] | None = None) -> LoadReport:
    """One run of :class:`Load` against a server already serving ``database_url`` (demo group loaded)."""
    with Load(base_url, database_url, login, backend) as load:
        return load.run(seconds, writers, readers, think, server_log)


def _spread(people: list[Any], count: int) -> list[Any]:
    return [people[i % len(people)] for i in range(count)]


def run_backend(backend: str, seconds: float, writers: int = 20, readers: int = 20, login: str = "password",
                think: float = 0.0) -> LoadReport:
    """A fresh database on ``backend`` with the demo group, a ``wg serve`` on it, and the load against it."""
    with tempfile.TemporaryDirectory(prefix=f"wg-load-{backend}-") as tmp:
        folder = Path(tmp)
        with fresh_database(backend, folder) as url:
            prepare_database(url)
            with serve(url, folder) as server:
                return run_load(server.url, url, seconds, writers, readers, login, think, backend, server.stop)


def main(argv: list[str] | None = None) -> int:
    """The command: run the load on one backend or both; exit 1 if anything went wrong."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="how long the load runs per backend")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--think-ms", type=float, default=0.0,
                        help="pause after each request (0: every client sends its next request at once)")
    parser.add_argument("--login", choices=["password", "issued"], default="password",
                        help="log clients in with the password (real logins) or issue sessions in the database")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    failed = False
    for backend in backends:
        report = run_backend(backend, args.seconds, args.writers, args.readers, args.login, args.think_ms / 1000)
        print("\n".join(report.lines()), flush=True)
        failed = failed or not report.ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
