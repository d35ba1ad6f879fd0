"""Three-way, paragraph-level merge of two edits of the same revision."""

from __future__ import annotations

import dataclasses
import random
import time

import pytest

from wg.features.drafting.textmerge import (
    Conflict,
    MergeResult,
    join_paragraphs,
    merge3,
    split_paragraphs,
)


def doc(*paragraphs: str) -> str:
    """Text made of paragraphs separated by blank lines."""
    return "\n\n".join(paragraphs)


BASE = doc("Alpha one.", "Bravo two.", "Charlie three.", "Delta four.")


def assert_clean(result: MergeResult, expected: str) -> None:
    """The merge succeeded with the expected text."""
    assert result.clean, result.conflicts
    assert result.conflicts == ()
    assert result.text == expected


def assert_conflict(result: MergeResult) -> tuple[Conflict, ...]:
    """The merge failed; its conflicts."""
    assert not result.clean
    assert result.text is None
    assert result.conflicts
    return result.conflicts


# --- split_paragraphs and join_paragraphs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, paragraphs",
    [
        ("", []),
        ("\n\n  \n\t\n", []),
        ("one", ["one"]),
        ("one\ntwo", ["one\ntwo"]),
        ("one\n\ntwo", ["one", "two"]),
        ("one\n \t\n\n\ntwo\n", ["one", "two"]),
        ("\n\none\n\n", ["one"]),
        ("    indented code\n\n- list", ["    indented code", "- list"]),
        ("trailing  \nbreak", ["trailing  \nbreak"]),
        ("佐藤遥\n\n김민준", ["佐藤遥", "김민준"]),
        ("ideographic\n\u3000\nspace", ["ideographic\n\u3000\nspace"]),
    ],
)
def test_split_paragraphs(text: str, paragraphs: list[str]) -> None:
    assert split_paragraphs(text) == paragraphs


def test_join_paragraphs() -> None:
    assert join_paragraphs(["a", "b\nc"]) == "a\n\nb\nc"
    assert join_paragraphs([]) == ""


# --- Trivial merges --------------------------------------------------------------------------------------------


def test_nobody_changed_anything() -> None:
    assert_clean(merge3(BASE, BASE, BASE), BASE)


def test_only_mine_changed_keeps_my_text_exactly() -> None:
    mine = BASE.replace("Bravo", "BRAVO") + "\n\n\n\nExtra.\n"
    assert_clean(merge3(BASE, mine, BASE), mine)


def test_only_theirs_changed_keeps_their_text_exactly() -> None:
    theirs = "  " + BASE.replace("Delta", "DELTA")
    assert_clean(merge3(BASE, BASE, theirs), theirs)


def test_identical_edits() -> None:
    both = BASE.replace("Charlie", "Charles")
    assert_clean(merge3(BASE, both, both), both)


def test_whitespace_only_difference_on_one_side() -> None:
    mine = BASE.replace("Alpha", "Alef")
    theirs = BASE.replace("\n\n", "\n\n\n")
    assert_clean(merge3(BASE, mine, theirs), mine)


def test_newline_styles_do_not_conflict() -> None:
    crlf = BASE.replace("\n", "\r\n")
    mine = BASE.replace("Alpha", "Alef").replace("\n", "\r\n")
    theirs = BASE.replace("Delta", "Dalet")
    assert_clean(merge3(crlf, mine, theirs), doc("Alef one.", "Bravo two.", "Charlie three.", "Dalet four."))


# --- Clean merges ----------------------------------------------------------------------------------------------


def test_edits_of_different_paragraphs() -> None:
    mine = doc("Alpha one.", "Bravo TWO.", "Charlie three.", "Delta four.")
    theirs = doc("Alpha one.", "Bravo two.", "Charlie three.", "Delta FOUR.")
    assert_clean(merge3(BASE, mine, theirs), doc("Alpha one.", "Bravo TWO.", "Charlie three.", "Delta FOUR."))


def test_edits_of_neighbouring_paragraphs() -> None:
    mine = doc("Alpha one.", "Bravo TWO.", "Charlie three.", "Delta four.")
    theirs = doc("Alpha one.", "Bravo two.", "Charlie THREE.", "Delta four.")
    assert_clean(merge3(BASE, mine, theirs), doc("Alpha one.", "Bravo TWO.", "Charlie THREE.", "Delta four."))


def test_edits_at_start_and_end() -> None:
    mine = doc("ALPHA one.", "Bravo two.", "Charlie three.", "Delta four.")
    theirs = doc("Alpha one.", "Bravo two.", "Charlie three.", "DELTA four.")
    assert_clean(merge3(BASE, mine, theirs), doc("ALPHA one.", "Bravo two.", "Charlie three.", "DELTA four."))


