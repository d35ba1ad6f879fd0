"""Throttling under attack (issue 12, items 1, 3 and 8): a guesser is slowed, the owner is not locked out, the client's
address comes from trusted proxies only, and refused logins add a bounded number of rows that the sweep prunes.

Each test browser here has its own client address (the ASGI peer), as browsers at different addresses would.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import replace
from email.message import Message
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import urlencode

import pytest
from litestar.testing import TestClient
from sqlmodel import col, func, select

from tests.conftest import CSRF_RE, api_token, login, post_form
from tests.integration.test_accounts import MEMBER, OTHER_MEMBER, backdate_failures, error_beside, page, post_login
from tests.live_server import running_server
from wg.app import create_app
from wg.demo import DEMO_PASSWORD
from wg.features.accounts.operations import CURRENT_PASSWORD_WRONG, throttled_message
from wg.features.accounts.throttle import FIRST_DELAY_SECONDS
from wg.features.audit.failed_logins import MAX_ACCOUNTS_PER_ADDRESS, OTHER_ACCOUNTS, hour_of
from wg.models import AuditEvent, FailedLoginTally, LoginFailure, User, utcnow

GUESSER = "203.0.113.66"  # address A
VICTIM = "198.51.100.20"  # address B
SECOND_GUESSER = "192.0.2.33"  # address C
WRONG = "wrong-password-x"


@pytest.fixture
def client_at(app) -> Any:
    """Open a browser whose requests come from ``address`` (the ASGI peer), with its own cookies."""
    clients: list[TestClient[Any]] = []

    def _make(address: str, target: Any = None) -> TestClient[Any]:
        c = TestClient(app=target or app, base_url="http://testserver.local")
        transport = c._transport  # noqa: SLF001 - the test transport names every peer "testclient"
        parse = transport.parse_request
        transport.parse_request = lambda request: {**parse(request=request), "client": (address, 50000)}
        c.__enter__()
        clients.append(c)
        return c

    yield _make
    for c in reversed(clients):  # Litestar test clients sharing one app must close newest first
        c.__exit__(None, None, None)


def api_login(browser, email: str, password: str, headers: dict[str, str] | None = None):
    """Log in through the JSON API."""
    return browser.post("/api/v1/session", json={"email": email, "password": password},
                        headers={"x-csrftoken": api_token(browser), **(headers or {})})


def seed_failures(db, account: str, address: str, count: int, spread_seconds: float) -> None:
    """``count`` earlier failures of ``account`` from ``address``, spread over the last ``spread_seconds``."""
    now = utcnow()
    with db.transaction() as s:
        for i in range(count):
            s.add(LoginFailure(account=account, address=address,
                               at=now - dt.timedelta(seconds=spread_seconds * (i + 1) / count)))


def login_ips(db, email: str) -> list[str]:
    """The addresses the audit log recorded for a user's successful logins."""
    with db.session() as s:
        uid = s.exec(select(User.id).where(User.email == email)).one()
        return list(s.exec(select(AuditEvent.ip).where(AuditEvent.action == "login.succeeded",
                                                      AuditEvent.actor_id == uid)).all())


# --- item 1: the owner is not locked out ----------------------------------------------------------------------------


