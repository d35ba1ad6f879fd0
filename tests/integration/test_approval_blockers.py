"""What blocks an approval, said where the decision is taken (issue 18, item 1), and a subgroup page that leads to
the work (item 2) — asserted on the parsed HTML a person gets, on SQLite and PostgreSQL.

The demo's NTS section holds R-4 (submitted, everyone supports it), R-5 (changes requested) and R-6 (a draft).
"""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from sqlmodel import select

from tests.integration.test_review_pages import (  # noqa: F401 (browse is a fixture)
    G,
    browse,
    counts,
    email,
    follow,
    form_on,
    get_page,
    post_raw,
    rec_id,
    section_ids,
    soup,
    submit,
    text_of,
)
from wg.lib.countries import country_name
from wg.lib.web import localtime
from wg.models import ReviewEvent, Section, User


def blockers(node: Any) -> list[tuple[str, str, str]]:
    """(key, state, link) of each item a blocker list names."""
    return [(text_of(li.select_one(".key")), text_of(li.select_one(".state")) if li.select_one(".state") else "",
             str(li.select_one("a[href]")["href"]))
            for li in node.select(":scope > li") if li.select_one(".key")]


def test_the_section_panel_the_queue_and_finalise_list_what_blocks_them(browse: Any, db: Any  # noqa: F811
                                                                       ) -> None:
    nts = section_ids(db)[2]
    section_url = f"{G}/sections/{nts}"
    ren = browse(email("ren.nakamura"))  # chairs the section's subgroup
    expected = [("R-4", "Submitted", f"{G}/r/4#review"), ("R-5", "Changes requested", f"{G}/r/5#review"),
                ("R-6", "Draft", f"{G}/r/6#review")]

    # The panel: the approve button is there but disabled, described by the list of what blocks it.
    page = get_page(ren, section_url)
    button = form_on(page, f"{section_url}/approve").find("button")
    assert button.has_attr("disabled") and button["aria-disabled"] == "true"
    assert page.select_one(f"#{button['aria-describedby']}").get_text().startswith("What blocks the approval (3)")
    panel = page.select_one("#section-blockers")
    assert blockers(panel) == expected
    items = {text_of(li.select_one(".key")): li for li in panel.select(":scope > li")}
    assert "waiting for a chair's decision" in text_of(items["R-4"])
    assert "the drafters revise it and submit it again" in text_of(items["R-5"])
    # R-6 has no position yet: the consensus rule's unmet countries are named before anyone clicks.
    assert [text_of(li) for li in items["R-6"].select(".blocker-conditions li")] == [
        f"No member from {country_name(code)} supports it yet." for code in ("US", "JP", "KR")]
    assert "no suggestions" in text_of(page.select_one("#approval"))

    # A member who may not decide reads the same list, without the button.
    priya = browse(email("priya.raman"))
    page = get_page(priya, section_url)
    assert blockers(page.select_one("#section-blockers")) == expected
    assert page.find("form", attrs={"action": f"{section_url}/approve"}) is None

    # The chair's queue: the same list under the section.
    queue = get_page(ren, f"{G}/queue")
    assert blockers(queue.select_one(f"#blockers-{nts}")) == expected
    assert f"{section_url}#approval" in [a["href"] for a in queue.select(f"#blocked-{nts} > a")]

    # The organizer's Finalise: disabled, with every section not approved and what blocks it.
    organizer = browse(email("organizer"))
    exports = get_page(organizer, f"{G}/exports")
    finalise = exports.find("button", attrs={"value": "finalise"})
    assert finalise.has_attr("disabled") and finalise["aria-disabled"] == "true"
    listed = exports.select(".finalise-blockers > li")
    assert f"{section_url}#approval" in [a["href"] for li in listed for a in li.select(".blocker-what a")]
    assert set(expected) <= set(blockers(exports.select_one(".finalise-blockers")))
    # Refused on the server too (an old tab), naming the items, and nothing written.
    before = counts(db)
    response = post_raw(organizer, f"{G}/exports", f"{G}/report/finalise", {"action": "finalise"})
    assert response.status_code == 422
    summary = text_of(soup(response).select_one(".error-summary"))
    assert "R-5 “" in summary and "changes requested — the drafters revise it" in summary
    assert counts(db) == before


