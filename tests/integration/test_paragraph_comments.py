"""Commenting on a paragraph by choosing its ¶ number, per-paragraph comment counts, @mentions completed from the
group's roster and highlighted in the comment, and the editor's character counts (issue 18, items 3 and 4).

Everything is read from the parsed HTML a member's browser gets, without JavaScript: the ¶ links, the form they
open, the counts and highlighted mentions all work before any script runs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import select

from tests.integration import test_drafting_pages as pages
from tests.integration.test_drafting_pages import (
    CHAIR,
    MEMBER,
    MEMBER_KR,
    OBSERVER,
    OUTSIDER,
    G,
    comments_on,
    counts,
    follow,
    get_page,
    rec_revisions,
    rec_row,
    soup,
    submit,
    submit_form,
)
from wg.features.drafting.textmerge import split_paragraphs
from wg.lib.web import zone_abbreviations
from wg.models import Membership, Mention

# The drafting pages' fixtures: a browser per member, the demo group's ids, a second group.
browse = pages.browse
demo = pages.demo
other_group = pages.other_group


def _comment(client: Any, page_url: str, body: str) -> Any:
    """Post the page's new-comment form (not a reply form, which posts to the same URL) as it stands."""
    return submit_form(client, get_page(client, page_url).select_one("form#comment-form"), {"body": body})


def _count_texts(page: Any, paragraphs: int) -> list[str]:
    return [" ".join(page.select_one(f"#p-count-{n}").get_text(" ").split()) for n in range(1, paragraphs + 1)]


def test_each_paragraph_links_to_the_comment_form_with_that_paragraph_chosen(browse, db):
    haruka = browse(MEMBER)
    page = get_page(haruka, f"{G}/r/1")
    paragraphs = len(split_paragraphs(rec_revisions(db, 1)[-1].text))
    assert paragraphs == 2
    links = page.select("div.prose.numbered div.para > a.para-no")
    assert [a["href"] for a in links] == [f"?paragraph={n}#comment-form" for n in range(1, paragraphs + 1)]
    assert [a["aria-label"] for a in links] == [f"Comment on paragraph {n}" for n in range(1, paragraphs + 1)]
    assert page.select_one("form#comment-form.new-comment") is not None
    assert page.select_one("#field-paragraph")["value"] == ""

    # Following ¶2 without JavaScript: the same page, the form with paragraph 2 filled in.
    chosen = get_page(haruka, f"{G}/r/1?paragraph=2")
    form = chosen.select_one("form#comment-form")
    assert form.select_one("#field-paragraph")["value"] == "2"
    assert " ".join(form.select_one('label[for="field-body"]').get_text().split()) == "Add a comment on ¶2"
    response = submit_form(haruka, form, {"body": "Is this the right agency?"})
    page = follow(haruka, response)
    [comment] = comments_on(db, "recommendation", rec_row(db, 1).id or 0)
    assert comment.paragraph == 2
    assert page.select_one(f'#comment-{comment.id} .comment-meta a[href="#p-2"]').get_text(strip=True) == "¶2"
    # Nonsense in the query string preselects nothing; a number out of range is refused when posted, text kept.
    assert get_page(haruka, f"{G}/r/1?paragraph=two").select_one("#field-paragraph")["value"] == ""
    before = counts(db)
    wrong = get_page(haruka, f"{G}/r/1?paragraph=7").select_one("form#comment-form")
    response = submit_form(haruka, wrong, {"body": "Kept."})
    assert response.status_code == 422 and soup(response).select_one("#field-body").get_text() == "Kept."
    assert counts(db) == before


def test_observers_see_plain_paragraph_numbers(browse):
    page = get_page(browse(OBSERVER), f"{G}/r/1")
    assert [a["href"] for a in page.select("a.para-no")] == ["#p-1", "#p-2"]
    assert page.select_one("#comment-form") is None


