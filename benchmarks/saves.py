"""Save latency, idle and under the mixed load, on SQLite and PostgreSQL (issue "Benchmarks", item 2).

For each backend: a fresh database with the demo group and a real ``wg serve``; first one writer alone (no readers)
saves for a while (idle), then 20 writers and 20 readers run together (mixed; see ``benchmarks/load.py``). Every
client sends its next request as soon as the previous one is answered, so "mixed" is the server's saturation, the
worst case: there a save waits behind every request already queued, and its latency is about (clients ÷ throughput).
"paced" (not in the quick run) is the same 40 clients, each pausing 1 s after every request, still far busier than
20 people typing: what a save costs when the server is busy but not saturated. Target: save p95 < 200 ms under the
mixed load with 0 errors.
"""

from __future__ import annotations

import math
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from benchmarks.common import Figure
from benchmarks.load import Load, LoadReport
from benchmarks.server import Server, fresh_database, prepare_database, start_server, wait_ready

BACKENDS = ("sqlite", "postgres")
TARGET_MS = 200.0
WRITERS = 20
READERS = 20
PACED_THINK = 1.0


def _ms(value: float) -> float | int:
    """Whole milliseconds (NaN stays NaN: no save was measured)."""
    return round(value) if math.isfinite(value) else value


def _figures(backend: str, idle: LoadReport, mixed: LoadReport, paced: LoadReport | None) -> list[Figure]:
    p = f"saves.{backend}."
    runs = (idle, mixed) if paced is None else (idle, mixed, paced)
    errors = sum(sum(r.errors.values()) + len(r.problems) for r in runs)
    mixed_p95, idle_p95 = mixed.save_ms["p95"], idle.save_ms["p95"]
    figures = [
        Figure(p + "idle.p50", _ms(idle.save_ms["p50"]), "ms", note=f"one writer, {idle.acknowledged} saves"),
        Figure(p + "idle.p95", _ms(idle.save_ms["p95"]), "ms"),
        Figure(p + "mixed.p50", _ms(mixed.save_ms["p50"]), "ms",
               note=f"{WRITERS} writers + {READERS} readers, no pause: {mixed.requests / mixed.seconds:.0f} req/s, "
                    f"{mixed.acknowledged} saves acknowledged, {mixed.outcomes.get('conflict', 0)} conflicts (409)"),
        Figure(p + "mixed.p95", _ms(mixed_p95), "ms", target=f"< {TARGET_MS:.0f}", met=mixed_p95 < TARGET_MS,
               note="" if mixed_p95 < TARGET_MS else "closed loop at saturation: a save waits behind the requests "
                                                     "queued before it (latency ≈ clients ÷ throughput)"),
        Figure(p + "mixed.p95_ratio_to_idle", round(mixed_p95 / idle_p95, 2) if idle_p95 > 0 else math.nan, "x"),
        Figure(p + "mixed.read_p95", _ms(mixed.read_ms["p95"]), "ms"),
    ]
    if paced is not None:
        figures += [
            Figure(p + "paced.p50", _ms(paced.save_ms["p50"]), "ms",
                   note=f"the same clients pausing {PACED_THINK:.0f} s after each request: "
                        f"{paced.requests / paced.seconds:.0f} req/s"),
            Figure(p + "paced.p95", _ms(paced.save_ms["p95"]), "ms"),
        ]
    return figures + [Figure(p + "errors", errors, target="0", met=errors == 0,
                             note="; ".join([x for r in runs for x in r.problems + r.examples][:3]))]


def run(quick: bool) -> list[Figure]:
    """Idle and mixed (and, unless ``quick``, paced) save latency on both backends.

    ``quick`` runs 0.5 s idle and 1.5 s mixed on SQLite only (about 8 s on a quiet machine, most of it making the demo
    database and starting the server); the full run measures both backends.
    """
    idle_seconds, mixed_seconds = (0.5, 1.5) if quick else (10.0, 30.0)
    backends = BACKENDS[:1] if quick else BACKENDS  # quick: SQLite only, so the whole quick run stays under a minute
    figures: list[Figure] = []
    with ExitStack() as stack:
        folders = {b: Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"wg-saves-{b}-")))
                   for b in backends}
        urls = {b: stack.enter_context(fresh_database(b, folders[b])) for b in backends}
        with ThreadPoolExecutor(max_workers=len(backends)) as pool:  # the Argon2 hashes of the demo run in parallel
            list(pool.map(prepare_database, urls.values()))
        servers: dict[str, Server] = {}
        for b in backends:
            servers[b] = start_server(urls[b], folders[b])
            stack.callback(servers[b].stop)
        for server in servers.values():
            wait_ready(server)
        for b in backends:
            with Load(servers[b].url, urls[b], login="issued", backend=b) as load:
                load.open(WRITERS, READERS)
                idle = load.run(idle_seconds, writers=1, readers=0)
                mixed = load.run(mixed_seconds, WRITERS, READERS, server_log=servers[b].stop if quick else None)
                paced = None if quick else load.run(mixed_seconds, WRITERS, READERS, think=PACED_THINK,
                                                    server_log=servers[b].stop)
            figures += _figures(b, idle, mixed, paced)
    return figures


if __name__ == "__main__":
    import sys

    for figure in run(quick="--quick" in sys.argv):
        print(figure.line())