def test_insertion_at_start_and_edit_at_end() -> None:
    mine = doc("Preface.", BASE)
    theirs = BASE.replace("Delta four.", "Delta 4.")
    assert_clean(merge3(BASE, mine, theirs), doc("Preface.", "Alpha one.", "Bravo two.", "Charlie three.", "Delta 4."))


def test_append_and_edit_of_last_paragraph() -> None:
    mine = doc(BASE, "Epilogue.")
    theirs = BASE.replace("Delta four.", "Delta 4.")
    assert_clean(merge3(BASE, mine, theirs), doc("Alpha one.", "Bravo two.", "Charlie three.", "Delta 4.", "Epilogue."))


def test_insertion_next_to_the_other_sides_edit() -> None:
    mine = doc("Alpha one.", "New after alpha.", "Bravo two.", "Charlie three.", "Delta four.")
    theirs = doc("Alpha one.", "Bravo 2.", "Charlie three.", "Delta four.")
    assert_clean(
        merge3(BASE, mine, theirs),
        doc("Alpha one.", "New after alpha.", "Bravo 2.", "Charlie three.", "Delta four."),
    )
    theirs = doc("Alpha 1.", "Bravo two.", "Charlie three.", "Delta four.")
    assert_clean(
        merge3(BASE, mine, theirs),
        doc("Alpha 1.", "New after alpha.", "Bravo two.", "Charlie three.", "Delta four."),
    )


def test_insertions_at_different_places() -> None:
    mine = doc("Alpha one.", "Mine.", "Bravo two.", "Charlie three.", "Delta four.")
    theirs = doc("Alpha one.", "Bravo two.", "Charlie three.", "Theirs.", "Delta four.")
    assert_clean(
        merge3(BASE, mine, theirs),
        doc("Alpha one.", "Mine.", "Bravo two.", "Charlie three.", "Theirs.", "Delta four."),
    )


def test_deletions_of_different_paragraphs() -> None:
    mine = doc("Alpha one.", "Charlie three.", "Delta four.")
    theirs = doc("Alpha one.", "Bravo two.", "Charlie three.")
    assert_clean(merge3(BASE, mine, theirs), doc("Alpha one.", "Charlie three."))


def test_neighbouring_deletions() -> None:
    mine = doc("Alpha one.", "Charlie three.", "Delta four.")
    theirs = doc("Alpha one.", "Bravo two.", "Delta four.")
    assert_clean(merge3(BASE, mine, theirs), doc("Alpha one.", "Delta four."))


def test_same_deletion_on_both_sides_and_an_edit() -> None:
    mine = doc("Alpha one.", "Charlie three.", "Delta four.")
    theirs = doc("Alpha one.", "Charlie three.", "Delta 4.")
    assert_clean(merge3(BASE, mine, theirs), doc("Alpha one.", "Charlie three.", "Delta 4."))


def test_deletion_next_to_an_insertion() -> None:
    mine = doc("Alpha one.", "Charlie three.", "Delta four.")
    theirs = doc("Alpha one.", "Bravo two.", "Inserted.", "Charlie three.", "Delta four.")
    assert_clean(merge3(BASE, mine, theirs), doc("Alpha one.", "Inserted.", "Charlie three.", "Delta four."))


def test_same_insertion_on_both_sides_is_kept_once() -> None:
    both = doc("Alpha one.", "Shared.", "Bravo two.", "Charlie three.", "Delta four.")
    mine = both.replace("Delta", "DELTA")
    assert_clean(merge3(BASE, mine, both), mine)


def test_one_identical_change_and_one_further_change() -> None:
    mine = doc("Alpha one.", "Bravo 2.", "Charlie three.", "Delta four.")
    theirs = doc("Alpha one.", "Bravo 2.", "Charlie 3.", "Delta four.")
    assert_clean(merge3(BASE, mine, theirs), theirs)


def test_empty_base_one_side_writes() -> None:
    assert_clean(merge3("", "First draft.", ""), "First draft.")
    assert_clean(merge3("", "", "First draft."), "First draft.")


def test_one_side_empties_the_text_other_side_unchanged() -> None:
    assert_clean(merge3(BASE, "", BASE), "")


def test_cjk_paragraphs() -> None:
    base = doc("佐藤遥は会議に出席した。", "김민준은 동의했다.")
    mine = doc("佐藤遥は会議に欠席した。", "김민준은 동의했다.")
    theirs = doc("佐藤遥は会議に出席した。", "김민준은 반대했다.")
    assert_clean(merge3(base, mine, theirs), doc("佐藤遥は会議に欠席した。", "김민준은 반대했다."))