def test_a_hundred_failures_from_one_address_do_not_keep_the_owner_out(client_at, db):
    guesser = client_at(GUESSER)
    statuses = Counter()
    for i in range(100):  # half through the form, half through the API
        answer = post_login(guesser, MEMBER, f"{WRONG}-{i}") if i % 2 else api_login(guesser, MEMBER, f"{WRONG}-{i}")
        statuses[answer.status_code] += 1
    # Five wrong passwords were checked; the other 95 were refused unchecked, as too early.
    assert statuses == {400: 2, 401: 3, 429: 95}
    # A patient guesser who waited out every wait: 100 counted failures from A within the last quarter of an hour.
    seed_failures(db, MEMBER, GUESSER, 95, spread_seconds=14 * 60)

    # The owner, at address B, logs in at once with the right password, through the form and through the API.
    owner = client_at(VICTIM)
    started = time.monotonic()
    landed = post_login(owner, MEMBER, DEMO_PASSWORD, next_url="/profile")
    assert landed.status_code == 303 and landed.headers["location"] == "/profile"
    assert owner.get("/api/v1/me").json()["email"] == MEMBER
    via_api = api_login(client_at(VICTIM), MEMBER, DEMO_PASSWORD)
    assert via_api.status_code == 200 and via_api.json()["authenticated"] is True
    assert time.monotonic() - started < 5
    assert login_ips(db, MEMBER) == [VICTIM, VICTIM]

    # The guesser at A is still refused, the right password included, and told to wait minutes, not seconds.
    for answer in (post_login(guesser, MEMBER, DEMO_PASSWORD), api_login(guesser, MEMBER, DEMO_PASSWORD)):
        assert answer.status_code == 429
        assert int(answer.headers["retry-after"]) > 5 * 60
    assert guesser.get("/api/v1/session").json()["authenticated"] is False
    # The account is under attack: a new address gets one guess, then waits the window out, right password or not.
    second = client_at(SECOND_GUESSER)
    assert api_login(second, MEMBER, WRONG).status_code == 401
    refused = post_login(second, MEMBER, DEMO_PASSWORD)
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert wait > 14 * 60
    assert error_beside(page(refused), "email") == throttled_message(wait)


def test_the_guessers_wait_doubles_after_each_failure(client_at, db):
    guesser = client_at(GUESSER)
    for _ in range(5):
        assert api_login(guesser, MEMBER, WRONG).status_code == 401
    waits = []
    for _ in range(4):
        refused = api_login(guesser, MEMBER, WRONG)
        assert refused.status_code == 429
        waits.append(int(refused.headers["retry-after"]))
        backdate_failures(db, waits[-1])  # the guesser waits exactly as long as it was told …
        assert api_login(guesser, MEMBER, WRONG).status_code == 401  # … and gets one more guess checked
    assert [FIRST_DELAY_SECONDS * 2 ** i - 3 <= w <= FIRST_DELAY_SECONDS * 2 ** i for i, w in enumerate(waits)] == \
        [True] * 4, waits
    # Meanwhile the owner at another address is never asked to wait.
    assert api_login(client_at(VICTIM), MEMBER, DEMO_PASSWORD).status_code == 200


def test_the_owners_success_does_not_give_the_guesser_a_fresh_start(client_at):
    guesser = client_at(GUESSER)
    for _ in range(5):
        assert api_login(guesser, MEMBER, WRONG).status_code == 401
    assert api_login(client_at(VICTIM), MEMBER, DEMO_PASSWORD).status_code == 200
    assert api_login(guesser, MEMBER, WRONG).status_code == 429


