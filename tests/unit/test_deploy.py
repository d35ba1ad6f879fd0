"""The deployment files: docker-compose.yml is accepted by compose, the image has what reports need."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _compose() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True) if shutil.which("docker") else None
    return ["docker", "compose"] if probe is not None and probe.returncode == 0 else None


def test_compose_file_is_valid_and_wires_postgres_and_exports():
    command = _compose()
    if command is None:
        if IN_CI:
            pytest.fail("neither docker-compose nor 'docker compose' is installed; CI must validate the compose file")
        pytest.skip("docker-compose is not installed (apt-get install docker-compose) to validate the file")
    env = {**os.environ, "WG_SECRET_KEY": "k" * 40}
    result = subprocess.run([*command, "-f", str(ROOT / "docker-compose.yml"), "config"], capture_output=True,
                            text=True, env=env, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    config = result.stdout
    assert "postgres:15" in config
    assert "WG_DATABASE_URL: postgresql://wg:wg@db:5432/wg" in config
    assert "/var/lib/wg/exports" in config


def test_compose_refuses_to_start_without_a_secret_key():
    command = _compose()
    if command is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose) to validate the file")
    env = {k: v for k, v in os.environ.items() if k != "WG_SECRET_KEY"}
    result = subprocess.run([*command, "-f", str(ROOT / "docker-compose.yml"), "config"], capture_output=True,
                            text=True, env=env, cwd=ROOT, timeout=60)
    assert result.returncode != 0
    assert "WG_SECRET_KEY" in result.stderr


def test_dockerfile_installs_pango_and_cjk_fonts():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "fonts-noto-cjk" in dockerfile
    assert "libpango-1.0-0" in dockerfile
    assert "python:3.11" in dockerfile


def test_the_image_can_back_up_the_compose_database():
    # `wg backup` runs pg_dump, which refuses a server of a newer major version than its own: the image's client
    # (Debian bookworm's postgresql-client, 15) and the compose server must agree.
    dockerfile = (ROOT / "Dockerfile").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "python:3.11-slim-bookworm" in dockerfile or "bookworm" in dockerfile
    assert "postgresql-client" in dockerfile
    assert "image: postgres:15-bookworm" in compose


def test_the_docs_name_the_postgresql_version_the_compose_file_runs():
    # The README once said 16 while the compose file ran 15 (to match the image's pg_dump) and reliability.md said 15.
    import re

    compose = (ROOT / "docker-compose.yml").read_text()
    image = re.search(r"image:\s*postgres:(\d+)", compose)
    assert image, "docker-compose.yml names no postgres image"
    major = image.group(1)
    readme = (ROOT / "README.md").read_text()
    reliability = (ROOT / "docs" / "reliability.md").read_text()
    said = re.findall(r"runs PostgreSQL (\d+)", readme)
    assert said == [major], said
    assert re.findall(r"`postgres:(\d+)`", reliability) == [major]
    assert re.findall(r"Debian bookworm's, (\d+)", readme) == [major]
