"""The demo report drafts in wg.demo_content: structure, authorship rules, lengths, languages and mentions."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator

import pytest

from wg.demo import PEOPLE, SUBGROUPS
from wg.demo_content import SECTIONS, DemoComment, DemoRevision
from wg.models.enums import Role

ROLES = {person.key: person.role for person in PEOPLE}
SUBGROUP_MEMBERS = {name: set(members) for name, _mandate, _chair, members in SUBGROUPS}
ANYWHERE = {key for key, role in ROLES.items() if role in (Role.CO_CHAIR, Role.ORGANIZER)}
ADVISERS = {key for key, role in ROLES.items() if role is Role.ADVISER}
HANDLES = {person.name.lower().replace(" ", ".").replace("-", ""): person.key for person in PEOPLE}
TARGETS = {"United States", "Japan", "Republic of Korea", "Trilateral", ""}
TITLES = (
    "Introduction",
    "Domestic constraints",
    "Non-traditional security: pandemics and climate",
    "New areas of cooperation",
    "Civil society and dialogue",
)
MENTION = re.compile(r"(?<![\w.])@([a-z0-9]+(?:\.[a-z0-9]+)*)")
JAPANESE = re.compile(r"[\u3040-\u309f\u30a0-\u30ff\u4e00-\u9fff]")
HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


def words(text: str) -> int:
    """Words as a reader counts them (list markers are not words)."""
    return len([w for w in text.split() if w not in {"-", "*"}])


def paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks of Markdown."""
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


def walk(comments: tuple[DemoComment, ...]) -> Iterator[DemoComment]:
    """Every comment and reply, depth first."""
    for comment in comments:
        yield comment
        yield from walk(comment.replies)


def all_comments() -> list[tuple[DemoComment, str]]:
    """Every comment and reply with the current text of what it is attached to."""
    found: list[tuple[DemoComment, str]] = []
    for section in SECTIONS:
        found += [(c, section.revisions[-1].text) for c in walk(section.comments)]
        for rec in section.recommendations:
            found += [(c, rec.revisions[-1].text) for c in walk(rec.comments)]
    return found


def all_revisions() -> list[tuple[DemoRevision, str | None, bool]]:
    """Every revision with its owning subgroup and whether it belongs to a recommendation."""
    found: list[tuple[DemoRevision, str | None, bool]] = []
    for section in SECTIONS:
        found += [(r, section.subgroup, False) for r in section.revisions]
        for rec in section.recommendations:
            found += [(r, section.subgroup, True) for r in rec.revisions]
    return found


def all_strings() -> Iterator[str]:
    """Every string field in the content."""
    for revision, _subgroup, _is_rec in all_revisions():
        yield from (revision.author, revision.title, revision.text, revision.rationale, revision.note)
    for comment, _text in all_comments():
        yield from (comment.author, comment.body)
    for section in SECTIONS:
        if section.subgroup is not None:
            yield section.subgroup
        yield from (rec.target for rec in section.recommendations)


def test_sections_in_order_with_owners() -> None:
    assert tuple(section.revisions[-1].title for section in SECTIONS) == TITLES
    assert [section.subgroup for section in SECTIONS] == [None, *(name for name, *_ in SUBGROUPS), None]
    for section in SECTIONS:
        if section.subgroup is not None:
            assert all(r.title == section.subgroup for r in section.revisions)


def test_recommendation_counts() -> None:
    assert [len(section.recommendations) for section in SECTIONS] == [0, 3, 3, 4, 2]


def test_revision_counts() -> None:
    for section in SECTIONS:
        assert 1 <= len(section.revisions) <= 3
        for rec in section.recommendations:
            assert 2 <= len(rec.revisions) <= 4
            assert rec.target in TARGETS


def test_authors_exist() -> None:
    for revision, _subgroup, _is_rec in all_revisions():
        assert revision.author in ROLES
    for comment, _text in all_comments():
        assert comment.author in ROLES


def test_revision_authors_may_edit_the_section() -> None:
    for revision, subgroup, _is_rec in all_revisions():
        allowed = ANYWHERE | (SUBGROUP_MEMBERS[subgroup] if subgroup is not None else set())
        assert revision.author in allowed, (revision.author, subgroup, revision.title)
        assert revision.author not in ADVISERS
        assert ROLES[revision.author] is not Role.OBSERVER


def test_advisers_comment() -> None:
    assert {c.author for c, _text in all_comments()} & ADVISERS


@pytest.mark.parametrize("index", range(len(SECTIONS)))
def test_section_word_counts(index: int) -> None:
    for revision in SECTIONS[index].revisions:
        assert 150 <= words(revision.text) <= 400, (revision.title, words(revision.text))
        assert revision.rationale == ""


def test_recommendation_word_counts() -> None:
    for section in SECTIONS:
        for rec in section.recommendations:
            for revision in rec.revisions:
                assert 80 <= words(revision.text) <= 200, (revision.title, words(revision.text))
                assert 40 <= words(revision.rationale) <= 120, (revision.title, words(revision.rationale))


def test_revisions_are_edits_of_the_previous_one() -> None:
    for section in SECTIONS:
        histories = [section.revisions] + [rec.revisions for rec in section.recommendations]
        for history in histories:
            for before, after in zip(history, history[1:], strict=False):
                assert (before.title, before.text, before.rationale) != (after.title, after.text, after.rationale)
                assert after.note, after.title
                ratio = difflib.SequenceMatcher(None, before.text, after.text).ratio()
                assert ratio > 0.6, (after.title, ratio)


def test_comment_counts() -> None:
    comments = all_comments()
    assert 8 <= len(comments) <= 12
    assert any(c.replies for c, _text in comments)
    assert 1 <= sum(c.resolved for c, _text in comments) <= 2
    assert sum(c.paragraph is not None for c, _text in comments) >= 2


def test_comment_paragraphs_exist_in_current_text() -> None:
    for comment, text in all_comments():
        if comment.paragraph is not None:
            assert 1 <= comment.paragraph <= len(paragraphs(text)), comment.body


def test_mentions_resolve() -> None:
    mentions = [m for c, _text in all_comments() for m in MENTION.findall(c.body)]
    assert 2 <= len(mentions) <= 3
    for handle in mentions:
        assert handle in HANDLES, handle


def test_japanese_and_korean_text() -> None:
    text = "\n".join(all_strings())
    assert JAPANESE.search(text)
    assert HANGUL.search(text)


def test_no_control_characters() -> None:
    for value in all_strings():
        bad = [ch for ch in value if unicodedata.category(ch) == "Cc" and ch != "\n"]
        assert not bad, value[:60]
        assert "\n" not in value or value.strip() == value


def test_one_line_fields() -> None:
    for revision, _subgroup, _is_rec in all_revisions():
        for value in (revision.author, revision.title, revision.rationale, revision.note):
            assert "\n" not in value
    for comment, _text in all_comments():
        assert "\n" not in comment.body
