"""The group archive (docs/archive-format.md): export → import → export reproduces the group; bad documents are
refused whole, naming the path of every bad field, with nothing written. On SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, col, select

from wg.db import Database
from wg.demo import DEMO_SLUG
from wg.features.report.archive import (
    FORMAT_NAME,
    FORMAT_VERSION,
    export_archive,
    import_archive,
    restore_archive,
    validate_archive,
)
from wg.lib.errors import ValidationFailed
from wg.models import (
    Comment,
    Membership,
    Mention,
    Position,
    Recommendation,
    ReportSettings,
    ReviewEvent,
    Revision,
    Section,
    Subgroup,
    SubgroupMember,
    User,
    WorkingGroup,
    utcnow,
)

Doc = dict[str, Any]


# --- helpers -----------------------------------------------------------------------------------------------------


def _export(db: Database, slug: str = DEMO_SLUG) -> Doc:
    with db.session() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == slug)).one()
        return export_archive(s, group)


def _import(db: Database, data: Any, slug: str | None = None) -> WorkingGroup:
    with db.transaction() as s:
        return import_archive(s, data, slug=slug)


def _comparable(doc: Doc) -> Doc:
    """The document without what differs by design: the export time and the group's address."""
    doc = copy.deepcopy(doc)
    doc.pop("exported_at")
    doc["group"].pop("slug")
    return doc


def _all_rows(db: Database) -> dict[str, int]:
    """Rows in every table of the database."""
    with db.session() as s:
        return {table.name: s.exec(select(func.count()).select_from(table)).one()  # type: ignore[call-overload]
                for table in SQLModel.metadata.sorted_tables}


def _group_rows(db: Database, slug: str) -> dict[str, int]:
    """Rows belonging to one group, per table."""
    with db.session() as s:
        gid = s.exec(select(WorkingGroup.id).where(WorkingGroup.slug == slug)).one()
        counts = {model.__tablename__: s.exec(select(func.count()).select_from(model)  # type: ignore
                                              .where(model.group_id == gid)).one()
                  for model in (Membership, Subgroup, Section, Recommendation, Revision, ReviewEvent, Comment,
                                Position, ReportSettings)}
        counts["subgroup_members"] = s.exec(select(func.count()).select_from(SubgroupMember).join(
            Subgroup, col(Subgroup.id) == col(SubgroupMember.subgroup_id)).where(Subgroup.group_id == gid)).one()
        counts["mentions"] = s.exec(select(func.count()).select_from(Mention).join(
            Comment, col(Comment.id) == col(Mention.comment_id)).where(Comment.group_id == gid)).one()
        return counts


def _revision_digest(db: Database, slug: str) -> str:
    """sha256 of every revision's words, keyed by what stays the same across an import (section order, R-n)."""
    with db.session() as s:
        gid = s.exec(select(WorkingGroup.id).where(WorkingGroup.slug == slug)).one()
        section_key = {x.id: x.position for x in s.exec(select(Section).where(Section.group_id == gid)).all()}
        rec_key = {x.id: x.number for x in s.exec(select(Recommendation).where(Recommendation.group_id == gid)).all()}
        rows = sorted(
            (r.target_type, (section_key if r.target_type == "section" else rec_key)[r.target_id], r.rev_no,
             r.title, r.text, r.rationale, r.target, r.note)
            for r in s.exec(select(Revision).where(Revision.group_id == gid)).all())
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


def _wg(args: list[str], settings: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WG_ENV": "test", "WG_DATA_DIR": str(settings.data_dir),
           "WG_DATABASE_URL": settings.database_url, "WG_SECRET_KEY": settings.secret_key}
    return subprocess.run([sys.executable, "-m", "wg", *args], env=env, capture_output=True, text=True, timeout=120)


# --- round trips -------------------------------------------------------------------------------------------------


