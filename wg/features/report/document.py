"""The report's document model: ``build_document(snapshot)`` → an ordered tuple of typed blocks.

Every rule about what the report *says* lives here: which blocks appear and in which order, every heading's text,
the numbers, the outcome lines, the footnotes and their order, what the public profile leaves out (R-keys, review
marks, empty chapters) and how text is made safe to print (bidirectional controls shown, not obeyed; non-breaking
space runs loosened). The renderers (``pdf.py`` through ``templates/report/report.html``, and ``docx.py``) walk the
blocks in order and add typography only, so the PDF and the DOCX agree by construction.

The order: cover, acknowledgements, members, advisers, disclaimer, contents, foreword, executive summary, chapters
(each with its text and its recommendations), summary of recommendations, back matter (about the host, funders).

Strings in the blocks are of two kinds: *lines* (titles, names, labels: one line, printable as they are) and
*Markdown* (member text, normalised the same way, for ``wg.lib.markdown``). Both are pure data; nothing here knows
about HTML or OOXML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wg.features.report.snapshot import (
    RecommendationSnap,
    ReportImage,
    ReportSnapshot,
    RosterPerson,
    SectionSnap,
)
from wg.lib.markdown import BIDI_CONTROLS, clean_text

# --- Text that cannot lie -----------------------------------------------------------------------------------------

# Bidirectional embeddings, overrides and isolates (``BIDI_CONTROLS``). Obeyed, one of them in a title reverses the
# text after it ("evil" prints as "live"); dropped, the reader cannot see that the text held it. The report shows
# each as a visible tag, the same characters in the PDF and the DOCX. (U+200E/U+200F and U+061C, plain direction
# marks, only settle neutral characters next to them; right-to-left text needs them, so they stay.)
#: Emoji, with their joiners, variation selectors, skin tones and tag characters: both renderers set them in Noto
#: Color Emoji (fonts-noto-color-emoji), the DOCX in runs of their own.
EMOJI = re.compile(
    "(?:[\u231a\u231b\u23e9-\u23fa\u24c2\u25fb-\u25fe\u2600-\u27bf\u2934\u2935\u2b05-\u2b55\u3030\u303d"
    "\u3297\u3299\U0001f000-\U0001faff][\u200d\ufe0f\u20e3\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
    "\u2600-\u27bf\U0001f000-\U0001faff]*)+")
_SEPARATORS = re.compile("[\u2028\u2029]")
_NBSP_RUN = re.compile("[\u00a0\u202f]{2,}")
# A single no-break space between two words of four or more characters is a paste artefact (Word, web pages), not a
# typographic tie like "10 km" or "p. 5": it glues words into unbreakable blocks that justified lines gape around.
_NBSP_BETWEEN_WORDS = re.compile("(?<=[^\\s\u00a0\u202f]{4})[\u00a0\u202f](?=[^\\s\u00a0\u202f]{4})")


def visible_control(match: re.Match[str]) -> str:
    """``U+202E`` → ``[U+202E]``: a bidirectional control as a tag the reader sees and that reorders nothing."""
    return f"[U+{ord(match.group(0)):04X}]"


def _markdown_visible_control(match: re.Match[str]) -> str:
    """The same tag in Markdown, its brackets escaped so that it can never open a link."""
    return f"\\[U+{ord(match.group(0)):04X}\\]"


def _spaces(text: str) -> str:
    """Runs of no-break spaces, and no-break spaces gluing long words, become ordinary spaces."""
    if "\u00a0" not in text and "\u202f" not in text:
        return text
    return _NBSP_BETWEEN_WORDS.sub(" ", _NBSP_RUN.sub(" ", text))


def line(value: str) -> str:
    """A one-line string as the report prints it: cleaned, bidi controls visible, white space collapsed."""
    text = BIDI_CONTROLS.sub(visible_control, clean_text(value))
    return " ".join(_spaces(_SEPARATORS.sub(" ", text)).split())


def markdown(value: str) -> str:
    """Member Markdown as the report prints it: cleaned, bidi controls visible, line separators as newlines."""
    text = BIDI_CONTROLS.sub(_markdown_visible_control, clean_text(value))
    return _spaces(_SEPARATORS.sub("\n", text)).strip()


# --- Blocks -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """An internal-profile label: ``kind`` is state, open, comments or unpublished; ``token`` a CSS-safe state."""

    kind: str
    text: str
    token: str = ""


@dataclass(frozen=True)
class Cover:
    """The cover page."""

    series_line: str
    title: str
    subtitle: str
    group_name: str
    host: str
    date_line: str
    logo: ReportImage | None
    draft_line: str
    internal_note: str


@dataclass(frozen=True)
class TextChapter:
    """An unnumbered chapter of running text: acknowledgements, foreword, executive summary, back matter."""

    kind: str  # acknowledgements | foreword | executive-summary | about-host | funders
    anchor: str
    heading: str
    text: str


@dataclass(frozen=True)
class Person:
    """One listed person."""

    name: str
    native_name: str
    lang: str
    affiliation: str
    role: str


@dataclass(frozen=True)
class PeopleGroup:
    """People under one sub-heading (a country), or under none."""

    heading: str
    people: tuple[Person, ...]


@dataclass(frozen=True)
class People:
    """A list of people: the members by country, or the advisers."""

    kind: str  # members | advisers
    anchor: str
    heading: str
    note: str
    groups: tuple[PeopleGroup, ...]


@dataclass(frozen=True)
class Disclaimer:
    """The organizer's disclaimer (personal capacity, identification only)."""

    heading: str
    text: str


