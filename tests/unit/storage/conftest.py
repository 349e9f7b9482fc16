"""Fixtures of the storage tests: a real SQLite file at the latest schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from guard_inbox.storage import migrations
from guard_inbox.storage.db import Database, open_database


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = open_database("", tmp_path / "test.sqlite3")
    migrations.migrate(db)
    yield db
    db.close()
