"""The report snapshot: everything an export shows, as plain immutable data.

The loader (``load_snapshot``, in ``loader.py``) reads the database once; the renderers (``docx.py``, ``pdf.py``)
take only a snapshot and never touch the database or the web layer. Text fields hold member Markdown; renderers
turn it into output only through ``wg.lib.markdown`` (sanitised HTML, or parsed blocks).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Literal

Profile = Literal["public", "internal"]
PaperSize = Literal["A4", "Letter"]

DEFAULT_DISCLAIMER = (
    "Members of the working group participated in their personal capacity. Affiliations are listed for "
    "identification purposes only and do not imply endorsement by the institutions concerned. The views expressed "
    "in this report are those of the working group and do not necessarily represent the views of any government "
    "or of the host organisation. Discussions were held under the Chatham House rule: no view is attributed to "
    "any individual unless that member asked for it."
)


@dataclass(frozen=True)
class ReportImage:
    """An image the report prints (the host's logo), already sanitised or re-encoded by whoever stored it."""

    media_type: str  # "image/png" or "image/svg+xml"
    data_base64: str  # the image bytes, base64
    width_px: int = 0
    height_px: int = 0
    png_base64: str = ""  # an SVG logo drawn as a PNG (wg.lib.svg_raster), for the DOCX; "" if none is stored


@dataclass(frozen=True)
class FrontMatter:
    """What the organizer sets for the report's opening and closing pages."""

    title: str
    subtitle: str = ""
    series_line: str = ""
    host_organisation: str = ""
    date_line: str = ""
    acknowledgements: str = ""
    foreword: str = ""
    executive_summary: str = ""
    disclaimer: str = DEFAULT_DISCLAIMER
    paper_size: PaperSize = "A4"
    logo: ReportImage | None = None
    about_host: str = ""  # Markdown, back matter: "About <host organisation>"
    funders: str = ""  # Markdown, back matter: funders and support
    advisers_heading: str = "Advisers"  # a group setting: "Advisers", "Mentors", …


@dataclass(frozen=True)
class RosterPerson:
    """A member as the report lists them: for identification only."""

    name: str
    native_name: str = ""
    affiliation: str = ""
    role: str = ""
    lang: str = ""


@dataclass(frozen=True)
class CountryRoster:
    """The members from one country."""

    code: str
    name: str
    people: tuple[RosterPerson, ...]


@dataclass(frozen=True)
class AdditionalViewSnap:
    """A reservation or dissent, attributed as the group's rules allow."""

    attribution: str
    text: str
    stance: str


@dataclass(frozen=True)
class RecommendationSnap:
    """A numbered recommendation (1.1, 1.2 …) with its stable key.

    ``number`` is the item's number in the public report, the same in every profile of one snapshot; an item the
    public report leaves out (``published`` False, internal profile only) has no number.
    """

    key: str
    number: str
    title: str
    text: str
    rationale: str = ""
    target: str = ""
    outcome: str = ""
    state: str = ""
    is_open: bool = False
    comment_count: int = 0
    views: tuple[AdditionalViewSnap, ...] = ()
    published: bool = True


@dataclass(frozen=True)
class SectionSnap:
    """A numbered chapter of the report; ``number`` is 0 for a chapter the public report leaves out (internal only)."""

    number: int
    title: str
    text: str = ""
    subgroup: str = ""
    state: str = ""
    is_open: bool = False
    comment_count: int = 0
    recommendations: tuple[RecommendationSnap, ...] = ()
    published: bool = True


@dataclass(frozen=True)
class ReportSnapshot:
    """The whole report, ready for any renderer."""

    group_slug: str
    group_name: str
    profile: Profile
    draft: bool
    front: FrontMatter
    roster: tuple[CountryRoster, ...]
    sections: tuple[SectionSnap, ...]
    attribution_mode: str = "none"
    consensus_rule: str = "each-country"
    open_items: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    advisers: tuple[RosterPerson, ...] = ()

    @property
    def watermark(self) -> str:
        """The line every page of a draft carries."""
        return "DRAFT — not for citation" if self.draft else ""

    @property
    def recommendations(self) -> tuple[RecommendationSnap, ...]:
        """Every recommendation in report order."""
        return tuple(r for s in self.sections for r in s.recommendations)

    def version(self) -> str:
        """A hash of the content: two exports with the same version show the same report."""
        payload = json.dumps(asdict(self), sort_keys=True, ensure_ascii=True)  # survives lone surrogates
        return hashlib.sha256(payload.encode()).hexdigest()[:16]
