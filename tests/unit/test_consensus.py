"""The consensus rules and additional views, edge cases included."""

from __future__ import annotations

import datetime as dt

import pytest

from wg.features.review.consensus import PositionFact, Stance, additional_views, evaluate, outcome_label

TRI = ["US", "JP", "KR"]
ALL = {"US", "JP", "KR"}
NOW = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)


def p(uid: int, country: str, stance: str, text: str = "", name: str = "", consent: bool = False) -> PositionFact:
    return PositionFact(user_id=uid, country=country, stance=Stance(stance), text=text, name=name or f"M{uid}",
                        consents_to_attribution=consent)


def test_each_country_met_with_one_supporter_per_country():
    verdict = evaluate("each-country", TRI, [p(1, "US", "support"), p(2, "JP", "support"), p(3, "KR", "support")],
                       ALL)
    assert verdict.met and verdict.label == "Consensus" and verdict.reasons == ()


def test_each_country_reservation_counts_as_support_and_changes_the_label():
    verdict = evaluate("each-country", TRI, [p(1, "US", "support"), p(2, "JP", "reservation", "but"),
                                             p(3, "KR", "support"), p(4, "KR", "abstain")], ALL)
    assert verdict.met and verdict.label == "Consensus with reservations"
    assert (verdict.supporters, verdict.reservations, verdict.abstentions) == (3, 1, 1)


def test_each_country_missing_country_says_which():
    verdict = evaluate("each-country", TRI, [p(1, "US", "support"), p(2, "JP", "support"), p(3, "KR", "abstain")],
                       ALL)
    assert not verdict.met and verdict.label == ""
    assert verdict.reasons == ("No member from Republic of Korea supports it yet.",)


def test_each_country_one_objection_blocks_even_with_all_countries():
    verdict = evaluate("each-country", TRI, [p(1, "US", "support"), p(2, "JP", "support"), p(3, "KR", "support"),
                                             p(4, "KR", "object", "no")], ALL)
    assert not verdict.met
    assert verdict.reasons == ("1 member objects.",)


def test_each_country_with_a_country_that_has_no_member_can_never_be_met():
    verdict = evaluate("each-country", TRI, [p(1, "US", "support"), p(2, "JP", "support")], {"US", "JP"})
    assert not verdict.met
    assert "No member from Republic of Korea is in the group" in verdict.reasons[0]


def test_each_country_with_no_positions_lists_every_country():
    verdict = evaluate("each-country", TRI, [], ALL)
    assert len(verdict.reasons) == 3


def test_no_objection_before_deadline_is_not_yet_adopted():
    verdict = evaluate("no-objection", TRI, [], ALL, deadline=NOW + dt.timedelta(days=1), now=NOW)
    assert not verdict.met
    assert verdict.reasons == ("The silence procedure is still running until its deadline.",)


def test_no_objection_after_deadline_with_silence_is_adopted():
    verdict = evaluate("no-objection", TRI, [p(1, "US", "abstain")], ALL, deadline=NOW - dt.timedelta(seconds=1),
                       now=NOW)
    assert verdict.met and verdict.label == "Consensus"


def test_no_objection_broken_by_an_objection_even_after_deadline():
    verdict = evaluate("no-objection", TRI, [p(1, "US", "object", "no")], ALL, deadline=NOW - dt.timedelta(days=1),
                       now=NOW)
    assert not verdict.met and verdict.reasons == ("1 member objects.",)


def test_no_objection_without_submission_has_no_deadline():
    verdict = evaluate("no-objection", TRI, [], ALL, deadline=None, now=NOW)
    assert not verdict.met and "has not started" in verdict.reasons[0]


@pytest.mark.parametrize("positions,met,label", [
    (["support", "support", "object"], True, "Majority; 1 member dissents"),
    (["support", "support", "object", "object", "support"], True, "Majority; 2 members dissent"),
    (["support", "object"], False, ""),
    (["abstain", "abstain"], False, ""),
    (["support", "abstain", "abstain"], True, "Consensus"),
    (["reservation", "object", "support"], True, "Majority; 1 member dissents"),
])
def test_majority(positions, met, label):
    facts = [p(i, TRI[i % 3], s, "t" if s in {"object", "reservation"} else "") for i, s in enumerate(positions)]
    verdict = evaluate("majority", TRI, facts, ALL)
    assert verdict.met is met
    assert verdict.label == label


def test_member_changing_position_after_approval_changes_the_verdict():
    before = [p(1, "US", "support"), p(2, "JP", "support"), p(3, "KR", "support")]
    assert evaluate("each-country", TRI, before, ALL).met
    after = [p(1, "US", "support"), p(2, "JP", "support"), p(3, "KR", "object", "changed my mind")]
    verdict = evaluate("each-country", TRI, after, ALL)
    assert not verdict.met and verdict.objections == 1


def test_outcome_label_is_empty_when_not_met():
    assert outcome_label([p(1, "US", "support")], met=False) == ""


def test_additional_views_follow_the_attribution_mode_and_consent():
    positions = [
        p(1, "JP", "reservation", "Timing matters.", name="Haruka Sato", consent=True),
        p(2, "KR", "object", "Too vague.", name="Kim Min-jun", consent=False),
        p(3, "US", "support", name="Maya Chen"),
    ]
    none = additional_views(positions, "none")
    assert [(v.attribution, v.text) for v in none] == [("One member adds:", "Timing matters."),
                                                       ("One member dissents:", "Too vague.")]
    country = additional_views(positions, "country")
    assert [v.attribution for v in country] == ["A member from Japan adds:",
                                                "A member from Republic of Korea dissents:"]
    named = additional_views(positions, "name")
    assert [v.attribution for v in named] == ["Haruka Sato adds:", "A member from Republic of Korea dissents:"]
    assert all("Maya" not in v.attribution for v in named)


def test_unknown_rule_is_never_met():
    assert not evaluate("coin-toss", TRI, [p(1, "US", "support")], ALL).met