def test_export_is_json_with_format_and_version(db):
    doc = _export(db)
    assert doc["format"] == FORMAT_NAME and doc["version"] == FORMAT_VERSION
    assert json.loads(json.dumps(doc)) == doc
    emails = [m["email"] for m in doc["members"]]
    assert len(emails) == 16 and "haruka.sato@example.org" in emails
    keys: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            keys.update(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    for secret in ("password", "hash", "session", "token", "audit", "notification", "invitation", "id", "is_admin"):
        assert not [k for k in keys if secret in k.split("_")], secret
    assert "$argon2" not in json.dumps(doc)
    keys = [r["key"] for s in doc["sections"] for r in s["recommendations"]]
    assert keys == [f"R-{n}" for n in range(1, 13)]


def test_import_under_new_slug_reproduces_the_group(db):
    first = _export(db)
    before = _all_rows(db)
    group = _import(db, first, slug="trilateral-copy")
    assert group.slug == "trilateral-copy"
    second = _export(db, "trilateral-copy")
    assert second["group"]["slug"] == "trilateral-copy"
    assert _comparable(second) == _comparable(first)
    assert _group_rows(db, "trilateral-copy") == _group_rows(db, DEMO_SLUG)
    assert _revision_digest(db, "trilateral-copy") == _revision_digest(db, DEMO_SLUG)
    after = _all_rows(db)
    assert after["users"] == before["users"]  # everyone was matched by e-mail
    assert after["audit_events"] == before["audit_events"] + 1


def test_round_trip_with_front_matter_withdrawal_and_former_member(db):
    with db.transaction() as s:
        group = s.exec(select(WorkingGroup).where(WorkingGroup.slug == DEMO_SLUG)).one()
        james = s.exec(select(User).where(User.email == "james.holloway@example.org")).one()
        organizer = s.exec(select(User).where(User.email == "organizer@example.org")).one()
        settings = s.exec(select(ReportSettings).where(ReportSettings.group_id == group.id)).one()
        for name, value in dict(title="Reinvesting in Trilateral Relations", subtitle="A Practical Agenda",
                                series_line="Policy recommendations", date_line="March 2026",
                                foreword="Line 1\n\nLine 2", disclaimer="Personal capacity.", paper_size="Letter",
                                finalised_at=utcnow(), finalised_by=organizer.id).items():
            setattr(settings, name, value)
        s.add(settings)
        rec = s.exec(select(Recommendation).where(Recommendation.group_id == group.id,
                                                  Recommendation.number == 10)).one()
        rec.withdrawn_at, rec.withdrawn_by = utcnow(), organizer.id
        s.add(rec)
        # James leaves the group: his objection to R-7 and his history stay, as they do in wg.
        for row in s.exec(select(SubgroupMember).where(SubgroupMember.user_id == james.id)).all():
            s.delete(row)
        s.delete(s.exec(select(Membership).where(Membership.group_id == group.id,
                                                 Membership.user_id == james.id)).one())
    first = _export(db)
    assert [p["email"] for p in first["former_members"]] == ["james.holloway@example.org"]
    assert first["group"]["report"]["finalised_by"] == "organizer@example.org"
    _import(db, first, slug="with-extras")
    second = _export(db, "with-extras")
    assert _comparable(second) == _comparable(first)
    assert _group_rows(db, "with-extras") == _group_rows(db, DEMO_SLUG)


def test_people_unknown_here_become_accounts_without_password(db):
    doc = json.loads(json.dumps(_export(db)).replace("@example.org", "@elsewhere.example"))
    users_before = _all_rows(db)["users"]
    with db.transaction() as s:
        result = restore_archive(s, validate_archive(doc), slug="elsewhere")
    assert len(result.new_accounts) == 16 and not result.reused_accounts
    with db.session() as s:
        new = s.exec(select(User).where(col(User.email).like("%@elsewhere.example"))).all()
        assert len(new) == 16 and all(u.password_hash is None and not u.is_admin for u in new)
        sato = next(u for u in new if u.email == "haruka.sato@elsewhere.example")
        assert (sato.native_name, sato.country, sato.time_zone) == ("佐藤遥", "JP", "Asia/Tokyo")
    assert _all_rows(db)["users"] == users_before + 16
    again = _export(db, "elsewhere")
    doc["group"]["slug"] = "elsewhere"
    assert _comparable(again) == _comparable(doc)


def test_importing_twice_without_slug_is_refused(db):
    doc = _export(db)
    before = _all_rows(db)
    with pytest.raises(ValidationFailed) as caught:
        _import(db, doc)
    assert list(caught.value.errors) == ["group.slug"]
    assert "already exists" in caught.value.errors["group.slug"]
    with pytest.raises(ValidationFailed) as caught:
        _import(db, doc, slug="Not A Slug!")
    assert list(caught.value.errors) == ["slug"]
    assert _all_rows(db) == before


def test_text_with_windows_newlines_is_accepted_and_normalised(db):
    doc = _export(db)
    doc["sections"][0]["revisions"][0]["text"] = "First line\r\nsecond line\rthird"
    _import(db, doc, slug="newlines")
    assert _export(db, "newlines")["sections"][0]["revisions"][0]["text"] == "First line\nsecond line\nthird"


# --- bad documents -----------------------------------------------------------------------------------------------

Mutation = Callable[[Doc], Any]


def _set(path: list[Any], value: Any) -> Mutation:
    def mutate(doc: Doc) -> None:
        node = doc
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
    return mutate


def _delete(path: list[Any]) -> Mutation:
    def mutate(doc: Doc) -> None:
        node = doc
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]
    return mutate


