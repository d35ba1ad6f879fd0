"""One document model behind the PDF and the DOCX (issue 11): what the model says, and that both formats say it.

For the demo report, a 4× report and a report built from every hostile string in tests/data/xss-payloads.txt, the
headings, recommendation numbers and outcome lines read back from the PDF (poppler), from the DOCX (python-docx and
pandoc) and from the model are the same sequences; every footnote of the PDF sits on the page of its call.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document

from tests.report_readback import (
    footnote_pages,
    from_docx,
    from_model,
    from_pandoc,
    from_pdf,
    pdf_pages,
    squeeze,
)
from wg.features.report.document import Chapter, Disclaimer, People, build_document, line, markdown
from wg.features.report.docx import render_docx
from wg.features.report.pdf import render_pdf
from wg.features.report.sample import sample_snapshot
from wg.features.report.snapshot import (
    AdditionalViewSnap,
    CountryRoster,
    RecommendationSnap,
    ReportImage,
    ReportSnapshot,
    RosterPerson,
    SectionSnap,
)
from wg.lib.markdown import parse_blocks, render_markdown

TOOLS = ("pdftotext", "pdfinfo", "pdftohtml", "pdffonts", "pandoc")
needs_tools = pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS), reason="poppler or pandoc missing")
PAYLOADS = Path(__file__).resolve().parents[1] / "data" / "xss-payloads.txt"


# --- The model ----------------------------------------------------------------------------------------------------


def test_blocks_come_in_one_order_with_one_heading_each() -> None:
    doc = build_document(sample_snapshot("public"))
    kinds = [type(b).__name__ for b in doc.blocks]
    assert kinds[:6] == ["Cover", "TextChapter", "People", "People", "Disclaimer", "Contents"]
    assert kinds[6:8] == ["TextChapter", "TextChapter"]  # foreword, executive summary
    assert kinds[-3:] == ["Summary", "TextChapter", "TextChapter"]  # summary table, about the host, funders
    people = [b for b in doc.blocks if isinstance(b, People)]
    assert [p.heading for p in people] == ["Members of the working group", "Senior advisers"]
    assert [b.heading for b in doc.blocks if isinstance(b, Disclaimer)] == ["Disclaimer"]
    contents = doc.blocks[5]
    assert [(e.level, e.text) for e in contents.entries] == [h for h in doc.headings() if h != (1, "Contents")]  # type: ignore[union-attr]


def test_public_report_has_no_keys_and_the_internal_one_marks_what_it_leaves_out() -> None:
    public = build_document(sample_snapshot("public"))
    assert all(r.key == "" and r.marks == () for r in public.recommendations)
    snap = sample_snapshot("internal")
    section = snap.sections[1]
    hidden = dataclasses.replace(section.recommendations[1], number="", published=False)
    recs = (section.recommendations[0], hidden, *section.recommendations[2:])
    snap = dataclasses.replace(snap, sections=(snap.sections[0], dataclasses.replace(section, recommendations=recs),
                                               *snap.sections[2:]))
    internal = build_document(snap)
    numbers = [r.number for r in internal.recommendations]
    # The published items keep their public numbers; the other one has none and says so.
    assert numbers[:3] == ["2.1", "", "2.3"]
    marked = internal.recommendations[1]
    assert marked.label == "Recommendation" and marked.key == "R-12"
    assert marked.marks[0].text == "Not in the public report"


def test_footnotes_are_numbered_in_document_order() -> None:
    doc = build_document(sample_snapshot("public", scale=2))
    assert [n.number for n in doc.footnotes] == list(range(1, len(doc.footnotes) + 1))
    assert all(r.outcome for r in doc.recommendations if r.footnotes)


def test_advisers_heading_is_the_groups_setting() -> None:
    snap = sample_snapshot("public")
    snap = dataclasses.replace(snap, front=dataclasses.replace(snap.front, advisers_heading="Mentors"))
    doc = build_document(snap)
    advisers = [b for b in doc.blocks if isinstance(b, People) and b.kind == "advisers"]
    assert [a.heading for a in advisers] == ["Mentors"]
    assert [p.name for p in advisers[0].groups[0].people] == [p.name for p in snap.advisers]
    none = build_document(dataclasses.replace(snap, advisers=()))
    assert not [b for b in none.blocks if isinstance(b, People) and b.kind == "advisers"]


@pytest.mark.parametrize("control", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
                                     "\u2069"])
def test_bidi_controls_become_visible_tags_in_lines_and_markdown(control: str) -> None:
    tag = f"[U+{ord(control):04X}]"
    assert line(f"A {control}evil") == f"A {tag}evil"
    # In Markdown the tag's brackets are escaped: "\u202e(http://x)" must not become a link.
    text = markdown(f"{control}(https://example.org) and {control}")
    assert f"{tag}(https://example.org) and {tag}" in render_markdown(text)
    assert "<a" not in render_markdown(text)
    assert parse_blocks(text)[0].runs[0].text.startswith(tag)  # type: ignore[union-attr]


def test_no_break_space_runs_do_not_glue_words() -> None:
    assert line("Pacific\u00a0Alliance\u00a0Forum") == "Pacific Alliance Forum"
    assert line("a\u00a0\u00a0\u00a0b") == "a b"
    assert markdown("10\u00a0km and p.\u00a05") == "10\u00a0km and p.\u00a05"  # typographic ties stay in text
    assert markdown("word\u00a0\u00a0word") == "word word"


def test_empty_public_chapter_is_not_in_the_model_input_but_an_internal_one_has_no_number() -> None:
    snap = sample_snapshot("internal")
    section = dataclasses.replace(snap.sections[0], number=0, published=False)
    doc = build_document(dataclasses.replace(snap, sections=(section, *snap.sections[1:])))
    chapters = [b for b in doc.blocks if isinstance(b, Chapter)]
    assert chapters[0].number == "" and chapters[0].heading == section.title
    assert chapters[0].marks[0].text == "Not in the public report"


# --- Both formats say what the model says ------------------------------------------------------------------------


def read_payloads() -> list[str]:
    """Every payload of the corpus (its first line describes the file)."""
    lines = PAYLOADS.read_text(encoding="utf-8").splitlines()[1:]
    return [raw.replace("\\n", "\n") for raw in lines if raw]


def hostile_snapshot() -> ReportSnapshot:
    """Every payload of the corpus in a title, a text, a rationale, a view, a name or a front-matter field."""
    payloads = read_payloads()
    base = sample_snapshot("public", draft=True)
    it = iter(payloads)

    def take(count: int) -> str:
        return "\n\n".join(next(it, "x") for _ in range(count))

    sections = []
    for s in range(4):
        title = next(it, "Section")
        recs = []
        for r in range(1, 16):
            rec_title, text, rationale = next(it, "t"), take(5), take(2)
            views = (AdditionalViewSnap("One member adds:", rec_title, "reservation"),) if r % 5 == 0 else ()
            recs.append(RecommendationSnap(key=f"R-{s * 40 + r}", number=f"{s + 1}.{r}", title=rec_title, text=text,
                                           rationale=rationale, target="Trilateral",
                                           outcome="Consensus with reservations" if views else "Consensus",
                                           views=views))
        sections.append(SectionSnap(number=s + 1, title=title, text=next(it, ""), recommendations=tuple(recs)))
    rest = list(it)
    people = tuple(RosterPerson(name=p, affiliation=p) for p in rest[:10])
    front = dataclasses.replace(base.front, title=rest[10] if len(rest) > 10 else "T", foreword="\n\n".join(rest[11:]))
    return dataclasses.replace(base, front=front, sections=tuple(sections),
                               roster=(CountryRoster("US", "United States", people), *base.roster))


def test_the_hostile_snapshot_uses_every_payload() -> None:
    snap = hostile_snapshot()
    strings: list[str] = []

    def walk(value: object) -> None:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for field in dataclasses.fields(value):
                walk(getattr(value, field.name))
        elif isinstance(value, tuple):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            strings.append(value)

    walk(snap)
    used = "\n\n".join(strings)
    payloads = read_payloads()
    assert len(payloads) == 546
    assert [p for p in payloads if p not in used] == []


@dataclasses.dataclass
class Rendered:
    """One report in every form a reader meets it."""

    name: str
    snapshot: ReportSnapshot
    pdf: Path
    docx: Path
    pages: list[str]


CASES = {
    "demo": lambda: sample_snapshot("public", draft=True),
    "demo-4x": lambda: sample_snapshot("public", draft=False, scale=4),
    "hostile": hostile_snapshot,
}


@pytest.fixture(scope="module", params=list(CASES))
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    snap = CASES[request.param]()
    folder = tmp_path_factory.mktemp(request.param)
    pdf, docx = folder / "report.pdf", folder / "report.docx"
    pdf.write_bytes(render_pdf(snap))
    docx.write_bytes(render_docx(snap))
    yield Rendered(request.param, snap, pdf, docx, pdf_pages(pdf))


@needs_tools
def test_pdf_docx_and_pandoc_read_back_what_the_model_says(rendered: Rendered) -> None:
    model = from_model(build_document(rendered.snapshot))
    pdf = from_pdf(rendered.pdf, rendered.pages)
    word = from_docx(rendered.docx.read_bytes())
    pandoc = from_pandoc(rendered.docx)
    assert len(model.headings) > 10 and len(model.numbers) > 5 and model.outcomes
    assert pdf.headings == model.headings
    assert word.headings == model.headings
    assert pandoc.headings == model.headings
    assert pdf.numbers == word.numbers == pandoc.numbers == model.numbers
    assert pdf.outcomes == word.outcomes == pandoc.outcomes == model.outcomes


@needs_tools
def test_every_footnote_sits_on_the_page_of_its_call(rendered: Rendered) -> None:
    doc = build_document(rendered.snapshot)
    placed = footnote_pages(doc, rendered.pages)
    assert len(placed) == len(doc.footnotes) > 0
    astray = [(n, call, note) for n, call, note in placed if call == 0 or call != note]
    assert astray == [], astray


@needs_tools
def test_no_r_keys_in_the_public_report(rendered: Rendered) -> None:
    keys = [r.key for r in rendered.snapshot.recommendations]
    text = squeeze(" ".join(rendered.pages))
    docx_text = squeeze(" ".join(p.text for p in Document(str(rendered.docx)).paragraphs))
    for key in keys:
        assert f"({key})" not in text and f"{key} " not in docx_text


# --- Text that cannot lie: the same characters in both formats -----------------------------------------------------


@needs_tools
def test_a_right_to_left_override_in_a_title_and_a_name_reads_the_same_in_pdf_and_docx(tmp_path: Path) -> None:
    snap = sample_snapshot("public", draft=False)
    person = RosterPerson(name="Mallory \u202eyrollaM", affiliation="Institute of \u2067Studies\u2069")
    snap = dataclasses.replace(
        snap, front=dataclasses.replace(snap.front, title="An \u202eevil\u202c title"),
        roster=(CountryRoster("US", "United States", (person,)),), sections=snap.sections[:2])
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render_pdf(snap))
    pages = pdf_pages(pdf)
    data = render_docx(snap)
    doc = Document(io.BytesIO(data))
    texts = [p.text for p in doc.paragraphs]
    title = "An [U+202E]evil[U+202C] title"
    name = "Mallory [U+202E]yrollaM"
    assert title in squeeze(pages[0]) and title in texts
    assert any(t.startswith(name) for t in texts) and name in squeeze(" ".join(pages))
    assert "Institute of [U+2067]Studies[U+2069]" in squeeze(" ".join(pages))
    # The running header carries the same characters; nothing reverses ("live" never appears).
    assert title in squeeze(pages[1])
    assert squeeze(" ".join(pages)).count(title) >= 3  # cover, contents page's running header, every page after
    assert not any(c in "".join(pages) + "".join(texts) for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2069")


@needs_tools
def test_emoji_print_with_the_emoji_font_in_pdf_and_docx(tmp_path: Path) -> None:
    snap = sample_snapshot("public", draft=False)
    snap = dataclasses.replace(snap, front=dataclasses.replace(snap.front, title="Flags 🇯🇵 🇰🇷 🇺🇸 and 😀 in 2026"),
                               sections=snap.sections[:2])
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render_pdf(snap))
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert "Noto-Color-Emoji" in fonts, fonts
    assert "🇯🇵" in pdf_pages(pdf)[0]
    doc = Document(io.BytesIO(render_docx(snap)))
    title = next(p for p in doc.paragraphs if p.style.name == "Title")
    emoji_runs = [r for r in title.runs if r._r.rPr is not None and r._r.rPr.rFonts is not None
                  and r._r.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}ascii")
                  == "Noto Color Emoji"]
    assert "".join(r.text for r in emoji_runs).replace(" ", "") == "🇯🇵🇰🇷🇺🇸😀"
    assert title.text == "Flags 🇯🇵 🇰🇷 🇺🇸 and 😀 in 2026"


def test_a_png_logo_is_on_the_cover_of_both_formats() -> None:
    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    snap = sample_snapshot("public", draft=False)
    snap = dataclasses.replace(snap, front=dataclasses.replace(
        snap.front, logo=ReportImage("image/png", png, 1, 1)), sections=snap.sections[:1])
    from wg.features.report.pdf import render_report_html
    assert f'src="data:image/png;base64,{png}"' in render_report_html(snap)
    doc = Document(io.BytesIO(render_docx(snap)))
    assert len(doc.inline_shapes) == 1
