"""Three-way merge of member text, paragraph by paragraph, for two people who edited the same revision.

As in MediaWiki, the unit is the paragraph (lines up to a blank line): when the two edits changed different
paragraphs, or made the same change, the merge is clean; when they changed the same paragraph differently, or
inserted different paragraphs at the same place (whose order nobody can choose for them), it is a conflict and the
second editor has to resolve it.

The algorithm is diff3's: diff the base against each side (difflib, on lists of paragraphs), turn each diff into
hunks (a run of base paragraphs and what replaced it), and group hunks of the two sides that touch the same base
paragraphs. A group that only one side touched takes that side's text; a group where both sides produced the same
text takes it; any other group is a conflict. Edits to neighbouring paragraphs do not touch, and neither does an
insertion next to (rather than inside) the other side's change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from wg.features.drafting.textdiff import sequence_matcher
from wg.lib.markdown import clean_text

Side = Literal["mine", "theirs"]
PARAGRAPH_SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class Conflict:
    """A region both edits changed differently: base paragraphs ``base_start``..``base_end`` and each side's text."""

    base_start: int
    base_end: int
    base: str
    mine: str
    theirs: str


@dataclass(frozen=True, slots=True)
class MergeResult:
    """The merge: ``clean`` with the merged ``text``, or not clean (``text`` None) with the conflicting regions."""

    clean: bool
    text: str | None
    conflicts: tuple[Conflict, ...] = ()


@dataclass(frozen=True, slots=True)
class _Hunk:
    """One side's change: base paragraphs ``start``..``end`` (empty for an insertion) became ``paragraphs``."""

    side: Side
    start: int
    end: int
    paragraphs: tuple[str, ...]


def split_paragraphs(text: str) -> list[str]:
    """Split text into paragraphs: runs of lines that are not blank (blank lines are empty or spaces and tabs)."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        if line.strip(" \t"):
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


def join_paragraphs(paragraphs: Sequence[str]) -> str:
    """Join paragraphs with one blank line between each two."""
    return PARAGRAPH_SEPARATOR.join(paragraphs)


def _hunks(side: Side, base: Sequence[str], other: Sequence[str]) -> list[_Hunk]:
    """The changes from base to other, one hunk per changed paragraph where a change replaced as many as it took."""
    matcher = sequence_matcher(list(base), list(other))
    hunks: list[_Hunk] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            # Three paragraphs edited in place are three edits, so the other side may still edit the fourth, or
            # insert a paragraph between two of them, without a conflict.
            hunks.extend(_Hunk(side, i1 + n, i1 + n + 1, (other[j1 + n],)) for n in range(i2 - i1))
        else:
            hunks.append(_Hunk(side, i1, i2, tuple(other[j1:j2])))
    return hunks


def _touch(a: _Hunk, b: _Hunk) -> bool:
    """Whether two hunks of different sides change the same base paragraphs, or insert at the same place."""
    if a.start == a.end and b.start == b.end:
        return a.start == b.start
    if a.start == a.end:
        return b.start < a.start < b.end
    if b.start == b.end:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


def _groups(mine: list[_Hunk], theirs: list[_Hunk]) -> list[list[_Hunk]]:
    """Hunks gathered into groups that touch (transitively), in base order."""
    everything = mine + theirs
    parent = list(range(len(everything)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for i, a in enumerate(mine):
        for j, b in enumerate(theirs, start=len(mine)):
            if _touch(a, b):
                parent[root(i)] = root(j)
    grouped: dict[int, list[_Hunk]] = {}
    for index, hunk in enumerate(everything):
        grouped.setdefault(root(index), []).append(hunk)
    return sorted(grouped.values(), key=lambda group: (min(h.start for h in group), max(h.end for h in group)))


def _apply(base: Sequence[str], start: int, end: int, hunks: list[_Hunk]) -> list[str]:
    """Base paragraphs ``start``..``end`` with one side's hunks (all inside that range) applied."""
    result: list[str] = []
    position = start
    for hunk in sorted(hunks, key=lambda h: (h.start, h.end)):
        result.extend(base[position:hunk.start])
        result.extend(hunk.paragraphs)
        position = hunk.end
    result.extend(base[position:end])
    return result


def merge3(base: str, mine: str, theirs: str) -> MergeResult:
    """Merge two edits (mine, theirs) of the same base text, paragraph by paragraph.

    All three texts go through ``clean_text`` first. When one side left the text unchanged, or both made the same
    edit, the result is the other side's text exactly; otherwise the merged paragraphs are joined by one blank line.
    """
    base, mine, theirs = clean_text(base), clean_text(mine), clean_text(theirs)
    if mine == theirs or base == theirs:
        return MergeResult(clean=True, text=mine)
    if base == mine:
        return MergeResult(clean=True, text=theirs)

    base_paragraphs = split_paragraphs(base)
    mine_paragraphs = split_paragraphs(mine)
    theirs_paragraphs = split_paragraphs(theirs)
    # Only the spacing between paragraphs differs somewhere: keep the side whose paragraphs changed.
    if mine_paragraphs == theirs_paragraphs or base_paragraphs == theirs_paragraphs:
        return MergeResult(clean=True, text=mine)
    if base_paragraphs == mine_paragraphs:
        return MergeResult(clean=True, text=theirs)

    mine_hunks = _hunks("mine", base_paragraphs, mine_paragraphs)
    theirs_hunks = _hunks("theirs", base_paragraphs, theirs_paragraphs)
    merged: list[str] = []
    conflicts: list[Conflict] = []
    position = 0
    for group in _groups(mine_hunks, theirs_hunks):
        start = min(h.start for h in group)
        end = max(h.end for h in group)
        merged.extend(base_paragraphs[position:start])
        mine_version = _apply(base_paragraphs, start, end, [h for h in group if h.side == "mine"])
        theirs_version = _apply(base_paragraphs, start, end, [h for h in group if h.side == "theirs"])
        sides = {h.side for h in group}
        if sides == {"mine"} or mine_version == theirs_version:
            merged.extend(mine_version)
        elif sides == {"theirs"}:
            merged.extend(theirs_version)
        else:
            conflicts.append(
                Conflict(
                    base_start=start,
                    base_end=end,
                    base=join_paragraphs(base_paragraphs[start:end]),
                    mine=join_paragraphs(mine_version),
                    theirs=join_paragraphs(theirs_version),
                )
            )
        position = end
    merged.extend(base_paragraphs[position:])

    if conflicts:
        return MergeResult(clean=False, text=None, conflicts=tuple(conflicts))
    return MergeResult(clean=True, text=join_paragraphs(merged))
