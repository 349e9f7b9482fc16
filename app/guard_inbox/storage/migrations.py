"""Versioned schema migrations, applied in order at start-up, each in its own transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable

import peewee
from playhouse.migrate import SchemaMigrator
from playhouse.migrate import migrate as playhouse_migrate

from guard_inbox.domain.folding import fold, search_key
from guard_inbox.storage.clock import utcnow
from guard_inbox.storage.db import Database
from guard_inbox.storage.tables import (
    ALL_TABLES,
    AccountRow,
    CodeRow,
    JobRow,
    MessageRow,
    SchemaVersion,
    database_proxy,
)

log = logging.getLogger(__name__)

Migration = Callable[[peewee.Database], None]


def _v1_initial(db: peewee.Database) -> None:
    """The schema as first released; later columns arrive through their own migrations."""
    created = [AccountRow, JobRow, MessageRow, CodeRow]
    db.create_tables(created)
    # Tables are created from today's definitions, so drop what later steps add.
    _drop_present(db, "promo_code", ("expiry_notified_at",))  # migration 2's
    _drop_present(db, "promo_code", ("search_key", "shop_key"))  # migration 3's
    _drop_present(db, "account", ("paused", "removed_at"))  # migration 4's
    _drop_present(db, "promo_code", ("seen_by_job",))  # migration 4's


def _drop_present(db: peewee.Database, table: str, columns: tuple[str, ...]) -> None:
    present = {c.name for c in db.get_columns(table)}
    drop = [c for c in columns if c in present]
    if drop:
        migrate_ops(db, lambda m: [m.drop_column(table, c) for c in drop])


def _v2_expiry_notifications(db: peewee.Database) -> None:
    """Remember which codes we already warned about, so each warning comes once."""
    migrate_ops(db, lambda m: [m.add_column("promo_code", "expiry_notified_at",
                                            CodeRow.expiry_notified_at)])


def _v3_folded_search(db: peewee.Database) -> None:
    """Accent- and case-free copies of code, shop and discount, so "gorski" finds "Górski"
    with one SQL LIKE (no per-row Python at query time); existing codes are filled here."""
    for column in ("search_key", "shop_key"):
        # Plain ALTER TABLE: playhouse's NOT NULL route would rebuild the whole table on SQLite.
        db.execute_sql(f"ALTER TABLE promo_code ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    rows = db.execute_sql("SELECT id, code, merchant, discount FROM promo_code").fetchall()
    p = db.param
    db.cursor().executemany(
        f"UPDATE promo_code SET search_key = {p}, shop_key = {p} WHERE id = {p}",
        [(search_key(code, merchant, discount), fold(merchant), code_id)
         for code_id, code, merchant, discount in rows],
    )


def _v4_account_states(db: peewee.Database) -> None:
    """Accounts can be paused, and removed while their codes are kept; each code remembers the
    last job that saw it, so "codes found" means unique codes (new or already known)."""
    migrate_ops(db, lambda m: [
        m.add_column("account", "paused", AccountRow.paused),
        m.add_column("account", "removed_at", AccountRow.removed_at),
        m.add_column("promo_code", "seen_by_job", CodeRow.seen_by_job),
    ])
    AccountRow.update(paused=False).execute()


def migrate_ops(db: peewee.Database, ops: Callable[[SchemaMigrator], list[object]]) -> None:
    migrator = SchemaMigrator.from_database(db)
    playhouse_migrate(*ops(migrator))


MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "initial schema", _v1_initial),
    (2, "expiry notifications", _v2_expiry_notifications),
    (3, "accent-free search", _v3_folded_search),
    (4, "account states and unique code counts", _v4_account_states),
]

LATEST = max(version for version, _, _ in MIGRATIONS)


def bind(database: Database) -> None:
    database_proxy.initialize(database.db)


def migrate(database: Database) -> int:
    """Bring the schema to LATEST; safe when several processes start at once."""
    bind(database)
    db = database.db
    db.create_tables([SchemaVersion], safe=True)
    applied = 0
    for version, name, step in MIGRATIONS:
        with database.write():
            if not database.is_sqlite:
                # Serialise concurrent starters on PostgreSQL.
                db.execute_sql("SELECT pg_advisory_xact_lock(4711)")
            if SchemaVersion.get_or_none(SchemaVersion.version == version) is not None:
                continue
            log.info("Applying database migration %d: %s", version, name)
            step(db)
            SchemaVersion.create(version=version, applied_at=utcnow())
            applied += 1
    return applied


def current_version(database: Database) -> int:
    bind(database)
    if not database.db.table_exists(SchemaVersion._meta.table_name):
        return 0
    row = SchemaVersion.select(peewee.fn.MAX(SchemaVersion.version)).scalar()
    return int(row or 0)


__all__ = ["ALL_TABLES", "LATEST", "migrate", "current_version", "bind"]
