"""While a PDF renders, the app keeps answering: the render runs in a sandboxed child process, not on the server's
event loop or its request threads."""

from __future__ import annotations

import re
import time

import httpx

from wg.demo import DEMO_PASSWORD

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def _token(html: str) -> str:
    match = CSRF.search(html)
    assert match
    return match.group(1)


def test_pages_stay_responsive_while_a_pdf_renders(live_server: str):
    with httpx.Client(base_url=live_server, timeout=30, follow_redirects=False) as client:
        login = client.get("/login")
        client.post("/login", data={"email": "organizer@example.org", "password": DEMO_PASSWORD,
                                    "_csrf_token": _token(login.text)})
        idle = []
        for _ in range(5):
            started = time.monotonic()
            assert client.get("/g/trilateral").status_code == 200
            idle.append(time.monotonic() - started)
        page = client.get("/g/trilateral/exports")
        answer = client.post("/g/trilateral/exports", data={"profile": "internal", "format": "pdf",
                                                           "_csrf_token": _token(page.text)})
        assert answer.status_code == 303
        during: list[float] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            listing = client.get("/g/trilateral/exports", headers={"HX-Request": "true"})
            if "hx-trigger" not in listing.text:
                break
            started = time.monotonic()
            response = client.get("/g/trilateral")
            during.append(time.monotonic() - started)
            assert response.status_code == 200
        assert "Open PDF" in listing.text
        assert len(during) >= 3, "the render finished before the app could be measured"
        during.sort()
        p95_idle = sorted(idle)[-1]
        p95_during = during[int(len(during) * 0.95) - 1] if len(during) >= 20 else during[-1]
        print(f"dashboard during a PDF render: n={len(during)} worst={p95_during * 1000:.0f} ms "
              f"(idle worst {p95_idle * 1000:.0f} ms)")
        assert p95_during < 2.0, f"pages slowed to {p95_during:.2f} s while the PDF rendered"
