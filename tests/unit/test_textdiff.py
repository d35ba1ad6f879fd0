"""Word-level differences between versions of member text, and their tracked-changes HTML."""

from __future__ import annotations

import dataclasses
import random
import time
from html.parser import HTMLParser

import pytest
from bs4 import BeautifulSoup

from wg.features.drafting.textdiff import DiffOp, diff_html, tokenize, word_diff


def old_side(ops: list[DiffOp]) -> str:
    """The old text a diff describes."""
    return "".join(op.text for op in ops if op.kind != "insert")


def new_side(ops: list[DiffOp]) -> str:
    """The new text a diff describes."""
    return "".join(op.text for op in ops if op.kind != "delete")


def marked(old: str, new: str) -> str:
    """A diff written compactly: [-deleted-] and {+inserted+}."""
    return "".join(
        op.text if op.kind == "equal" else f"[-{op.text}-]" if op.kind == "delete" else f"{{+{op.text}+}}"
        for op in word_diff(old, new)
    )


def soup(html: str) -> BeautifulSoup:
    """Parse an HTML fragment."""
    return BeautifulSoup(html, "html.parser")


# --- tokenize ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("", []),
        ("one two", ["one", " ", "two"]),
        ("Hello, world!", ["Hello", ",", " ", "world", "!"]),
        ("don't well-being", ["don't", " ", "well-being"]),
        ("a  \n\n b", ["a", "  \n\n ", "b"]),
        ("佐藤遥", ["佐", "藤", "遥"]),
        ("김민준이", ["김", "민", "준", "이"]),
        ("カタカナとひらがな", ["カ", "タ", "カ", "ナ", "と", "ひ", "ら", "が", "な"]),
        ("佐藤遥(Japan)", ["佐", "藤", "遥", "(", "Japan", ")"]),
        ("Ölaf 2.5%", ["Ölaf", " ", "2", ".", "5", "%"]),
        ("مرحبا بالعالم", ["مرحبا", " ", "بالعالم"]),
        ("會議。", ["會", "議", "。"]),
        ("𠀋x", ["𠀋", "x"]),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_tokenize_loses_nothing() -> None:
    rng = random.Random(7)
    alphabet = "ab ,.\n\t'-佐藤김😀<>&\"é\u0301"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert "".join(tokenize(text)) == text


# --- word_diff ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("same text", "same text", "same text"),
        ("", "", ""),
        ("", "new text", "{+new text+}"),
        ("old text", "", "[-old text-]"),
        ("the quick brown fox", "the slow brown fox", "the [-quick-]{+slow+} brown fox"),
        ("the fox", "the brown fox", "the {+brown +}fox"),
        ("the brown fox", "the fox", "the [-brown -]fox"),
        ("a b c", "x y z", "[-a b c-]{+x y z+}"),
        ("We agree.", "We agree!", "We agree[-.-]{+!+}"),
        ("Recommend talks", "Recommend talks now", "Recommend talks{+ now+}"),
        ("佐藤遥は会議に出席した", "佐藤遥は会議に欠席した", "佐藤遥は会議に[-出-]{+欠+}席した"),
        ("김민준은 동의했다", "김민준이 동의했다", "김민준[-은-]{+이+} 동의했다"),
        ("one\n\ntwo", "one\n\ntwo\n\nthree", "one\n\ntwo{+\n\nthree+}"),
        ("one\n\ntwo", "one two", "one[-\n\n-]{+ +}two"),
    ],
)
def test_word_diff(old: str, new: str, expected: str) -> None:
    assert marked(old, new) == expected


def test_ops_are_frozen_and_typed() -> None:
    ops = word_diff("a", "b")
    assert ops == [DiffOp("delete", "a"), DiffOp("insert", "b")]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ops[0].text = "x"  # type: ignore[misc]


def test_changes_do_not_swallow_shared_paragraph_breaks() -> None:
    assert marked("alpha\n\nbeta", "gamma\n\ndelta") == "[-alpha-]{+gamma+}\n\n[-beta-]{+delta+}"


def test_newline_styles_do_not_count_as_changes() -> None:
    assert word_diff("one\r\ntwo\rthree", "one\ntwo\nthree") == [DiffOp("equal", "one\ntwo\nthree")]