def _duplicate_email(doc: Doc) -> None:
    doc["members"].append({**doc["members"][0], "email": doc["members"][0]["email"].upper()})


def _reorder_revisions(doc: Doc) -> None:
    doc["sections"][2]["recommendations"][0]["revisions"][2]["rev_no"] = 4


def _later_parent(doc: Doc) -> None:
    comments = doc["sections"][1]["recommendations"][1]["comments"]
    comments[0]["parent"] = 1


def _duplicate_number(doc: Doc) -> None:
    doc["sections"][4]["recommendations"][1].update(number=11, key="R-11")


def _many(doc: Doc) -> None:
    doc["members"][0]["role"] = "king"
    doc["group"]["consensus_rule"] = "unanimity"
    doc["sections"][1]["recommendations"][0]["positions"][0]["stance"] = "maybe"
    doc["sections"][3]["comments"] = [{"author": None, "body": "", "created_at": "2026-01-01T00:00:00Z"}]


BAD: list[tuple[str, Mutation, dict[str, str]]] = [
    ("wrong version", _set(["version"], 3), {"version": "versions 1, 2"}),
    ("version as text", _set(["version"], "1"), {"version": "versions 1, 2"}),
    ("wrong format name", _set(["format"], "something-else"), {"format": "not a wg archive"}),
    ("missing display name", _delete(["members", 0, "display_name"]),
     {"members[0].display_name": "Required field is missing"}),
    ("missing members", _delete(["members"]), {"members": "Required"}),
    ("missing revision time", _delete(["sections", 0, "revisions", 1, "created_at"]),
     {"sections[0].revisions[1].created_at": "Required"}),
    ("rev_no as string", _set(["sections", 0, "revisions", 0, "rev_no"], "1"),
     {"sections[0].revisions[0].rev_no": "Expected a whole number, got a string"}),
    ("listed_in_report as string", _set(["members", 2, "listed_in_report"], "yes"),
     {"members[2].listed_in_report": "Expected true or false"}),
    ("sections not an array", _set(["sections"], {}), {"sections": "Expected an array, got an object"}),
    ("unknown role", _set(["members", 1, "role"], "king"), {"members[1].role": "Choose a role"}),
    ("unknown member country", _set(["members", 2, "country"], "XX"), {"members[2].country": "ISO 3166"}),
    ("unknown group country", _set(["group", "countries"], ["US", "ZZ"]),
     {"group.countries[1]": "ISO 3166"}),
    ("unknown time zone", _set(["members", 4, "time_zone"], "Mars/Olympus"), {"members[4].time_zone": "time zone"}),
    ("bad e-mail", _set(["members", 5, "email"], "not-an-email"), {"members[5].email": "right format"}),
    ("duplicate e-mail", _duplicate_email, {"members[16].email": "already listed at members[0]"}),
    ("non-contiguous revisions", _reorder_revisions,
     {"sections[2].recommendations[0].revisions[2].rev_no": "expected 3, got 4"}),
    ("parent revision in the future", _set(["sections", 0, "revisions", 1, "parent_rev_no"], 3),
     {"sections[0].revisions[1].parent_rev_no": "earlier revision"}),
    ("unknown author", _set(["sections", 0, "revisions", 0, "author"], "ghost@example.org"),
     {"sections[0].revisions[0].author": "ghost@example.org is not listed"}),
    ("position of someone unknown", _set(["sections", 1, "recommendations", 0, "positions", 0, "member"],
                                         "ghost@example.org"),
     {"sections[1].recommendations[0].positions[0].member": "not listed"}),
    ("review event on a missing revision", _set(["sections", 1, "recommendations", 0, "review_events", 0, "rev_no"], 9),
     {"sections[1].recommendations[0].review_events[0].rev_no": "No revision 9"}),
    ("reply to a later comment", _later_parent,
     {"sections[1].recommendations[1].comments[0].parent": "cannot be a reply"}),
    ("unknown subgroup", _set(["sections", 1, "subgroup"], "Nope"), {"sections[1].subgroup": "No subgroup named"}),
    ("subgroup chair outside the group", _set(["subgroups", 0, "chairs"], ["ghost@example.org"]),
     {"subgroups[0].chairs[0]": "not listed in members"}),
    ("duplicate recommendation number", _duplicate_number,
     {"sections[4].recommendations[1].number": "R-11 is already used at sections[4].recommendations[0]"}),
    ("bad stance", _set(["sections", 1, "recommendations", 0, "positions", 0, "stance"], "maybe"),
     {"sections[1].recommendations[0].positions[0].stance": "Must be one of: support, reservation"}),
    ("reservation without text", _set(["sections", 1, "recommendations", 0, "positions", 0, "stance"], "reservation"),
     {"sections[1].recommendations[0].positions[0].text": "must say what it is"}),
    ("unknown event kind", _set(["sections", 1, "review_events", 0, "kind"], "veto"),
     {"sections[1].review_events[0].kind": "submit, approve, request-changes"}),
    ("unknown attribution mode", _set(["group", "attribution_mode"], "everyone"),
     {"group.attribution_mode": "none, country, name"}),
    ("title over the limit", _set(["sections", 0, "revisions", 0, "title"], "T" * 301),
     {"sections[0].revisions[0].title": "300 characters or fewer (it has 301)"}),
    ("text over the limit", _set(["sections", 2, "recommendations", 1, "revisions", 0, "text"], "x" * 50_001),
     {"sections[2].recommendations[1].revisions[0].text": "50,000 characters or fewer"}),
    ("huge display name", _set(["members", 0, "display_name"], "N" * 1_000_000),
     {"members[0].display_name": "120 characters or fewer"}),
    ("NUL in a name", _set(["members", 0, "display_name"], "Grace\x00Whitfield"),
     {"members[0].display_name": "U+0000"}),
    ("bell in a text", _set(["sections", 0, "revisions", 0, "text"], "ding\x07"),
     {"sections[0].revisions[0].text": "U+0007"}),
    ("line break in a title", _set(["sections", 0, "revisions", 0, "title"], "Two\nlines"),
     {"sections[0].revisions[0].title": "one line"}),
    ("unknown field", _set(["members", 0, "password_hash"], "$argon2id$..."),
     {"members[0].password_hash": "Unknown field"}),
    ("time without offset", _set(["sections", 0, "created_at"], "2026-03-01T09:30:00"),
     {"sections[0].created_at": "UTC offset"}),
    ("time that is not a time", _set(["group", "created_at"], "yesterday"), {"group.created_at": "ISO 8601"}),
    ("several at once", _many, {
        "members[0].role": "Choose a role",
        "group.consensus_rule": "each-country, no-objection, majority",
        "sections[1].recommendations[0].positions[0].stance": "Must be one of",
        "sections[3].comments[0].body": "Must not be empty",
    }),
]


