"""The mention highlight adds nothing to a comment but ``<span class="mention">`` around member handles in text.

Each hostile string of tests/data/xss-payloads.txt, with handles in and around it, renders to exactly what the
sanitiser alone produced once the mention spans are taken out; and every span holds a member's handle."""

from __future__ import annotations

import re
from pathlib import Path

from wg.features.drafting.rendering import comment_html
from wg.lib.markdown import render_markdown

PAYLOADS = (Path(__file__).parents[1] / "data" / "xss-payloads.txt").read_text().splitlines()
HANDLES = {"kim.minjun", "maya.chen"}
SPAN = re.compile(r'<span class="mention">(@[a-z0-9.]+)</span>', re.IGNORECASE)


def test_every_payload_with_handles_renders_as_the_sanitiser_made_it_plus_mention_spans():
    highlighted = 0
    for line in PAYLOADS:
        payload = line.replace("\\n", "\n")
        for body in (f"@kim.minjun {payload} @maya.chen", f"{payload}@kim.minjun", f"[@maya.chen]({payload})",
                     payload.replace("x", "@kim.minjun ")):
            html = str(comment_html(body, HANDLES))
            assert SPAN.sub(r"\1", html) == render_markdown(body), body
            spans = SPAN.findall(html)
            assert {s[1:].lower() for s in spans} <= HANDLES, body
            assert html.count("<span") == len(spans), body
            highlighted += len(spans)
    assert highlighted > len(PAYLOADS)


def test_only_members_handles_outside_links_and_code_are_highlighted():
    html = str(comment_html("@kim.minjun, @nobody, `@maya.chen`, mail x@maya.chen, @maya.chen.", HANDLES))
    assert SPAN.findall(html) == ["@kim.minjun", "@maya.chen"]
    assert str(comment_html("@kim.minjun", ())) == render_markdown("@kim.minjun")
