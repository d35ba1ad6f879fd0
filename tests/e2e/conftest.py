"""Browser tests: a real wg server in a subprocess, driven by Debian's Chromium through Playwright.

Playwright's own browser download does not work here, so the launch uses /usr/bin/chromium. Under CI=true a
missing Chromium fails the run instead of skipping it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(settings: Any, tmp_path: Path) -> Iterator[str]:
    """``wg serve`` on a free port against this test's database (demo group loaded); yields the base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "WG_ENV": "test",
        "WG_DATA_DIR": str(settings.data_dir),
        "WG_DATABASE_URL": settings.database_url,
        "WG_EXPORTS_DIR": str(settings.exports_dir),
        "WG_SECRET_KEY": settings.secret_key,
        "WG_BASE_URL": f"http://127.0.0.1:{port}",
    }
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "wg", "serve", "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as r:  # noqa: S310 - loopback only
                    if json.load(r) == {"status": "ok"}:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail(f"wg serve did not start:\n{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the current page; return the serious and critical violations."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["html"][:200] for n in v["nodes"][:3]]}
        for v in result["violations"] if v["impact"] in {"serious", "critical"}
    ]