@dataclass(frozen=True)
class ContentsEntry:
    """One line of the contents: a level-1 or level-2 heading of the document and where it is."""

    level: int
    anchor: str
    text: str


@dataclass(frozen=True)
class Contents:
    """The contents (every level-1 and level-2 heading but its own) and, internally, the review status."""

    heading: str
    entries: tuple[ContentsEntry, ...]
    status_heading: str
    status: tuple[str, ...]


@dataclass(frozen=True)
class Footnote:
    """An additional view, printed as a footnote numbered in document order."""

    number: int
    attribution: str
    text: str


@dataclass(frozen=True)
class Recommendation:
    """A recommendation: ``heading`` is its full heading (what contents and bookmarks show), ``label`` + ``title``
    its two parts; ``key`` is empty in the public report; ``outcome_line`` is empty when nothing was decided and
    no one added a view."""

    anchor: str
    number: str
    label: str
    title: str
    heading: str
    key: str
    marks: tuple[Mark, ...]
    target_label: str
    target: str
    text: str
    rationale_heading: str
    rationale: str
    outcome_prefix: str
    outcome: str
    footnotes: tuple[Footnote, ...]

    @property
    def outcome_line(self) -> str:
        """``Outcome: Consensus`` as one line (empty if there is none)."""
        return f"{self.outcome_prefix}{self.outcome}" if self.outcome else ""


@dataclass(frozen=True)
class Chapter:
    """A chapter: its heading, internal marks, its own text and its recommendations."""

    anchor: str
    number: str
    title: str
    heading: str
    meta: str
    marks: tuple[Mark, ...]
    text: str
    recommendations_heading: str
    recommendations: tuple[Recommendation, ...]


@dataclass(frozen=True)
class SummaryRow:
    """One recommendation in the summary table."""

    anchor: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    """The summary of recommendations: ``columns`` name the cells of each row (no key column in public)."""

    anchor: str
    heading: str
    columns: tuple[str, ...]
    headers: tuple[str, ...]
    rows: tuple[SummaryRow, ...]


Block = Cover | TextChapter | People | Disclaimer | Contents | Chapter | Summary


@dataclass(frozen=True)
class ReportDocument:
    """The report as renderers see it: running title, metadata, and the blocks in reading order."""

    title: str
    subtitle: str
    host: str
    date_line: str
    draft_line: str
    internal: bool
    paper_size: str
    blocks: tuple[Block, ...]

    def outline(self) -> tuple[ContentsEntry, ...]:
        """Every level-1 and level-2 heading in order with its anchor: what the contents, the PDF bookmarks and
        Word's Heading 1/2 paragraphs list (the contents' own heading is not one of them)."""
        found: list[ContentsEntry] = []
        for block in self.blocks:
            if isinstance(block, TextChapter | People | Summary | Chapter):
                found.append(ContentsEntry(1, block.anchor, block.heading))
            if isinstance(block, Chapter):
                found.extend(ContentsEntry(2, rec.anchor, rec.heading) for rec in block.recommendations)
        return tuple(found)

    def headings(self) -> tuple[tuple[int, str], ...]:
        """Every level-1 and level-2 heading in reading order as (level, text): ``outline()`` and the contents'
        own heading (a heading in every format, but not one of its own entries)."""
        found: list[tuple[int, str]] = []
        for block in self.blocks:
            if isinstance(block, Contents):
                found.append((1, block.heading))
            elif isinstance(block, TextChapter | People | Summary | Chapter):
                found.append((1, block.heading))
                if isinstance(block, Chapter):
                    found.extend((2, rec.heading) for rec in block.recommendations)
        return tuple(found)

    @property
    def recommendations(self) -> tuple[Recommendation, ...]:
        """Every recommendation in order."""
        return tuple(r for b in self.blocks if isinstance(b, Chapter) for r in b.recommendations)

    @property
    def footnotes(self) -> tuple[Footnote, ...]:
        """Every footnote in order."""
        return tuple(n for r in self.recommendations for n in r.footnotes)


