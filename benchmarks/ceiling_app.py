"""The ceiling: a bare Litestar + Jinja page with no database, no session and no middleware.

It renders a page shaped like wg's section page (a heading, a paragraph, a list of 50 items with a title and a
line of text each) from data held in memory, so whatever wg's pages cost beyond it is wg's own work: the session
lookup, the queries, the Markdown, the permission checks, the bigger templates. Served by the same server, with the
same single worker, as wg in the same run (``uvicorn benchmarks.ceiling_app:app``).
"""

from __future__ import annotations

from jinja2 import DictLoader, Environment
from litestar import Litestar, MediaType, get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1><p>{{ intro }}</p>
<ol>{% for item in items %}<li id="r-{{ item.number }}"><h2>R-{{ item.number }} {{ item.title }}</h2>
<p>{{ item.text }}</p></li>{% endfor %}</ol></main></body></html>"""

ITEMS = [{"number": n, "title": f"Recommendation {n}: strengthen trilateral coordination",
          "text": "The three governments should meet every quarter & report to their legislatures."}
         for n in range(1, 51)]


@get("/", media_type=MediaType.HTML)
async def page() -> Template:
    """The ceiling page."""
    return Template(template_name="page.html", context={"title": "Alliance management", "items": ITEMS,
                                                        "intro": "Trilateral cooperation is made at home."})


@get("/healthz")
async def healthz() -> dict[str, str]:
    """Ready."""
    return {"status": "ok"}


app = Litestar(route_handlers=[page, healthz],
               template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(
                   Environment(loader=DictLoader({"page.html": TEMPLATE}), autoescape=True))),
               debug=False)
