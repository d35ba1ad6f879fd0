"""Reading a report back the way readers meet it, to check that the PDF, the DOCX and the document model agree.

PDF: poppler (pdftohtml's outline for the headings, pdftotext per page for outcomes and footnotes). DOCX: python-docx
(Heading 1/2 paragraphs, the outcome paragraphs) and pandoc's own docx reader (JSON). Shared by the unit tests on
built snapshots and the integration test on the demo group's database.
"""

from __future__ import annotations

import html
import io
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx import Document

from wg.features.report.document import ReportDocument

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def squeeze(text: str) -> str:
    """White space collapsed: line breaks and wrapping are typography."""
    return " ".join(text.split())


@dataclass(frozen=True)
class ReadBack:
    """What a reader finds: the level-1/2 headings in order, the recommendation numbers, the outcome lines."""

    headings: tuple[tuple[int, str], ...]
    numbers: tuple[str, ...]
    outcomes: tuple[str, ...]


_REC_HEADING = re.compile(r"^Recommendation (\S+?):? ")


def _numbers(headings: tuple[tuple[int, str], ...]) -> tuple[str, ...]:
    """The numbers in the recommendation headings (level 2)."""
    found = []
    for level, text in headings:
        match = _REC_HEADING.match(text + " ")
        if level == 2 and match:
            found.append(match.group(1).rstrip(":"))
    return tuple(found)


def from_model(document: ReportDocument) -> ReadBack:
    """What the document model says."""
    headings = tuple((level, squeeze(text)) for level, text in document.headings())
    return ReadBack(headings, tuple(r.number for r in document.recommendations),
                    tuple(squeeze(r.outcome_line) for r in document.recommendations if r.outcome_line))


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def pdf_pages(path: Path) -> list[str]:
    """pdftotext of each page."""
    count = int(re.search(r"Pages:\s+(\d+)", _run("pdfinfo", str(path))).group(1))  # type: ignore[union-attr]
    return [_run("pdftotext", "-enc", "UTF-8", "-f", str(n), "-l", str(n), str(path), "-") for n in range(1, count + 1)]


def pdf_outline(path: Path) -> tuple[tuple[int, str], ...]:
    """The PDF bookmarks as (depth, label), depth-first."""
    xml = _run("pdftohtml", "-xml", "-i", "-stdout", "-q", str(path))
    start = xml.find("<outline")
    found: list[tuple[int, str]] = []
    depth = 0
    for token in re.finditer(r"<outline>|</outline>|<item page=\"\d+\">(.*?)</item>", xml[start:], re.S):
        if token.group(0) == "<outline>":
            depth += 1
        elif token.group(0) == "</outline>":
            depth -= 1
        else:
            found.append((depth, squeeze(html.unescape(token.group(1)))))
    return tuple(found)


def from_pdf(path: Path, pages: list[str] | None = None) -> ReadBack:
    """Headings from the bookmarks; outcome lines from the text (footnote calls after them dropped)."""
    headings = pdf_outline(path)
    text = "\n".join(pages if pages is not None else pdf_pages(path))
    outcomes = tuple(squeeze(re.sub(r"(?:\s*\d+)+$", "", line))
                     for line in text.splitlines() if line.startswith("Outcome: "))
    return ReadBack(headings, _numbers(headings), outcomes)


def from_docx(data: bytes) -> ReadBack:
    """python-docx: Heading 1/2 (and the contents' TOC Heading) paragraphs and the Recommendation Outcome ones."""
    doc = Document(io.BytesIO(data))
    headings: list[tuple[int, str]] = []
    outcomes: list[str] = []
    for p in doc.paragraphs:
        name = p.style.name if p.style is not None else ""
        if name in ("Heading 1", "Heading 2", "TOC Heading"):
            headings.append((2 if name == "Heading 2" else 1, squeeze(p.text)))
        elif name == "Recommendation Outcome":
            outcomes.append(squeeze(p.text))
    return ReadBack(tuple(headings), _numbers(tuple(headings)), tuple(outcomes))


def _stringify(inlines: list[Any]) -> str:
    """Pandoc inlines as plain text (notes left out: they are the footnotes, not the line)."""
    out: list[str] = []
    for node in inlines:
        kind, content = node.get("t"), node.get("c")
        if kind == "Str":
            out.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in ("Emph", "Strong", "Strikeout", "Underline", "SmallCaps", "Superscript", "Subscript"):
            out.append(_stringify(content))
        elif kind in ("Link", "Span"):
            out.append(_stringify(content[1]))
        elif kind == "Quoted":
            mark = '"' if content[0]["t"] == "DoubleQuote" else "'"
            out.append(mark + _stringify(content[1]) + mark)
        elif kind == "Code":
            out.append(content[1])
    return "".join(out)


def from_pandoc(path: Path) -> ReadBack:
    """pandoc's docx reader: its level-1/2 headers and the paragraphs that start with "Outcome: "."""
    tree = json.loads(_run("pandoc", "-f", "docx", "-t", "json", str(path)))
    headings: list[tuple[int, str]] = []
    outcomes: list[str] = []
    for block in tree["blocks"]:
        if block["t"] == "Header" and block["c"][0] <= 2:
            headings.append((block["c"][0], squeeze(_stringify(block["c"][2]))))
        elif block["t"] == "Para":
            text = squeeze(_stringify(block["c"]))
            if text.startswith("Outcome: "):
                outcomes.append(text)
    return ReadBack(tuple(headings), _numbers(tuple(headings)), tuple(outcomes))


def footnote_pages(document: ReportDocument, pages: list[str]) -> list[tuple[int, int, int]]:
    """For every footnote of the model: (number, page of its call, page of its note), read from pdftotext per page.

    The call is the footnote number printed after its recommendation's outcome line; the note is the line that
    starts with the number and the attribution.
    """
    found: list[tuple[int, int, int]] = []
    for rec in document.recommendations:
        if not rec.footnotes:
            continue
        numbers = r"\s*".join(str(n.number) for n in rec.footnotes)
        call = re.compile(re.escape(rec.outcome_line).replace(r"\ ", r"\s+") + r"\s*" + numbers + r"(?!\d)")
        call_pages = [i for i, text in enumerate(pages, start=1) if call.search(text)]
        for note in rec.footnotes:
            head = re.escape(f"{note.number}. {note.attribution}".strip()).replace(r"\ ", r"\s+")
            note_pages = [i for i, text in enumerate(pages, start=1) if re.search(rf"(?m)^{head}", text)]
            found.append((note.number, call_pages[0] if call_pages else 0, note_pages[0] if note_pages else 0))
    return found