def test_markdown_blocks_merge() -> None:
    table = "| a | b |\n|---|---|\n| 1 | 2 |"
    base = doc("# Title", "- one\n- two", table)
    mine = doc("# Better title", "- one\n- two", table)
    theirs = doc("# Title", "- one\n- two\n- three", table)
    assert_clean(merge3(base, mine, theirs), doc("# Better title", "- one\n- two\n- three", table))


def test_repeated_paragraphs() -> None:
    base = doc("Same.", "Other.", "Same.", "End.")
    mine = doc("Same.", "Other.", "Same, edited.", "End.")
    theirs = doc("Same.", "Other, edited.", "Same.", "End.")
    assert_clean(merge3(base, mine, theirs), doc("Same.", "Other, edited.", "Same, edited.", "End."))


def test_clean_merge_normalises_spacing_between_paragraphs() -> None:
    base = "One.\n\n\n\nTwo.\n"
    mine = "One!\n\n\n\nTwo.\n"
    theirs = "One.\n\n\n\nTwo!\n"
    assert_clean(merge3(base, mine, theirs), "One!\n\nTwo!")


def test_control_characters_are_cleaned() -> None:
    base = doc("A.", "B.")
    assert_clean(merge3(base, doc("A\x00!", "B."), doc("A.", "B\ud800!")), doc("A!", "B!"))


# --- Conflicts -------------------------------------------------------------------------------------------------


def test_same_paragraph_changed_differently() -> None:
    mine = BASE.replace("Bravo two.", "Bravo TWO.")
    theirs = BASE.replace("Bravo two.", "Bravo 2.")
    (conflict,) = assert_conflict(merge3(BASE, mine, theirs))
    assert conflict == Conflict(base_start=1, base_end=2, base="Bravo two.", mine="Bravo TWO.", theirs="Bravo 2.")


def test_edit_against_deletion() -> None:
    mine = BASE.replace("Charlie three.", "Charlie 3.")
    theirs = doc("Alpha one.", "Bravo two.", "Delta four.")
    (conflict,) = assert_conflict(merge3(BASE, mine, theirs))
    assert (conflict.base, conflict.mine, conflict.theirs) == ("Charlie three.", "Charlie 3.", "")


def test_different_insertions_at_the_same_place() -> None:
    mine = doc("Alpha one.", "Mine.", "Bravo two.", "Charlie three.", "Delta four.")
    theirs = doc("Alpha one.", "Theirs.", "Bravo two.", "Charlie three.", "Delta four.")
    (conflict,) = assert_conflict(merge3(BASE, mine, theirs))
    assert conflict == Conflict(base_start=1, base_end=1, base="", mine="Mine.", theirs="Theirs.")


def test_different_appends_at_the_end() -> None:
    (conflict,) = assert_conflict(merge3(BASE, doc(BASE, "Mine."), doc(BASE, "Theirs.")))
    assert (conflict.base_start, conflict.base_end) == (4, 4)


def test_empty_base_both_sides_write() -> None:
    (conflict,) = assert_conflict(merge3("", "Mine.", "Theirs."))
    assert conflict == Conflict(base_start=0, base_end=0, base="", mine="Mine.", theirs="Theirs.")


def test_insertion_inside_a_region_the_other_side_rewrote() -> None:
    mine = doc("Alpha one.", "Bravo two.", "Inserted.", "Charlie three.", "Delta four.")
    theirs = doc("Alpha one.", "Bravo and Charlie rewritten as one.", "Delta four.")
    (conflict,) = assert_conflict(merge3(BASE, mine, theirs))
    assert conflict.base == "Bravo two.\n\nCharlie three."
    assert conflict.mine == "Bravo two.\n\nInserted.\n\nCharlie three."
    assert conflict.theirs == "Bravo and Charlie rewritten as one."


def test_overlapping_changes_become_one_region() -> None:
    mine = doc("Alpha one.", "Bravo 2.", "Charlie 3.", "Delta four.")
    theirs = doc("Alpha one.", "Bravo two.", "Charlie and Delta merged.")
    (conflict,) = assert_conflict(merge3(BASE, mine, theirs))
    assert (conflict.base_start, conflict.base_end) == (2, 4)
    assert conflict.mine == "Charlie 3.\n\nDelta four."


def test_several_conflicts_and_clean_parts() -> None:
    mine = doc("Alpha 1.", "Bravo two.", "Charlie 3.", "Delta four.")
    theirs = doc("Alpha uno.", "Bravo two.", "Charlie tres.", "Delta four.")
    conflicts = assert_conflict(merge3(BASE, mine, theirs))
    assert [(c.base_start, c.mine, c.theirs) for c in conflicts] == [
        (0, "Alpha 1.", "Alpha uno."),
        (2, "Charlie 3.", "Charlie tres."),
    ]


