"""In Chromium: the organizer uploads the host's logo and writes the back matter in the front-matter editor; they
persist, a hostile SVG is refused with the form kept, and (once the renderers draw them) both exports show them."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path

import docx as python_docx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.conftest import axe_violations
from wg.demo import DEMO_PASSWORD

SETTINGS = "/g/trilateral/report/settings"
ABOUT = "The Pacific Alliance Forum is an independent institute founded in 2001."
FUNDERS = "This report was made possible by the Harbor Foundation."
HOSTILE_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="window.__xss=1">'
               b'<rect width="10" height="10"/></svg>')


def _logo_png() -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (320, 100), (20, 60, 140))
    for x in range(40, 280):
        for y in range(30, 70):
            image.putpixel((x, y), (250, 200, 0))
    image.save(out, "PNG")
    return out.getvalue()


def _log_in(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail address").fill("organizer@example.org")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def _upload_logo_and_back_matter(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}{SETTINGS}")
    page.get_by_label("Heading of the advisers' list").fill("Mentors")
    page.get_by_label(re.compile(r"^About ")).fill(ABOUT)
    page.get_by_label("Funders and support (optional)").fill(FUNDERS)
    page.get_by_label("Host logo for the cover (optional)").set_input_files(
        files=[{"name": "forum-logo.png", "mimeType": "image/png", "buffer": _logo_png()}])
    page.get_by_role("button", name="Save the front matter").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")


def test_organizer_uploads_a_logo_and_back_matter_and_they_persist(page: Page, live_server: str):
    _log_in(page, live_server)
    _upload_logo_and_back_matter(page, live_server)
    page.reload()
    logo = page.locator("#current-logo")
    expect(logo).to_be_visible()
    assert page.evaluate("document.getElementById('current-logo').naturalWidth") == 320
    expect(page.get_by_text("PNG, 320 × 100 pixels")).to_be_visible()
    expect(page.get_by_label(re.compile(r"^About "))).to_have_value(ABOUT)
    expect(page.get_by_label("Funders and support (optional)")).to_have_value(FUNDERS)
    expect(page.get_by_label("Heading of the advisers' list")).to_have_value("Mentors")
    assert axe_violations(page) == []

    # A hostile SVG is refused: the error sits beside the file field, what was typed stays, the logo stays.
    page.get_by_label("Funders and support (optional)").fill("Typed, not yet saved")
    page.get_by_label("Host logo for the cover (optional)").set_input_files(
        files=[{"name": "evil.svg", "mimeType": "image/svg+xml", "buffer": HOSTILE_SVG}])
    page.get_by_role("button", name="Save the front matter").click()
    expect(page.locator("#error-logo")).to_contain_text("event handler")
    expect(page.locator(".error-summary")).to_contain_text("event handler")
    expect(page.get_by_label("Funders and support (optional)")).to_have_value("Typed, not yet saved")
    expect(page.locator("#current-logo")).to_be_visible()
    assert page.evaluate("window.__xss") is None
    assert axe_violations(page) == []

    # Remove the logo.
    page.goto(f"{live_server}{SETTINGS}")
    page.get_by_label("Remove the logo").check()
    page.get_by_role("button", name="Save the front matter").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(page.locator("#current-logo")).to_have_count(0)


def _export(page: Page, live_server: str, fmt: str) -> bytes:
    page.goto(f"{live_server}/g/trilateral/exports")
    page.locator("#profile-public").check()
    page.locator(f"#format-{fmt}").check()
    page.get_by_role("button", name="Export").click()
    newest = page.locator("#export-list tbody tr").first  # newest first; the polled list drops the highlight
    expect(newest).to_contain_text(fmt.upper())
    link = newest.locator("a", has_text=f"{'Open' if fmt == 'pdf' else 'Download'} {fmt.upper()}")
    expect(link).to_be_visible(timeout=180_000)
    response = page.request.get(f"{live_server}{link.get_attribute('href')}")
    assert response.ok
    return response.body()


def test_the_logo_and_back_matter_appear_in_both_exports(page: Page, live_server: str, tmp_path: Path,
                                                         database_url: str):
    if database_url.startswith("postgresql"):
        pytest.skip(reason="rendering does not depend on the database: one backend is enough for this slow test")
    _log_in(page, live_server)
    _upload_logo_and_back_matter(page, live_server)

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(_export(page, live_server, "pdf"))
    images = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True).stdout
    cover = [line.split() for line in images.splitlines()[2:] if line.split()[0] == "1"]
    assert any(row[3:5] == ["320", "100"] for row in cover), images  # the logo, on the cover page
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                                   text=True).stdout.split())
    assert ABOUT in text and FUNDERS in text

    docx = _export(page, live_server, "docx")
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        assert media, z.namelist()
        sizes = []
        for name in media:
            with Image.open(io.BytesIO(z.read(name))) as image:
                sizes.append(image.size)
        assert (320, 100) in sizes
    document = python_docx.Document(io.BytesIO(docx))
    body = " ".join(" ".join(p.text for p in document.paragraphs).split())
    assert ABOUT in body and FUNDERS in body
