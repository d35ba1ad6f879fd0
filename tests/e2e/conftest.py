"""Browser tests: a real wg server in a subprocess, driven by Debian's Chromium through Playwright.

Playwright's own browser download does not work here, so the launch uses /usr/bin/chromium. Under CI=true a
missing Chromium fails the run instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import running_server

CHROMIUM = os.environ.get("WG_TEST_CHROMIUM", "/usr/bin/chromium")
AXE_JS = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark browser tests; skip them (saying why) when Chromium is missing outside CI."""
    here = Path(__file__).parent
    have_browser = shutil.which(CHROMIUM) is not None or Path(CHROMIUM).exists()
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            if not have_browser and not IN_CI:
                item.add_marker(pytest.mark.skip(reason=f"Chromium not installed at {CHROMIUM} (apt-get install "
                                                        "chromium); CI=true makes this a failure"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium headless, with no background network traffic."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is required for browser tests and is missing at {CHROMIUM}")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """The axe-core checker is injected as a script, which the app's CSP would (rightly) block."""
    return {**browser_context_args, "bypass_csp": True, "locale": "en-US"}


@pytest.fixture
def live_server(settings: Any, tmp_path: Path) -> Iterator[str]:
    """``wg serve`` on a free port against this test's database (demo group loaded); yields the base URL."""
    with running_server(settings, tmp_path) as server:
        yield server.url


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the current page; return the serious and critical violations."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["html"][:200] for n in v["nodes"][:3]]}
        for v in result["violations"] if v["impact"] in {"serious", "critical"}
    ]


def log_in(page: Any, base: str, email: str) -> None:
    """Log ``email`` in through the login form with the demo password, as a member would."""
    from playwright.sync_api import expect

    from wg.demo import DEMO_PASSWORD

    page.goto(f"{base}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My working groups")).to_be_visible()