def test_one_clean_change_does_not_hide_a_conflict() -> None:
    mine = doc("Alpha one.", "Bravo 2.", "Charlie three.", "Delta 4.")
    theirs = doc("Alpha 1.", "Bravo two.", "Charlie three.", "Delta IV.")
    (conflict,) = assert_conflict(merge3(BASE, mine, theirs))
    assert conflict.base == "Delta four."


def test_result_is_frozen() -> None:
    result = merge3(BASE, BASE, BASE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.clean = False  # type: ignore[misc]


# --- Random edits of disjoint paragraphs -----------------------------------------------------------------------


def random_words(rng: random.Random, tag: str) -> str:
    """A paragraph of random words that no other paragraph contains (the tag makes it unique)."""
    words = ["group", "agrees", "talks", "佐藤遥", "김민준", "Ólafur", "report", "recommends", "the", "and"]
    lines = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 8))) for _ in range(rng.randint(1, 3))]
    return f"[{tag}] " + "\n".join(lines)


@pytest.mark.parametrize("seed", range(200))
def test_random_disjoint_edits_merge_cleanly(seed: int) -> None:
    rng = random.Random(seed)
    base = [random_words(rng, f"p{i}") for i in range(rng.randint(0, 12))]
    # Every base paragraph (and the start of the text) belongs to one side or nobody; a side changes only what it
    # owns: it edits or deletes the paragraph, and may insert new paragraphs right after it.
    owners = [rng.choice(["mine", "theirs", None]) for _ in range(len(base) + 1)]
    versions: dict[str, list[str]] = {"mine": [], "theirs": []}
    expected: list[str] = []
    counter = 0

    def new_paragraphs(side: str) -> list[str]:
        nonlocal counter
        added = []
        for _ in range(rng.choice([0, 0, 1, 2])):
            counter += 1
            added.append(random_words(rng, f"{side}-new-{counter}"))
        return added

    # The start of the text: the owner may insert before the first paragraph.
    start_owner = owners[-1]
    if start_owner is not None:
        added = new_paragraphs(start_owner)
        versions[start_owner].extend(added)
        expected.extend(added)
    for index, paragraph in enumerate(base):
        owner = owners[index]
        action = rng.choice(["keep", "edit", "delete"]) if owner else "keep"
        changed: list[str]
        if action == "keep":
            changed = [paragraph]
        elif action == "edit":
            changed = [paragraph + " " + random_words(rng, f"{owner}-edit-{index}")]
        else:
            changed = []
        added = new_paragraphs(owner) if owner else []
        for side in versions:
            versions[side].extend(changed + added if side == owner else [paragraph])
        expected.extend(changed + added)

    result = merge3(doc(*base), doc(*versions["mine"]), doc(*versions["theirs"]))
    assert_clean(result, doc(*expected))


@pytest.mark.parametrize("seed", range(100))
def test_random_merges_never_lose_an_unconflicted_edit(seed: int) -> None:
    """Any edits at all: either a conflict, or a result that holds every paragraph both sides agree on."""
    rng = random.Random(1000 + seed)
    pool = [f"Paragraph {n}." for n in range(8)]
    base = rng.sample(pool, rng.randint(0, 6))

    def edit(paragraphs: list[str]) -> list[str]:
        edited = list(paragraphs)
        for _ in range(rng.randint(0, 3)):
            choice = rng.choice(["insert", "delete", "edit"])
            if choice == "insert" or not edited:
                edited.insert(rng.randint(0, len(edited)), f"New {rng.randint(0, 99)}.")
            elif choice == "delete":
                del edited[rng.randrange(len(edited))]
            else:
                where = rng.randrange(len(edited))
                edited[where] = edited[where] + " Edited."
        return edited

    mine, theirs = edit(base), edit(base)
    result = merge3(doc(*base), doc(*mine), doc(*theirs))
    if result.clean:
        assert result.text is not None
        merged = split_paragraphs(result.text)
        for paragraph in set(mine) & set(theirs) - set(base):
            assert paragraph in merged
        for paragraph in (set(mine) | set(theirs)) - set(base):
            if paragraph in merged:
                continue
            # A new paragraph can only be missing if the other side deleted the region around it, which conflicts.
            pytest.fail(f"{paragraph!r} lost in a clean merge of {base} / {mine} / {theirs}")
    else:
        assert result.text is None
        for conflict in result.conflicts:
            assert conflict.mine != conflict.theirs


# --- Size --------------------------------------------------------------------------------------------------------


def test_many_identical_paragraphs_merge_quickly() -> None:
    base = doc(*(["Same."] * 20000))
    mine = doc("Mine first.", base)
    theirs = doc(base, "Theirs last.")
    started = time.perf_counter()
    result = merge3(base, mine, theirs)
    assert time.perf_counter() - started < 10
    assert_clean(result, doc("Mine first.", base, "Theirs last."))