# --- The builder --------------------------------------------------------------------------------------------------

MEMBERS_HEADING = "Members of the working group"
MEMBERS_NOTE = "Affiliations are for identification purposes only."
DISCLAIMER_HEADING = "Disclaimer"
CONTENTS_HEADING = "Contents"
SUMMARY_HEADING = "Summary of recommendations"
INTERNAL_NOTE = ("Internal review copy. Shows review states, open items and comment counts; not for circulation "
                 "outside the working group.")
NOT_PUBLISHED = "Not in the public report"
_STATE_TOKEN = re.compile(r"[^a-z0-9-]+")
_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


def _plural(count: int, word: str) -> str:
    """``1 comment``, ``3 comments``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _state_label(value: str) -> str:
    """``changes-requested`` → ``Changes requested``."""
    text = line(value).replace("-", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _marks(state: str, is_open: bool, comments: int, published: bool) -> tuple[Mark, ...]:
    """The internal labels of a chapter or an item, in a fixed order."""
    marks: list[Mark] = []
    if not published:
        marks.append(Mark("unpublished", NOT_PUBLISHED))
    if _state_label(state):
        marks.append(Mark("state", _state_label(state), _STATE_TOKEN.sub("-", state.lower()).strip("-")[:40]))
    if is_open:
        marks.append(Mark("open", "Open item"))
    if comments > 0:
        marks.append(Mark("comments", _plural(comments, "comment")))
    return tuple(marks)


def _person(person: RosterPerson, role: bool = True) -> Person:
    """A roster entry as printed (the language tag only if it is one)."""
    lang = person.lang if _LANG_TAG.match(person.lang or "") else ""
    return Person(name=line(person.name), native_name=line(person.native_name), lang=lang,
                  affiliation=line(person.affiliation), role=line(person.role) if role else "")


class _Builder:
    """Builds one document; holds the running counters (footnote numbers, anchors)."""

    def __init__(self, snapshot: ReportSnapshot) -> None:
        self.snap = snapshot
        self.internal = snapshot.profile == "internal"
        self.footnote_number = 0

    def build(self) -> ReportDocument:
        """Every block in reading order."""
        snap, front = self.snap, self.snap.front
        title = line(front.title) or line(snap.group_name) or "Report"
        blocks: list[Block] = [self._cover(title)]
        blocks.extend(self._text("acknowledgements", "Acknowledgements", front.acknowledgements))
        members = self._members()
        if members is not None:
            blocks.append(members)
        advisers = self._advisers()
        if advisers is not None:
            blocks.append(advisers)
        if markdown(front.disclaimer):
            blocks.append(Disclaimer(DISCLAIMER_HEADING, markdown(front.disclaimer)))
        contents_at = len(blocks)
        blocks.extend(self._text("foreword", "Foreword", front.foreword))
        blocks.extend(self._text("executive-summary", "Executive summary", front.executive_summary))
        chapters = [self._chapter(index, section) for index, section in enumerate(snap.sections, start=1)]
        blocks.extend(chapters)
        summary = self._summary(chapters)
        if summary is not None:
            blocks.append(summary)
        host = line(front.host_organisation)
        blocks.extend(self._text("about-host", f"About {host}" if host else "About the host organisation",
                                 front.about_host))
        blocks.extend(self._text("funders", "Funders and support", front.funders))
        document = ReportDocument(
            title=title, subtitle=line(front.subtitle), host=host, date_line=line(front.date_line),
            draft_line=snap.watermark, internal=self.internal,
            paper_size="Letter" if front.paper_size == "Letter" else "A4", blocks=tuple(blocks))
        entries = document.outline()
        status: list[str] = []
        if self.internal:
            if snap.open_items:
                status.append(f"{_plural(snap.open_items, 'open item')} (marked “Open item” in the text).")
            status.extend(line(note) for note in snap.notes if line(note))
        contents = Contents(CONTENTS_HEADING, entries, "Review status", tuple(status))
        blocks.insert(contents_at, contents)
        return ReportDocument(
            title=document.title, subtitle=document.subtitle, host=document.host, date_line=document.date_line,
            draft_line=document.draft_line, internal=document.internal, paper_size=document.paper_size,
            blocks=tuple(blocks))

    def _cover(self, title: str) -> Cover:
        """The cover: series line, title, subtitle, group, host and logo, date, draft line, internal note."""
        front, snap = self.snap.front, self.snap
        note = ""
        if self.internal:
            note = INTERNAL_NOTE
            if snap.open_items:
                note += f" {_plural(snap.open_items, 'open item')}."
        return Cover(series_line=line(front.series_line), title=title, subtitle=line(front.subtitle),
                     group_name=line(snap.group_name), host=line(front.host_organisation),
                     date_line=line(front.date_line), logo=front.logo, draft_line=snap.watermark,
                     internal_note=note)

    @staticmethod
    def _text(kind: str, heading: str, text: str) -> list[TextChapter]:
        """An unnumbered chapter, or nothing when the organizer left it empty."""
        body = markdown(text)
        return [TextChapter(kind, kind, heading, body)] if body else []

    def _members(self) -> People | None:
        """The members by country (members and co-chairs listed in the report)."""
        groups = tuple(PeopleGroup(line(c.name) or line(c.code) or "—", tuple(_person(p) for p in c.people))
                       for c in self.snap.roster if c.people)
        if not groups:
            return None
        return People("members", "members", MEMBERS_HEADING, MEMBERS_NOTE, groups)

    def _advisers(self) -> People | None:
        """The advisers (mentors) listed in the report, under the group's own heading."""
        if not self.snap.advisers:
            return None
        heading = line(self.snap.front.advisers_heading) or "Advisers"
        people = tuple(_person(p) for p in self.snap.advisers)
        return People("advisers", "advisers", heading, MEMBERS_NOTE, (PeopleGroup("", people),))

    def _chapter(self, index: int, section: SectionSnap) -> Chapter:
        """A chapter: ``N. Title`` (no number for an internal-only chapter)."""
        number = str(section.number) if section.number and section.published else ""
        title = line(section.title)
        heading = " ".join(part for part in (f"{number}." if number else "", title) if part) or "Untitled"
        recs = tuple(self._recommendation(index, position, rec)
                     for position, rec in enumerate(section.recommendations, start=1))
        meta = f"Subgroup: {line(section.subgroup)}" if self.internal and line(section.subgroup) else ""
        marks = _marks(section.state, section.is_open, section.comment_count, section.published) \
            if self.internal else ()
        return Chapter(anchor=f"sec-{index}", number=number, title=title, heading=heading, meta=meta, marks=marks,
                       text=markdown(section.text), recommendations_heading="Recommendations" if recs else "",
                       recommendations=recs)

    def _recommendation(self, chapter: int, position: int, rec: RecommendationSnap) -> Recommendation:
        """A recommendation: heading, (internal) key and marks, target, text, rationale, outcome and footnotes."""
        published = rec.published or not self.internal
        number = line(rec.number) if published else ""
        label = f"Recommendation {number}" if number else "Recommendation"
        title = line(rec.title)
        footnotes: list[Footnote] = []
        for view in rec.views:
            attribution, text = line(view.attribution), markdown(view.text)
            if not attribution and not text:
                continue
            self.footnote_number += 1
            footnotes.append(Footnote(self.footnote_number, attribution, text))
        outcome = line(rec.outcome)
        if not outcome and footnotes:
            outcome = "Not yet decided"
        marks = _marks(rec.state, rec.is_open, rec.comment_count, published) if self.internal else ()
        return Recommendation(
            anchor=f"rec-{chapter}-{position}", number=number, label=label, title=title,
            heading=f"{label}: {title}" if title else label, key=line(rec.key) if self.internal else "",
            marks=marks, target_label="Addressed to:", target=line(rec.target), text=markdown(rec.text),
            rationale_heading="Rationale", rationale=markdown(rec.rationale), outcome_prefix="Outcome: ",
            outcome=outcome, footnotes=tuple(footnotes))

    def _summary(self, chapters: list[Chapter]) -> Summary | None:
        """One row per recommendation; the key and state columns only in the internal profile."""
        recs = [r for c in chapters for r in c.recommendations]
        if not recs:
            return None
        columns = ("number", "key", "title", "target", "outcome", "state") if self.internal else \
            ("number", "title", "target", "outcome")
        names = {"number": "No.", "key": "Key", "title": "Recommendation", "target": "Addressed to",
                 "outcome": "Outcome", "state": "State"}
        snaps = {f"rec-{ci}-{ri}": rec for ci, section in enumerate(self.snap.sections, start=1)
                 for ri, rec in enumerate(section.recommendations, start=1)}
        rows = []
        for rec in recs:
            snap = snaps[rec.anchor]
            state = _state_label(snap.state) + (" · open" if snap.is_open else "")
            values = {"number": rec.number, "key": rec.key, "title": rec.title, "target": rec.target,
                      "outcome": rec.outcome, "state": state}
            rows.append(SummaryRow(rec.anchor, tuple(values[c] for c in columns)))
        return Summary("summary", SUMMARY_HEADING, columns, tuple(names[c] for c in columns), tuple(rows))


def build_document(snapshot: ReportSnapshot) -> ReportDocument:
    """The report's document: every block in reading order, with its headings, numbers, outcomes and footnotes."""
    return _Builder(snapshot).build()
