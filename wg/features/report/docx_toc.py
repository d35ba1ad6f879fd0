"""Page numbers in the DOCX's contents, from a real pagination of the same document by LibreOffice.

A Word ``TOC`` field shows its cached result until someone updates it: LibreOffice never updates it on opening, and
Word does so only when ``w:updateFields`` (or the field's ``w:dirty``) asks — and then it first asks the reader
whether to update fields. So the renderer's list of headings carries no page numbers, and only Word can add them.

``fill_toc_page_numbers(docx_bytes)`` writes them into the field's cached result instead:

1. it finds the ``TOC`` field and its entries (each a hyperlink to a bookmark on its heading);
2. it gives every entry a right-aligned, dot-led tab stop and a placeholder number, and has LibreOffice (headless,
   a child process in its own session with its own profile, a time limit and no ``WG_*`` settings) convert that
   document to PDF with Word bookmarks as named destinations; ``pdfinfo -dests`` names the page of each bookmark;
3. it writes those numbers, converts again, and checks that every heading is still on the same page (a number of
   another width can move a line and with it the pages that follow); if not, it repeats once more with the new
   pages, and if they still move it gives up.

A wrong page number is worse than none: whenever LibreOffice or ``pdfinfo`` is missing, fails, times out, or the
pages do not settle, the entries stay without numbers and the reason is logged. Either way ``w:updateFields`` and the
field's ``w:dirty`` mark are removed, so Word opens the document without asking to update fields (docs/decisions.md).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import os
import re
import shutil
import signal
import subprocess  # runs LibreOffice and pdfinfo, never a shell  # nosec B404
import tempfile
import threading
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

log = logging.getLogger("wg.exports.docx_toc")

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DOCUMENT = "word/document.xml"
_SETTINGS = "word/settings.xml"
CONVERT_TIMEOUT_S = 120
PDFINFO_TIMEOUT_S = 30
# LibreOffice's PDF export: Word bookmarks become named destinations (whose pages pdfinfo lists).
_PDF_FILTER = 'pdf:writer_pdf_Export:{"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}'
_DEST_LINE = re.compile(r'^\s*(\d+)\s+\[.*\]\s+"(.*)"\s*$')
# Elements that precede w:tabs in a paragraph's properties (ECMA-376 CT_PPrBase order).
_BEFORE_TABS = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
                "suppressLineNumbers", "pBdr", "shd")
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


class PaginationFailed(RuntimeError):
    """LibreOffice could not paginate the document (missing, failed, timed out); the message says which."""


@dataclass(frozen=True)
class _Entry:
    """One line of the contents: its paragraph's index among the body's children and the bookmark it links to."""

    index: int
    anchor: str


class _Toc:
    """A parsed DOCX with its contents field located; ``render`` writes a copy with or without page numbers."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        with zipfile.ZipFile(io.BytesIO(data)) as source:
            self.document = source.read(_DOCUMENT)
            self.settings = source.read(_SETTINGS) if _SETTINGS in source.namelist() else None
        root = etree.fromstring(self.document, _XML_PARSER)  # noqa: S320 - no entities, no network  # nosec B320
        body = root.find(_w("body"))
        if body is None:
            raise ValueError("the document has no body")
        self.entries: list[_Entry] = []
        self.tab_pos = _text_width(body)
        self.offset, self.numbering_problem = _page_offset(body)
        field = _toc_field(body)
        self.found = field is not None
        if field is not None:
            first, last = field
            children = list(body)
            for index in range(children.index(first), children.index(last) + 1):
                anchor = _anchor(children[index])
                if anchor:
                    self.entries.append(_Entry(index, anchor))

    @property
    def anchors(self) -> list[str]:
        """The bookmarks the entries link to, in contents order."""
        return [e.anchor for e in self.entries]

    def render(self, numbers: Mapping[str, str] | None) -> bytes:
        """The document with ``numbers`` (bookmark → printed page) in its contents, or none; never asks to update."""
        root = etree.fromstring(self.document, _XML_PARSER)  # noqa: S320  # nosec B320
        body = root.find(_w("body"))
        assert body is not None
        field = _toc_field(body)
        if field is not None:
            begin = _toc_begin(body)
            if begin is not None:
                begin.attrib.pop(_w("dirty"), None)
            children = list(body)
            for entry in self.entries:
                if numbers is not None and entry.anchor in numbers:
                    _add_number(children[entry.index], numbers[entry.anchor], self.tab_pos)
        parts = {_DOCUMENT: etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)}
        if self.settings is not None:
            settings = etree.fromstring(self.settings, _XML_PARSER)  # noqa: S320  # nosec B320
            for element in settings.findall(_w("updateFields")):
                settings.remove(element)
            parts[_SETTINGS] = etree.tostring(settings, xml_declaration=True, encoding="UTF-8", standalone=True)
        return _replace_parts(self.data, parts)