def test_approving_over_open_threads_asks_first_and_a_cancel_writes_nothing(browse: Any, db: Any  # noqa: F811
                                                                            ) -> None:
    nts = section_ids(db)[2]
    section_url = f"{G}/sections/{nts}"
    ren = browse(email("ren.nakamura"))
    # R-4 approved; withdrawn: nothing blocks the section now.
    follow(ren, submit(ren, f"{G}/r/4", f"{G}/r/4/decision", button=("decision", "approve")))
    priya = browse(email("priya.raman"))
    for n in (5, 6):
        follow(priya, submit(priya, f"{G}/r/{n}", f"{G}/r/{n}/withdraw"))
    page = get_page(ren, section_url)
    assert page.select_one("#section-blockers") is None
    button = form_on(page, f"{section_url}/approve").find("button")
    assert not button.has_attr("disabled")
    # Priya asks something on the section itself: an open thread.
    assert post_raw(priya, section_url, f"{section_url}/comments", {"body": "Cite the 2026 assessment?"}
                    ).status_code == 303

    before = counts(db)
    response = submit(ren, section_url, f"{section_url}/approve")
    assert response.status_code == 200
    confirm = soup(response)
    threads = confirm.select(".open-threads li")
    assert any("Cite the 2026 assessment?" in text_of(li) for li in threads)
    assert all("#comment-" in str(li.select_one("a")["href"]) for li in threads)
    form = form_on(confirm, f"{section_url}/approve")
    assert form.find("button", attrs={"name": "confirm", "value": "open-threads"}).get_text() == "Approve anyway"
    back = confirm.find("a", string="Back to the section")
    assert back["href"] == f"{section_url}#comments"
    assert counts(db) == before
    with db.session() as s:
        assert s.exec(select(ReviewEvent).where(ReviewEvent.target_type == "section",
                                                ReviewEvent.target_id == nts, ReviewEvent.kind == "approve")
                      ).first() is None


def test_the_subgroup_page_lists_its_sections_and_what_waits_for_this_member(browse: Any, db: Any  # noqa: F811
                                                                            ) -> None:
    nts = section_ids(db)[2]
    with db.session() as s:
        subgroup_id = s.get(Section, nts).subgroup_id
        aoi_tz = s.exec(select(User.time_zone).where(User.email == email("aoi.kobayashi"))).one()
        deadline = s.exec(select(ReviewEvent.deadline).where(
            ReviewEvent.kind == "submit", ReviewEvent.target_type == "recommendation",
            ReviewEvent.target_id == rec_id(db, 4))).one()
    url = f"{G}/subgroups/{subgroup_id}"

    # Priya (a drafter there): R-5 to revise (with the chair's note), R-6 to finish; she supports R-4 already.
    page = get_page(browse(email("priya.raman")), url)
    assert [text_of(a) for a in page.select("#to-revise .key")] == ["R-5"]
    assert "The chair wrote:" in text_of(page.select_one("#to-revise li"))
    assert [text_of(a) for a in page.select("#to-draft .key")] == ["R-6"]
    assert page.select_one("#to-position") is None
    sections = page.select(".subgroup-sections > li")
    assert [li.select_one("a")["href"] for li in sections] == [f"{G}/sections/{nts}"]
    add = sections[0].find("a", href=f"{G}/sections/{nts}/recommendations/new")
    assert add is not None and text_of(add).startswith("Add a recommendation")

    # Aoi (also a member, no position on R-4 yet): R-4 waits for her position, its deadline in her time zone.
    page = get_page(browse(email("aoi.kobayashi")), url)
    [item] = page.select("#to-position li")
    assert text_of(item.select_one(".key")) == "R-4"
    assert item.select_one("a[href$='#positions']") is not None
    shown = text_of(item.select_one("time"))
    assert deadline is not None and aoi_tz
    assert shown == localtime(deadline, aoi_tz)

    # An observer has nothing to draft or sign, and no "add" link.
    page = get_page(browse(email("takeshi.ono")), url)
    assert "Nothing in this subgroup's sections waits for you now." in text_of(page.select_one(".subgroup-work"))
    assert page.find("a", href=f"{G}/sections/{nts}/recommendations/new") is None

    # The link leads to a form that says which section it is for.
    form_page = get_page(browse(email("priya.raman")), f"{G}/sections/{nts}/recommendations/new")
    title = text_of(BeautifulSoup(str(form_page.select_one(f"a[href='{G}/sections/{nts}']")), "html.parser"))
    assert title and f"New recommendation in “{title}”" == text_of(form_page.select_one("h1"))
    crumbs = form_page.select_one(".breadcrumbs")
    assert [a["href"] for a in crumbs.select("a")] == [f"{G}/report", f"{G}/sections/{nts}"]