@pytest.mark.parametrize("mutate,expected", [pytest.param(m, e, id=name) for name, m, e in BAD])
def test_bad_document_is_refused_whole_with_paths(db, mutate, expected):
    doc = _export(db)
    mutate(doc)
    before = _all_rows(db)
    with pytest.raises(ValidationFailed) as caught:
        _import(db, doc, slug="never")
    errors = caught.value.errors
    assert set(errors) == set(expected), errors
    for path, words in expected.items():
        assert words in errors[path], (path, errors[path])
    assert _all_rows(db) == before


@pytest.mark.parametrize("root", [[], "wg-archive", 1, None])
def test_non_object_root_is_refused(db, root):
    before = _all_rows(db)
    with pytest.raises(ValidationFailed) as caught:
        _import(db, root)
    assert list(caught.value.errors) == ["$"]
    assert "Expected an object" in caught.value.errors["$"]
    assert _all_rows(db) == before


def test_a_late_failure_writes_nothing(db, monkeypatch):
    """Everything is one transaction: a failure after rows were written leaves none of them behind."""
    from wg.features.report import archive

    doc = _export(db)
    before = _all_rows(db)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(archive, "record", broken)
    with pytest.raises(RuntimeError):
        _import(db, doc, slug="half-done")
    assert _all_rows(db) == before


# --- the command line ---------------------------------------------------------------------------------------------


