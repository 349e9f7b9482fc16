"""docker-compose.yml: parses, and keeps the promises the README makes about it.

Where the Docker Compose plugin is installed, ``docker compose config`` validates it against
Compose's own schema too; the structural checks run everywhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

COMPOSE_FILE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def flat(value: Any) -> str:
    return " ".join(value) if isinstance(value, list) else str(value)


def test_redis_keeps_jobs_needs_a_password_and_reports_health(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    command = flat(redis["command"])
    assert "--appendonly yes" in command  # queued jobs survive a restart
    assert "--requirepass ${REDIS_PASSWORD:?" in command  # from the environment, never a default
    assert "/data" in flat(redis["volumes"])
    assert "redis-cli ping" in flat(redis["healthcheck"]["test"])
    assert "profiles" not in redis  # started by a plain `docker compose up`


def test_postgres_sits_behind_a_profile_with_a_volume_and_healthcheck(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["profiles"] == ["postgres"]
    assert "/var/lib/postgresql/data" in flat(postgres["volumes"])
    assert "pg_isready" in flat(postgres["healthcheck"]["test"])
    assert postgres["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert set(compose["volumes"]) >= {"redis-data", "postgres-data"}


def test_ports_bind_to_loopback_unless_asked(compose: dict[str, Any]) -> None:
    for name in ("redis", "postgres"):
        for port in compose["services"][name]["ports"]:
            assert port.startswith("${" + name.upper() + "_BIND:-127.0.0.1}:"), port


def test_every_service_has_an_image_and_restart_policy(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert ":" in service["image"], f"{name}: pin an image tag"
        assert service["restart"] == "unless-stopped"
        health = service["healthcheck"]
        assert {"interval", "timeout", "retries"} <= set(health)


def compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not compose_available(), reason="the Docker Compose plugin is not installed")
def test_docker_compose_config_accepts_it() -> None:
    env = {**os.environ, "REDIS_PASSWORD": "p", "POSTGRES_PASSWORD": "q"}
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE_FILE), "--profile", "postgres", "config", "--quiet"],
        capture_output=True, text=True, env=env,
    )
    assert result.returncode == 0, result.stderr