def test_a_burst_of_simultaneous_guesses_gets_no_more_checks(client_at, db):
    browsers = [client_at(GUESSER) for _ in range(12)]
    tokens = [api_token(b) for b in browsers]
    start = threading.Barrier(len(browsers))
    statuses: list[int] = []

    def guess(i: int) -> None:
        start.wait()
        statuses.append(browsers[i].post("/api/v1/session", json={"email": MEMBER, "password": WRONG},
                                         headers={"x-csrftoken": tokens[i]}).status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(len(browsers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counted = Counter(statuses)
    assert set(counted) <= {401, 429} and sum(counted.values()) == 12
    # Each request counts itself first and asks again counting only those before it: no more than five are checked.
    assert counted[401] <= 5, counted
    with db.session() as s:
        assert s.exec(select(func.count()).select_from(LoginFailure)).one() == counted[401]


# --- WG_TRUSTED_PROXIES -------------------------------------------------------------------------------------------


@pytest.fixture
def proxied_app(settings, db):
    """The app behind a trusted proxy at 10.0.0.2 (any address in 10.0.0.0/24 is trusted)."""
    return create_app(replace(settings, trusted_proxies=(ipaddress.ip_network("10.0.0.0/24"),)), db=db)


def test_behind_a_trusted_proxy_each_member_has_their_own_address(client_at, proxied_app, db):
    via_proxy = client_at("10.0.0.2", proxied_app)
    guesser = {"x-forwarded-for": f"{GUESSER}, 10.0.0.7"}  # the client, then an inner proxy
    for _ in range(5):
        assert api_login(via_proxy, MEMBER, WRONG, guesser).status_code == 401
    assert api_login(via_proxy, MEMBER, WRONG, guesser).status_code == 429
    # Everyone reaches wg through the same proxy, yet the owner is not the guesser.
    owner = client_at("10.0.0.2", proxied_app)
    assert api_login(owner, MEMBER, DEMO_PASSWORD, {"x-forwarded-for": VICTIM}).status_code == 200
    assert login_ips(db, MEMBER) == [VICTIM]
    with db.session() as s:
        assert set(s.exec(select(LoginFailure.address)).all()) == {GUESSER}


def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(client_at, proxied_app, db):
    direct = client_at("192.0.2.50", proxied_app)  # not a trusted proxy
    # A guesser who invents a new X-Forwarded-For for each guess is still counted at its own address.
    for i in range(5):
        assert api_login(direct, MEMBER, WRONG, {"x-forwarded-for": f"198.51.100.{i}"}).status_code == 401
    assert api_login(direct, MEMBER, WRONG, {"x-forwarded-for": "198.51.100.99"}).status_code == 429
    with db.session() as s:
        assert set(s.exec(select(LoginFailure.address)).all()) == {"192.0.2.50"}
    # Nor can a client behind the trusted proxy choose its address by writing the header itself: the proxy appends
    # the address it saw, and that right-most untrusted hop is what counts.
    spoofer = client_at("10.0.0.2", proxied_app)
    answer = api_login(spoofer, OTHER_MEMBER, DEMO_PASSWORD, {"x-forwarded-for": f"{VICTIM}, {SECOND_GUESSER}"})
    assert answer.status_code == 200
    assert login_ips(db, OTHER_MEMBER) == [SECOND_GUESSER]


def _live_request(base: str, path: str, jar: CookieJar, *, data: bytes | None = None,
                  headers: dict[str, str] | None = None) -> tuple[int, Message, str]:
    """One request to a live server (no redirects followed): status, headers, body."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    request = urllib.request.Request(base + path, data=data, headers=headers or {})  # noqa: S310 - loopback only
    try:
        with opener.open(request, timeout=30) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read().decode()


def _live_api_login(base: str, email: str, password: str, forwarded_for: str) -> tuple[int, Message]:
    jar = CookieJar()
    xff = {"x-forwarded-for": forwarded_for}
    _, _, body = _live_request(base, "/api/v1/session", jar, headers=xff)
    token = json.loads(body)["csrf_token"]
    status, headers, _ = _live_request(base, "/api/v1/session", jar, headers={
        **xff, "content-type": "application/json", "x-csrftoken": token},
        data=json.dumps({"email": email, "password": password}).encode())
    return status, headers


def _live_form_login(base: str, email: str, password: str, forwarded_for: str) -> int:
    jar = CookieJar()
    xff = {"x-forwarded-for": forwarded_for}
    _, _, form = _live_request(base, "/login", jar, headers=xff)
    match = CSRF_RE.search(form)
    assert match
    body = urlencode({"email": email, "password": password, "_csrf_token": match.group(1)}).encode()
    status, _, _ = _live_request(base, "/login", jar, data=body, headers={
        **xff, "content-type": "application/x-www-form-urlencoded"})
    return status


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted-peer", "untrusted-peer"])
def test_wg_serve_reads_x_forwarded_for_only_from_trusted_proxies(settings, tmp_path, db, trusted):
    # A real `wg serve`; every request comes from 127.0.0.1, a trusted proxy or not depending on the setting.
    seed_failures(db, MEMBER, GUESSER, 5, spread_seconds=5)  # the guesser at A already failed five times
    env = {"WG_TRUSTED_PROXIES": "127.0.0.1, ::1" if trusted else "192.0.2.1"}
    with running_server(settings, tmp_path, extra_env=env) as server:
        guess, headers = _live_api_login(server.url, MEMBER, WRONG, GUESSER)
        owner_api = _live_api_login(server.url, MEMBER, DEMO_PASSWORD, VICTIM)[0]
        owner_form = _live_form_login(server.url, MEMBER, DEMO_PASSWORD, VICTIM)
        log = server.stop()
    with db.session() as s:
        refused_at = [(t.address, t.failed, t.throttled) for t in s.exec(select(FailedLoginTally)).all()]
    assert (owner_api, owner_form) == (200, 303)  # the owner gets in either way
    if trusted:
        # The header names the client: the guesser at A must wait, the owner logged in from B.
        assert guess == 429 and int(headers["retry-after"]) > 0
        assert refused_at == [(GUESSER, 0, 1)]
        assert login_ips(db, MEMBER) == [VICTIM, VICTIM]
        assert f'{VICTIM}:0 - "POST /api/v1/session' in log  # even the server's access log names the client
    else:
        # The header is ignored: the "guesser" is the peer, 127.0.0.1, which had not failed; so is the "owner".
        assert guess == 401
        assert refused_at == [("127.0.0.1", 1, 0)]
        assert login_ips(db, MEMBER) == ["127.0.0.1", "127.0.0.1"]
        assert VICTIM not in log and GUESSER not in log


# --- item 3: the current password is throttled like a login -------------------------------------------------------


def test_guessing_the_current_password_is_throttled_like_a_login(client_at, db):
    thief = login(client_at(GUESSER), MEMBER)  # a stolen session, say
    statuses = Counter()
    for i in range(30):
        answer = post_form(thief, "/profile", "/profile/password",
                           {"current_password": f"guess-{i}-xxxxxx", "new_password": "a-new-password-123"})
        statuses[answer.status_code] += 1
    assert statuses == {422: 5, 429: 25}  # was 30 × 422, then the right one accepted
    # Then the right one is refused too until the wait is over, with the wait beside the field.
    refused = post_form(thief, "/profile", "/profile/password",
                        {"current_password": DEMO_PASSWORD, "new_password": "a-new-password-123"})
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert 0 < wait <= FIRST_DELAY_SECONDS
    assert error_beside(page(refused), "current_password") == throttled_message(wait)
    assert post_login(client_at(VICTIM), MEMBER, DEMO_PASSWORD).status_code == 303  # unchanged, and not locked
    # The same counts as a login: this address must wait to log in to the account too.
    assert post_login(client_at(GUESSER), MEMBER, DEMO_PASSWORD).status_code == 429
    # Once the wait is over, one more guess is checked; the right password then changes it.
    backdate_failures(db, wait)
    wrong = post_form(thief, "/profile", "/profile/password",
                      {"current_password": "still-not-it-xx", "new_password": "a-new-password-123"})
    assert wrong.status_code == 422
    assert error_beside(page(wrong), "current_password") == CURRENT_PASSWORD_WRONG
    backdate_failures(db, 2 * FIRST_DELAY_SECONDS)
    changed = post_form(thief, "/profile", "/profile/password",
                        {"current_password": DEMO_PASSWORD, "new_password": "a-new-password-123"})
    assert changed.status_code == 303
    assert post_login(client_at(VICTIM), MEMBER, "a-new-password-123").status_code == 303


def test_a_right_current_password_with_a_bad_new_one_is_not_counted_as_a_failure(client_at, db):
    member = login(client_at(VICTIM), MEMBER)
    for _ in range(6):
        answer = post_form(member, "/profile", "/profile/password",
                           {"current_password": DEMO_PASSWORD, "new_password": "short"})
        assert answer.status_code == 422
    with db.session() as s:
        assert s.exec(select(func.count()).select_from(LoginFailure)).one() == 0


# --- item 8: refused logins add a bounded number of rows, and the sweep prunes them -------------------------------


def test_five_hundred_refused_logins_from_one_client_add_a_bounded_number_of_rows(client_at, db):
    with db.session() as s:
        audit_before = s.exec(select(func.count()).select_from(AuditEvent)).one()
    # The address already failed at 20 other accounts a minute ago (so the test checks few passwords: each costs
    # an Argon2 hash); every further attempt, at yet another account, is paced.
    for i in range(20):
        seed_failures(db, f"earlier{i}@example.org", GUESSER, 1, spread_seconds=60)
    attacker = client_at(GUESSER)
    token = api_token(attacker)
    statuses = Counter()
    started = time.monotonic()
    for i in range(500):  # a different account each time: the worst case for rows
        statuses[attacker.post("/api/v1/session", json={"email": f"nobody{i}@example.org", "password": WRONG},
                               headers={"x-csrftoken": token}).status_code] += 1
    elapsed = time.monotonic() - started
    assert set(statuses) == {401, 429} and sum(statuses.values()) == 500
    with db.session() as s:
        assert s.exec(select(func.count()).select_from(AuditEvent)).one() == audit_before
        rows = list(s.exec(select(FailedLoginTally)).all())
        failures = s.exec(select(func.count()).select_from(LoginFailure)).one()
    # One row per account tried, for the first 20 of the hour, then one for all the others (two if the hour turned).
    assert len(rows) <= 2 * (MAX_ACCOUNTS_PER_ADDRESS + 1), len(rows)
    assert sum(r.failed + r.throttled for r in rows) == 500
    assert sum(r.failed for r in rows) == statuses[401] == failures - 20
    assert {r.address for r in rows} == {GUESSER}
    assert any(r.email_hash == OTHER_ACCOUNTS for r in rows)
    print(f"500 refused logins in {elapsed:.1f} s: {statuses[401]} checked, {statuses[429]} refused unchecked, "
          f"{len(rows)} tally rows, {failures} throttle rows")


def test_the_periodic_sweep_prunes_old_refusals_and_stale_failures(settings, db):
    now = utcnow()
    with db.transaction() as s:
        for days in (400, 31, 29, 0):
            s.add(FailedLoginTally(window_start=hour_of(now - dt.timedelta(days=days)), address=GUESSER,
                                   email_hash=f"d{days}", failed=3, throttled=7))
        for hours in (30, 1):
            s.add(LoginFailure(account=MEMBER, address=GUESSER, at=now - dt.timedelta(hours=hours)))
    swept = replace(settings, reminder_interval=1, failed_login_retention_days=30)
    with TestClient(create_app(swept, db=db)):  # the app's background sweep runs at start, then every second
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with db.session() as s:
                kept = sorted(s.exec(select(FailedLoginTally.email_hash)).all())
                failures = s.exec(select(func.count()).select_from(LoginFailure)).one()
            if kept == ["d0", "d29"] and failures == 1:
                break
            time.sleep(0.1)
    assert kept == ["d0", "d29"]
    assert failures == 1  # a 30-hour-old failure counts for nothing any more; the 1-hour-old one still counts


def test_retention_zero_keeps_the_tallies(settings, db):
    from wg.features.audit.failed_logins import prune_failed_logins

    with db.transaction() as s:
        s.add(FailedLoginTally(window_start=hour_of(utcnow() - dt.timedelta(days=900)), address=GUESSER,
                               email_hash="old", failed=1))
    with db.transaction() as s:
        assert prune_failed_logins(s, 0) == 0
        assert prune_failed_logins(s, 1000) == 0
    with db.transaction() as s:
        assert prune_failed_logins(s, 365) == 1
        assert s.exec(select(col(FailedLoginTally.id))).all() == []
