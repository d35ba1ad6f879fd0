"""Render a report PDF in a child process with a wall-clock timeout and memory and CPU limits.

WeasyPrint is CPU-bound and its memory grows with the report (PLATFORM.md: ~30 ms and a few MB a page), and member
text is arbitrary: a render must never stall a server process or take it down. ``render_pdf_sandboxed`` runs
``python -m wg.features.report.sandbox`` with the pickled snapshot on stdin; the child sets ``RLIMIT_AS`` and
``RLIMIT_CPU`` on itself before importing WeasyPrint, renders, and writes the PDF bytes to stdout. The parent
kills the child's whole process group when the wall-clock timeout passes and always reaps it, so no child that
was given a snapshot outlives a call (export jobs keep one more child waiting, warmed up, for the next render:
``keep_warm``). Every failure (timeout, memory, crash) is one exception type, ``RenderFailed``, with a message a
person can act on.

Data flows one way: the parent pickles the snapshot for the child; nothing from the child is unpickled, the parent
only accepts bytes that start like a PDF.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import math
import os
import pickle  # only passes a snapshot from the parent to its own child  # nosec B403
import signal
import subprocess  # starts our own interpreter, never a shell  # nosec B404
import sys
import threading
import time
from typing import Literal

from wg.features.report.snapshot import (
    AdditionalViewSnap,
    CountryRoster,
    FrontMatter,
    RecommendationSnap,
    ReportSnapshot,
    RosterPerson,
    SectionSnap,
)
from wg.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

FailureReason = Literal["timeout", "memory", "crash"]

#: The child's exit codes (besides 0 for success and a negative code for a signal).
EXIT_OUT_OF_MEMORY = 3
EXIT_RENDER_ERROR = 4
EXIT_BAD_INPUT = 5
EXIT_ORPHANED = 6  # the parent died (kill -9 of the app process): nobody is waiting for the PDF

_STDERR_TAIL = 2000


class RenderFailed(RuntimeError):
    """The PDF could not be made: it took too long, ran out of memory, or the renderer crashed."""

    def __init__(self, message: str, reason: FailureReason = "crash") -> None:
        super().__init__(message)
        self.message = message
        self.reason: FailureReason = reason


# --- The snapshot on the wire ---------------------------------------------------------------------------------


def snapshot_to_bytes(snapshot: ReportSnapshot) -> bytes:
    """The snapshot as the child reads it: a pickle, which keeps every string exactly (even lone surrogates)."""
    return pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL)


def snapshot_from_bytes(data: bytes) -> ReportSnapshot:
    """The snapshot the parent wrote; raise ValueError for anything else.

    Only the child calls this, on what its parent wrote to its stdin: the child trusts its parent, never the other
    way round (the parent accepts nothing from the child but bytes that look like a PDF).
    """
    try:
        snapshot = pickle.loads(data)  # noqa: S301 - written by our own parent process, see above  # nosec B301
    except Exception as error:  # noqa: BLE001 - any unpickling failure means "not a snapshot"
        raise ValueError(f"not a pickled report snapshot ({type(error).__name__})") from None
    if not isinstance(snapshot, ReportSnapshot):
        raise ValueError(f"expected a ReportSnapshot, got {type(snapshot).__name__}")
    return snapshot


# --- Parent side ----------------------------------------------------------------------------------------------


def _child_env() -> dict[str, str]:
    """The child's environment: ours without the ``WG_*`` settings (the renderer needs no secrets or database)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("WG_")}


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child and anything it started (it leads its own session); call only before it is reaped."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _seconds(value: float) -> str:
    """``120`` → ``120``; ``0.5`` → ``0.5``."""
    return f"{value:g}"


def _tail(stderr: bytes) -> str:
    """The end of the child's error output, for the log."""
    return stderr[-_STDERR_TAIL:].decode("utf-8", "replace").strip()


# A child started ahead of time (``keep_warm``): it has imported WeasyPrint and rendered a small built-in report, and
# waits for one snapshot on stdin. Each child still renders once and exits; only its start-up moves off the path.
_spare: subprocess.Popen[bytes] | None = None
_spare_limits: tuple[int, int] = (0, 0)
_spare_lock = threading.Lock()


def _start_child(memory_mb: int, cpu_s: int, warm: bool) -> subprocess.Popen[bytes]:
    """Start a renderer child (it reads its snapshot from stdin); raise RenderFailed if it cannot start."""
    command = [
        sys.executable, "-m", "wg.features.report.sandbox",
        "--memory-mb", str(int(memory_mb)), "--cpu-seconds", str(cpu_s), *(["--warm"] if warm else []),
    ]
    try:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell  # nosec B603
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=str(PROJECT_ROOT), env=_child_env(), start_new_session=True,
        )
    except OSError as error:
        log.error("could not start the PDF renderer: %s", error)
        raise RenderFailed("The PDF renderer could not be started. Try again later, or export DOCX.") from None


