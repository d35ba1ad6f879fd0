"""The report as a Word document: ``render_docx(snapshot)`` → the bytes of a .docx file.

A pure function of the snapshot: no database, no web layer, no files read or written, and the same snapshot gives
the same bytes (the core properties carry no creation or modification time and every part of the zip file has a
fixed timestamp).

python-docx 1.2 has no API for footnotes or a table of contents, so both are written as raw OOXML: a footnotes
part with one footnote per additional view, and a ``TOC`` field. Its cached result is a plain list of the headings
(section numbers and titles, recommendation numbers); the export then writes each entry's page number into it from
LibreOffice's pagination of the same file (``docx_toc``), so no reader has to update fields.

Every string from the snapshot passes through ``_text`` (or ``_line``), and member Markdown only through
``wg.lib.markdown.parse_blocks`` (never HTML): python-docx raises on characters XML cannot carry.
"""

from __future__ import annotations

import base64
import binascii
import copy
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.image.exceptions import UnrecognizedImageError
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.parts.story import StoryPart
from docx.shared import Length, Mm, Pt, RGBColor, Twips
from docx.styles.style import CharacterStyle, ParagraphStyle
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run as DocxRun

from wg.features.report.document import (
    EMOJI,
    Chapter,
    Contents,
    Cover,
    Disclaimer,
    Footnote,
    Mark,
    People,
    Person,
    Recommendation,
    Summary,
    TextChapter,
    build_document,
)
from wg.features.report.snapshot import ReportImage, ReportSnapshot
from wg.lib.markdown import (
    Block,
    CodeBlock,
    Heading,
    ListItem,
    Paragraph,
    Run,
    Table,
    TableCell,
    ThematicBreak,
    clean_text,
    parse_blocks,
)

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SVG_MEDIA_TYPE = "image/svg+xml"
_SVG_BLIP_EXT = "{96DAC541-7B7A-43D3-8B79-37D633B846F1}"  # Office 2016's SVG image extension
_ASVG_NS = "http://schemas.microsoft.com/office/drawing/2016/SVG/main"

LATIN_FONT = "Georgia"
LATIN_FALLBACK = "Times New Roman"
MONO_FONT = "Courier New"
EAST_ASIAN_FONTS = {"ja": "Noto Serif CJK JP", "ko": "Noto Serif CJK KR", "zh": "Noto Serif CJK SC"}
EAST_ASIAN_LANGS = {"ja": "ja-JP", "ko": "ko-KR", "zh": "zh-CN"}
DEFAULT_EAST_ASIAN_FONT = EAST_ASIAN_FONTS["ja"]
DEFAULT_EAST_ASIAN_LANG = EAST_ASIAN_LANGS["ja"]
MONO_EAST_ASIAN_FONT = "Noto Sans Mono CJK JP"
EMOJI_FONT = "Noto Color Emoji"

_NAVY = RGBColor(0x1F, 0x38, 0x64)
_GREY = RGBColor(0x59, 0x59, 0x59)
_RED = RGBColor(0xA5, 0x00, 0x21)
_AMBER = RGBColor(0x8A, 0x4B, 0x00)

