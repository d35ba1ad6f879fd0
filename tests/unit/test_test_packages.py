"""Every program a test or a benchmark calls is installed by ``scripts/ensure-test-packages.sh``.

On a fresh machine ``make test`` failed because a test ran ``wrk``, which the script never installed (issue 12,
item 11). This scans tests/ and benchmarks/ for the programs they start (``subprocess`` calls, ``shutil.which``,
absolute ``/usr/bin`` paths, tool tuples) and checks each against the script's ``provides`` table.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "ensure-test-packages.sh"

# Programs that are not Debian packages the script should install, and why.
NOT_FROM_THE_SCRIPT = {
    "docker": "an alternative to docker-compose, used only when present (tests/unit/test_deploy.py)",
    "bash": "essential in Debian: the script itself runs in it",
}

_CALLS = [
    re.compile(r'shutil\.which\(\s*"([\w.+-]+)"'),
    re.compile(r'subprocess\.(?:run|Popen|check_output|check_call|call)\(\s*\[\s*"([\w.+-]+)"'),
    re.compile(r'"/usr/(?:local/)?bin/([\w.+-]+)"'),
    re.compile(r'_tool(?:_version)?\(\s*\[?\s*"([\w.+-]+)"'),
]
_TOOL_TUPLE = re.compile(r"^[A-Z_]*TOOLS\s*=\s*\(([^)]*)\)", re.MULTILINE)


def programs_called(roots: list[Path]) -> dict[str, set[str]]:
    """Program name -> the files (relative to the project) that start it."""
    found: dict[str, set[str]] = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if "vendor" in path.parts:
                continue
            source = path.read_text(encoding="utf-8")
            names = {m.group(1) for pattern in _CALLS for m in pattern.finditer(source)}
            for tuple_match in _TOOL_TUPLE.finditer(source):
                names |= set(re.findall(r'"([\w.+-]+)"', tuple_match.group(1)))
            for name in names:
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def script_provides(script: str) -> dict[str, str]:
    """Program -> Debian package, from the script's ``provides`` table."""
    block = re.search(r"declare -A provides=\((.*?)\n\)", script, re.DOTALL)
    assert block, "the script has no provides=( ... ) table"
    table = {}
    for package, programs in re.findall(r'\[([\w.+-]+)\]="([^"]*)"', block.group(1)):
        for program in programs.split():
            table[program] = package
    return table


def script_installs(script: str) -> set[str]:
    """The packages of the script's ``needs`` table (the ones it checks and installs)."""
    block = re.search(r"declare -A needs=\((.*?)\n\)", script, re.DOTALL)
    assert block, "the script has no needs=( ... ) table"
    return set(re.findall(r'\[([\w.+-]+)\]=', block.group(1)))


def python_tools() -> set[str]:
    """Commands installed into the virtualenv by the project's own extras (pip, not apt)."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    return {re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0].lower() for specs in extras.values() for spec in specs}


def uninstalled(script: str, called: dict[str, set[str]]) -> dict[str, set[str]]:
    """Programs called by tests or benchmarks that neither the script nor the Python extras provide."""
    provides = script_provides(script)
    installed = script_installs(script)
    pip = python_tools()
    return {name: files for name, files in called.items()
            if not (provides.get(name) in installed or name in pip or name in NOT_FROM_THE_SCRIPT)}


def test_every_program_a_test_or_benchmark_calls_is_installed_by_the_script():
    called = programs_called([ROOT / "tests", ROOT / "benchmarks"])
    # The scan sees the programs it must see (otherwise it proves nothing).
    for expected in ("wrk", "pdftotext", "pdffonts", "pdfinfo", "pandoc", "chromium", "libreoffice",
                     "docker-compose", "bandit"):
        assert expected in called, f"the scan no longer finds {expected}"
    assert uninstalled(SCRIPT.read_text(), called) == {}


def test_a_program_the_script_does_not_install_is_reported_with_the_files_that_call_it():
    script = SCRIPT.read_text()
    without_wrk = re.sub(r"\n\s*\[wrk\]=.*", "", script)
    called = programs_called([ROOT / "tests", ROOT / "benchmarks"])
    missing = uninstalled(without_wrk, called)
    assert set(missing) == {"wrk"}
    assert "benchmarks/_serve.py" in missing["wrk"]
    called["some-new-tool"] = {"tests/unit/test_example.py"}
    assert "some-new-tool" in uninstalled(script, called)


def test_the_script_installs_the_emoji_font_and_waits_for_the_dpkg_lock():
    script = SCRIPT.read_text()
    assert "fonts-noto-color-emoji" in script_installs(script)
    assert re.search(r'-o "DPkg::Lock::Timeout=\$\{APT_LOCK_TIMEOUT\}"', script)
    assert re.search(r"APT_LOCK_TIMEOUT=\$\{APT_LOCK_TIMEOUT:-\d+\}", script)
    bash = shutil.which("bash")
    assert bash is not None
    assert subprocess.run([bash, "-n", str(SCRIPT)], capture_output=True, check=False).returncode == 0  # noqa: S603


def test_the_dockerfile_installs_the_emoji_font():
    assert "fonts-noto-color-emoji" in (ROOT / "Dockerfile").read_text()
