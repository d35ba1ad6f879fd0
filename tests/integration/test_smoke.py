"""The app starts, answers health checks and shows the demo group to its members."""

from __future__ import annotations

from bs4 import BeautifulSoup

from tests.conftest import login


def test_healthz_answers_after_a_database_round_trip(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_member_sees_group_dashboard_with_roster_by_country(client):
    login(client, "haruka.sato@example.org")
    page = client.get("/g/trilateral")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.h1.get_text(strip=True) == "U.S.–Japan–ROK Trilateral Working Group"
    countries = [h.get_text(strip=True) for h in soup.select("section[aria-labelledby=roster-title] h3")]
    assert countries == ["United States", "Japan", "Republic of Korea"]
    assert "佐藤遥" in page.text and "김민준" in page.text