_FOOTNOTES_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
_EXTERNAL_SCHEMES = ("http://", "https://", "mailto:")
_TOC_INSTRUCTION = ' TOC \\o "1-2" \\h \\z \\u '
# A fixed zip timestamp (the earliest a zip file can hold) so two renders of one snapshot are byte-identical.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Bidirectional embeddings, overrides and isolates: the document model already shows each as "[U+202E]"; any that
# still reached the writer would reverse the text after it in the reader's view, so they are dropped here.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# The children of w:pPr that the schema puts after w:shd (python-docx inserts only what it knows in order).
_PPR_AFTER_SHD = (
    "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)
# What may stay in a URL written to a relationship target; everything else is percent-encoded.
_URL_SAFE = ";/?:@&=+$,-_.!~*'()#%[]"


def _text(value: str) -> str:
    """Text python-docx can write: ``clean_text`` (controls, surrogates, U+FFFE/U+FFFF) minus bidi overrides."""
    return _BIDI_CONTROLS.sub("", clean_text(value))


def _line(value: str) -> str:
    """Single-line text (titles, names, labels): ``_text`` with every run of whitespace made one space."""
    return " ".join(_text(value).split())


def _property(value: str) -> str:
    """A core-properties value: one line, at most 255 characters (python-docx's limit; longer raises)."""
    value = _line(value)
    return value if len(value) <= 255 else value[:254] + "…"


def _external_url(href: str | None) -> str | None:
    """The URL for a real hyperlink if it is http, https or mailto; None for anything else (relative included)."""
    if not href:
        return None
    url = _line(href)
    if not url.lower().startswith(_EXTERNAL_SCHEMES):
        return None
    return quote(url, safe=_URL_SAFE)


def _plural(count: int, word: str) -> str:
    """``1 comment``, ``3 comments``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# --- Low-level OOXML helpers -----------------------------------------------------------------------------------


def _element(tag: str, **attrs: str) -> Any:
    """A new OOXML element with ``w:``-prefixed attributes (python-docx's custom element class when it has one)."""
    element = OxmlElement(tag)
    for name, value in attrs.items():
        element.set(qn(f"w:{name}"), value)
    return element


def _set_fonts(rpr: Any, latin: str | None, east_asian: str | None) -> None:
    """Set a run's fonts explicitly, dropping theme fonts (which would win over the named ones)."""
    fonts = rpr.get_or_add_rFonts()  # python-docx keeps the schema's child order (rStyle first)
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    if latin:
        for attr in ("ascii", "hAnsi", "cs"):
            fonts.set(qn(f"w:{attr}"), latin)
    if east_asian:
        fonts.set(qn("w:eastAsia"), east_asian)
    if east_asian and latin is None:
        # A run of East Asian text only: tell Word to treat shared characters (punctuation) as East Asian too.
        fonts.set(qn("w:hint"), "eastAsia")


def _set_lang(rpr: Any, latin: str | None, east_asian: str | None) -> None:
    """Set a run's languages (``w:lang``): the Latin one and the East Asian one."""
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = _element("w:lang")
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    if latin:
        lang.set(qn("w:val"), latin)
    if east_asian:
        lang.set(qn("w:eastAsia"), east_asian)


def _styled(paragraph: DocxParagraph, style_id: str) -> DocxParagraph:
    """Give a paragraph a style by id (python-docx's lookup by name scans every style: slow)."""
    ppr = paragraph._p.get_or_add_pPr()  # noqa: SLF001
    if len(ppr) == 0:
        # The same element python-docx would add, without its search for where the schema puts it (slow, and
        # there is nothing else in an empty w:pPr).
        ppr.append(_element("w:pStyle", val=style_id))
    else:
        ppr.style = style_id
    return paragraph


def _set_text(run: DocxRun, text: str) -> DocxRun:
    """``run.text = text`` for a new, empty run, fast for text without tabs and line breaks; emoji go into runs of
    their own in the emoji font, right after this one (each with a copy of this run's formatting).

    python-docx turns text into run content one character at a time (tabs and line breaks become elements); text
    without them is one ``w:t``, exactly what it would write. Set the run's style and formatting first.
    """
    if EMOJI.search(text) is None:
        _write_text(run, text)
        return run
    pieces = [(m.start(), m.end()) for m in EMOJI.finditer(text)]
    _write_text(run, text[:pieces[0][0]])
    last = run._r  # noqa: SLF001
    cursor = pieces[0][0]
    for start, end in pieces:
        for chunk, emoji in ((text[cursor:start], False), (text[start:end], True)):
            if not chunk:
                continue
            element = _element("w:r")
            if run._r.rPr is not None:  # noqa: SLF001
                element.append(copy.deepcopy(run._r.rPr))  # noqa: SLF001
            last.addnext(element)
            last = element
            piece = DocxRun(element, run._parent)  # noqa: SLF001
            if emoji:
                rpr = element.get_or_add_rPr()
                _set_fonts(rpr, EMOJI_FONT, EMOJI_FONT)
                rpr.find(qn("w:rFonts")).attrib.pop(qn("w:hint"), None)
            _write_text(piece, chunk)
        cursor = end
    if text[cursor:]:
        element = _element("w:r")
        if run._r.rPr is not None:  # noqa: SLF001
            element.append(copy.deepcopy(run._r.rPr))  # noqa: SLF001
        last.addnext(element)
        _write_text(DocxRun(element, run._parent), text[cursor:])  # noqa: SLF001
    return run


def _write_text(run: DocxRun, text: str) -> None:
    """Text into one run: one ``w:t`` unless it has tabs or line breaks (python-docx's own, slower, path)."""
    if "\t" in text or "\n" in text or "\r" in text:
        run.text = text
    elif text:
        run._r.add_t(text)  # noqa: SLF001


def _turn_on(run: DocxRun, tag: str) -> None:
    """``run.bold = True`` (``w:b``), ``run.italic = True`` (``w:i``) …: the same XML, without python-docx's search
    for where the schema puts the property when the run has no properties yet."""
    r = run._r  # noqa: SLF001
    if r.rPr is None:
        rpr = _element("w:rPr")
        rpr.append(_element(tag))
        r.insert(0, rpr)
    elif tag == "w:b":
        run.bold = True
    else:
        run.italic = True


def _add_run(paragraph: DocxParagraph, text: str, style_id: str | None) -> DocxRun:
    """Append a run, optionally in a character style given by id."""
    run = paragraph.add_run()
    if style_id:
        run._r.style = style_id  # noqa: SLF001
    return _set_text(run, text)


def _field_runs(paragraph: DocxParagraph, instruction: str, result: str, *, dirty: bool = False) -> None:
    """Append a complete field (begin, instruction, separate, cached result, end) to a paragraph."""
    _field_begin(paragraph, instruction, dirty=dirty)
    if result:
        paragraph.add_run(result)
    _field_end(paragraph)


def _field_begin(paragraph: DocxParagraph, instruction: str, *, dirty: bool = False) -> None:
    """Open a field: begin, instruction text, separate. Its cached result follows, then ``_field_end``."""
    begin = _element("w:fldChar", fldCharType="begin")
    if dirty:
        begin.set(qn("w:dirty"), "true")
    paragraph.add_run()._r.append(begin)
    instr = _element("w:instrText")
    instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    instr.text = instruction
    paragraph.add_run()._r.append(instr)
    paragraph.add_run()._r.append(_element("w:fldChar", fldCharType="separate"))


def _field_end(paragraph: DocxParagraph) -> None:
    """Close the field ``_field_begin`` opened."""
    paragraph.add_run()._r.append(_element("w:fldChar", fldCharType="end"))


# --- Styles ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Look:
    """How a style looks; None leaves the template's value."""

    size: float | None = None
    bold: bool | None = None
    italic: bool | None = None
    small_caps: bool | None = None
    color: RGBColor | None = None
    before: float | None = None
    after: float | None = None
    line: float | None = None
    indent: float | None = None
    align: WD_ALIGN_PARAGRAPH | None = None
    keep_next: bool | None = None
    page_break: bool | None = None
    font: str | None = None
    east_asian_font: str | None = None


def _apply_look(style: ParagraphStyle | CharacterStyle, look: _Look) -> None:
    """Apply a look to a style through python-docx's API, plus the fonts and languages it has no API for."""
    font = style.font
    if look.size is not None:
        font.size = Pt(look.size)
    if look.bold is not None:
        font.bold = look.bold
    if look.italic is not None:
        font.italic = look.italic
    if look.small_caps is not None:
        font.small_caps = look.small_caps
    if look.color is not None:
        font.color.rgb = look.color
        color = style.element.rPr.find(qn("w:color"))
        for attr in ("themeColor", "themeShade", "themeTint"):
            color.attrib.pop(qn(f"w:{attr}"), None)
    rpr = style.element.get_or_add_rPr()
    _set_fonts(rpr, look.font or LATIN_FONT, look.east_asian_font or DEFAULT_EAST_ASIAN_FONT)
    _set_lang(rpr, "en-US", DEFAULT_EAST_ASIAN_LANG)
    if not isinstance(style, ParagraphStyle):
        return
    fmt = style.paragraph_format
    if look.before is not None:
        fmt.space_before = Pt(look.before)
    if look.after is not None:
        fmt.space_after = Pt(look.after)
    if look.line is not None:
        fmt.line_spacing = look.line
    if look.indent is not None:
        fmt.left_indent = Mm(look.indent)
    if look.align is not None:
        fmt.alignment = look.align
    if look.keep_next is not None:
        fmt.keep_with_next = look.keep_next
    if look.page_break is not None:
        fmt.page_break_before = look.page_break


_BUILT_IN_LOOKS: dict[str, _Look] = {
    "Normal": _Look(size=10.5, after=6, line=1.2),
    "Title": _Look(size=26, color=_NAVY, after=12, line=1.0),
    "Subtitle": _Look(size=15, italic=True, color=_GREY, after=24),
    "Heading 1": _Look(size=17, bold=True, color=_NAVY, before=0, after=14, page_break=True, keep_next=True),
    "Heading 2": _Look(size=13, bold=True, color=_NAVY, before=16, after=4, keep_next=True),
    "Heading 3": _Look(size=11, bold=True, color=_GREY, before=10, after=2, keep_next=True),
    "Heading 4": _Look(size=10.5, bold=True, italic=True, color=_GREY, before=8, after=2, keep_next=True),
    "Quote": _Look(italic=True, indent=10, color=_GREY),
    "TOC Heading": _Look(size=17, bold=True, color=_NAVY, before=0, after=14, page_break=True),
    "header": _Look(size=8.5, color=_GREY, after=0),
    "footer": _Look(size=8.5, color=_GREY, after=0, align=WD_ALIGN_PARAGRAPH.CENTER),
    "List Bullet": _Look(after=3),
    "List Bullet 2": _Look(after=3),
    "List Bullet 3": _Look(after=3),
    "List Number": _Look(after=3),
    "List Number 2": _Look(after=3),
    "List Number 3": _Look(after=3),
}

# Custom paragraph styles: (name, style id, look).
_PARAGRAPH_STYLES: tuple[tuple[str, str, _Look], ...] = (
    ("Cover Series", "CoverSeries", _Look(size=11, small_caps=True, color=_GREY, before=110, after=18)),
    ("Cover Group", "CoverGroup", _Look(size=10.5, color=_GREY, after=6)),
    ("Cover Logo", "CoverLogo", _Look(before=48, after=4)),
    ("Cover Host", "CoverHost", _Look(size=13, bold=True, color=_NAVY, before=48, after=2)),
    ("Cover Date", "CoverDate", _Look(size=11, color=_GREY, after=24)),
    ("Draft Notice", "DraftNotice", _Look(size=11, bold=True, color=_RED, before=12, after=6)),
    ("Disclaimer", "Disclaimer", _Look(size=9, italic=True, color=_GREY, before=18, after=6)),
    ("Minor Heading", "MinorHeading", _Look(size=10.5, bold=True, small_caps=True, color=_NAVY, before=18, after=4,
                                            keep_next=True)),
    ("Roster Note", "RosterNote", _Look(size=9.5, italic=True, color=_GREY, after=10)),
    ("Roster Country", "RosterCountry", _Look(size=12, bold=True, color=_NAVY, before=14, after=4, keep_next=True)),
    ("Roster Entry", "RosterEntry", _Look(after=5, line=1.1)),
    ("Report Meta", "ReportMeta", _Look(size=9, color=_GREY, after=2)),
    ("Recommendation Key", "RecommendationKey", _Look(size=8, color=_GREY, after=4, keep_next=True)),
    ("Recommendation Target", "RecommendationTarget", _Look(size=9.5, italic=True, after=6)),
    ("Recommendation Outcome", "RecommendationOutcome", _Look(size=9.5, before=6, after=10)),
    ("Code Block", "CodeBlock", _Look(size=8.5, font=MONO_FONT, east_asian_font=MONO_EAST_ASIAN_FONT, after=6,
                                      line=1.0, indent=5)),
    ("Table Text", "TableText", _Look(size=9, after=0, line=1.05)),
    ("footnote text", "FootnoteText", _Look(size=8.5, after=2, line=1.0)),
    ("toc 1", "TOC1", _Look(size=10.5, before=6, after=2)),
    ("toc 2", "TOC2", _Look(size=9.5, after=1, indent=6)),
)

# Custom character styles: (name, style id, look).
_CHARACTER_STYLES: tuple[tuple[str, str, _Look], ...] = (
    ("footnote reference", "FootnoteReference", _Look()),
    ("Hyperlink", "Hyperlink", _Look(color=RGBColor(0x1F, 0x4E, 0x9A))),
    ("State Badge", "StateBadge", _Look(size=8.5, bold=True, small_caps=True, color=_AMBER)),
    ("Open Item", "OpenItem", _Look(size=8.5, bold=True, small_caps=True, color=_RED)),
    ("Inline Code", "InlineCode", _Look(font=MONO_FONT, east_asian_font=MONO_EAST_ASIAN_FONT)),
    ("Native Name", "NativeName", _Look()),
)


def _setup_styles(doc: DocxDocument) -> None:
    """Fonts, sizes and colours of the built-in styles, and the report's own styles."""
    styles = doc.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    default_rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(default_rpr, LATIN_FONT, DEFAULT_EAST_ASIAN_FONT)
    _set_lang(default_rpr, "en-US", DEFAULT_EAST_ASIAN_LANG)
    for name, look in _BUILT_IN_LOOKS.items():
        _apply_look(styles[name], look)
    for name, style_id, look in _PARAGRAPH_STYLES:
        pstyle = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        pstyle.style_id = style_id
        pstyle.base_style = styles["Normal"]
        _apply_look(pstyle, look)
    for name, style_id, look in _CHARACTER_STYLES:
        cstyle = styles.add_style(name, WD_STYLE_TYPE.CHARACTER)
        cstyle.style_id = style_id
        _apply_look(cstyle, look)
    styles["footnote reference"].font.superscript = True
    styles["Hyperlink"].font.underline = True
    styles["footnote text"].base_style = styles["Normal"]
    # Title: a rule under it in the report's colour, not the template's theme colour.
    border = styles["Title"].element.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    border.set(qn("w:color"), str(_NAVY))
    border.attrib.pop(qn("w:themeColor"), None)
    # Header and footer: no tab stops laid out for another page size.
    for name in ("header", "footer"):
        tabs = styles[name].element.pPr.find(qn("w:tabs"))
        if tabs is not None:
            styles[name].element.pPr.remove(tabs)
    styles["Roster Entry"].paragraph_format.keep_together = True
    code_ppr = styles["Code Block"].element.get_or_add_pPr()
    shading = _element("w:shd", val="clear", color="auto", fill="F2F2F2")
    code_ppr.insert_element_before(shading, *_PPR_AFTER_SHD)


# --- The document --------------------------------------------------------------------------------------------


@dataclass
class _TocEntry:
    """A heading the table of contents lists."""

    level: int
    text: str
    bookmark: str


class _Builder:
    """Writes one report document (``build_document``) into a fresh python-docx document: typography only."""

    def __init__(self, snapshot: ReportSnapshot) -> None:
        self.snap = snapshot
        self.model = build_document(snapshot)
        self.internal = self.model.internal
        self.doc: DocxDocument = Document()
        self.toc: list[_TocEntry] = []
        self.bookmarks: dict[str, str] = {}  # anchor -> bookmark name
        self.bookmark_id = 0
        self.footnotes = parse_xml(f"<w:footnotes {nsdecls('w', 'r')}/>")
        self.footnotes_part: StoryPart | None = None
        self.title = _line(self.model.title) or "Report"
        self.text_width = Length(0)

    # The document as a whole.

    def build(self) -> bytes:
        """Write every block of the document in order and return the .docx bytes."""
        self._clean_package()
        self.text_width = self._page_setup()
        _setup_styles(self.doc)
        self._settings()
        self._core_properties()
        self._footnotes_part()
        self._header_footer()
        contents: tuple[Contents, DocxParagraph] | None = None
        for block in self.model.blocks:
            if isinstance(block, Cover):
                self._cover(block)
            elif isinstance(block, TextChapter):
                self._heading(block.heading, 1, block.anchor)
                self._markdown(block.text)
            elif isinstance(block, People):
                self._people(block)
            elif isinstance(block, Disclaimer):
                self._para(_line(block.heading), "MinorHeading")
                self._markdown(block.text, style="Disclaimer")
            elif isinstance(block, Contents):
                contents = (block, self._toc_placeholder(block))
            elif isinstance(block, Chapter):
                self._chapter(block)
            elif isinstance(block, Summary):
                self._summary_table(block)
        if contents is not None:
            self._fill_toc(*contents)
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return _normalise_zip(buffer.getvalue())

    def _clean_package(self) -> None:
        """Drop what the template carries that is not this report: thumbnail, stale style copies, custom XML."""
        package = self.doc.part.package
        for rid, rel in list(package.rels.items()):
            if rel.reltype == RT.THUMBNAIL:
                del package.rels[rid]
            elif rel.reltype == RT.EXTENDED_PROPERTIES:
                rel.target_part._blob = _app_properties()  # noqa: SLF001 - python-docx has no API for app.xml
        for rid, rel in list(self.doc.part.rels.items()):
            if rel.reltype in (_STYLES_WITH_EFFECTS, RT.CUSTOM_XML):
                del self.doc.part.rels[rid]

    def _page_setup(self) -> Length:
        """Paper size and margins; returns the width of the text block."""
        section = self.doc.sections[0]
        margin: Length
        if self.model.paper_size == "Letter":
            section.page_width, section.page_height = Twips(12240), Twips(15840)
            margin = Twips(1440)
        else:
            section.page_width, section.page_height = Mm(210), Mm(297)
            margin = Mm(25)
        section.left_margin = section.right_margin = margin
        section.top_margin = section.bottom_margin = margin
        section.header_distance = section.footer_distance = Mm(12)
        return Length(int(section.page_width or 0) - 2 * int(margin))

    def _settings(self) -> None:
        """Point to the separator footnotes, no thumbnail. Word is not asked to update fields on opening: the export
        fills the contents' page numbers itself (``docx_toc``), so Word opens the file without a question."""
        settings = self.doc.settings.element
        for tag in ("w:savePreviewPicture", "w:proofState"):
            element = settings.find(qn(tag))
            if element is not None:
                settings.remove(element)
        compat = settings.find(qn("w:compat"))
        footnote_pr = _element("w:footnotePr")
        footnote_pr.append(_element("w:footnote", id="-1"))
        footnote_pr.append(_element("w:footnote", id="0"))
        compat.addprevious(footnote_pr)
        theme_lang = settings.find(qn("w:themeFontLang"))
        if theme_lang is not None:
            theme_lang.set(qn("w:val"), "en-US")
            theme_lang.set(qn("w:eastAsia"), DEFAULT_EAST_ASIAN_LANG)

    def _core_properties(self) -> None:
        """Document metadata: the report and the host organisation, never a member, and no time of rendering."""
        props = self.doc.core_properties
        org = _property(self.model.host) or _property(self.snap.group_name)
        props.title = _property(self.title)
        props.subject = _property(self.snap.group_name)
        props.author = org
        props.last_modified_by = org
        props.keywords = "working group report"
        props.comments = ""
        props.category = "Report"
        props.content_status = "Draft" if self.snap.draft else "Final"
        props.language = "en-US"
        props.revision = 1
        element = props._element  # noqa: SLF001 - dates can only be removed at the XML level
        for tag in ("dcterms:created", "dcterms:modified", "cp:lastPrinted"):
            for child in element.findall(qn(tag)):
                element.remove(child)

    def _footnotes_part(self) -> None:
        """Create the footnotes part with the two separator footnotes Word expects (ids -1 and 0)."""
        for note_id, kind, mark in (("-1", "separator", "w:separator"),
                                    ("0", "continuationSeparator", "w:continuationSeparator")):
            note = _element("w:footnote", type=kind, id=note_id)
            p = _element("w:p")
            ppr = _element("w:pPr")
            ppr.append(_element("w:spacing", after="0", line="240", lineRule="auto"))
            p.append(ppr)
            r = _element("w:r")
            r.append(_element(mark))
            p.append(r)
            note.append(p)
            self.footnotes.append(note)
        part = StoryPart(PackURI("/word/footnotes.xml"), _FOOTNOTES_CONTENT_TYPE, self.footnotes,
                         self.doc.part.package)
        self.doc.part.relate_to(part, RT.FOOTNOTES)
        self.footnotes_part = part

    def _header_footer(self) -> None:
        """Running header (the title, and on drafts the draft line) and a footer with ``Page X of Y``."""
        section = self.doc.sections[0]
        section.different_first_page_header_footer = True
        watermark = self.model.draft_line
        header = section.header
        title_p = header.paragraphs[0]
        _set_text(title_p.add_run(), self.title).italic = True
        if watermark:
            draft = _styled(header.add_paragraph(), "Header")
            draft.add_run(watermark).bold = True
            first = section.first_page_header.paragraphs[0]
            first.add_run(watermark).bold = True
            first.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        footer_p = section.footer.paragraphs[0]
        footer_p.add_run("Page ")
        _field_runs(footer_p, " PAGE ", "1")
        footer_p.add_run(" of ")
        _field_runs(footer_p, " NUMPAGES ", "1")

    # The blocks.

    def _cover(self, cover: Cover) -> None:
        """Series line, title, subtitle, group, logo, host organisation, date line, draft notice, internal note."""
        self._para(_line(cover.series_line) or " ", "CoverSeries")
        self._para(self.title, "Title")
        if _line(cover.subtitle):
            self._para(_line(cover.subtitle), "Subtitle")
        if _line(cover.group_name):
            self._para(_line(cover.group_name), "CoverGroup")
        if cover.logo is not None:
            self._logo(cover.logo)
        if _line(cover.host):
            self._para(_line(cover.host), "CoverHost")
        if _line(cover.date_line):
            self._para(_line(cover.date_line), "CoverDate")
        if cover.draft_line:
            self._para(cover.draft_line, "DraftNotice")
        if cover.internal_note:
            self._para(_line(cover.internal_note), "ReportMeta")

    def _logo(self, image: ReportImage) -> None:
        """The host's logo on the cover. A PNG as it is. An SVG as its PNG drawing (``png_base64``) with the SVG
        itself attached the way Word 2016+ does it (``asvg:svgBlip``): Word shows the SVG, LibreOffice and older
        Word the PNG. An SVG without a drawing is left out (python-docx cannot place an SVG alone)."""
        svg = image.media_type == SVG_MEDIA_TYPE
        if image.media_type != "image/png" and not (svg and image.png_base64):
            return
        try:
            data = base64.b64decode(image.png_base64 if svg else image.data_base64, validate=False)
            svg_data = base64.b64decode(image.data_base64, validate=False) if svg else b""
            width = Mm(60) if not image.width_px or not image.height_px or \
                image.width_px * 22 >= image.height_px * 60 else Length(int(Mm(22) * image.width_px / image.height_px))
            p = self._para("", "CoverLogo")
            shape = p.add_run().add_picture(io.BytesIO(data), width=width)
        except (ValueError, binascii.Error, UnrecognizedImageError, ZeroDivisionError):
            return
        if svg_data:
            self._attach_svg(shape._inline.graphic.graphicData.pic.blipFill.blip, svg_data)  # noqa: SLF001

    def _attach_svg(self, blip: Any, svg_data: bytes) -> None:
        """Add ``svg_data`` as an image part and name it in ``blip``'s ``asvg:svgBlip`` extension."""
        package = self.doc.part.package
        part = Part(package.next_partname("/word/media/image%d.svg"), SVG_MEDIA_TYPE, svg_data, package)
        rid = self.doc.part.relate_to(part, RT.IMAGE)
        ext_list = parse_xml(
            f'<a:extLst {nsdecls("a", "r")}><a:ext uri="{_SVG_BLIP_EXT}">'
            f'<asvg:svgBlip xmlns:asvg="{_ASVG_NS}" r:embed="{rid}"/></a:ext></a:extLst>')
        blip.append(ext_list)

    def _toc_placeholder(self, contents: Contents) -> DocxParagraph:
        """The contents heading, a marker paragraph the entries replace at the end, and the internal status."""
        self._para(_line(contents.heading), "TOCHeading")
        marker = self._para("", "TOC1")
        if contents.status:
            self._para(_line(contents.status_heading), "MinorHeading")
            for status in contents.status:
                self._para(_line(status), "ReportMeta")
        return marker

    def _fill_toc(self, contents: Contents, marker: DocxParagraph) -> None:
        """A Word ``TOC`` field whose cached result is the model's plain list of headings, each linked to its
        heading's bookmark (page numbers are left to whoever paginates the document: Word, when it updates the
        field)."""
        entries = [_TocEntry(e.level, _line(e.text), self.bookmarks.get(e.anchor, "")) for e in contents.entries]
        if not entries:
            entries = [_TocEntry(1, "Contents are updated when the document is opened in Word.", "")]
        paragraphs: list[DocxParagraph] = []
        for index, entry in enumerate(entries):
            p = _styled(marker.insert_paragraph_before(), "TOC1" if entry.level == 1 else "TOC2")
            if index == 0:
                _field_begin(p, _TOC_INSTRUCTION, dirty=True)
            target: Any = p._p  # noqa: SLF001
            if entry.bookmark:
                link = _element("w:hyperlink", anchor=entry.bookmark, history="1")
                p._p.append(link)  # noqa: SLF001
                target = link
            run = DocxRun(_element("w:r"), p)
            target.append(run._r)  # noqa: SLF001
            _set_text(run, entry.text)
            paragraphs.append(p)
        _field_end(paragraphs[-1])
        marker._p.getparent().remove(marker._p)  # noqa: SLF001

    def _people(self, block: People) -> None:
        """A list of people (members by country, or advisers): heading, note, sub-headings and entries."""
        self._heading(block.heading, 1, block.anchor)
        self._para(_line(block.note), "RosterNote")
        for group in block.groups:
            if group.heading:
                self._para(_line(group.heading), "RosterCountry")
            for person in group.people:
                self._person(person)

    def _person(self, person: Person) -> None:
        """One roster entry; the native-script name is its own run with its East Asian font and language."""
        p = self._para("", "RosterEntry")
        name = _line(person.name)
        if name:
            _set_text(p.add_run(), name).bold = True
        native = _line(person.native_name)
        if native:
            if name:
                p.add_run("  ")
            run = _add_run(p, native, "NativeName")
            lang = person.lang.lower()[:2]
            rpr = run._r.get_or_add_rPr()  # noqa: SLF001
            _set_fonts(rpr, None, EAST_ASIAN_FONTS.get(lang, DEFAULT_EAST_ASIAN_FONT))
            _set_lang(rpr, None, EAST_ASIAN_LANGS.get(lang, DEFAULT_EAST_ASIAN_LANG))
        role = _line(person.role)
        if role:
            _add_run(p, f", {role}" if name or native else role, None)
        affiliation = _line(person.affiliation)
        if affiliation:
            p.add_run("\n")
            _set_text(p.add_run(), affiliation).italic = True

    def _chapter(self, chapter: Chapter) -> None:
        """The chapter's heading, its internal meta line, its text, then its recommendations."""
        self._heading(chapter.heading, 1, chapter.anchor)
        if chapter.meta or chapter.marks:
            p = self._para("", "ReportMeta")
            if chapter.meta:
                _add_run(p, _line(chapter.meta), None)
            self._mark_runs(p, chapter.marks, lead=bool(chapter.meta))
        self._markdown(chapter.text)
        if chapter.recommendations:
            self._para(_line(chapter.recommendations_heading), "MinorHeading")
        for rec in chapter.recommendations:
            self._recommendation(rec)

    def _recommendation(self, rec: Recommendation) -> None:
        """Heading, (internal) key and marks, target, text, rationale, outcome with the footnotes."""
        self._heading(rec.heading, 2, rec.anchor)
        if rec.key or rec.marks:
            key = self._para("", "RecommendationKey")
            if rec.key:
                _add_run(key, _line(rec.key), None)
            self._mark_runs(key, rec.marks, lead=bool(rec.key))
        target = _line(rec.target)
        if target:
            p = self._para("", "RecommendationTarget")
            _add_run(p, f"{_line(rec.target_label)} ", None)
            _turn_on(_add_run(p, target, None), "w:b")
        self._markdown(rec.text)
        if rec.rationale:
            self._para(_line(rec.rationale_heading), "Heading3")
            self._markdown(rec.rationale)
        if rec.outcome:
            p = self._para("", "RecommendationOutcome")
            _turn_on(_add_run(p, rec.outcome_prefix, None), "w:b")
            _add_run(p, _line(rec.outcome), None)
            for note in rec.footnotes:
                self._footnote(p, note)

    def _mark_runs(self, p: DocxParagraph, marks: Iterable[Mark], *, lead: bool) -> None:
        """Internal marks as ``[state]``, ``[open item]``, ``N comments``, separated by middle dots."""
        styles = {"state": "StateBadge", "open": "OpenItem", "unpublished": "OpenItem"}
        for index, mark in enumerate(marks):
            if index or lead:
                p.add_run(" · ")
            style = styles.get(mark.kind)
            text = f"[{_line(mark.text).lower()}]" if style else _line(mark.text)
            _add_run(p, text, style)

    def _footnote(self, p: DocxParagraph, note: Footnote) -> None:
        """A real footnote, numbered as the document numbers it: a reference mark here, the note in the part."""
        note_id = str(note.number)
        ref = _add_run(p, "", "FootnoteReference")
        ref._r.append(_element("w:footnoteReference", id=note_id))  # noqa: SLF001
        element = _element("w:footnote", id=note_id)
        self.footnotes.append(element)
        part = self.footnotes_part
        assert part is not None

        def new_paragraph() -> DocxParagraph:
            p_element = _element("w:p")
            element.append(p_element)
            para = DocxParagraph(p_element, part)
            para._p.get_or_add_pPr().style = "FootnoteText"  # noqa: SLF001
            return para

        first = new_paragraph()
        mark = first.add_run()
        mark._r.style = "FootnoteReference"  # noqa: SLF001
        mark._r.append(_element("w:footnoteRef"))  # noqa: SLF001
        _add_run(first, " ", None)
        attribution = _line(note.attribution)
        if attribution:
            _turn_on(_add_run(first, attribution, None), "w:i")
            _add_run(first, " ", None)
        blocks = parse_blocks(note.text)
        for index, block in enumerate(blocks):
            para = first if index == 0 else new_paragraph()
            self._runs(para, _flat_runs(block))

    def _summary_table(self, summary: Summary) -> None:
        """The summary of recommendations: the model's columns, one row per recommendation."""
        self._heading(summary.heading, 1, summary.anchor)
        shares = {"number": 0.09, "key": 0.08, "title": 0.45, "target": 0.18, "outcome": 0.2, "state": 0.12}
        total = sum(shares[c] for c in summary.columns)
        table = self.doc.add_table(rows=1, cols=len(summary.columns))
        table._tbl.tblPr.style = "TableGrid"  # noqa: SLF001 - by id: a lookup by name scans every style
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        widths = tuple(Length(int(self.text_width * shares[c] / total)) for c in summary.columns)
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width
        for cell, text, width in zip(table.rows[0].cells, summary.headers, widths, strict=True):
            cell.width = width
            para = cell.paragraphs[0]
            _styled(para, "TableText")
            para.add_run(text).bold = True
            _shade(cell, "DCE3EC")
        _repeat_header(table)
        for row_data in summary.rows:
            row = table.add_row()
            for cell, text in zip(row.cells, row_data.cells, strict=True):  # add_row gave each cell its width
                para = cell.paragraphs[0]
                _styled(para, "TableText")
                if _line(text):
                    _add_run(para, _line(text), None)

    # Building blocks.

    def _para(self, text: str, style: str) -> DocxParagraph:
        """A body paragraph in a style, given by id (the text must already be clean)."""
        p = _styled(self.doc.add_paragraph(), style)
        if text:
            _set_text(p.add_run(), text)
        return p

    def _heading(self, text: str, level: int, anchor: str) -> DocxParagraph:
        """A Heading 1 or 2 with a bookmark (the model's anchor names it for the contents)."""
        p = self._para(_line(text), f"Heading{level}")
        self.bookmark_id += 1
        name = f"_Toc{self.bookmark_id:06d}"
        self.bookmarks[anchor] = name
        start = _element("w:bookmarkStart", id=str(self.bookmark_id), name=name)
        end = _element("w:bookmarkEnd", id=str(self.bookmark_id))
        ppr = p._p.pPr  # noqa: SLF001
        if ppr is not None:
            ppr.addnext(start)
        else:
            p._p.insert(0, start)  # noqa: SLF001
        p._p.append(end)  # noqa: SLF001
        self.toc.append(_TocEntry(level, _line(text), name))
        return p

    def _markdown(self, text: str, style: str | None = None) -> None:
        """Member Markdown as body paragraphs, lists, quotes, tables and code (through ``parse_blocks`` only)."""
        _MarkdownWriter(self, style).write(parse_blocks(text))

    def _runs(self, p: DocxParagraph, runs: Iterable[Run]) -> None:
        """Inline runs with their formatting; http(s) and mailto links become real hyperlinks."""
        for run in runs:
            text = _text(run.text)
            if not text:
                continue
            url = _external_url(run.href)
            if url is not None:
                rid = p.part.relate_to(url, RT.HYPERLINK, is_external=True)
                link = _element("w:hyperlink")
                link.set(qn("r:id"), rid)
                p._p.append(link)  # noqa: SLF001
                docx_run = DocxRun(_element("w:r"), p)
                link.append(docx_run._r)  # noqa: SLF001
                docx_run._r.style = "Hyperlink"  # noqa: SLF001
            else:
                docx_run = p.add_run()
                if run.code:
                    docx_run._r.style = "InlineCode"  # noqa: SLF001
            if run.bold:
                _turn_on(docx_run, "w:b")
            if run.italic:
                _turn_on(docx_run, "w:i")
            if run.strike:
                docx_run.font.strike = True
            _set_text(docx_run, text)


def _flat_runs(block: Block) -> tuple[Run, ...]:
    """A block as one line of runs (for footnotes, which hold only simple paragraphs)."""
    if isinstance(block, ListItem):
        marker = f"{block.number}. " if block.ordered else "• "
        return (Run(marker), *block.runs)
    if isinstance(block, Paragraph | Heading):
        return block.runs
    if isinstance(block, CodeBlock):
        return (Run(block.text, code=True),)
    if isinstance(block, Table):
        runs: list[Run] = []
        for row in (block.header, *block.rows):
            for index, cell in enumerate(row):
                runs.extend([Run(" | ")] if index else [])
                runs.extend(cell.runs)
            runs.append(Run("\n"))
        return tuple(runs)
    return ()


class _MarkdownWriter:
    """Writes parsed member Markdown into the document body."""

    _BULLET_STYLES = ("ListBullet", "ListBullet2", "ListBullet3")
    _NUMBER_STYLES = ("ListNumber", "ListNumber2", "ListNumber3")
    _CONTINUE_STYLES = ("ListContinue", "ListContinue2", "ListContinue3")

    def __init__(self, builder: _Builder, style: str | None) -> None:
        self.b = builder
        self.style = style
        # The numbering instance of the ordered list open at each level, and the last number it showed.
        self.ordered: dict[int, tuple[int, int]] = {}

    def write(self, blocks: Iterable[Block]) -> None:
        """Write every block in order."""
        for block in blocks:
            for level in [lvl for lvl in self.ordered if lvl > block.list_level]:
                del self.ordered[level]
            if isinstance(block, ListItem):
                self._list_item(block)
            elif isinstance(block, Paragraph):
                self._paragraph(block)
            elif isinstance(block, Heading):
                p = self.b._para("", "Heading3" if block.level <= 2 else "Heading4")  # noqa: SLF001
                self.b._runs(p, block.runs)  # noqa: SLF001
                self._indent(p, block.list_level, block.quote_depth)
            elif isinstance(block, CodeBlock):
                p = self.b._para("", "CodeBlock")  # noqa: SLF001
                p.add_run(_text(block.text))
                self._indent(p, block.list_level, block.quote_depth, base=5)
            elif isinstance(block, ThematicBreak):
                self._rule()
            elif isinstance(block, Table):
                self._table(block)

    def _paragraph(self, block: Paragraph) -> None:
        """A paragraph: plain, inside a quote, or continuing a list item."""
        if block.quote_depth:
            style = "Quote"
        elif block.list_level:
            style = self._CONTINUE_STYLES[min(block.list_level, 3) - 1]
        else:
            style = self.style or "Normal"
        p = self.b._para("", style)  # noqa: SLF001
        self.b._runs(p, block.runs)  # noqa: SLF001
        if block.quote_depth or block.list_level > 3:
            self._indent(p, block.list_level, block.quote_depth)

    def _list_item(self, block: ListItem) -> None:
        """A bullet or numbered item in the List Bullet / List Number style of its level, keeping its number."""
        depth = min(block.list_level, 3)
        if not block.ordered:
            p = self.b._para("", self._BULLET_STYLES[depth - 1])  # noqa: SLF001
        else:
            p = self.b._para("", self._NUMBER_STYLES[depth - 1])  # noqa: SLF001
            number = block.number if block.number is not None else 1
            current = self.ordered.get(block.list_level)
            if current is None or number != current[1] + 1:
                num_id = self._new_numbering(self._NUMBER_STYLES[depth - 1], number)
            else:
                num_id = current[0]
            self.ordered[block.list_level] = (num_id, number)
            num_pr = p._p.get_or_add_pPr().get_or_add_numPr()  # noqa: SLF001
            num_pr.get_or_add_ilvl().val = 0
            num_pr.get_or_add_numId().val = num_id
        self.b._runs(p, block.runs)  # noqa: SLF001
        if block.quote_depth or block.list_level > 3:
            self._indent(p, block.list_level, block.quote_depth)

    def _new_numbering(self, style_id: str, start: int) -> int:
        """A new numbering instance of a List Number style's list, starting at ``start``."""
        numbering = self.b.doc.part.numbering_part.element
        style_num = self.b.doc.styles.element.get_by_id(style_id).pPr.numPr.numId.val
        abstract_id = numbering.num_having_numId(style_num).abstractNumId.val
        num = numbering.add_num(abstract_id)
        num.add_lvlOverride(ilvl=0).add_startOverride(start)
        return int(num.numId)

    def _indent(self, p: DocxParagraph, list_level: int, quote_depth: int, base: float = 0) -> None:
        """Indent a paragraph for the lists and quotes it sits in."""
        indent = base + 6.35 * list_level + 10 * quote_depth
        if indent:
            p.paragraph_format.left_indent = Mm(indent)

    def _rule(self) -> None:
        """A thematic break as an empty paragraph with a rule under it."""
        p = self.b.doc.add_paragraph()
        ppr = p._p.get_or_add_pPr()  # noqa: SLF001
        borders = _element("w:pBdr")
        borders.append(_element("w:bottom", val="single", sz="4", space="1", color="A6A6A6"))
        ppr.append(borders)

    def _table(self, block: Table) -> None:
        """A Markdown table as a Word table with a bold, repeated header row."""
        width = max([len(block.header), *(len(row) for row in block.rows)])
        if width == 0:
            return
        table = self.b.doc.add_table(rows=0, cols=width)
        table._tbl.tblPr.style = "TableGrid"  # noqa: SLF001
        for index, cells in enumerate((block.header, *block.rows)):
            row = table.add_row()
            for position in range(width):
                cell = row.cells[position]
                para = cell.paragraphs[0]
                _styled(para, "TableText")
                if position < len(cells):
                    self._cell(para, cells[position], header=index == 0)
        _repeat_header(table)
        self.b._para("", "TableText")  # noqa: SLF001 - space after the table, and keeps two tables apart

    def _cell(self, para: DocxParagraph, cell: TableCell, *, header: bool) -> None:
        """A table cell's runs with its column's alignment."""
        self.b._runs(para, cell.runs)  # noqa: SLF001
        if header:
            for run in para.runs:
                run.bold = True
        if cell.align == "center":
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif cell.align == "right":
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _shade(cell: Any, fill: str) -> None:
    """Give a table cell a background colour."""
    tc_pr = cell._tc.get_or_add_tcPr()  # noqa: SLF001
    tc_pr.append(_element("w:shd", val="clear", color="auto", fill=fill))


def _repeat_header(table: DocxTable) -> None:
    """Mark a table's first row as a header row, repeated on every page the table spans."""
    if not table.rows:
        return
    tr_pr = table.rows[0]._tr.get_or_add_trPr()  # noqa: SLF001
    tr_pr.append(_element("w:tblHeader", val="true"))


def _app_properties() -> bytes:
    """docProps/app.xml naming this application, instead of the template's stale counts and Word version."""
    return (
        b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        b'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        b"<Application>wg</Application><DocSecurity>0</DocSecurity></Properties>"
    )


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite the zip with fixed timestamps and permissions so the same document is always the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_EPOCH)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 0
            fixed.external_attr = 0
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def render_docx(snapshot: ReportSnapshot) -> bytes:
    """Render a report snapshot as a Word document (.docx bytes); the same snapshot always gives the same bytes."""
    return _Builder(snapshot).build()


__all__ = ["DOCX_MEDIA_TYPE", "render_docx"]