def test_each_paragraph_shows_how_many_comments_it_has(browse, db):
    haruka, kim = browse(MEMBER), browse(MEMBER_KR)
    assert _count_texts(get_page(haruka, f"{G}/r/1"), 2) == ["", ""]
    follow(haruka, _comment(haruka, f"{G}/r/1?paragraph=2", "First on two."))
    follow(kim, _comment(kim, f"{G}/r/1?paragraph=2", "Second on two."))
    follow(kim, _comment(kim, f"{G}/r/1?paragraph=1", "On one."))
    follow(haruka, _comment(haruka, f"{G}/r/1", "On the whole."))
    first = comments_on(db, "recommendation", rec_row(db, 1).id or 0)[0]
    page = get_page(kim, f"{G}/r/1")
    reply_form = page.select_one(f"#comment-{first.id} details.reply form")
    follow(kim, submit_form(kim, reply_form, {"body": "A reply counts too."}))
    page = get_page(haruka, f"{G}/r/1")
    assert _count_texts(page, 2) == ["1 comment on paragraph 1", "3 comments on paragraph 2"]
    assert page.select_one("#p-count-2 a")["href"] == "#comments"

    # Through htmx the answer carries the new counts out of band, for the paragraphs above the comments.
    form = get_page(haruka, f"{G}/r/1?paragraph=1").select_one("form#comment-form")
    response = submit_form(haruka, form, {"body": "Via htmx."}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    partial = soup(response)
    oob = partial.select_one('#p-count-1[hx-swap-oob="true"]')
    assert oob is not None and " ".join(oob.get_text(" ").split()) == "2 comments on paragraph 1"
    assert partial.find(True).name == "section"


def test_mentions_of_members_are_highlighted_and_nothing_else_is(browse, demo, db):
    haruka = browse(MEMBER)
    body = ("@kim.minjun please check; also @Maya.Chen. Not @nobody.here, not someone@kim.minjun.org, "
            "not `@kim.minjun` in code, not [a link @maya.chen](https://example.org/@maya.chen), "
            'and not <span class="mention">@fake</span>, nor in [a title](https://example.org "x>@kim.minjun").')
    follow(haruka, submit(haruka, f"{G}/r/1", f"{G}/r/1/comments", {"body": body}))
    [comment] = comments_on(db, "recommendation", rec_row(db, 1).id or 0)
    page = get_page(haruka, f"{G}/r/1")
    shown = page.select_one(f"#comment-{comment.id} .prose")
    assert [s.get_text() for s in shown.select("span.mention")] == ["@kim.minjun", "@Maya.Chen"]
    assert all(s.attrs == {"class": ["mention"]} for s in shown.select("span"))
    assert "<span class=\"mention\">@fake</span>" in shown.get_text()  # raw HTML stays text
    assert shown.select_one("code").get_text() == "@kim.minjun"
    assert [a.get_text() for a in shown.select("a")] == ["a link @maya.chen", "a title"]
    assert shown.select("a")[1]["title"] == "x>@kim.minjun"
    # The notifications are as before: one mention each for Kim and Maya.
    with db.session() as s:
        mentioned = set(s.exec(select(Mention.user_id).where(Mention.comment_id == comment.id)).all())
    assert mentioned == {demo.users[MEMBER_KR], demo.users[CHAIR]}


def test_the_mention_roster_lists_this_groups_members_and_is_404_to_anyone_else(browse, demo, db, other_group):
    answer = browse(MEMBER).get(f"{G}/mentions")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    members = answer.json()["members"]
    assert {"name": "Kim Min-jun", "handle": "kim.minjun"} in members
    assert {"name": "Maya Chen", "handle": "maya.chen"} in members
    with db.session() as s:
        in_group = s.exec(select(func.count()).select_from(Membership)
                          .where(Membership.group_id == demo.group_id)).one()
    assert len(members) == in_group
    assert [m["name"].lower() for m in members] == sorted(m["name"].lower() for m in members)
    assert "Ulrike Weber" not in {m["name"] for m in members}
    assert browse(OBSERVER).get(f"{G}/mentions").status_code == 200
    # A member of another group, and that group's roster to this group's member: not found.
    assert browse(OUTSIDER).get(f"{G}/mentions").status_code == 404
    assert browse(MEMBER).get(f"/g/{other_group.slug}/mentions").status_code == 404
    assert browse(None).get(f"{G}/mentions", follow_redirects=False).status_code in (302, 303)


def test_the_editor_counts_characters_against_the_limit_and_keeps_save_in_a_bar(browse, db):
    haruka = browse(MEMBER)
    page = get_page(haruka, f"{G}/r/1/edit")
    head = rec_revisions(db, 1)[-1]
    assert page.select_one("#count-text").get_text(strip=True) == f"{len(head.text):,} of 50,000 characters"
    assert "count-text" in page.select_one("#field-text")["aria-describedby"].split()
    assert page.select_one("#field-text")["data-wg-maxlength"] == "50000"
    assert page.select_one(".action-bar button[type=submit]").get_text(strip=True) == "Save"
    pane = page.select_one(".preview-pane")
    assert pane["tabindex"] == "0" and pane["role"] == "region" and pane["aria-labelledby"] == "preview-title"
    offer = page.select_one("[data-wg-autosave-offer]")
    assert offer["data-wg-tz"] == "Asia/Tokyo"
    text = "x" * 50_001
    response = submit(haruka, f"{G}/r/1/edit", f"{G}/r/1/edit", {"text": text})
    over = soup(response).select_one("#count-text")
    assert "over" in over["class"] and over.get_text(strip=True) == "50,001 of 50,000 characters"
    comment_count = get_page(haruka, f"{G}/r/1").select_one("#count-body")
    assert comment_count.get_text(strip=True) == "0 of 10,000 characters"


def test_zone_abbreviations_name_each_offset_as_the_localtime_filter_does():
    assert zone_abbreviations("Europe/Berlin") == {"60": "CET", "120": "CEST"}
    assert zone_abbreviations("Asia/Tokyo") == {"540": "JST"}
    assert zone_abbreviations("America/New_York") == {"-300": "EST", "-240": "EDT"}
    assert zone_abbreviations("Not/AZone") == {"0": "UTC"}
