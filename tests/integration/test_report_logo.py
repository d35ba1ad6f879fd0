"""The host logo and the back matter in the front-matter editor: uploads, hostile files, replace and remove.

Every test runs on SQLite and, with WG_TEST_POSTGRES_URL, on PostgreSQL (the ``client`` fixture).
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from docx import Document
from docx.oxml.ns import qn
from PIL import Image
from sqlmodel import select

from tests.conftest import csrf_from, login
from wg.features.report.docx import render_docx
from wg.features.report.exports import render
from wg.features.report.loader import load_snapshot, with_logo_png
from wg.models import ReportLogo, ReportSettings, WorkingGroup

SETTINGS = "/g/trilateral/report/settings"
SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 240 80">'
GOOD_SVG = (SVG_HEAD + '<metadata><rdf xmlns="urn:x-editor">editor junk</rdf></metadata>'
            '<rect width="240" height="80" fill="#123456" onmouseover=""/>'.replace(' onmouseover=""', "")
            + '<text x="10" y="50" fill="white">Pacific Alliance Forum</text></svg>').encode()
HOSTILE_SVGS = {
    "script": SVG_HEAD + "<script>window.__xss=1</script></svg>",
    "onload": SVG_HEAD.replace("<svg ", '<svg onload="window.__xss=1" ') + "</svg>",
    "external href": SVG_HEAD + '<use xlink:href="https://evil.example/logo.svg#a"/></svg>',
    "plain external href": SVG_HEAD + '<use href="file:///etc/passwd"/></svg>',
    "javascript href": SVG_HEAD + '<use href="javascript:alert(1)"/></svg>',
    "css url": SVG_HEAD + '<rect width="1" height="1" style="fill:url(https://evil.example/x)"/></svg>',
    "foreignObject": SVG_HEAD + "<foreignObject><p xmlns='http://www.w3.org/1999/xhtml'>x</p></foreignObject></svg>",
    "embedded image": SVG_HEAD + '<image href="data:image/png;base64,AAAA"/></svg>',
    "XXE": '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
           + SVG_HEAD + "<text>&xxe;</text></svg>",
    "billion laughs": '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
                      '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;">]>'
                      + SVG_HEAD + "<text>&d;&d;&d;&d;&d;&d;&d;&d;</text></svg>",
}


def png_bytes(width: int = 300, height: int = 100, text_chunk: bool = False) -> bytes:
    """A real PNG (optionally with a tEXt chunk the re-encoding must drop)."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    if text_chunk:
        info.add_text("Comment", "<script>window.__xss=1</script>")
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 40)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def bomb_png(side: int = 30_000) -> bytes:
    """A tiny file that declares a huge grey canvas: decoding it would need gigabytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = zlib.compress(b"\x00" * (side + 1) * 64, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def _form(client, **extra: str) -> dict[str, str]:
    page = client.get(SETTINGS)
    assert page.status_code == 200
    return {"title": "Reinvesting in U.S.–Japan–ROK Strategic Relations", "paper_size": "A4",
            "about_host": "The **Pacific Alliance Forum** is an independent institute.",
            "funders": "Supported by the Harbor Foundation.", "advisers_heading": "Mentors",
            "_csrf_token": csrf_from(page.text), **extra}


def _post(client, data: dict[str, str], name: str = "", content: bytes = b"", media: str = "image/png"):
    files = {"logo": (name, content, media)}
    return client.post(SETTINGS, data=data, files=files, follow_redirects=False)


def _stored(client) -> tuple[ReportSettings | None, ReportLogo | None]:
    with client.app.state.db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        settings = s.exec(select(ReportSettings).where(ReportSettings.group_id == group.id)).first()
        logo = s.exec(select(ReportLogo).where(ReportLogo.group_id == group.id)).first()
        return settings, logo


def test_organizer_uploads_a_png_logo_and_back_matter(client):
    login(client, "organizer@example.org")
    original = png_bytes(text_chunk=True)
    response = _post(client, _form(client), "logo.png", original)
    assert response.status_code == 303, response.text
    settings, logo = _stored(client)
    assert settings is not None and logo is not None
    assert (settings.about_host, settings.funders, settings.advisers_heading) == (
        "The **Pacific Alliance Forum** is an independent institute.", "Supported by the Harbor Foundation.",
        "Mentors")
    assert logo.media_type == "image/png" and (logo.width_px, logo.height_px) == (300, 100)
    assert logo.data != original and b"tEXt" not in logo.data and b"__xss" not in logo.data  # re-encoded
    with Image.open(io.BytesIO(logo.data)) as image:
        assert image.size == (300, 100) and image.getpixel((5, 5))[:3] == (200, 30, 40)
    page = BeautifulSoup(client.get(SETTINGS).text, "html.parser")
    assert page.select_one("#current-logo")["src"].startswith("data:image/png;base64,")
    assert page.select_one("#field-about_host").get_text() == settings.about_host
    assert page.select_one("#field-advisers_heading")["value"] == "Mentors"
    with client.app.state.db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        front = load_snapshot(s, group, "public").front
    assert front.logo is not None and base64.b64decode(front.logo.data_base64) == logo.data
    assert (front.logo.media_type, front.logo.width_px, front.logo.height_px) == ("image/png", 300, 100)
    assert front.about_host == settings.about_host and front.funders == settings.funders
    assert front.advisers_heading == "Mentors"


def test_svg_logo_is_rebuilt_and_can_be_replaced_and_removed(client):
    login(client, "organizer@example.org")
    assert _post(client, _form(client), "logo.svg", GOOD_SVG, "image/svg+xml").status_code == 303
    _, logo = _stored(client)
    assert logo is not None and logo.media_type == "image/svg+xml" and (logo.width_px, logo.height_px) == (240, 80)
    assert b"editor junk" not in logo.data and b"Pacific Alliance Forum" in logo.data
    # Saving the form without a file keeps the logo.
    assert _post(client, _form(client, foreword="New foreword.")).status_code == 303
    assert _stored(client)[1] is not None
    # A new file replaces it.
    assert _post(client, _form(client), "new.png", png_bytes(64, 32)).status_code == 303
    _, logo = _stored(client)
    assert logo is not None and logo.media_type == "image/png" and logo.width_px == 64
    # Ticking "Remove the logo" removes it.
    assert _post(client, _form(client, remove_logo="yes")).status_code == 303
    assert _stored(client)[1] is None
    assert BeautifulSoup(client.get(SETTINGS).text, "html.parser").select_one("#current-logo") is None


def test_hostile_svgs_are_refused_and_the_form_is_kept(client):
    login(client, "organizer@example.org")
    for kind, svg in HOSTILE_SVGS.items():
        data = _form(client, foreword="Kept foreword 佐藤遥", funders="Kept funders")
        response = _post(client, data, "logo.svg", svg.encode(), "image/svg+xml")
        assert response.status_code == 422, kind
        soup = BeautifulSoup(response.text, "html.parser")
        message = soup.select_one("#error-logo").get_text()
        assert "choose the logo again" in message, kind
        assert soup.select_one(".error-summary a[href='#field-logo']") is not None, kind
        assert soup.select_one("#field-foreword").get_text() == "Kept foreword 佐藤遥", kind
        assert soup.select_one("#field-funders").get_text() == "Kept funders", kind
        assert "root:" not in response.text, kind
        settings, logo = _stored(client)
        assert logo is None and (settings is None or settings.funders != "Kept funders"), kind  # nothing saved


BAD_PNGS = [
    ("too large", png_bytes() + b"\0" * 1_000_001, "at most 1 MB"),
    ("decompression bomb", bomb_png(), "30,000 × 30,000 pixels"),
    ("truncated", png_bytes()[:80], "could not be read"),
    ("not an image", b"%PDF-1.7 not a logo", "not a PNG or SVG"),
    ("empty", b"", "empty"),
]


def test_oversized_or_invalid_pngs_are_refused_and_the_stored_logo_stays(client):
    login(client, "organizer@example.org")
    assert _post(client, _form(client), "logo.png", png_bytes(40, 40)).status_code == 303
    before = _stored(client)[1]
    assert before is not None
    for kind, content, expected in BAD_PNGS:
        response = _post(client, _form(client, about_host="Changed, but not saved"), "logo.png", content)
        assert response.status_code == 422, kind
        soup = BeautifulSoup(response.text, "html.parser")
        assert expected in soup.select_one("#error-logo").get_text(), kind
        assert soup.select_one("#field-about_host").get_text() == "Changed, but not saved", kind
        assert soup.select_one("#current-logo") is not None, kind
        settings, logo = _stored(client)
        assert logo is not None and logo.data == before.data, kind  # the stored logo stays
        assert settings is not None and settings.about_host != "Changed, but not saved", kind


def test_members_cannot_upload_a_logo(client):
    login(client, "eleanor.hayes@example.org")  # a co-chair: may export, may not edit the front matter
    token = csrf_from(client.get("/g/trilateral/exports").text)
    response = _post(client, {"title": "Taken over", "_csrf_token": token}, "logo.png", png_bytes())
    assert response.status_code == 403
    assert "Only organizers edit the front matter" in response.text
    assert _stored(client)[1] is None


def _libreoffice_pdf(docx: bytes, folder: Path) -> Path:
    """LibreOffice's rendering of ``docx`` as a PDF (its own profile folder, like any reader's)."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if not office or not shutil.which("pdfimages"):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("LibreOffice and poppler-utils must be installed (scripts/ensure-test-packages.sh)")
        pytest.skip("LibreOffice or poppler-utils is not installed")
    (folder / "report.docx").write_bytes(docx)
    subprocess.run([office, "--headless", f"-env:UserInstallation={(folder / 'lo-profile').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(folder), str(folder / "report.docx")],
                   check=True, capture_output=True, timeout=180)
    return folder / "report.pdf"


def test_svg_logo_is_drawn_as_png_and_shown_on_the_docx_cover(client, tmp_path):
    """python-docx cannot place an SVG and LibreOffice shows only a picture's PNG: the upload keeps a PNG drawing of
    the SVG, and the DOCX cover shows it (with the SVG attached for Word)."""
    login(client, "organizer@example.org")
    assert _post(client, _form(client), "logo.svg", GOOD_SVG, "image/svg+xml").status_code == 303
    _, logo = _stored(client)
    assert logo is not None and logo.media_type == "image/svg+xml" and logo.png_fallback
    with Image.open(io.BytesIO(logo.png_fallback)) as drawing:
        assert drawing.format == "PNG" and drawing.size == (1200, 400)  # the SVG's 3:1, 1200 px on its long side
        assert drawing.convert("RGB").getpixel((20, 20)) == (0x12, 0x34, 0x56)  # the SVG's navy rectangle
    with client.app.state.db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        snapshot = load_snapshot(s, group, "public")
    assert snapshot.front.logo is not None and base64.b64decode(snapshot.front.logo.png_base64) == logo.png_fallback
    docx = render(snapshot, "docx")

    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        media = {name: z.read(name) for name in z.namelist() if name.startswith("word/media/")}
        document_xml = z.read("word/document.xml").decode()
        rels = z.read("word/_rels/document.xml.rels").decode()
    pngs = [name for name, data in media.items() if data == logo.png_fallback]
    svgs = [name for name, data in media.items() if data == logo.data]
    assert len(pngs) == 1 and len(svgs) == 1 and svgs[0].endswith(".svg"), sorted(media)
    assert "asvg:svgBlip" in document_xml and Path(svgs[0]).name in rels
    # python-docx reads the cover's picture back: the first paragraph with a picture holds the PNG.
    document = Document(io.BytesIO(docx))
    blips = document.element.body.findall(".//" + qn("a:blip"))
    assert len(blips) == 1
    assert document.part.related_parts[blips[0].get(qn("r:embed"))].blob == logo.png_fallback

    # LibreOffice's rendering: an image on page 1 (the cover), about the logo's 3:1 shape.
    pdf = _libreoffice_pdf(docx, tmp_path)
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    on_cover = [row for row in rows if row[0] == "1" and row[2] == "image"]
    assert on_cover, listing
    width, height = int(on_cover[0][3]), int(on_cover[0][4])  # LibreOffice resamples to 300 dpi: 60 mm wide
    assert width > 600 and abs(width / height - 3) < 0.05, listing


def test_an_svg_logo_stored_without_its_png_is_drawn_for_the_docx_and_stored_on_the_next_save(client):
    """Logos stored before migration 0009 have no PNG: a DOCX render draws one (not stored); saving the front matter
    stores it."""
    login(client, "organizer@example.org")
    assert _post(client, _form(client), "logo.svg", GOOD_SVG, "image/svg+xml").status_code == 303
    with client.app.state.db.transaction() as s:
        logo = s.exec(select(ReportLogo)).one()
        logo.png_fallback = None  # as a logo stored before migration 0009
        s.add(logo)
    with client.app.state.db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == "trilateral")).one()
        snapshot = load_snapshot(s, group, "public")
    assert snapshot.front.logo is not None and snapshot.front.logo.png_base64 == ""
    drawn = with_logo_png(snapshot)
    assert drawn.front.logo is not None and drawn.front.logo.png_base64
    with zipfile.ZipFile(io.BytesIO(render_docx(drawn))) as z:
        media = [z.read(n) for n in z.namelist() if n.startswith("word/media/")]
    assert base64.b64decode(drawn.front.logo.png_base64) in media
    with zipfile.ZipFile(io.BytesIO(render_docx(snapshot))) as z:  # no drawing: no picture (python-docx cannot)
        assert not [n for n in z.namelist() if n.startswith("word/media/")]
    assert _stored(client)[1].png_fallback is None  # drawing for a render stores nothing
    assert _post(client, _form(client, foreword="Saved again.")).status_code == 303
    stored = _stored(client)[1]
    assert stored is not None and stored.png_fallback
    with Image.open(io.BytesIO(stored.png_fallback)) as image:
        assert image.size == (1200, 400)
