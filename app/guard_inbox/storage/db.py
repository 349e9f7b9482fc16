"""Open the database (SQLite by default, PostgreSQL by URL) with the pragmas we rely on."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

import peewee
from playhouse.db_url import connect

from guard_inbox.domain.errors import DatabaseDamaged, KnownError, StorageFull, TransientError

log = logging.getLogger(__name__)

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "busy_timeout": 15000,
    "foreign_keys": 1,
    "synchronous": "normal",
    "cache_size": -16000,
}
# How long a writer keeps asking for SQLite's write lock. busy_timeout (15 s) is one ask: with ten
# scan threads each holding the lock for up to a second per checkpoint, an unlucky waiter can
# lose every poll for longer than that. BEGIN IMMEDIATE failing wrote nothing, so asking again
# is always safe.
WRITE_LOCK_PATIENCE = 120.0
# A worker frozen inside a transaction (laptop suspend, VM pause, SIGSTOP) keeps its row locks,
# and the other workers skip locked jobs when they take over stale ones, so its job would never
# move. PostgreSQL ends such a session after this long idle inside a transaction: well below
# the 20 s after which a silent scan is handed over, far above any transaction of ours (they
# only run SQL, never wait on mail or the network).
POSTGRES_IDLE_IN_TRANSACTION_MS = 10_000


class Database:
    """A peewee database plus the one transaction style every writer uses."""

    def __init__(self, db: peewee.Database) -> None:
        self.db = db
        self.is_sqlite = isinstance(db, peewee.SqliteDatabase)

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """A transaction that may read then write.

        SQLite cannot upgrade a read transaction to a write once another
        writer committed ("database is locked" despite busy_timeout), so
        SQLite transactions start IMMEDIATE, and keep asking for the lock for
        WRITE_LOCK_PATIENCE. PostgreSQL needs nothing special: rows that must
        not race are locked with SELECT ... FOR UPDATE.

        A full disk becomes StorageFull (a sentence the user can act on), even
        where peewee's failed ROLLBACK hides SQLite's own "database or disk is full".
        """
        if self.db.in_transaction():
            with self.db.atomic():
                yield
            return
        if not self.is_sqlite:
            with self._lost_connection_as_transient(), self.db.atomic():
                yield
            return
        with self._disk_full_as_storage_full(), contextlib.ExitStack() as stack:
            self._begin_immediate(stack)
            yield

    def _begin_immediate(self, stack: contextlib.ExitStack) -> None:
        """BEGIN IMMEDIATE on ``stack``, asking again while another writer holds the lock."""
        deadline = time.monotonic() + WRITE_LOCK_PATIENCE
        while True:
            try:
                stack.enter_context(self.db.atomic("IMMEDIATE"))
                return
            except peewee.OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise TransientError(
                        f"The database stayed busy for {WRITE_LOCK_PATIENCE:.0f} s "
                        "(another program writing to it?)") from exc
                log.info("Still waiting for the database write lock: %s", exc)

    @contextlib.contextmanager
    def _lost_connection_as_transient(self) -> Iterator[None]:
        """A PostgreSQL session the server ended (a restart, or our idle-in-transaction limit
        after this process was frozen) is dropped, so the next statement connects afresh, and
        reported as a TransientError: the caller retries or finds its job taken over."""
        try:
            yield
        except (peewee.OperationalError, peewee.InterfaceError) as exc:
            if self.db.is_connection_usable():
                raise
            with contextlib.suppress(peewee.DatabaseError, peewee.InterfaceError):
                self.db.close()  # a closed psycopg2 connection closes again quietly
            raise TransientError(f"Lost the connection to the database: {exc}".strip()) from exc

    @contextlib.contextmanager
    def _disk_full_as_storage_full(self) -> Iterator[None]:
        """Covers BEGIN, the body and COMMIT/ROLLBACK: a full disk can fail any of them."""
        try:
            yield
        except peewee.OperationalError as exc:
            if _disk_full(exc):
                raise StorageFull(
                    f"The disk holding the database is full ({self.db.database}). Free some "
                    "space, then scan again: the codes found so far are kept."
                ) from exc
            raise

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
        extra: dict[str, str] = {}
        if scheme.startswith("postgres") and "options=" not in url:
            extra["options"] = f"-c idle_in_transaction_session_timeout={POSTGRES_IDLE_IN_TRANSACTION_MS}"
        try:
            db = connect(url, **extra)
        except Exception as exc:
            raise KnownError(f"DATABASE_URL is not a database URL Guard Inbox can use: {exc}") from exc
        if isinstance(db, peewee.SqliteDatabase):
            db.init(db.database, pragmas=SQLITE_PRAGMAS, timeout=15, check_same_thread=False)
    try:
        db.connect(reuse_if_open=True)
    except peewee.DatabaseError as exc:
        found = damage_of(exc, sqlite_file) if not url else None
        if found is not None:
            raise found from exc
        raise KnownError(f"Cannot open the database ({_redact(url) or sqlite_file}): {exc}") from exc
    return Database(db)


_DAMAGE_SIGNS = ("file is not a database", "malformed", "file is encrypted", "database corrupt")


def damage_of(exc: BaseException, sqlite_file: Path) -> DatabaseDamaged | None:
    """The one-sentence DatabaseDamaged for a SQLite error that means a damaged file, else None."""
    seen = 0
    cause: BaseException | None = exc
    while cause is not None and seen < 10:
        if isinstance(cause, peewee.DatabaseError | sqlite3.DatabaseError) and any(
            sign in str(cause).lower() for sign in _DAMAGE_SIGNS
        ):
            return damaged(sqlite_file, str(cause))
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return None


def damaged(sqlite_file: Path, reason: str) -> DatabaseDamaged:
    lines = [line.strip() for line in reason.splitlines() if line.strip()]
    said = [line for line in lines if not line.startswith("***")]  # quick_check's banner line
    first = (said or lines or ["unreadable"])[0]
    return DatabaseDamaged(
        f"The database file {sqlite_file} is damaged ({first}); your codes cannot be read from "
        "it. Start the app to move it aside and begin afresh, or restore it from a backup.",
        str(sqlite_file),
    )


def check_sqlite(database: Database) -> None:
    """SQLite's quick_check (milliseconds per MB): finds zeroed or torn pages at start-up,
    before a query deep in a scan trips over them. Reads only; the file is never changed."""
    if not database.is_sqlite:
        return
    sqlite_file = Path(database.db.database)
    try:
        rows = database.db.execute_sql("PRAGMA quick_check(1)").fetchall()
    except Exception as exc:
        found = damage_of(exc, sqlite_file)
        if found is None:
            raise
        raise found from exc
    verdict = str(rows[0][0]) if rows else "no answer"
    if verdict.lower() != "ok":
        raise damaged(sqlite_file, verdict)


def move_aside(sqlite_file: Path, now: datetime | None = None) -> Path:
    """Renames a damaged database (and its -wal/-shm/-journal) out of the way; returns the new
    name. Nothing is deleted: the user may still want to recover it."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    target = sqlite_file.with_name(f"{sqlite_file.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm", "-journal"):
        part = sqlite_file.with_name(sqlite_file.name + suffix)
        if part.exists():
            part.rename(target.with_name(target.name + suffix))
    return target


def _disk_full(exc: BaseException | None) -> bool:
    """SQLITE_FULL anywhere in the chain (peewee re-raises a failed ROLLBACK on top of it)."""
    seen = 0
    while exc is not None and seen < 10:
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or (
            "database or disk is full" in str(exc)
        ):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(parsed.password, "***")
    return url
