"""Integration fixtures shared by more than one module."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on 127.0.0.1:5432 (trust auth), dropped afterwards."""
    psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 is not installed")
    try:
        admin = psycopg2.connect(ADMIN_DSN)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"no PostgreSQL reachable at 127.0.0.1:5432 ({exc})")
    admin.autocommit = True
    name = f"gi_test_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