def test_cli_round_trip(settings, db, tmp_path: Path):
    out = tmp_path / "trilateral.json"
    exported = _wg(["export", DEMO_SLUG, "--format", "json", "--out", str(out)], settings)
    assert exported.returncode == 0, exported.stderr
    imported = _wg(["import", str(out), "--slug", "cli-copy"], settings)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("Imported group cli-copy: 16 members, 3 subgroups, 5 sections, "
                                      "12 recommendations,")
    again = _wg(["export", "cli-copy", "--format", "json"], settings)
    assert again.returncode == 0, again.stderr
    assert _comparable(json.loads(again.stdout)) == _comparable(json.loads(out.read_text(encoding="utf-8")))
    assert "佐藤遥" in out.read_text(encoding="utf-8")  # written as UTF-8, not \u escapes
    twice = _wg(["import", str(out), "--slug", "cli-copy"], settings)
    assert twice.returncode == 2
    assert twice.stderr.startswith("wg: slug: A group with the address “cli-copy” already exists")
    assert "Traceback" not in twice.stderr


def test_cli_lists_new_accounts(settings, tmp_path: Path):
    source = _wg(["export", DEMO_SLUG, "--format", "json", "--out", "-"], settings)
    path = tmp_path / "elsewhere.json"
    path.write_text(source.stdout.replace("maya.chen@example.org", "maya@elsewhere.example"), encoding="utf-8")
    result = _wg(["import", str(path), "--slug", "elsewhere"], settings)
    assert result.returncode == 0, result.stderr
    assert "New accounts without a password (1;" in result.stdout
    assert "  maya@elsewhere.example" in result.stdout


def test_cli_bad_file_prints_every_path_and_writes_nothing(settings, db, tmp_path: Path):
    doc = _export(db)
    doc["members"][1]["role"] = "king"
    doc["sections"][0]["revisions"][0]["rev_no"] = 7
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    before = _all_rows(db)
    result = _wg(["import", str(path), "--slug", "bad"], settings)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "wg: members[1].role: Choose a role: organizer, co-chair, member, adviser or observer.",
        "wg: sections[0].revisions[0].rev_no: Revisions are numbered 1, 2, 3… in order: expected 1, got 7.",
    ]
    assert result.stdout == ""
    assert _all_rows(db) == before


@pytest.mark.parametrize("content,message", [
    (None, "wg: cannot read {path}: no such file"),
    ("{not json", "wg: {path} is not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)"),
    ('{"a": 1, "a": 2}', "wg: {path} is not valid JSON: the key 'a' appears twice in one object"),
    ('{"version": NaN}', "wg: {path} is not valid JSON: NaN is not allowed in JSON"),
    ("[]", "wg: $: Expected an object, got an array."),
])
def test_cli_unreadable_file_is_one_line(settings, tmp_path: Path, content, message):
    path = tmp_path / "group.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = _wg(["import", str(path)], settings)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [message.format(path=path)]


def test_cli_export_of_unknown_group(settings):
    unknown = _wg(["export", "nope", "--format", "json"], settings)
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "wg: no group with the address 'nope'"


def test_broken_entries_are_reported_once_without_knock_on_errors(db):
    doc = _export(db)
    doc["members"][0] = 5
    doc["subgroups"][1] = "x"
    doc["sections"][0]["revisions"][0] = []
    doc["group"]["report"] = []
    with pytest.raises(ValidationFailed) as caught:
        _import(db, doc, slug="never")
    assert caught.value.errors == {
        "members[0]": "Expected an object, got a number.",
        "group.report": "Expected an object, got an array.",
        "subgroups[1]": "Expected an object, got a string.",
        "sections[0].revisions[0]": "Expected an object, got an array.",
    }


def test_the_documented_example_is_a_valid_archive():
    import re

    page = (Path(__file__).parents[2] / "docs" / "archive-format.md").read_text(encoding="utf-8")
    block = re.search(r"## Abridged example\n\n```json\n(.*?)```", page, re.S)
    assert block is not None
    doc = validate_archive(json.loads(block.group(1)))
    assert doc.group.slug == "trilateral" and doc.sections[0].recommendations[0].number == 2


