"""Open the database (SQLite by default, PostgreSQL by URL) with the pragmas we rely on."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import peewee
from playhouse.db_url import connect

from guard_inbox.domain.errors import KnownError

log = logging.getLogger(__name__)

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "busy_timeout": 15000,
    "foreign_keys": 1,
    "synchronous": "normal",
    "cache_size": -16000,
}


class Database:
    """A peewee database plus the one transaction style every writer uses."""

    def __init__(self, db: peewee.Database) -> None:
        self.db = db
        self.is_sqlite = isinstance(db, peewee.SqliteDatabase)

    def write(self) -> peewee._atomic:
        """A transaction that may read then write.

        SQLite cannot upgrade a read transaction to a write once another
        writer committed ("database is locked" despite busy_timeout), so
        SQLite transactions start IMMEDIATE. PostgreSQL needs nothing special:
        rows that must not race are locked with SELECT ... FOR UPDATE.
        """
        if self.is_sqlite:
            return self.db.atomic("IMMEDIATE")
        return self.db.atomic()

    @contextlib.contextmanager
    def connection(self) -> Iterator[None]:
        """Scope a connection to a block (worker threads close theirs when done)."""
        self.db.connect(reuse_if_open=True)
        try:
            yield
        finally:
            if not self.db.in_transaction():
                self.db.close()

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()

    @property
    def description(self) -> str:
        if self.is_sqlite:
            return f"SQLite {self.db.database}"
        return f"{type(self.db).__name__} {self.db.database}"


def open_database(url: str, sqlite_file: Path) -> Database:
    """``url`` from DATABASE_URL (postgresql://…, sqlite:///…) or '' for the data dir's file."""
    if not url:
        sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        db: peewee.Database = peewee.SqliteDatabase(
            str(sqlite_file), pragmas=SQLITE_PRAGMAS, timeout=15, check_same_thread=False
        )
    else:
        scheme = urlparse(url).scheme
        if scheme.startswith("postgres"):
            try:
                import psycopg2  # noqa: F401  (only to give a clear error)
            except ImportError:
                raise KnownError(
                    "DATABASE_URL points to PostgreSQL but the driver is missing: "
                    "install it with `pip install 'guard-inbox[postgres]'`."
                ) from None
            url = url.replace("postgresql+psycopg2://", "postgresql://", 1)
        try:
            db = connect(url)
        except Exception as exc:
            raise KnownError(f"DATABASE_URL is not a database URL Guard Inbox can use: {exc}") from exc
        if isinstance(db, peewee.SqliteDatabase):
            db.init(db.database, pragmas=SQLITE_PRAGMAS, timeout=15, check_same_thread=False)
    try:
        db.connect(reuse_if_open=True)
    except peewee.OperationalError as exc:
        raise KnownError(f"Cannot open the database ({_redact(url) or sqlite_file}): {exc}") from exc
    return Database(db)


def _redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(parsed.password, "***")
    return url
