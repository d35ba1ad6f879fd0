"""The review state of recommendations and sections, derived from review events and current revisions (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class RecState(StrEnum):
    """Where a recommendation stands in review."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes requested"
    APPROVED = "approved"
    APPROVED_TEXT_CHANGED = "approved text changed"
    WITHDRAWN = "withdrawn"

    @property
    def settled(self) -> bool:
        """Approved (on the current text) or withdrawn: nothing more to decide."""
        return self in {RecState.APPROVED, RecState.WITHDRAWN}

    @property
    def can_submit(self) -> bool:
        """States from which the drafters may (re)submit for review."""
        return self in {RecState.DRAFT, RecState.CHANGES_REQUESTED, RecState.APPROVED_TEXT_CHANGED}

    @property
    def can_decide(self) -> bool:
        """States in which a chair may approve or request changes."""
        return self in {RecState.SUBMITTED, RecState.APPROVED_TEXT_CHANGED}

    @property
    def positions_locked(self) -> bool:
        """An approval stands (on this text or an earlier one): positions are locked until a chair reopens it."""
        return self in {RecState.APPROVED, RecState.APPROVED_TEXT_CHANGED}

    @property
    def can_reopen(self) -> bool:
        """States from which a chair may move the item back to review (and members may ask for that)."""
        return self.positions_locked


class SectionState(StrEnum):
    """Where a section stands."""

    IN_PROGRESS = "in progress"
    READY = "ready for approval"
    APPROVED = "approved"
    NEEDS_REAPPROVAL = "needs re-approval"


@dataclass(frozen=True)
class EventFact:
    """The newest review event of an item, as the state rules need it."""

    kind: str
    rev_no: int
    fingerprint: str = ""


def recommendation_state(last: EventFact | None, head_rev_no: int, withdrawn: bool) -> RecState:
    """A recommendation's state from its newest submission or decision and its current revision."""
    if withdrawn:
        return RecState.WITHDRAWN
    if last is None:
        return RecState.DRAFT
    if last.kind in {"submit", "reopen"}:  # a chair's reopening puts the current text back in review
        return RecState.SUBMITTED
    if last.kind == "request-changes":
        return RecState.CHANGES_REQUESTED
    if last.kind == "approve":
        return RecState.APPROVED if last.rev_no == head_rev_no else RecState.APPROVED_TEXT_CHANGED
    raise ValueError(f"unknown review event kind {last.kind!r}")


def section_fingerprint(section_rev_no: int, recommendations: Sequence[tuple[int, int, bool]],
                        reopened: Mapping[int, int] | None = None) -> str:
    """What a section approval covers: the section's revision and each (number, revision, withdrawn) inside it.

    ``reopened`` counts, per number, how often a chair reopened an approved recommendation (``R3.2o1``): reopening
    changes the consensus record, so the section needs a new approval even when no text changed. Items never
    reopened print as before, so approvals recorded before reopening existed still match.
    """
    reopened = reopened or {}
    parts = [f"s{section_rev_no}"] + [f"R{n}.{rev}{'w' if withdrawn else ''}"
                                      f"{f'o{reopened[n]}' if reopened.get(n) else ''}"
                                      for n, rev, withdrawn in sorted(recommendations)]
    return ";".join(parts)


def section_state(last_approval: EventFact | None, fingerprint: str, rec_states: Sequence[RecState]) -> SectionState:
    """A section is approved while nothing changed since its approval; otherwise ready once every item is settled."""
    if last_approval is not None and last_approval.fingerprint == fingerprint and section_ready(rec_states):
        return SectionState.APPROVED
    if last_approval is not None:
        return SectionState.NEEDS_REAPPROVAL
    if all(state.settled for state in rec_states):
        return SectionState.READY
    return SectionState.IN_PROGRESS


def section_ready(rec_states: Sequence[RecState]) -> bool:
    """Every recommendation in the section is approved on its current text or withdrawn."""
    return all(state.settled for state in rec_states)