def _end_child(proc: subprocess.Popen[bytes]) -> None:
    """Stop a child that has not been given a snapshot, and reap it."""
    _kill_group(proc)
    proc.communicate()


def discard_spare() -> None:
    """Stop the warm child waiting for the next render, if any (at exit, and for tests)."""
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    if spare is not None:
        _end_child(spare)


atexit.register(discard_spare)


def _take_child(memory_mb: int, cpu_s: int) -> subprocess.Popen[bytes]:
    """The waiting warm child if it has these limits and is alive; otherwise a new (cold) one."""
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
        limits = _spare_limits
    if spare is not None:
        if limits == (memory_mb, cpu_s) and spare.poll() is None:
            return spare
        _end_child(spare)
    return _start_child(memory_mb, cpu_s, warm=False)


def _keep_spare(memory_mb: int, cpu_s: int) -> None:
    """Start the warm child the next ``keep_warm`` render will use."""
    global _spare, _spare_limits
    try:
        proc = _start_child(memory_mb, cpu_s, warm=True)
    except RenderFailed:
        return
    with _spare_lock:
        old, _spare, _spare_limits = _spare, proc, (memory_mb, cpu_s)
    if old is not None:
        _end_child(old)


def render_pdf_sandboxed(snapshot: ReportSnapshot, timeout_s: float = 120, memory_mb: int = 1536,
                         keep_warm: bool = False) -> bytes:
    """Render ``snapshot`` to PDF in a child process; raise RenderFailed on timeout, memory exhaustion or a crash.

    ``timeout_s`` bounds wall-clock time (the child also gets a CPU-time limit just above it); ``memory_mb``
    bounds the child's address space. Blocking: call it from a worker thread, never on the event loop.

    With ``keep_warm`` (export jobs), a new child is started after the render and waits, warmed up, for the next
    render with the same limits: Python's start, WeasyPrint's import and its first-render font loading (together
    ~15% of a 120-page render) are then paid between exports instead of during one. That child is as sandboxed as
    any other, renders once, and exits when this process does.
    """
    cpu_s = math.ceil(timeout_s) + 1
    payload = snapshot_to_bytes(snapshot)
    started = time.monotonic()
    proc = _take_child(int(memory_mb), cpu_s)
    try:
        return _finish(proc, snapshot, payload, started, timeout_s, memory_mb)
    finally:
        if keep_warm:
            _keep_spare(int(memory_mb), cpu_s)


def _finish(proc: subprocess.Popen[bytes], snapshot: ReportSnapshot, payload: bytes, started: float,
            timeout_s: float, memory_mb: int) -> bytes:
    """Give the child its snapshot and wait for the PDF (the rest of ``render_pdf_sandboxed``)."""
    try:
        stdout, stderr = proc.communicate(payload, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        log.warning("PDF render of %r stopped after %s s", snapshot.group_slug, _seconds(timeout_s))
        raise RenderFailed(
            f"The PDF took longer than {_seconds(timeout_s)} s to render and was stopped. Try again later, "
            "or export DOCX; if it keeps happening the report may be too large to print in one go.",
            reason="timeout",
        ) from None
    except BaseException:
        # Interrupted (KeyboardInterrupt, a failed write to the pipe …): the child must not outlive the call.
        _kill_group(proc)
        proc.wait()
        raise
    elapsed = time.monotonic() - started
    code = proc.returncode
    if code == 0 and stdout.startswith(b"%PDF-"):
        log.info("rendered PDF of %r: %d bytes in %.2f s", snapshot.group_slug, len(stdout), elapsed)
        return stdout
    log.warning("PDF render of %r failed (exit %s) after %.2f s: %r", snapshot.group_slug, code, elapsed,
                _tail(stderr))
    raise _failure(code, elapsed, timeout_s, memory_mb)


def _failure(code: int, elapsed: float, timeout_s: float, memory_mb: int) -> RenderFailed:
    """The RenderFailed for a child that ended with ``code`` after ``elapsed`` seconds."""
    too_slow = RenderFailed(
        f"The PDF took longer than {_seconds(timeout_s)} s to render and was stopped. Try again later, "
        "or export DOCX.",
        reason="timeout",
    )
    if code == -signal.SIGXCPU:
        return too_slow
    if code == EXIT_OUT_OF_MEMORY:
        return RenderFailed(
            f"The PDF needed more than the {memory_mb} MB of memory it may use and was stopped. Try again later, "
            "or export DOCX.",
            reason="memory",
        )
    if code == -signal.SIGKILL:
        # The kernel kills at the hard CPU limit (after the soft limit's SIGXCPU) or when memory runs out.
        return too_slow if elapsed >= timeout_s else RenderFailed(
            f"The PDF renderer was killed, most likely because it ran out of the {memory_mb} MB of memory it may "
            "use. Try again later, or export DOCX.",
            reason="memory",
        )
    if code in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS, -signal.SIGTRAP):
        # With RLIMIT_AS, C libraries that cannot allocate (GLib cannot start a thread, Pango cannot grow a
        # buffer) abort or crash instead of raising MemoryError.
        return RenderFailed(
            f"The PDF renderer crashed (signal {-code}), most likely because it ran out of the {memory_mb} MB "
            "of memory it may use. Try again later, or export DOCX.",
            reason="memory",
        )
    return RenderFailed(f"The PDF renderer failed (exit status {code}). Try again later, or export DOCX.")


