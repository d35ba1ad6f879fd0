"""Word-level differences between two versions of member text, and their rendering as tracked changes in HTML."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from wg.lib.markdown import clean_text

DiffKind = Literal["equal", "insert", "delete"]

# Scripts written without spaces between words (Han, kana) and Hangul: every character is its own token, so
# changing one character of 佐藤遥 marks one character, not the whole sentence.
_CJK = (
    "\u1100-\u11ff"  # Hangul Jamo
    "\u2e80-\u2fdf"  # CJK radicals, Kangxi radicals
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3100-\u312f"  # Bopomofo
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31a0-\u31ff"  # Bopomofo extended, Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\ua960-\ua97f"  # Hangul Jamo extended A
    "\uac00-\ud7ff"  # Hangul syllables, Jamo extended B
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003134f"  # CJK extensions B to G
)
# A token is one CJK character, a word (letters and digits, with inner apostrophes or hyphens: "don't",
# "well-being"), a run of whitespace, or any other single character (punctuation, symbols).
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+(?:['’\-][^\W{_CJK}]+)*|\s+|.", re.DOTALL)


@dataclass(frozen=True, slots=True)
class DiffOp:
    """One stretch of a difference: text both versions share, or text only the new (insert) or old (delete) has."""

    kind: DiffKind
    text: str


def tokenize(text: str) -> list[str]:
    """Split text into the tokens a word diff compares: words, CJK characters, whitespace runs, punctuation."""
    return _TOKEN.findall(text)


# A shared stretch of text, or a changed one as (deleted, inserted).
_Segment = str | tuple[str, str]
# Up to this many items a side, every item may anchor a match (the best diff); beyond it, difflib's "autojunk"
# ignores items that make up more than 1% of the new side, which keeps enormous or hostile inputs from taking
# quadratic time at the price of a coarser diff.
EXACT_DIFF_LIMIT = 3000
# Coarser units tried, in turn, before single tokens: lines; then, for long changed lines, sentences; then words
# with the whitespace after them. Each pattern matches every position, so its units join back into the text.
_UNITS = (
    re.compile(r"[^\n]*\n|[^\n]+"),
    re.compile(r"[^.!?。！？]*[.!?。！？]+\s*|[^.!?。！？]+"),
    re.compile(r"\S+\s*|\s+"),
)


def sequence_matcher(old_items: list[str], new_items: list[str]) -> SequenceMatcher[str]:
    """A difflib SequenceMatcher that is exact for ordinary sizes and stays fast for enormous ones."""
    enormous = max(len(old_items), len(new_items)) > EXACT_DIFF_LIMIT
    return SequenceMatcher(None, old_items, new_items, autojunk=enormous)


def _token_segments(old_tokens: list[str], new_tokens: list[str]) -> list[_Segment]:
    """Diff two token lists; the common start and end are cut off first, which is cheap and the usual case."""
    prefix = 0
    limit = min(len(old_tokens), len(new_tokens))
    while prefix < limit and old_tokens[prefix] == new_tokens[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old_tokens[-1 - suffix] == new_tokens[-1 - suffix]:
        suffix += 1
    old_middle = old_tokens[prefix : len(old_tokens) - suffix]
    new_middle = new_tokens[prefix : len(new_tokens) - suffix]

    segments: list[_Segment] = ["".join(old_tokens[:prefix])]
    matcher = sequence_matcher(old_middle, new_middle)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old_text = "".join(old_middle[i1:i2])
        segments.append(old_text if tag == "equal" else (old_text, "".join(new_middle[j1:j2])))
    segments.append("".join(old_tokens[len(old_tokens) - suffix :]))
    return segments


def _coalesce(segments: list[_Segment]) -> list[_Segment]:
    """Drop empty segments and join neighbours of the same kind."""
    joined: list[_Segment] = []
    for segment in segments:
        if not segment or segment == ("", ""):
            continue
        previous = joined[-1] if joined else None
        if isinstance(segment, tuple) and isinstance(previous, tuple):
            joined[-1] = (previous[0] + segment[0], previous[1] + segment[1])
        elif isinstance(segment, str) and isinstance(previous, str):
            joined[-1] = previous + segment
        else:
            joined.append(segment)
    return joined


def _segments(old: str, new: str, level: int = 0) -> list[_Segment]:
    """Diff by the units of ``level`` (lines first), going down a level inside each changed stretch.

    Token by token alone is quadratic in the length of the text (every space matches every other space); lines,
    then sentences, keep the token diffs small, and most edits leave most lines alone.
    """
    if level > 0:
        old_tokens, new_tokens = tokenize(old), tokenize(new)
        if level == len(_UNITS) or max(len(old_tokens), len(new_tokens)) <= EXACT_DIFF_LIMIT:
            return _token_segments(old_tokens, new_tokens)
    old_units = _UNITS[level].findall(old)
    new_units = _UNITS[level].findall(new)
    segments: list[_Segment] = []
    for tag, i1, i2, j1, j2 in sequence_matcher(old_units, new_units).get_opcodes():
        old_text = "".join(old_units[i1:i2])
        new_text = "".join(new_units[j1:j2])
        if tag == "equal":
            segments.append(old_text)
        elif tag == "replace":
            segments.extend(_segments(old_text, new_text, level + 1))
        else:
            segments.append((old_text, new_text))
    return segments


def word_diff(old: str, new: str) -> list[DiffOp]:
    """The word-level difference from old to new, after both are passed through ``clean_text``.

    Joining the equal and delete texts gives the old text back; joining the equal and insert texts gives the new.
    Within a changed stretch the deletion comes before the insertion, and no two neighbouring ops share a kind.
    """
    segments = _coalesce(_segments(clean_text(old), clean_text(new)))

    # Spaces alone between two changes ("[-a-][+x+] [-b-][+y+]") read better as part of one change. Line breaks
    # are kept out of changes, so that a change never swallows a paragraph boundary both versions share.
    for index in range(1, len(segments) - 1):
        segment = segments[index]
        if isinstance(segment, str) and segment.isspace() and "\n" not in segment:
            segments[index] = (segment, segment)
    segments = _coalesce(segments)

    ops: list[DiffOp] = []
    for segment in segments:
        if isinstance(segment, str):
            ops.append(DiffOp("equal", segment))
            continue
        deleted, inserted = segment
        if deleted:
            ops.append(DiffOp("delete", deleted))
        if inserted:
            ops.append(DiffOp("insert", inserted))
    return ops


def _escaped_lines(text: str, mark_newlines: bool) -> str:
    """Escape text for HTML, a newline becoming ``<br>`` (after a pilcrow when the change is only line breaks)."""
    escaped = html.escape(text, quote=True)
    return escaped.replace("\n", "¶<br>\n" if mark_newlines else "<br>\n")


# Screen readers do not announce <del> and <ins>: each change is preceded by a visually hidden label, and a deletion
# followed at once by an insertion gets a space between them ("an annual a", not "an annuala") so that the text reads
# and copies as words. Labels and separators are spans of their own classes, outside <del> and <ins>, so the text
# inside each mark is exactly the deleted or inserted text.
DIFF_LABELS = {"delete": "deleted: ", "insert": "inserted: "}
DIFF_LABEL_CLASS = "visually-hidden diff-label"
DIFF_SEPARATOR = '<span class="diff-sep"> </span>'


def diff_html(old: str, new: str) -> str:
    """The difference from old to new as escaped HTML: ``<del>`` for removed text, ``<ins>`` for added text.

    Newlines become ``<br>``; a change made only of whitespace and line breaks (two paragraphs joined or split)
    shows a pilcrow for each line break, so that it can be seen. Each mark is preceded by a visually hidden
    "deleted:"/"inserted:" label, and a deletion directly followed by an insertion is separated by a space.
    """
    parts: list[str] = []
    previous: DiffOp | None = None
    for op in word_diff(old, new):
        if op.kind == "equal":
            parts.append(_escaped_lines(op.text, mark_newlines=False))
            previous = op
            continue
        if (previous is not None and previous.kind == "delete" and op.kind == "insert"
                and not previous.text[-1].isspace() and not op.text[0].isspace()):
            parts.append(DIFF_SEPARATOR)
        tag = "ins" if op.kind == "insert" else "del"
        whitespace_only = op.text.isspace() and "\n" in op.text
        parts.append(f'<span class="{DIFF_LABEL_CLASS}">{DIFF_LABELS[op.kind]}</span>'
                     f"<{tag}>{_escaped_lines(op.text, mark_newlines=whitespace_only)}</{tag}>")
        previous = op
    return "".join(parts)
