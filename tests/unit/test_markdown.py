"""Member Markdown: sanitised HTML, clean text and the block model the DOCX builder walks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from wg.lib.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    CodeBlock,
    Heading,
    ListItem,
    Paragraph,
    Run,
    Table,
    TableCell,
    ThematicBreak,
    clean_text,
    parse_blocks,
    render_markdown,
    safe_href,
)

PAYLOAD_FILE = Path(__file__).resolve().parent.parent / "data" / "xss-payloads.txt"
FORBIDDEN_TAGS = (
    "<script", "<img", "<iframe", "<object", "<embed", "<svg", "<style", "<link", "<meta", "<form", "<input",
)
FORBIDDEN_SCHEMES = ("javascript:", "data:", "vbscript:", "file:")


def load_payloads() -> list[str]:
    """The hostile strings, one a line after the header, with a literal backslash-n standing for a newline."""
    lines = PAYLOAD_FILE.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# One payload per line")
    return [line.replace("\\n", "\n") for line in lines[1:]]


PAYLOADS = load_payloads()


def soup(html: str) -> BeautifulSoup:
    """Parse an HTML fragment."""
    return BeautifulSoup(html, "html.parser")


def tags_of(html: str) -> list[Tag]:
    """Every element in an HTML fragment."""
    return list(soup(html).find_all(True))


def squash(value: str) -> str:
    """A URL as a browser reads its scheme: lower case, without whitespace and control characters."""
    return "".join(ch for ch in value if ch > " ").lower()


def all_runs(blocks: tuple[object, ...]) -> list[Run]:
    """Every run in a block tuple, tables included."""
    runs: list[Run] = []
    for block in blocks:
        if isinstance(block, Paragraph | Heading | ListItem):
            runs.extend(block.runs)
        elif isinstance(block, Table):
            for cell in block.header + tuple(c for row in block.rows for c in row):
                runs.extend(cell.runs)
    return runs


# --- The hostile payloads ----------------------------------------------------------------------------------------


def test_payload_file_has_every_payload() -> None:
    assert len(PAYLOADS) == 546
    assert all(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_payload_renders_harmless(payload: str) -> None:
    html = render_markdown(payload)
    lowered = html.lower()
    for needle in FORBIDDEN_TAGS:
        assert needle not in lowered, needle
    for tag in tags_of(html):
        assert tag.name in ALLOWED_TAGS, tag.name
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), name
            allowed = ALLOWED_ATTRIBUTES.get(tag.name, frozenset()) | ({"rel"} if tag.name == "a" else set())
            assert name in allowed, (tag.name, name)
            if name in ("href", "src"):
                assert not squash(str(value)).startswith(FORBIDDEN_SCHEMES), value


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_payload_blocks_carry_no_dangerous_link(payload: str) -> None:
    for run in all_runs(parse_blocks(payload)):
        if run.href is not None:
            assert not squash(run.href).startswith(FORBIDDEN_SCHEMES), run.href


def test_raw_html_is_shown_as_text() -> None:
    html = render_markdown("Text before <script>window.__xss=1</script> text after")
    assert soup(html).get_text().strip() == "Text before <script>window.__xss=1</script> text after"
    assert "&lt;script&gt;" in html


def test_script_in_code_span_is_escaped_code() -> None:
    code = soup(render_markdown("`<script>x</script>`")).find("code")
    assert code is not None and code.get_text() == "<script>x</script>"


# --- Normal Markdown ---------------------------------------------------------------------------------------------


def test_emphasis_strong_strike_and_code() -> None:
    html = render_markdown("*em* _also_ **strong** ~~gone~~ `x = 1`")
    doc = soup(html)
    assert [e.get_text() for e in doc.find_all("em")] == ["em", "also"]
    assert doc.find("strong").get_text() == "strong"  # type: ignore[union-attr]
    assert doc.find("s").get_text() == "gone"  # type: ignore[union-attr]
    assert doc.find("code").get_text() == "x = 1"  # type: ignore[union-attr]


def test_headings() -> None:
    doc = soup(render_markdown("# One\n\n## Two\n\n###### Six\n\nSetext\n======"))
    assert [(h.name, h.get_text()) for h in doc.find_all(["h1", "h2", "h6"])] == [
        ("h1", "One"), ("h2", "Two"), ("h6", "Six"), ("h1", "Setext"),
    ]


def test_lists_nested_and_ordered_with_start() -> None:
    doc = soup(render_markdown("3. three\n4. four\n   - inner\n\npara\n\n- a\n- b"))
    ol = doc.find("ol")
    assert ol is not None and ol.get("start") == "3"
    assert [li.get_text(strip=True) for li in ol.find_all("li", recursive=False)] == ["three", "fourinner"]
    assert [li.get_text() for li in doc.select("ol ul li")] == ["inner"]
    assert [li.get_text() for li in doc.select("p + ul > li")] == ["a", "b"]


def test_link_gets_rel_and_keeps_title() -> None:
    a = soup(render_markdown('[report](https://example.org/r?a=1&b=2 "The report")')).find("a")
    assert a is not None
    assert a["href"] == "https://example.org/r?a=1&b=2"
    assert a["title"] == "The report"
    assert a["rel"] == ["noopener", "noreferrer", "nofollow"]
    assert a.get_text() == "report"


@pytest.mark.parametrize(
    "markdown, href",
    [
        ("<https://example.org>", "https://example.org"),
        ("[mail](mailto:chair@example.org)", "mailto:chair@example.org"),
        ("[rel](/groups/3)", "/groups/3"),
        ("[anchor](#section-2)", "#section-2"),
        ("[http](http://example.org)", "http://example.org"),
    ],
)
def test_allowed_links(markdown: str, href: str) -> None:
    a = soup(render_markdown(markdown)).find("a")
    assert a is not None and a["href"] == href


@pytest.mark.parametrize(
    "markdown",
    ["[x](ftp://example.org/f)", "[x](javascript:alert(1))", "[x](data:text/html,hi)", "[x](file:///etc/passwd)"],
)
def test_disallowed_links_lose_their_href(markdown: str) -> None:
    doc = soup(render_markdown(markdown))
    for a in doc.find_all("a"):
        assert not a.has_attr("href")
    assert "x" in doc.get_text()


def test_table_with_alignment() -> None:
    doc = soup(render_markdown("| Name | Votes | Note |\n|:--|--:|:-:|\n| 佐藤遥 | 3 | **yes** |"))
    assert [th.get_text() for th in doc.select("thead th")] == ["Name", "Votes", "Note"]
    assert [th.get("align") for th in doc.select("thead th")] == ["left", "right", "center"]
    assert [td.get_text() for td in doc.select("tbody td")] == ["佐藤遥", "3", "yes"]
    assert not any(cell.has_attr("style") for cell in doc.select("th, td"))


def test_blockquote_code_block_and_rule() -> None:
    doc = soup(render_markdown("> quoted\n\n```python\nif a < b:\n    pass\n```\n\n---"))
    assert doc.find("blockquote").get_text(strip=True) == "quoted"  # type: ignore[union-attr]
    pre = doc.find("pre")
    assert pre is not None and pre.get_text() == "if a < b:\n    pass\n"
    assert doc.find("hr") is not None
    assert not doc.find_all(class_=True)


def test_image_becomes_its_alt_text() -> None:
    html = render_markdown("See ![the *chart*](http://127.0.0.1:9/canary.png) here")
    assert "<img" not in html and "canary" not in html
    assert soup(html).get_text().strip() == "See the chart here"


def test_image_without_alt_becomes_nothing() -> None:
    assert soup(render_markdown("a ![](https://example.org/x.png) b")).get_text().strip() == "a  b"


def test_hard_break() -> None:
    doc = soup(render_markdown("one  \ntwo\\\nthree"))
    assert len(doc.find_all("br")) == 2


@pytest.mark.parametrize("text", ["佐藤遥", "김민준", "Ólafur Ragnar Grímsson", "محمد بن سلمان", "Zoë “quoted” — dash"])
def test_non_latin_text_untouched(text: str) -> None:
    html = render_markdown(f"{text} wrote **{text}**")
    assert soup(html).get_text().strip() == f"{text} wrote {text}"
    assert f"<strong>{text}</strong>" in html


def test_entities_and_ampersands() -> None:
    assert soup(render_markdown("AT&T &amp; 1 < 2 &copy;")).get_text().strip() == "AT&T & 1 < 2 ©"


def test_empty_and_blank_input() -> None:
    assert render_markdown("") == ""
    assert render_markdown("   \n\n  ").strip() == ""


def test_render_survives_characters_that_break_xml() -> None:
    html = render_markdown("a\x00b\x1bc\ud800d\ufffe\r\ne")
    assert soup(html).get_text().strip() == "abcd\ne"
    html.encode("utf-8")


# --- clean_text --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("plain", "plain"),
        ("a\r\nb\rc\nd", "a\nb\nc\nd"),
        ("keep\ttab\nand newline", "keep\ttab\nand newline"),
        ("nul\x00bell\x07esc\x1bvt\x0bff\x0c", "nulbellescvtff"),
        ("del\x7fnel\x85", "delnel"),
        ("lone\ud800high\udfffsurrogates", "lonehighsurrogates"),
        ("non\ufffecharacters\uffff", "noncharacters"),
        ("佐藤遥 김민준 😀 \u00a0\u200b", "佐藤遥 김민준 😀 \u00a0\u200b"),
        ("\r\n\r\n", "\n\n"),
        ("", ""),
    ],
)
def test_clean_text(raw: str, cleaned: str) -> None:
    assert clean_text(raw) == cleaned


def test_clean_text_output_encodes_and_is_stable() -> None:
    everything = "".join(chr(c) for c in range(0x0, 0x110000, 7))
    cleaned = clean_text(everything)
    cleaned.encode("utf-8")
    assert clean_text(cleaned) == cleaned
    assert all(ch in "\n\t" or ord(ch) >= 0x20 for ch in cleaned)


# --- safe_href ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, allowed",
    [
        ("https://example.org", True),
        ("HTTP://EXAMPLE.ORG", True),
        ("mailto:a@b.c", True),
        ("/relative/path", True),
        ("#anchor", True),
        ("page.html?x=1", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("java\nscript:alert(1)", False),
        ("  javascript:alert(1)", False),
        ("\x01javascript:alert(1)", False),
        ("vbscript:msgbox", False),
        ("data:text/html,x", False),
        ("file:///etc/passwd", False),
        ("ftp://example.org", False),
    ],
)
def test_safe_href(url: str, allowed: bool) -> None:
    assert (safe_href(url) == url) is allowed
    if not allowed:
        assert safe_href(url) is None


# --- parse_blocks ------------------------------------------------------------------------------------------------


def test_blocks_are_frozen() -> None:
    block = parse_blocks("hello")[0]
    assert isinstance(block, Paragraph)
    with pytest.raises(dataclasses.FrozenInstanceError):
        block.runs = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        block.runs[0].text = "x"  # type: ignore[misc]


def test_blocks_of_empty_text() -> None:
    assert parse_blocks("") == ()
    assert parse_blocks("\n\n   \n") == ()


def test_paragraph_runs_with_formatting() -> None:
    (block,) = parse_blocks("plain *it* **bold** ***both*** ~~gone~~ `code` [link](https://example.org)")
    assert block == Paragraph(
        runs=(
            Run("plain "),
            Run("it", italic=True),
            Run(" "),
            Run("bold", bold=True),
            Run(" "),
            Run("both", bold=True, italic=True),
            Run(" "),
            Run("gone", strike=True),
            Run(" "),
            Run("code", code=True),
            Run(" "),
            Run("link", href="https://example.org"),
        )
    )


def test_nested_formatting_inside_link() -> None:
    (block,) = parse_blocks("[see **the** report](https://example.org/r)")
    assert isinstance(block, Paragraph)
    assert block.runs == (
        Run("see ", href="https://example.org/r"),
        Run("the", bold=True, href="https://example.org/r"),
        Run(" report", href="https://example.org/r"),
    )


def test_breaks_in_runs() -> None:
    (block,) = parse_blocks("one  \ntwo\nthree")
    assert block == Paragraph(runs=(Run("one\ntwo three"),))


def test_headings_blocks() -> None:
    assert parse_blocks("# One\n\n### *Three*") == (
        Heading(level=1, runs=(Run("One"),)),
        Heading(level=3, runs=(Run("Three", italic=True),)),
    )


def test_list_blocks() -> None:
    blocks = parse_blocks("3. three\n4. four\n   - inner\n\n     more of inner\n\n- bullet")
    assert blocks == (
        ListItem(runs=(Run("three"),), ordered=True, number=3, list_level=1),
        ListItem(runs=(Run("four"),), ordered=True, number=4, list_level=1),
        ListItem(runs=(Run("inner"),), ordered=False, number=None, list_level=2),
        Paragraph(runs=(Run("more of inner"),), list_level=2),
        ListItem(runs=(Run("bullet"),), ordered=False, number=None, list_level=1),
    )


def test_ordered_list_numbers_follow_the_browser_not_the_source() -> None:
    blocks = parse_blocks("1. a\n1. b\n1. c")
    assert [b.number for b in blocks if isinstance(b, ListItem)] == [1, 2, 3]


def test_list_item_starting_with_a_list_or_code_gets_an_empty_marker() -> None:
    assert parse_blocks("- - x\n-\n- ```\n  code\n  ```") == (
        ListItem(runs=(), ordered=False, number=None, list_level=1),
        ListItem(runs=(Run("x"),), ordered=False, number=None, list_level=2),
        ListItem(runs=(), ordered=False, number=None, list_level=1),
        ListItem(runs=(), ordered=False, number=None, list_level=1),
        CodeBlock(text="code", list_level=1),
    )


def test_blockquote_blocks() -> None:
    assert parse_blocks("> quote\n> > deeper\n>\n> - item\n\nafter") == (
        Paragraph(runs=(Run("quote"),), quote_depth=1),
        Paragraph(runs=(Run("deeper"),), quote_depth=2),
        ListItem(runs=(Run("item"),), ordered=False, number=None, list_level=1, quote_depth=1),
        Paragraph(runs=(Run("after"),)),
    )


def test_code_blocks() -> None:
    # Indented code is off (issue 11): an indented paragraph pasted from a word processor stays a paragraph.
    assert parse_blocks("```python extra\nif a < b:\n    pass\n```\n\n    indented\n    code") == (
        CodeBlock(text="if a < b:\n    pass", language="python"),
        Paragraph(runs=(Run("indented code"),)),
    )


@pytest.mark.parametrize("text", ["\tA tab-led paragraph from Word.", "    Four spaces first.\n    And a second line."])
def test_an_indented_paragraph_is_never_a_code_block(text: str) -> None:
    html = render_markdown(text)
    assert "<pre" not in html and "<code" not in html
    assert soup(html).find("p") is not None
    assert not any(isinstance(block, CodeBlock) for block in parse_blocks(text))


def test_thematic_break() -> None:
    assert parse_blocks("a\n\n***\n\nb") == (Paragraph(runs=(Run("a"),)), ThematicBreak(), Paragraph(runs=(Run("b"),)))


def test_table_blocks() -> None:
    (table,) = parse_blocks("| Name | Votes |\n|---|--:|\n| 佐藤遥 | **3** |\n| 김민준 | 2 |")
    assert table == Table(
        header=(TableCell(runs=(Run("Name"),)), TableCell(runs=(Run("Votes"),), align="right")),
        rows=(
            (TableCell(runs=(Run("佐藤遥"),)), TableCell(runs=(Run("3", bold=True),), align="right")),
            (TableCell(runs=(Run("김민준"),)), TableCell(runs=(Run("2"),), align="right")),
        ),
    )


def test_blocks_image_is_alt_text() -> None:
    assert parse_blocks("see ![the *chart*](http://x/c.png)") == (Paragraph(runs=(Run("see the chart"),)),)


def test_blocks_raw_html_is_literal_text() -> None:
    assert parse_blocks("a <b>bold</b>") == (Paragraph(runs=(Run("a <b>bold</b>"),)),)


@pytest.mark.parametrize(
    "markdown, href",
    [
        ("[x](https://example.org)", "https://example.org"),
        ("[x](mailto:a@example.org)", "mailto:a@example.org"),
        ("[x](/groups/3)", "/groups/3"),
        ("[x](ftp://example.org)", None),
        ("[x](JavaScript:alert(1))", None),
    ],
)
def test_blocks_link_scheme_allow_list(markdown: str, href: str | None) -> None:
    (block,) = parse_blocks(markdown)
    assert isinstance(block, Paragraph)
    text = "".join(run.text for run in block.runs)
    assert "x" in text
    assert all(run.href == href for run in block.runs if run.text == "x")


def test_blocks_clean_their_text() -> None:
    assert parse_blocks("a\x00b\ud800c\r\n\r\nd") == (Paragraph(runs=(Run("abc"),)), Paragraph(runs=(Run("d"),)))
