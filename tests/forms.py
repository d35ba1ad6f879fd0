"""Reading forms the way a browser submits them, for tests that fill in what a page actually shows."""

from __future__ import annotations

from bs4 import Tag


def form_values(form: Tag) -> dict[str, str]:
    """What a browser would send for a form as it stands (buttons left out)."""
    data: dict[str, str] = {}
    for element in form.find_all(["input", "textarea", "select"]):
        name = element.get("name")
        if not name:
            continue
        if element.name == "textarea":
            data[name] = element.get_text()
        elif element.name == "select":
            option = element.find("option", selected=True) or element.find("option")
            data[name] = str(option.get("value", "")) if option else ""
        elif element.get("type") in {"checkbox", "radio"}:
            if element.has_attr("checked"):
                data[name] = str(element.get("value", "on"))
        elif element.get("type") not in {"submit", "button"}:
            data[name] = str(element.get("value", ""))
    return data
