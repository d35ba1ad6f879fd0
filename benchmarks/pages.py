"""Pages: requests per second from wrk on 127.0.0.1 against one server worker, as ratios to a bare Litestar + Jinja
page (the ceiling) served by the same server in the same run, and p99 latency at 16 connections.

Measured under uvicorn (what ``wg serve`` runs) and granian, on SQLite: the ceiling, the group dashboard and a
section page with 50 recommendations, logged in as the demo organizer (who sees every control on both pages).
"""

from __future__ import annotations

from benchmarks import _serve
from benchmarks.common import Figure

CONNECTIONS = 16
SECTION_RATIO_TARGET = 0.35
P99_TARGET_MS = 50.0


def page_paths(srv: _serve.Server) -> dict[str, str]:
    """The measured pages of a wg server: name → path."""
    assert srv.database is not None
    return {"dashboard": srv.database.dashboard_path, "section": srv.database.section_path}


def measure(srv: _serve.Server, path: str, seconds: float, connections: int = CONNECTIONS) -> _serve.LoadResult:
    """Warm, then load one page of ``srv`` (logged in as the organizer on a wg server); errors are fatal."""
    cookie = ""
    if srv.database is not None:
        browser = _serve.organizer(srv)
        browser.check_page(path)
        cookie = browser.cookie_header()
    _serve.warm(srv.url + path, cookie)
    result = _serve.load(srv.url + path, seconds, connections, cookie)
    if result.errors:
        raise _serve.BenchmarkError(f"{path} on {srv.log_path.stem}: {result.errors} errors under load")
    return result


def run(quick: bool) -> list[Figure]:
    """The page figures."""
    seconds = 1 if quick else 10
    ceiling_seconds = 1 if quick else 10  # the ceiling answers thousands a second: one second is plenty
    figures: list[Figure] = []
    servers = _serve.shared([(app, server, 0) for server in _serve.SERVERS for app in ("ceiling", "wg")])
    section_rps: dict[str, float] = {}
    for server, (ceiling_srv, wg_srv) in zip(_serve.SERVERS, zip(servers[::2], servers[1::2], strict=True),
                                             strict=True):
        paths = page_paths(wg_srv)
        ceiling = measure(ceiling_srv, "/", ceiling_seconds)
        pages = {name: measure(wg_srv, path, seconds) for name, path in paths.items()}
        figures.append(Figure(f"pages.{server}.ceiling.rps", round(ceiling.rps), "req/s",
                              note=f"bare Litestar + Jinja page (benchmarks/ceiling_app.py), "
                                   f"p99 {ceiling.p99_ms:.1f} ms"))
        for name, result in pages.items():
            ratio = result.rps / ceiling.rps
            is_section = name == "section"
            figures.append(Figure(f"pages.{server}.{name}.rps", round(result.rps), "req/s", note=paths[name]
                                  + (" (50 recommendations)" if is_section else "")))
            figures.append(Figure(
                f"pages.{server}.{name}.ratio_to_ceiling", round(ratio, 3), "x",
                target=f">= {SECTION_RATIO_TARGET}" if is_section else "",
                met=ratio >= SECTION_RATIO_TARGET if is_section else None))
            figures.append(Figure(
                f"pages.{server}.{name}.p99_ms", round(result.p99_ms, 1), "ms",
                target=f"< {P99_TARGET_MS:g}" if is_section else "",
                met=result.p99_ms < P99_TARGET_MS if is_section else None,
                note=f"{CONNECTIONS} connections, p50 {result.p50_ms:.1f} ms, {result.requests} requests"
                     + (" (too few for a stable p99)" if result.requests < 200 else "")))
        section_rps[server] = pages["section"].rps
    figures.append(Figure("pages.section.granian_to_uvicorn", round(section_rps["granian"] / section_rps["uvicorn"], 2),
                          "x", note="section page throughput, granian over uvicorn (wg serve runs uvicorn)"))
    return figures