RENDER_NICENESS = 10  # added to the child's niceness: lower CPU priority than the app's page requests


# --- Child side -----------------------------------------------------------------------------------------------


def _limit_self(memory_mb: int, cpu_seconds: int) -> None:
    """Cap this process's address space, CPU time and core dumps (before anything big is imported)."""
    import resource

    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # A render is a batch job: page requests of the app process come first (p95 during an export, docs/performance.md).
    os.nice(RENDER_NICENESS)


def _exit_with_parent() -> None:
    """Leave at once when the parent dies (the app process was killed): the child leads its own session, so it
    would otherwise render for nobody until its CPU limit, on a machine that is restarting the app."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.25)
            if os.getppid() != parent:
                os._exit(EXIT_ORPHANED)

    threading.Thread(target=watch, name="wg-sandbox-parent-watch", daemon=True).start()


def _warm_up() -> None:
    """Import the renderer and print a small built-in report (Latin, Japanese and Korean text, a footnote), so the
    real render finds WeasyPrint imported and its fonts loaded. The output is thrown away."""
    from wg.features.report.pdf import render_pdf

    view = AdditionalViewSnap("A member from Japan adds:", "A *short* view.", "reservation")
    rec = RecommendationSnap(key="R-1", number="1.1", title="Warm-up", target="Trilateral", outcome="Consensus",
                             text="Text with **bold**, *italic*, 佐藤遥 and 김민준.\n\n- a list", rationale="Why.",
                             views=(view,))
    render_pdf(ReportSnapshot(
        group_slug="warm-up", group_name="Warm-up", profile="public", draft=True,
        front=FrontMatter(title="Warm-up", subtitle="S", series_line="L", host_organisation="H",
                          date_line="November 2026", acknowledgements="A", foreword="F", executive_summary="E"),
        roster=(CountryRoster("JP", "Japan", (RosterPerson("Haruka Sato", "佐藤遥", "A", "", "ja"),)),
                CountryRoster("KR", "Korea", (RosterPerson("Kim Min-jun", "김민준", "A", "Co-chair", "ko"),))),
        sections=(SectionSnap(number=1, title="One", text="Section text.", recommendations=(rec,)),)))


def _near_memory_cap(memory_mb: int) -> bool:
    """Whether this process's address space is within 10% of its cap (read from /proc; False where there is none)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    return pages * os.sysconf("SC_PAGE_SIZE") >= 0.9 * memory_mb * 1024 * 1024


def main(argv: list[str] | None = None) -> int:
    """Child entry point: pickled snapshot on stdin → PDF on stdout (exit 3: out of memory, 4: error, 5: bad input,
    6: the parent died).

    ``--warm``: warm up (``_warm_up``) before reading stdin; the parent starts such a child ahead of time.
    """
    parser = argparse.ArgumentParser(prog="python -m wg.features.report.sandbox")
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--warm", action="store_true")
    args = parser.parse_args(argv)
    _limit_self(args.memory_mb, args.cpu_seconds)
    _exit_with_parent()
    try:
        if args.warm:
            _warm_up()
        try:
            snapshot = snapshot_from_bytes(sys.stdin.buffer.read())
        except ValueError as error:
            sys.stderr.write(f"wg sandbox: {error}\n")
            return EXIT_BAD_INPUT
        from wg.features.report.pdf import render_pdf

        pdf = render_pdf(snapshot)
        sys.stdout.buffer.write(pdf)
        sys.stdout.buffer.flush()
    except MemoryError:
        # Allocating even an error message may fail now: leave at once, the exit code says it all.
        os._exit(EXIT_OUT_OF_MEMORY)
    except Exception as error:  # noqa: BLE001 - any renderer error becomes an exit status for the parent
        if _near_memory_cap(args.memory_mb):
            # C extensions that cannot allocate under RLIMIT_AS often fail with something other than MemoryError
            # ("SystemError: error return without exception set"): at the cap, that is what it was.
            os._exit(EXIT_OUT_OF_MEMORY)
        sys.stderr.write(f"wg sandbox: render failed: {type(error).__name__}: {str(error)[:500]}\n")
        return EXIT_RENDER_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