def _toc_field(body: Any) -> tuple[Any, Any] | None:
    """The body-level paragraphs holding the TOC field's begin and end, or None."""
    stack: list[list[Any]] = []  # [begin element, instruction text]
    for element in body.iter(_w("fldChar"), _w("instrText")):
        if element.tag == _w("instrText"):
            if stack:
                stack[-1][1] += element.text or ""
            continue
        kind = element.get(_w("fldCharType"))
        if kind == "begin":
            stack.append([element, ""])
        elif kind == "end" and stack:
            begin, instruction = stack.pop()
            if instruction.strip().upper().startswith("TOC"):
                first, last = _body_child(body, begin), _body_child(body, element)
                if first is not None and last is not None:
                    return first, last
    return None


def _toc_begin(body: Any) -> Any:
    """The TOC field's ``fldChar`` begin element."""
    field = _toc_field(body)
    if field is None:
        return None
    for element in field[0].iter(_w("fldChar")):
        if element.get(_w("fldCharType")) == "begin":
            return element
    return None


def _body_child(body: Any, element: Any) -> Any:
    while element is not None and element.getparent() is not body:
        element = element.getparent()
    return element


def _anchor(paragraph: Any) -> str:
    """The bookmark a contents entry links to (``w:hyperlink/@w:anchor``), or ``""``."""
    if paragraph.tag != _w("p"):
        return ""
    link = paragraph.find(_w("hyperlink"))
    return link.get(_w("anchor"), "") if link is not None else ""


def _text_width(body: Any) -> int:
    """Width of the text block in twips (page width less the side margins), for the right-aligned tab stop."""
    sect = body.find(_w("sectPr"))
    size = sect.find(_w("pgSz")) if sect is not None else None
    margins = sect.find(_w("pgMar")) if sect is not None else None
    try:
        width = int(size.get(_w("w"))) if size is not None else 11906
        left = int(margins.get(_w("left"))) if margins is not None else 1440
        right = int(margins.get(_w("right"))) if margins is not None else 1440
    except (TypeError, ValueError):
        return 9026
    return max(1440, width - left - right)


def _page_offset(body: Any) -> tuple[int, str]:
    """What to add to a physical page to get its printed number, and why numbers cannot be given (or ``""``).

    Only the first section may set a starting number; a later restart or a non-decimal format would need the
    physical page where each section starts, so the contents then go without numbers.
    """
    sections = [p for p in body.iter(_w("sectPr"))]
    offset, problem = 0, ""
    for position, sect in enumerate(sections):
        numbering = sect.find(_w("pgNumType"))
        if numbering is None:
            continue
        fmt = numbering.get(_w("fmt"), "decimal")
        start = numbering.get(_w("start"))
        if fmt != "decimal":
            problem = f"page numbers in the {fmt} format"
        first = position == 0 if len(sections) > 1 else True
        if start is not None:
            if not first:
                problem = "page numbering restarts in a later section"
            else:
                try:
                    offset = int(start) - 1
                except ValueError:
                    problem = "an unreadable starting page number"
    return offset, problem


def _add_number(paragraph: Any, number: str, tab_pos: int) -> None:
    """A right-aligned dot-leader tab stop, a tab and the page number at the end of a contents entry."""
    ppr = paragraph.find(_w("pPr"))
    if ppr is None:
        ppr = etree.SubElement(paragraph, _w("pPr"))
        paragraph.insert(0, ppr)
    for old in ppr.findall(_w("tabs")):
        ppr.remove(old)
    tabs = etree.Element(_w("tabs"))
    etree.SubElement(tabs, _w("tab"), {_w("val"): "right", _w("leader"): "dot", _w("pos"): str(tab_pos)})
    before = [child for child in ppr if child.tag in {_w(t) for t in _BEFORE_TABS}]
    if before:
        before[-1].addnext(tabs)
    else:
        ppr.insert(0, tabs)
    tab_run = etree.Element(_w("r"))
    etree.SubElement(tab_run, _w("tab"))
    number_run = etree.Element(_w("r"))
    etree.SubElement(number_run, _w("t")).text = number
    link = paragraph.find(_w("hyperlink"))
    if link is not None:
        link.append(tab_run)
        link.append(number_run)
        return
    end = next((r for r in paragraph.findall(_w("r"))
                if any(f.get(_w("fldCharType")) == "end" for f in r.findall(_w("fldChar")))), None)
    if end is not None:
        end.addprevious(tab_run)
        end.addprevious(number_run)
    else:
        paragraph.append(tab_run)
        paragraph.append(number_run)


