"""States are derived from events and revisions, never stored: every transition of the workflow."""

from __future__ import annotations

import pytest

from wg.features.review.state import (
    EventFact,
    RecState,
    SectionState,
    recommendation_state,
    section_fingerprint,
    section_state,
)


@pytest.mark.parametrize("event,head,withdrawn,expected", [
    (None, 1, False, RecState.DRAFT),
    (EventFact("submit", 3), 3, False, RecState.SUBMITTED),
    (EventFact("submit", 3), 4, False, RecState.SUBMITTED),
    (EventFact("request-changes", 3), 3, False, RecState.CHANGES_REQUESTED),
    (EventFact("request-changes", 3), 5, False, RecState.CHANGES_REQUESTED),
    (EventFact("approve", 3), 3, False, RecState.APPROVED),
    (EventFact("approve", 3), 4, False, RecState.APPROVED_TEXT_CHANGED),
    (EventFact("approve", 3), 3, True, RecState.WITHDRAWN),
    (None, 1, True, RecState.WITHDRAWN),
])
def test_recommendation_state(event, head, withdrawn, expected):
    assert recommendation_state(event, head, withdrawn) is expected


def test_which_states_allow_what():
    assert {s for s in RecState if s.can_submit} == {RecState.DRAFT, RecState.CHANGES_REQUESTED,
                                                     RecState.APPROVED_TEXT_CHANGED}
    assert {s for s in RecState if s.can_decide} == {RecState.SUBMITTED, RecState.APPROVED_TEXT_CHANGED}
    assert {s for s in RecState if s.settled} == {RecState.APPROVED, RecState.WITHDRAWN}


def test_unknown_event_kind_is_an_error():
    with pytest.raises(ValueError):
        recommendation_state(EventFact("shrug", 1), 1, False)


def test_section_states():
    fp = section_fingerprint(2, [(1, 3, False), (2, 1, True)])
    assert section_state(None, fp, [RecState.DRAFT, RecState.APPROVED]) is SectionState.IN_PROGRESS
    assert section_state(None, fp, [RecState.APPROVED, RecState.WITHDRAWN]) is SectionState.READY
    assert section_state(None, fp, []) is SectionState.READY
    approved = EventFact("approve", 2, fp)
    assert section_state(approved, fp, [RecState.APPROVED, RecState.WITHDRAWN]) is SectionState.APPROVED
    edited = section_fingerprint(2, [(1, 4, False), (2, 1, True)])
    assert section_state(approved, edited, [RecState.APPROVED_TEXT_CHANGED]) is SectionState.NEEDS_REAPPROVAL
    text_edited = section_fingerprint(3, [(1, 3, False), (2, 1, True)])
    assert section_state(approved, text_edited, [RecState.APPROVED]) is SectionState.NEEDS_REAPPROVAL


def test_fingerprint_changes_with_any_item():
    base = section_fingerprint(1, [(1, 1, False), (2, 2, False)])
    assert base == section_fingerprint(1, [(2, 2, False), (1, 1, False)])
    assert base != section_fingerprint(1, [(1, 1, False), (2, 2, True)])
    assert base != section_fingerprint(1, [(1, 1, False)])
    assert base != section_fingerprint(1, [(1, 1, False), (2, 2, False), (3, 1, False)])


def test_reopening_puts_the_item_back_in_review_and_changes_the_fingerprint():
    assert recommendation_state(EventFact("reopen", 3), 3, False) is RecState.SUBMITTED
    assert RecState.APPROVED.positions_locked and RecState.APPROVED_TEXT_CHANGED.positions_locked
    assert not any(s.positions_locked for s in (RecState.DRAFT, RecState.SUBMITTED, RecState.CHANGES_REQUESTED,
                                                 RecState.WITHDRAWN))
    base = section_fingerprint(1, [(1, 1, False), (2, 2, False)])
    assert section_fingerprint(1, [(1, 1, False), (2, 2, False)], {}) == base == "s1;R1.1;R2.2"  # as before
    reopened = section_fingerprint(1, [(1, 1, False), (2, 2, False)], {2: 1})
    assert reopened == "s1;R1.1;R2.2o1"
    approved = EventFact("approve", 1, base)
    # Approved on the old fingerprint, an item reopened since: the section needs a new approval.
    assert section_state(approved, reopened, [RecState.APPROVED, RecState.APPROVED]) is SectionState.NEEDS_REAPPROVAL
    assert section_state(approved, base, [RecState.APPROVED, RecState.SUBMITTED]) is SectionState.NEEDS_REAPPROVAL
