"""The warm PDF renderer an export keeps waiting (``render_pdf_sandboxed(keep_warm=True)``): the same PDF, the same
sandbox (no ``WG_*`` environment, address-space limit), one render per child, nothing left behind.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.test_report_pdf import child_processes
from wg.features.report.exports import render
from wg.features.report.pdf import render_pdf
from wg.features.report.sample import sample_snapshot
from wg.features.report.sandbox import discard_spare, render_pdf_sandboxed
from wg.features.report.snapshot import ReportSnapshot
from wg.settings import PROJECT_ROOT


@pytest.fixture(autouse=True)
def _no_foreign_renders() -> Iterator[None]:
    """Each test owns this process's renderer children: export jobs that earlier tests in this worker process left
    running in the background would take or replace the warm child. Wait for them, then start with none."""
    for thread in threading.enumerate():
        if thread.name.startswith(("export-", "wg-exports")):  # a job's render, or an app's export worker
            thread.join(timeout=60)
    discard_spare()
    yield
    discard_spare()


def one_section() -> ReportSnapshot:
    """The sample report cut to its first section with recommendations (a few pages)."""
    sample = sample_snapshot("public", draft=True)
    return dataclasses.replace(sample, sections=tuple(s for s in sample.sections if s.recommendations)[:1])


def warm_children() -> list[int]:
    """The pids of this process's renderer children waiting warm."""
    return [int(line.split()[0]) for line in child_processes() if "--warm" in line]


def wait_until_gone(pid: int, timeout_s: float = 30) -> bool:
    """Whether process ``pid`` ends (or is a zombie waiting to be reaped) within the timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def address_space_limit(pid: int, timeout_s: float = 30) -> str:
    """The soft RLIMIT_AS of ``pid`` once it has set one (a child sets it first thing), or "unlimited"."""
    deadline = time.monotonic() + timeout_s
    soft = "unlimited"
    while time.monotonic() < deadline:
        line = next(line for line in Path(f"/proc/{pid}/limits").read_text().splitlines()
                    if line.startswith("Max address space"))
        soft = line.split()[3]
        if soft != "unlimited":
            break
        time.sleep(0.05)
    return soft


@pytest.fixture(autouse=True)
def _no_spare_left() -> Iterator[None]:
    discard_spare()
    yield
    discard_spare()


def test_export_render_keeps_one_warm_sandboxed_renderer_that_prints_the_same_pdf(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WG_SECRET_KEY", "must-not-reach-the-renderer")
    snapshot = one_section()
    expected = render_pdf(snapshot)
    assert render(snapshot, "pdf") == expected
    [spare] = warm_children()
    # The waiting child is as sandboxed as any: no WG_* settings, its address space capped before it warmed up.
    environ = Path(f"/proc/{spare}/environ").read_bytes().split(b"\0")
    assert not [entry for entry in environ if entry.startswith(b"WG_")]
    assert address_space_limit(spare) == str(1536 * 1024 * 1024)
    assert render(snapshot, "pdf") == expected
    # The warm child rendered once and ended; a new one waits for the next export.
    assert wait_until_gone(spare)
    [second] = warm_children()
    assert second != spare
    discard_spare()
    assert child_processes() == []


def test_a_render_with_other_limits_starts_its_own_child_and_leaves_none() -> None:
    snapshot = one_section()
    render(snapshot, "pdf")
    [spare] = warm_children()
    data = render_pdf_sandboxed(snapshot, timeout_s=60, memory_mb=1024)
    assert data == render_pdf(snapshot)
    assert wait_until_gone(spare)
    assert child_processes() == []


def test_the_warm_renderer_ends_when_the_app_process_dies() -> None:
    script = (
        "import os, signal, sys\n"
        "from tests.unit.test_report_sandbox_warm import one_section, warm_children\n"
        "from wg.features.report.exports import render\n"
        "render(one_section(), 'pdf')\n"
        "print(warm_children()[0], flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"  # no atexit: the child sees its stdin close
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT,
                            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, timeout=120, check=False)
    assert result.returncode == -signal.SIGKILL, result.stderr
    spare = int(result.stdout.split()[0])
    assert wait_until_gone(spare), f"warm renderer {spare} outlived its parent"


def test_the_render_child_runs_at_a_lower_cpu_priority_than_the_app():
    # Pages must win over a render on a busy machine: the child adds RENDER_NICENESS to its niceness.
    code = ("import os; from wg.features.report.sandbox import _limit_self; before = os.nice(0); "
            "_limit_self(1024, 60); print(os.nice(0) - before)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    from wg.features.report.sandbox import RENDER_NICENESS
    assert int(result.stdout) == RENDER_NICENESS > 0