def _replace_parts(data: bytes, parts: Mapping[str, bytes]) -> bytes:
    """The same zip (order, names, timestamps) with some parts replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, parts.get(info.filename, source.read(info.filename)),
                            compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


# --- LibreOffice ------------------------------------------------------------------------------------------------

_office_lock = threading.Lock()
_profile_dir: Path | None = None


def office_binary() -> str | None:
    """The LibreOffice command on this machine, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _profile() -> Path:
    """This process's own LibreOffice profile (two processes never share one; removed when the process exits)."""
    global _profile_dir
    if _profile_dir is None:
        _profile_dir = Path(tempfile.mkdtemp(prefix=f"wg-lo-profile-{os.getpid()}-"))
        atexit.register(shutil.rmtree, _profile_dir, True)
    return _profile_dir


def _run(command: list[str], cwd: Path, timeout_s: float) -> subprocess.CompletedProcess[bytes]:
    """Run a child in its own session with no ``WG_*`` settings; kill its whole process group on timeout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WG_")}
    env["HOME"] = str(cwd)
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,  # noqa: S603  # nosec B603
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise PaginationFailed(f"{Path(command[0]).name} took longer than {timeout_s:g} s") from None
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # anything it left behind
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def paginate(docx: bytes, anchors: list[str], timeout_s: float = CONVERT_TIMEOUT_S) -> dict[str, int]:
    """The physical page (1-based) LibreOffice puts each bookmark on; raise PaginationFailed if it cannot tell."""
    office, pdfinfo = office_binary(), shutil.which("pdfinfo")
    if office is None:
        raise PaginationFailed("LibreOffice is not installed")
    if pdfinfo is None:
        raise PaginationFailed("pdfinfo (poppler-utils) is not installed")
    with _office_lock, tempfile.TemporaryDirectory(prefix="wg-toc-") as folder:
        work = Path(folder)
        (work / "report.docx").write_bytes(docx)
        done = _run([office, "--headless", "--norestore", "--nolockcheck",
                     f"-env:UserInstallation={_profile().as_uri()}", "--convert-to", _PDF_FILTER,
                     "--outdir", str(work), str(work / "report.docx")], work, timeout_s)
        pdf = work / "report.pdf"
        if done.returncode != 0 or not pdf.is_file():
            tail = done.stderr[-500:].decode("utf-8", "replace").strip()
            raise PaginationFailed(f"LibreOffice could not convert the document (exit {done.returncode}): {tail}")
        listed = _run([pdfinfo, "-dests", str(pdf)], work, PDFINFO_TIMEOUT_S)
        if listed.returncode != 0:
            raise PaginationFailed(f"pdfinfo could not read LibreOffice's PDF (exit {listed.returncode})")
    pages: dict[str, int] = {}
    for line in listed.stdout.decode("utf-8", "replace").splitlines():
        if match := _DEST_LINE.match(line):
            pages.setdefault(match.group(2), int(match.group(1)))
    found: dict[str, int] = {}
    for anchor in anchors:
        # LibreOffice 7.4 writes "_" in a destination's name as "5F" (a PDF name escape without its "#").
        for name in (anchor, anchor.replace("_", "5F"), anchor.replace("_", "#5F")):
            if name in pages:
                found[anchor] = pages[name]
                break
        else:
            raise PaginationFailed(f"LibreOffice's PDF has no destination for the bookmark {anchor}")
    return found


def fill_toc_page_numbers(docx_bytes: bytes, timeout_s: float = CONVERT_TIMEOUT_S) -> bytes:
    """The DOCX with its contents' page numbers filled from LibreOffice's pagination (or none, logged, if unsure)."""
    try:
        toc = _Toc(docx_bytes)
    except (KeyError, ValueError, zipfile.BadZipFile, etree.XMLSyntaxError) as error:
        log.error("contents page numbers: not a readable DOCX (%s); left as it is", error)
        return docx_bytes
    if not toc.found or not toc.entries:
        return toc.render(None)
    if toc.numbering_problem:
        log.warning("contents page numbers left out: %s", toc.numbering_problem)
        return toc.render(None)
    anchors = toc.anchors
    widest = "00"
    try:
        pages = paginate(toc.render(dict.fromkeys(anchors, widest)), anchors, timeout_s)
        for _attempt in range(2):
            numbers = {a: str(pages[a] + toc.offset) for a in anchors}
            filled = toc.render(numbers)
            check = paginate(filled, anchors, timeout_s)
            if check == pages:
                return filled
            moved = [a for a in anchors if check[a] != pages[a]]
            log.info("contents page numbers moved %d heading(s); paginating again", len(moved))
            pages = check
    except PaginationFailed as failure:
        log.warning("contents page numbers left out: %s", failure)
        return toc.render(None)
    log.warning("contents page numbers left out: the headings' pages did not settle after three paginations")
    return toc.render(None)
