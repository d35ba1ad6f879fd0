"""Archive format version 2: the report's logo, back matter and advisers' heading survive export → import → export;
version-1 documents are still read; a hostile logo inside an archive is refused like an upload. SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import copy
import io
import json
from typing import Any

import pytest
from PIL import Image
from sqlmodel import select

from tests.integration.test_report_logo import GOOD_SVG, HOSTILE_SVGS, bomb_png, png_bytes
from wg.db import Database
from wg.demo import DEMO_SLUG
from wg.features.report.archive import export_archive, import_archive
from wg.lib.errors import ValidationFailed
from wg.lib.images import clean_logo
from wg.models import ReportLogo, ReportSettings, WorkingGroup


def _export(db: Database, slug: str = DEMO_SLUG) -> dict[str, Any]:
    with db.session() as s:
        return export_archive(s, s.exec(select(WorkingGroup).where(WorkingGroup.slug == slug)).one())


def _set_back_matter(db: Database, logo: bytes) -> None:
    clean = clean_logo(logo)
    with db.transaction() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == DEMO_SLUG)).one()
        settings = s.exec(select(ReportSettings).where(ReportSettings.group_id == group.id)).one()
        settings.about_host = "The **Pacific Alliance Forum** is an independent institute.\n\nFounded in 2001."
        settings.funders = "Supported by the Harbor Foundation."
        settings.advisers_heading = "Mentors"
        s.add(settings)
        s.add(ReportLogo(group_id=group.id or 0, media_type=clean.media_type, data=clean.data,
                         width_px=clean.width_px, height_px=clean.height_px))


def _logo_row(db: Database, slug: str) -> ReportLogo:
    with db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == slug)).one()
        return s.exec(select(ReportLogo).where(ReportLogo.group_id == group.id)).one()


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc.pop("exported_at")
    doc["group"].pop("slug")
    return doc


@pytest.mark.parametrize("logo", [png_bytes(120, 40, text_chunk=True), GOOD_SVG], ids=["png", "svg"])
def test_logo_and_back_matter_round_trip(db, logo):
    _set_back_matter(db, logo)
    first = _export(db)
    report = first["group"]["report"]
    assert first["version"] == 2
    assert report["advisers_heading"] == "Mentors" and report["funders"] == "Supported by the Harbor Foundation."
    assert report["about_host"].startswith("The **Pacific Alliance Forum**")
    assert report["logo"]["media_type"] in {"image/png", "image/svg+xml"}
    assert base64.b64decode(report["logo"]["data_base64"]) == _logo_row(db, DEMO_SLUG).data
    with db.transaction() as s:
        import_archive(s, json.loads(json.dumps(first)), slug="with-logo")
    second = _export(db, "with-logo")
    assert _comparable(second) == _comparable(first)
    imported = _logo_row(db, "with-logo")
    assert imported.data == _logo_row(db, DEMO_SLUG).data
    assert "png_fallback" not in report["logo"]  # derived, never carried by (or trusted from) an archive
    if imported.media_type == "image/svg+xml":  # the importer draws an SVG as the PNG the DOCX shows
        assert imported.png_fallback is not None
        with Image.open(io.BytesIO(imported.png_fallback)) as drawing:
            assert drawing.format == "PNG" and drawing.size == (1200, 400)
    else:
        assert imported.png_fallback is None


def test_version_1_documents_are_still_read_and_may_not_carry_version_2_fields(db):
    doc = _export(db)
    doc["version"] = 1
    for key in ("about_host", "funders", "advisers_heading", "logo"):
        doc["group"]["report"].pop(key)
    with db.transaction() as s:
        group = import_archive(s, copy.deepcopy(doc), slug="from-v1")
        settings = s.exec(select(ReportSettings).where(ReportSettings.group_id == group.id)).one()
        assert (settings.advisers_heading, settings.about_host, settings.funders) == ("Advisers", "", "")
    doc["group"]["report"]["funders"] = "Only in version 2"
    with pytest.raises(ValidationFailed) as refused, db.transaction() as s:
        import_archive(s, doc, slug="v1-with-v2-field")
    assert refused.value.errors == {"group.report.funders": "Unknown field."}


def _with_logo(doc: dict[str, Any], data: bytes, media_type: str = "image/svg+xml", **extra: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc["group"]["report"]["logo"] = {"media_type": media_type, "data_base64": base64.b64encode(data).decode(),
                                      **extra}
    return doc


def test_hostile_logo_in_an_archive_is_refused_with_its_path_and_nothing_is_written(db):
    doc = _export(db)
    cases = [(_with_logo(doc, svg.encode()), "group.report.logo.data_base64") for svg in HOSTILE_SVGS.values()]
    cases += [
        (_with_logo(doc, bomb_png(), "image/png"), "group.report.logo.data_base64"),
        (_with_logo(doc, png_bytes(), "image/svg+xml"), "group.report.logo.media_type"),
        (_with_logo(doc, png_bytes(10, 10), "image/png", width_px=99), "group.report.logo.width_px"),
    ]
    broken = copy.deepcopy(doc)
    broken["group"]["report"]["logo"] = {"media_type": "image/png", "data_base64": "not base64!"}
    cases.append((broken, "group.report.logo.data_base64"))
    for i, (bad, path) in enumerate(cases):
        with pytest.raises(ValidationFailed) as refused, db.transaction() as s:
            import_archive(s, bad, slug=f"hostile-{i}")
        assert list(refused.value.errors) == [path], (i, refused.value.errors)
    with db.session() as s:
        assert s.exec(select(WorkingGroup).where(WorkingGroup.slug.startswith("hostile-"))).first() is None