def test_imported_member_without_password_gets_an_invitation_link_to_set_one(db, settings, client):
    from bs4 import BeautifulSoup

    from tests.conftest import csrf_from, login
    from wg.features.accounts.operations import find_user_by_email
    from wg.features.report.archive import export_archive, import_archive
    from wg.models import WorkingGroup as _Group

    with db.transaction() as s:
        group = s.exec(select(_Group).where(_Group.slug == "trilateral")).one()
        data = export_archive(s, group)
    data = json.loads(json.dumps(data).replace("haruka.sato@example.org", "haruka.new@example.org"))
    with db.transaction() as s:
        import_archive(s, data, slug="trilateral-copy")
    with db.session() as s:
        assert find_user_by_email(s, "haruka.new@example.org").password_hash is None
    login(client, "organizer@example.org")
    page = client.get("/g/trilateral-copy/members")
    answer = client.post("/g/trilateral-copy/members/invite", data={
        "email": "haruka.new@example.org", "display_name": "Haruka Sato", "country": "JP", "role": "member",
        "_csrf_token": csrf_from(page.text)})
    assert answer.status_code == 200, answer.text
    link = BeautifulSoup(answer.text, "html.parser").select_one("#invite-link")["value"]
    path = link.split("://", 1)[1].split("/", 1)[1]
    client.post("/logout", data={"_csrf_token": csrf_from(client.get("/").text)})
    form = client.get("/" + path)
    done = client.post("/" + path, data={
        "display_name": "Haruka Sato", "country": "JP", "time_zone": "Asia/Tokyo", "password": "a-new-password-1",
        "password_confirm": "a-new-password-1", "_csrf_token": csrf_from(form.text)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/g/trilateral-copy"
    with db.session() as s:
        assert find_user_by_email(s, "haruka.new@example.org").password_hash


# --- history -------------------------------------------------------------------------------------------------------


def _find_rec(doc: Doc, number: int) -> tuple[str, Doc]:
    """The path and the entry of recommendation R-<number> in an archive."""
    for i, section in enumerate(doc["sections"]):
        for j, rec in enumerate(section["recommendations"]):
            if rec["number"] == number:
                return f"sections[{i}].recommendations[{j}]", rec
    raise AssertionError(f"R-{number} not in the archive")


def test_an_impossible_review_history_is_refused_naming_each_path(settings, db, tmp_path: Path):
    """Decisions by someone who could not make them, fingerprints naming revisions that do not exist, an approved
    item whose positions do not meet the rule and a reopened section: `wg import` names each, writes nothing."""
    doc = _export(db)
    r8_path, r8 = _find_rec(doc, 8)
    k8 = max(k for k, e in enumerate(r8["review_events"]) if e["kind"] == "approve")
    r8["review_events"][k8]["actor"] = "kim.minjun@example.org"  # a member of another subgroup
    r2_path, r2 = _find_rec(doc, 2)
    haruka = next(p for p in r2["positions"] if p["member"] == "haruka.sato@example.org")
    haruka.update(stance="object", text="I changed my mind after the approval.")
    i, section = next((i, s) for i, s in enumerate(doc["sections"])
                      if any(e["kind"] == "approve" and e["fingerprint"] for e in s["review_events"]))
    k = next(k for k, e in enumerate(section["review_events"]) if e["fingerprint"])
    fingerprint = section["review_events"][k]["fingerprint"]
    section["review_events"][k]["fingerprint"] = re.sub(r"R1\.\d+", "R1.99", fingerprint).replace("R3.", "R99.", 1)
    chair = section["review_events"][k]["actor"]
    section["review_events"].append({**section["review_events"][k], "kind": "reopen", "fingerprint": ""})
    path = tmp_path / "impossible.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    before = _all_rows(db)
    result = _wg(["import", str(path), "--slug", "impossible"], settings)
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    expected = [
        f"wg: sections[{i}].review_events[{k}].fingerprint: It names revision 99 of R-1, which has revisions 1 to ",
        f"wg: sections[{i}].review_events[{len(section['review_events']) - 1}].kind: Only a recommendation is "
        "reopened",
        f"wg: {r2_path}.positions: R-2 is approved, but its positions do not meet the group's each-country rule: "
        "No member from Japan supports it yet. 1 member objects.",
        f"wg: {r8_path}.review_events[{k8}].actor: kim.minjun@example.org is a member and does not chair this "
        "subgroup: only the chairs of “New areas of cooperation” and the co-chairs decide here",
    ]
    for want in expected:
        assert any(line.startswith(want) for line in lines), (want, "\n".join(lines))
    assert "It names R-99, which is not in the archive." in next(line for line in lines if "fingerprint" in line)
    assert len(lines) == len(expected), lines
    assert chair is not None and "Traceback" not in result.stderr
    assert _all_rows(db) == before
