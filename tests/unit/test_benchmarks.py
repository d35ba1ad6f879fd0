"""The benchmark harness's pure parts: figure lines, the performance table, module loading, wrk's output.

Running the benchmarks themselves takes a minute and a quiet machine, so CI checks what decides what they print and
write, and that ``python -m benchmarks --help`` starts.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

from benchmarks import _serve
from benchmarks.__main__ import (
    Machine,
    ModuleResult,
    console_lines,
    figures_table,
    performance_markdown,
    run_module,
)
from benchmarks.common import Figure

ROOT = Path(__file__).resolve().parents[2]
MACHINE = Machine(cores=2, load_before="1.00, 0.50, 0.25", load_after="1.50, 0.60, 0.30", python="3.11.7",
                  system="Linux", versions={"litestar": "2.25.0", "wrk": "wrk 4.1.0"}, date="2026-11-26 09:00 UTC",
                  command="python -m benchmarks --quick", commit="abc1234")


def _importer(modules: dict[str, object]):  # noqa: ANN202
    def load(name: str) -> object:
        if name not in modules:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        module = modules[name]
        if isinstance(module, Exception):
            raise module
        return module
    return load


def test_figure_lines_are_name_colon_value():
    results = [ModuleResult("pages", [Figure("pages.uvicorn.section.rps", 512, "req/s"),
                                      Figure("pages.uvicorn.section.ratio_to_ceiling", 0.123456, "x"),
                                      Figure("scale.sqlite.big_database", "ready")])]
    assert console_lines(results) == ["pages.uvicorn.section.rps: 512 req/s",
                                      "pages.uvicorn.section.ratio_to_ceiling: 0.123 x",
                                      "scale.sqlite.big_database: ready"]


def test_a_missing_module_is_said_clearly_and_the_others_still_run():
    good = types.SimpleNamespace(run=lambda quick: [Figure("pages.x", 1.5 if quick else 9.0, "s")])
    load = _importer({"benchmarks.pages": good})
    missing = run_module("saves", True, load)
    ran = run_module("pages", True, load)
    assert missing.figures == [] and missing.problem.startswith("missing: benchmarks/saves.py")
    assert ran.figures == [Figure("pages.x", 1.5, "s")] and not ran.problem
    assert console_lines([ran, missing]) == [
        "pages.x: 1.5 s", "saves.status: missing  (missing: benchmarks/saves.py does not exist yet)"]


def test_a_failing_module_is_reported_not_raised(capsys: pytest.CaptureFixture[str]):
    def boom(quick: bool) -> list[Figure]:
        raise RuntimeError("wrk is not installed")

    result = run_module("scale", True, _importer({"benchmarks.scale": types.SimpleNamespace(run=boom)}))
    assert result.problem == "failed: RuntimeError: wrk is not installed"
    assert "RuntimeError" in capsys.readouterr().err  # the traceback goes to stderr for whoever runs it


def test_a_module_whose_own_import_fails_is_not_called_missing():
    broken = ModuleNotFoundError("No module named 'pyinstrument'", name="pyinstrument")
    result = run_module("export", True, _importer({"benchmarks.export": broken}))
    assert result.problem.startswith("cannot import:") and "pyinstrument" in result.problem


def test_table_has_every_figure_with_target_and_verdict():
    table = figures_table([
        Figure("pages.uvicorn.section.ratio_to_ceiling", 0.21, "x", target=">= 0.35", met=False, note="a | b"),
        Figure("scale.sqlite.section.slowdown_1000_groups", 1.05, "x", target="<= 1.2", met=True),
        Figure("pages.uvicorn.ceiling.rps", 2400, "req/s"),
    ])
    lines = table.splitlines()
    assert lines[0] == "| Figure | Value | Target | Met | Notes |"
    assert lines[2] == "| `pages.uvicorn.section.ratio_to_ceiling` | 0.21 x | >= 0.35 | **not met** | a \\| b |"
    assert lines[3] == "| `scale.sqlite.section.slowdown_1000_groups` | 1.05 x | <= 1.2 | met |  |"
    assert lines[4] == "| `pages.uvicorn.ceiling.rps` | 2400 req/s |  |  |  |"


def test_performance_page_names_machine_command_targets_and_misses():
    results = [ModuleResult("pages", [Figure("pages.uvicorn.section.p99_ms", 80.0, "ms", target="< 50", met=False)],
                            seconds=12.0),
               ModuleResult("saves", problem="missing: benchmarks/saves.py does not exist yet")]
    page = performance_markdown(results, MACHINE, quick=True, findings="The board loads the whole group.")
    assert page.startswith("# Performance\n")
    for expected in ("`python -m benchmarks --quick`", "2026-11-26 09:00 UTC", "commit abc1234", "2 cores",
                     "1.00, 0.50, 0.25 before the run", "litestar 2.25.0", "pages 12 s",
                     "| `saves.status` | missing |", "1 figure(s) miss their target: `pages.uvicorn.section.p99_ms`",
                     "## What stands in the way\n\nThe board loads the whole group.", "1,000 groups ≤ 1.2× one group"):
        assert expected in page, expected


def test_wrk_stats_line_is_parsed():
    out = "Running 2s test @ http://127.0.0.1:1/\nWGSTATS 4000 2000000 1 2 3500 9000 12500 30000 123456\n"
    result = _serve.parse_wrk(out)
    assert result.rps == 2000
    assert (result.p50_ms, result.p95_ms, result.p99_ms, result.max_ms) == (3.5, 9.0, 12.5, 30.0)
    assert result.errors == 3
    with pytest.raises(_serve.BenchmarkError, match="no WGSTATS"):
        _serve.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def test_wrk_gets_the_session_cookie_and_one_thread():
    cmd = _serve.wrk_command("http://127.0.0.1:9/g/x", 2, 16, "wg_session=abc; wg_csrf=def")
    assert cmd[1:4] == ["-t1", "-c16", "-d2s"]
    assert cmd[cmd.index("-H") + 1] == "Cookie: wg_session=abc; wg_csrf=def"
    assert cmd[-1] == "http://127.0.0.1:9/g/x"


def test_servers_get_one_worker():
    assert _serve.server_command("wg", "uvicorn", 8123)[1:4] == ["-m", "wg", "serve"]  # exactly `wg serve`
    granian = _serve.server_command("ceiling", "granian", 8123)
    assert granian[granian.index("--workers") + 1] == "1" and granian[-1] == "benchmarks.ceiling_app:app"
    assert "asgi" in granian
    with pytest.raises(ValueError, match="server must be"):
        _serve.server_command("wg", "hypercorn", 8123)


def test_help_runs():
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "--quick" in done.stdout and "docs/performance.md" in done.stdout