def test_long_repetitive_text_is_not_junked() -> None:
    old = " ".join(["the"] * 400 + ["end"])
    new = " ".join(["the"] * 400 + ["finish"])
    ops = word_diff(old, new)
    assert [op.kind for op in ops] == ["equal", "delete", "insert"]
    assert ops[1].text == "end" and ops[2].text == "finish"


@pytest.mark.parametrize("seed", range(20))
def test_random_diffs_rebuild_both_texts(seed: int) -> None:
    rng = random.Random(seed)
    words = ["the", "group", "agrees", "佐藤遥", "김민준", ",", ".", " ", "\n", "\n\n", "talks", "<b>", "&"]

    def text() -> str:
        return "".join(rng.choice(words) + rng.choice(["", " "]) for _ in range(rng.randint(0, 60)))

    for _ in range(25):
        old, new = text(), text()
        ops = word_diff(old, new)
        assert old_side(ops) == old
        assert new_side(ops) == new
        assert all(op.text for op in ops)
        assert all(a.kind != b.kind for a, b in zip(ops, ops[1:], strict=False))
        for a, b in zip(ops, ops[1:], strict=False):
            assert (a.kind, b.kind) != ("insert", "delete")


# --- diff_html ---------------------------------------------------------------------------------------------------


def test_diff_html_marks_changes() -> None:
    doc = soup(diff_html("the quick brown fox", "the slow brown fox"))
    assert [d.get_text() for d in doc.find_all("del")] == ["quick"]
    assert [i.get_text() for i in doc.find_all("ins")] == ["slow"]
    # Read aloud or copied: labelled, and a space between the deleted and the inserted word.
    assert doc.get_text() == "the deleted: quick inserted: slow brown fox"
    for label in doc.select(".diff-label"):
        label.decompose()
    assert doc.get_text() == "the quick slow brown fox"  # what a sighted reader sees


def test_a_deleted_word_and_an_inserted_word_are_apart() -> None:
    """Issue 18: "an annuala" — the deletion and the insertion ran together."""
    doc = soup(diff_html("an annual meeting", "a meeting"))
    for label in doc.select(".diff-label"):
        label.decompose()
    assert doc.get_text() == "an annual a meeting"
    assert [t.name for t in doc.find_all(["del", "ins"])] == ["del", "ins"]
    # The separator is outside both marks, so neither side gains a character.
    assert doc.find("del").get_text() == "an annual" and doc.find("ins").get_text() == "a"  # type: ignore[union-attr]


def test_no_extra_space_where_the_change_already_has_one() -> None:
    doc = soup(diff_html("a b", "a \nb"))  # a change that is itself whitespace gets no separator
    assert not doc.select(".diff-sep")


def test_diff_html_of_identical_texts_has_no_marks() -> None:
    html = diff_html("no change", "no change")
    assert html == "no change"


class _SideText(HTMLParser):
    """Collects the text outside one kind of element; bs4 drops some whitespace-only strings, so not bs4 here."""

    def __init__(self, drop: str) -> None:
        super().__init__(convert_charrefs=True)
        self.drop = drop
        self.depth = 0
        self.stack: list[bool] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # The hidden "deleted:"/"inserted:" labels and the space between a deletion and an insertion belong to
        # neither version's text.
        if tag == "br":  # a void element: no end tag follows
            return
        marker = tag == "span" and any(k == "class" and v and ("diff-label" in v or "diff-sep" in v)
                                       for k, v in attrs)
        self.stack.append(tag == self.drop or marker)
        self.depth += self.stack[-1]

    def handle_endtag(self, tag: str) -> None:
        self.depth -= self.stack.pop() if self.stack else 0

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def side_text(html: str, drop: str) -> str:
    """The text a reader sees in tracked-changes HTML once the ``drop`` elements (ins or del) are taken out."""
    parser = _SideText(drop)
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).replace("¶", "")


def test_diff_html_escapes_everything() -> None:
    old = '<script>alert("a")</script> & <b>'
    new = '<img src=x onerror=alert(1)> & <b onclick="x">'
    html = diff_html(old, new)
    doc = soup(html)
    assert {tag.name for tag in doc.find_all(True)} <= {"ins", "del", "span"}
    assert all(not tag.attrs for tag in doc.find_all(["ins", "del"]))
    assert all(tag["class"] in (["visually-hidden", "diff-label"], ["diff-sep"]) for tag in doc.find_all("span"))
    assert "<script" not in html and "<img" not in html and "<b" not in html
    assert side_text(html, "ins") == old
    assert side_text(html, "del") == new


