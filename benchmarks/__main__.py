"""``python -m benchmarks [--quick]``: run every benchmark module, print ``name: value`` lines, write
docs/performance.md.

Each module exposes ``run(quick: bool) -> list[Figure]``. A module that is missing or fails is reported (a line on
the console, a row in the table) and the others still run; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.metadata
import os
import platform
import shlex
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import _serve
from benchmarks.common import Figure

ROOT = Path(__file__).resolve().parent.parent
# The order they run in; the quick run of all of them together stays under 60 s.
MODULES = ("pages", "scale", "during_export", "saves", "export")
SHARE_SERVERS = {"pages", "scale", "during_export"}  # these reuse each other's servers (benchmarks._serve.shared)
OWNERS_NOTE = {"saves": "benchmarks/saves.py", "export": "benchmarks/export.py"}
PACKAGES = ("litestar", "sqlalchemy", "sqlmodel", "jinja2", "uvicorn", "granian", "weasyprint", "python-docx",
            "psycopg")


@dataclass
class ModuleResult:
    """What one module gave: its figures, or why it gave none."""

    name: str
    figures: list[Figure] = field(default_factory=list)
    seconds: float = 0.0
    problem: str = ""  # "missing: …" or the error


def run_module(name: str, quick: bool, importer: Callable[[str], object] = importlib.import_module) -> ModuleResult:
    """Import ``benchmarks.<name>`` and run it; a missing module or an exception becomes ``problem``."""
    result = ModuleResult(name)
    started = time.monotonic()
    try:
        module = importer(f"benchmarks.{name}")
    except ModuleNotFoundError as exc:
        if exc.name not in {f"benchmarks.{name}", None}:
            result.problem = f"cannot import: {exc}"
        else:
            result.problem = f"missing: {OWNERS_NOTE.get(name, f'benchmarks/{name}.py')} does not exist yet"
        return result
    try:
        result.figures = list(module.run(quick))  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - one failing benchmark must not hide the others' figures
        result.problem = f"failed: {type(exc).__name__}: {exc}".strip()
        traceback.print_exc(file=sys.stderr)
    result.seconds = time.monotonic() - started
    return result


def problem_figure(result: ModuleResult) -> Figure:
    """The row that says a module gave no figures, and why."""
    return Figure(f"{result.name}.status", "missing" if result.problem.startswith("missing") else "failed",
                  note=result.problem.splitlines()[0][:300] if result.problem else "")


def console_lines(results: Sequence[ModuleResult]) -> list[str]:
    """One ``name: value`` line per figure, modules in order; a module without figures says why."""
    lines: list[str] = []
    for result in results:
        lines += [f.line() for f in result.figures]
        if result.problem:
            lines.append(problem_figure(result).line() + f"  ({result.problem.splitlines()[0]})")
    return lines


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _value(figure: Figure) -> str:
    value = f"{figure.value:.3g}" if isinstance(figure.value, float) else str(figure.value)
    return f"{value} {figure.unit}".strip()


def _met(figure: Figure) -> str:
    return "" if figure.met is None else ("met" if figure.met else "**not met**")


def figures_table(figures: Sequence[Figure]) -> str:
    """The Markdown table: figure, value, target, met / not met, notes."""
    rows = ["| Figure | Value | Target | Met | Notes |", "|---|---|---|---|---|"]
    rows += [f"| `{_cell(f.name)}` | {_cell(_value(f))} | {_cell(f.target)} | {_met(f)} | {_cell(f.note)} |"
             for f in figures]
    return "\n".join(rows)


@dataclass(frozen=True)
class Machine:
    """Where and when the figures were measured."""

    cores: int
    load_before: str
    load_after: str
    python: str
    system: str
    versions: dict[str, str]
    date: str
    command: str
    commit: str


def _load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _tool_version(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)  # noqa: S603
    except OSError:
        return "not installed"
    return (done.stdout + done.stderr).strip().splitlines()[0] if (done.stdout + done.stderr).strip() else "?"


def describe_machine(load_before: str, argv: Sequence[str]) -> Machine:
    """Cores, load, versions, date and the command that produced the figures."""
    versions = {p: _version(p) for p in PACKAGES}
    versions["wrk"] = _tool_version(["wrk", "--version"]).split(" [")[0]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
                                cwd=ROOT, capture_output=True, text=True, timeout=10, check=False).stdout.strip()
        commit = commit or "unknown"
    except OSError:
        commit = "unknown"
    return Machine(cores=os.cpu_count() or 0, load_before=load_before, load_after=_load(),
                   python=platform.python_version(), system=platform.platform(), versions=versions,
                   date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                   command="python -m benchmarks" + "".join(f" {shlex.quote(a)}" for a in argv), commit=commit)


TARGETS = """\
| Target (issue 7) | Figure |
|---|---|
| Section page ≥ 0.35× the ceiling, p99 < 50 ms at 16 connections | `pages.*.section.*` |
| Save p95 < 200 ms under the mixed load, 0 errors | `saves.*` |
| PDF export ≤ 1.15× raw WeasyPrint; re-export of an unchanged report ≤ 0.2 s; DOCX ≤ 0.8× pandoc | `export.*` |
| 1,000 groups ≤ 1.2× one group | `scale.*.slowdown_1000_groups` |
| p95 during an export ≤ 2× idle | `during_export.dashboard_p95_ratio` |
| The number of queries per page stays bounded | `tests/integration/test_query_counts.py` (runs in CI) |
"""


def performance_markdown(results: Sequence[ModuleResult], machine: Machine, quick: bool,
                         findings: str = "") -> str:
    """The whole of docs/performance.md."""
    figures = [f for r in results for f in r.figures] + [problem_figure(r) for r in results if r.problem]
    unmet = [f for f in figures if f.met is False]
    versions = ", ".join(f"{k} {v}" for k, v in machine.versions.items())
    timing = ", ".join(f"{r.name} {r.seconds:.0f} s" for r in results if not r.problem)
    parts = [
        "# Performance",
        "",
        "Written by `python -m benchmarks` — do not edit the figures by hand; re-run it. Speed is measured side by "
        "side in one run and given as ratios (to a bare Litestar + Jinja page, to one group, to idle, to raw "
        "WeasyPrint, to pandoc), because absolute times on shared machines drift. The load comes from wrk, a "
        "separate process on 127.0.0.1; every server runs one worker.",
        "",
        f"- Command: `{machine.command}`{' (quick: short runs, noisier figures)' if quick else ''}",
        f"- Date: {machine.date}; commit {machine.commit}",
        f"- Machine: {machine.cores} cores, {machine.system}, Python {machine.python}; load average (1, 5, 15 min) "
        f"{machine.load_before} before the run, {machine.load_after} after",
        f"- Versions: {versions}",
        f"- Time per module: {timing or 'none ran'}",
        "",
        "## Figures",
        "",
        figures_table(figures),
        "",
        "## Targets",
        "",
        TARGETS,
        f"{len(unmet)} figure(s) miss their target" + (": " + ", ".join(f"`{f.name}`" for f in unmet) if unmet
                                                        else "") + ".",
        "",
    ]
    if findings:
        parts += ["## What stands in the way", "", findings.strip(), ""]
    parts += [
        "## How to reproduce",
        "",
        "`python -m benchmarks` (about 16 minutes on 2 cores, most of it the export's 4× report; `--quick` for a run "
        "under a minute: shorter loads, saves on SQLite only, a 3-section report for the export). "
        "`WG_TEST_POSTGRES_URL` names the PostgreSQL server for the saves and scale figures of the full run. "
        "The 1,000-group database is built once with bulk INSERTs "
        "and cached under the temp folder (`WG_BENCH_CACHE`), keyed by the schema's Alembic head. Run it on a quiet "
        "machine: `uptime` above says how busy this one was.",
        "",
    ]
    return "\n".join(parts)


FINDINGS_FILE = ROOT / "benchmarks" / "findings.md"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; 0 when every module gave its figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description="Measure wg against its own ceiling and its peers; print one "
                                                 "'name: value' line per figure and write docs/performance.md.")
    parser.add_argument("--quick", action="store_true", help="short runs (all modules in under 60 s)")
    parser.add_argument("--only", nargs="+", choices=MODULES, metavar="MODULE",
                        help=f"run only these modules ({', '.join(MODULES)})")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md",
                        help="where to write the table (default docs/performance.md); '-' writes nothing")
    args = parser.parse_args(argv)
    given = list(sys.argv[1:] if argv is None else argv)
    load_before = _load()
    results: list[ModuleResult] = []
    names = list(args.only or MODULES)
    for index, name in enumerate(names):
        result = run_module(name, args.quick)
        results.append(result)
        for line in console_lines([result]):
            print(line, flush=True)
        if not SHARE_SERVERS.intersection(names[index + 1:]):
            _serve.close_shared()  # idle servers must not sit beside the modules that follow
    machine = describe_machine(load_before, given)
    if str(args.out) != "-":
        findings = FINDINGS_FILE.read_text() if FINDINGS_FILE.exists() else ""
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(performance_markdown(results, machine, args.quick, findings))
        print(f"wrote {args.out}", flush=True)
    return 1 if any(r.problem for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
