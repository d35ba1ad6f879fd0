"""Draw a sanitised SVG logo as a PNG, for the readers that cannot show SVG (LibreOffice's DOCX import, old Word).

``svg_to_png(svg, width_px, height_px)`` runs two child processes, each with a wall-clock timeout and its own
session (killed as a group when the time is up):

1. ``python -m wg.lib.svg_raster W H`` — WeasyPrint (already a dependency) draws the SVG, read from stdin, on a
   one-page PDF of the logo's own size and writes the PDF to stdout. The child limits its memory and CPU time
   first, and its URL fetcher serves the logo and nothing else: no file, no network (the SVG has no outward
   references anyway, ``wg.lib.images`` refused them).
2. ``pdftocairo -png -transp -singlefile -scale-to N`` (poppler-utils, already in the image and the test packages
   for reading exports back) turns that page into a PNG with a transparent background, ``N`` pixels on its long
   side.

The PNG then passes the same re-encoding gate as an uploaded PNG. Every failure is ``RasterFailed`` with a message
for the organizer.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess  # runs our own interpreter and pdftocairo with argument lists, never a shell  # nosec B404
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from wg.lib.images import SVG, CleanImage, ImageRejected, clean_logo

#: The PNG's long side in pixels: 60 mm (the widest a logo is drawn on the cover) at about 500 dpi.
PNG_LONG_SIDE = 1200
#: Wall-clock seconds for each of the two steps.
RASTER_TIMEOUT_S = 30
_MEMORY_MB = 1024
_CPU_S = 30
_LOGO_URL = "wg-logo:logo.svg"


class RasterFailed(RuntimeError):
    """The SVG could not be drawn as a PNG; the message says why, for the person who chose the logo."""


def _child_env() -> dict[str, str]:
    """Our environment without the ``WG_*`` settings: drawing a logo needs no secrets or database."""
    return {key: value for key, value in os.environ.items() if not key.startswith("WG_")}


def _run(args: list[str], stdin: bytes, what: str, cwd: str | None = None) -> bytes:
    """Run ``args`` in a session of its own, feed it ``stdin``; return its stdout or raise RasterFailed."""
    try:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,  # noqa: S603  # nosec B603
                                stderr=subprocess.PIPE, env=_child_env(), cwd=cwd, start_new_session=True)
    except OSError as error:
        raise RasterFailed(f"The logo could not be drawn: {what} could not start ({error.strerror}).") from None
    try:
        out, err = proc.communicate(stdin, timeout=RASTER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise RasterFailed(f"The SVG took more than {RASTER_TIMEOUT_S} s to draw: simplify the logo or upload it "
                           "as PNG.") from None
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc.returncode != 0:
        tail = err[-300:].decode("utf-8", "replace").strip().splitlines()
        raise RasterFailed(f"The SVG could not be drawn ({what} failed: {tail[-1] if tail else proc.returncode}); "
                           "upload the logo as PNG instead.")
    return out


def svg_to_png(svg: bytes, width_px: int, height_px: int) -> bytes:
    """A PNG drawing of a sanitised SVG (``wg.lib.images.clean_logo``'s output), re-encoded; or RasterFailed."""
    width, height = max(1, int(width_px)), max(1, int(height_px))
    pdf = _run([sys.executable, "-m", "wg.lib.svg_raster", str(width), str(height)], svg, "the SVG renderer",
               cwd=str(Path(__file__).resolve().parents[2]))
    if not pdf.startswith(b"%PDF-"):
        raise RasterFailed("The SVG could not be drawn (the renderer gave no page); upload the logo as PNG instead.")
    tool = shutil.which("pdftocairo") or "pdftocairo"
    with tempfile.TemporaryDirectory(prefix="wg-logo-") as folder:
        _run([tool, "-png", "-transp", "-singlefile", "-scale-to", str(PNG_LONG_SIDE), "-", "logo"], pdf,
             "pdftocairo", cwd=folder)
        png_path = Path(folder) / "logo.png"
        if not png_path.is_file():
            raise RasterFailed("The SVG could not be drawn (no picture came out); upload the logo as PNG instead.")
        png = png_path.read_bytes()
    try:
        return clean_logo(png).data
    except ImageRejected as problem:
        raise RasterFailed(f"The SVG's drawing was not a usable PNG ({problem})") from None


def with_png_fallback(image: CleanImage) -> CleanImage:
    """A cleaned SVG logo with its PNG drawing (a PNG logo as it is); ImageRejected if the SVG cannot be drawn.

    Called where a logo is stored (the front-matter form, the archive importer), so a logo that cannot be drawn is
    refused while the organizer is there to choose another file."""
    if image.media_type != SVG or image.png_fallback:
        return image
    try:
        return replace(image, png_fallback=svg_to_png(image.data, image.width_px, image.height_px))
    except RasterFailed as problem:
        raise ImageRejected(str(problem)) from None


def _render_pdf(svg: bytes, width: int, height: int) -> bytes:
    """In the child: the SVG on a page of its own size, as PDF bytes (the fetcher serves only the logo)."""
    from weasyprint import HTML  # noqa: PLC0415 - only the child imports WeasyPrint
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415

    class LogoOnly(URLFetcher):
        """Serves the logo at its one URL and refuses everything else (no file, no network)."""

        def __init__(self) -> None:
            super().__init__(timeout=1, allowed_protocols={"wg-logo"}, allow_redirects=False, fail_on_errors=True)

        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            """The logo, or an error for any other URL."""
            if url != _LOGO_URL:
                raise ValueError(f"refused: {str(url)[:80]}")
            return URLFetcherResponse(url, body=svg, headers={"Content-Type": "image/svg+xml"})

    html = (f"<style>@page{{size:{width}px {height}px;margin:0}}html,body{{margin:0;padding:0}}"
            f"img{{display:block;width:{width}px;height:{height}px}}</style><img src=\"{_LOGO_URL}\" alt=\"\">")
    pdf = HTML(string=html, base_url="wg-logo:", url_fetcher=LogoOnly()).write_pdf()
    return bytes(pdf or b"")


def _main(argv: list[str]) -> int:
    """Child entry point: limits first, then read the SVG from stdin and write the PDF to stdout."""
    import resource  # noqa: PLC0415 - POSIX only, and only in the child

    memory = _MEMORY_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (_CPU_S, _CPU_S + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        width, height = (max(1, min(100_000, int(a))) for a in argv[:2])
    except ValueError:
        print("usage: python -m wg.lib.svg_raster WIDTH HEIGHT < logo.svg > logo.pdf", file=sys.stderr)
        return 2
    pdf = _render_pdf(sys.stdin.buffer.read(), width, height)
    sys.stdout.buffer.write(pdf)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