@pytest.mark.parametrize("seed", range(10))
def test_diff_html_text_is_both_versions(seed: int) -> None:
    rng = random.Random(seed)
    pieces = ["<script>", "</script>", "<img src=x onerror=alert(1)>", "&amp;", "&", '"', "'", "word", " ", "\n",
              "\n\n", "佐藤遥", "javascript:", "<!--", "-->", "]]>"]
    for _ in range(20):
        old = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        new = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        html = diff_html(old, new)
        assert {tag.name for tag in soup(html).find_all(True)} <= {"ins", "del", "br", "span"}
        assert side_text(html, "ins") == old
        assert side_text(html, "del") == new


def test_diff_html_quotes_are_escaped() -> None:
    assert diff_html("a", "\"'") == (
        '<span class="visually-hidden diff-label">deleted: </span><del>a</del><span class="diff-sep"> </span>'
        '<span class="visually-hidden diff-label">inserted: </span><ins>&quot;&#x27;</ins>')


def test_diff_html_keeps_line_breaks() -> None:
    html = diff_html("one\ntwo\n\nthree", "one\ntwo\n\nthree and four")
    doc = soup(html)
    assert len(doc.find_all("br")) == 3
    assert [i.get_text() for i in doc.find_all("ins")] == [" and four"]


def test_diff_html_shows_joined_paragraphs() -> None:
    html = diff_html("one\n\ntwo", "one two")
    doc = soup(html)
    deleted = doc.find("del")
    assert deleted is not None and deleted.get_text().count("¶") == 2
    assert len(deleted.find_all("br")) == 2


def test_diff_html_inserted_paragraph_has_breaks_but_no_pilcrow() -> None:
    doc = soup(diff_html("one", "one\n\nnew paragraph"))
    inserted = doc.find("ins")
    assert inserted is not None
    assert inserted.get_text() == "\n\nnew paragraph"
    assert len(inserted.find_all("br")) == 2


def test_diff_html_cjk() -> None:
    doc = soup(diff_html("佐藤遥は会議に出席した", "佐藤遥は会議に欠席した"))
    assert doc.find("del").get_text() == "出"  # type: ignore[union-attr]
    assert doc.find("ins").get_text() == "欠"  # type: ignore[union-attr]


def test_diff_html_survives_characters_that_break_xml() -> None:
    html = diff_html("a\x00b", "a\ud800b\x1b")
    html.encode("utf-8")
    assert html == "ab"


# --- Size --------------------------------------------------------------------------------------------------------


def long_text(rng: random.Random, words: int, separator: str) -> str:
    """Plausible prose: a vocabulary of rare words and a few very common ones."""
    vocabulary = [f"word{n}" for n in range(800)] + ["the", "of", "and", "a", "to"] * 50
    sentences = [" ".join(rng.choice(vocabulary) for _ in range(40)) + "." for _ in range(words // 40)]
    return separator.join(sentences)


@pytest.mark.parametrize("separator", ["\n\n", " "])
def test_long_text_with_a_few_edits_is_quick_and_exact(separator: str) -> None:
    rng = random.Random(3)
    old = long_text(rng, 20000, separator)
    words = old.split(" ")
    for where in (100, 7000, 15000):
        words[where] = "CHANGED"
    new = " ".join(words)
    started = time.perf_counter()
    ops = word_diff(old, new)
    assert time.perf_counter() - started < 5
    assert [op.text for op in ops if op.kind == "insert"] == ["CHANGED"] * 3
    assert old_side(ops) == old and new_side(ops) == new


def test_enormous_unrelated_single_line_texts_finish() -> None:
    rng = random.Random(4)
    old = long_text(rng, 15000, " ")
    new = " ".join(reversed(old.split(" ")))
    started = time.perf_counter()
    ops = word_diff(old, new)
    assert time.perf_counter() - started < 10
    assert old_side(ops) == old and new_side(ops) == new
