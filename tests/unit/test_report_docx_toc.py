"""The DOCX's contents carry page numbers that LibreOffice's own rendering of the same file agrees with, and Word is
not asked to update fields on opening (wg.features.report.docx_toc)."""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from wg.features.report.document import build_document
from wg.features.report.docx import render_docx
from wg.features.report.docx_toc import fill_toc_page_numbers
from wg.features.report.exports import render
from wg.features.report.sample import sample_snapshot

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
IN_CI = os.environ.get("CI", "").lower() == "true"
ENTRY = re.compile(r"^(?P<title>.+?)\s*\.{3,}\s*(?P<page>\d+)$")


def _need_tools() -> str:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if not office or not shutil.which("pdftotext") or not shutil.which("pdfinfo"):
        if IN_CI:
            pytest.fail("LibreOffice and poppler-utils must be installed (scripts/ensure-test-packages.sh)")
        pytest.skip("LibreOffice or poppler-utils is not installed")
    return office


def _part(data: bytes, name: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return etree.fromstring(z.read(name))


def _libreoffice_pages(office: str, docx: bytes, folder: Path) -> list[str]:
    """The text of each page as LibreOffice lays the DOCX out (its own profile, like any reader's)."""
    source = folder / "report.docx"
    source.write_bytes(docx)
    subprocess.run([office, "--headless", f"-env:UserInstallation={(folder / 'lo-profile').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(folder), str(source)],
                   check=True, capture_output=True, timeout=180)
    text = subprocess.run(["pdftotext", str(folder / "report.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    return text.split("\f")[:-1]


def _contents(pages: list[str]) -> tuple[list[tuple[str, int]], range]:
    """The contents entries (title, page number) as printed, and the indexes of the contents' pages."""
    start = next(i for i, page in enumerate(pages) if page.lstrip().splitlines()[2:3] == ["Contents"]
                 or "\nContents\n" in page)
    entries: list[tuple[str, int]] = []
    last = start
    for index in range(start, len(pages)):
        pending = ""
        found = False
        for line in pages[index].splitlines():
            line = line.strip()
            if not line or line == "Contents":
                continue
            candidate = f"{pending} {line}".strip()
            if match := ENTRY.match(candidate):
                entries.append((" ".join(match["title"].split()), int(match["page"])))
                pending, found = "", True
            elif line.startswith(("Recommendation", *(f"{n}." for n in range(1, 100)))) or pending:
                pending = candidate
        if not found and index > start:
            break
        last = index
    return entries, range(start, last + 1)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _heading_on(page: str, title: str) -> bool:
    """The title stands on a page as lines of its own (a heading may wrap onto three lines), not inside a paragraph."""
    def bare(text: str) -> str:  # pdftotext joins a word broken at a hyphen ("early-" + "warning" → "earlywarning")
        return re.sub(r"[\s\-\u2010]", "", text)

    lines = [line.strip() for line in page.splitlines() if line.strip()]
    return any(bare("".join(lines[j:j + k])) == bare(title) for j in range(len(lines)) for k in (1, 2, 3))


@pytest.fixture(scope="module")
def filled() -> bytes:
    """The public sample report as an export job writes it: render_docx, then the contents' page numbers."""
    _need_tools()
    return render(sample_snapshot("public"), "docx")


def test_libreoffice_shows_every_heading_with_the_page_it_puts_it_on(tmp_path: Path, filled: bytes) -> None:
    office = _need_tools()
    snap = sample_snapshot("public")
    pages = _libreoffice_pages(office, filled, tmp_path)
    entries, contents = _contents(pages)
    # The contents list exactly the document model's outline (issue 11: one model behind both formats).
    expected = [entry.text for entry in build_document(snap).outline()]
    assert [title for title, _ in entries] == expected
    previous = 1
    for title, number in entries:
        # The heading is on the page its entry names (searching on from the previous heading, outside the contents
        # pages), and that page's footer prints the same number.
        found = next(i + 1 for i in range(previous - 1, len(pages)) if i not in contents
                     and _heading_on(pages[i], title))
        assert number == found, (title, number, found)
        assert f"Page {number} of {len(pages)}" in _flat(pages[number - 1])
        previous = found


def test_word_is_not_asked_to_update_fields_and_entries_have_dot_leaders(filled: bytes) -> None:
    assert _part(filled, "word/settings.xml").find(f"{W}updateFields") is None
    body = _part(filled, "word/document.xml")
    assert not [c for c in body.iter(f"{W}fldChar") if c.get(f"{W}dirty")]
    entries = [p for p in body.iter(f"{W}p") if p.find(f"{W}hyperlink") is not None
               and (p.find(f"{W}pPr/{W}pStyle") is not None
                    and p.find(f"{W}pPr/{W}pStyle").get(f"{W}val", "").startswith("TOC"))]
    assert entries
    for p in entries:
        tab = p.find(f"{W}pPr/{W}tabs/{W}tab")
        assert tab is not None and (tab.get(f"{W}val"), tab.get(f"{W}leader")) == ("right", "dot")
        texts = [t.text for t in p.iter(f"{W}t")]
        assert texts[-1].isdigit(), texts


def test_without_libreoffice_the_entries_have_no_numbers_and_it_is_logged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without LibreOffice
    raw = render_docx(sample_snapshot("public"))
    with caplog.at_level(logging.WARNING, logger="wg.exports.docx_toc"):
        filled = fill_toc_page_numbers(raw)
    assert "LibreOffice is not installed" in caplog.text
    assert _part(filled, "word/settings.xml").find(f"{W}updateFields") is None
    body = _part(filled, "word/document.xml")
    assert body.find(f".//{W}tabs") is None and not list(body.iter(f"{W}tab"))
    assert [t.text for t in _part(raw, "word/document.xml").iter(f"{W}t")] == [t.text for t in body.iter(f"{W}t")]
