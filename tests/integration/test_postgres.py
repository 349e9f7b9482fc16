"""DATABASE_URL=postgresql://… runs the same lifecycle (the multi-machine set-up needs it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import JobState
from job_kit import final, mbox_account
from mailgen import write_mbox

psycopg2 = pytest.importorskip("psycopg2")


def test_scan_on_postgresql(make_core: Callable[..., Core], postgres_url: str,
                            tmp_path: Path) -> None:
    core = make_core(database__url=postgres_url)
    assert not core.database.is_sqlite
    mbox = tmp_path / "m.mbox"
    expected = write_mbox(mbox, 150, every_nth_without_code=3)
    account = mbox_account(core, mbox)
    core.start_workers(3)
    first = core.control.start_scan(account)
    second = core.control.start_scan(account)
    jobs = [final(core, j.id) for j in (first, second)]
    assert all(j.state is JobState.COMPLETED for j in jobs), [j.error for j in jobs]
    a, b = sorted(jobs, key=lambda j: j.started_at)
    assert b.started_at >= a.finished_at  # one scan per account on PostgreSQL too
    codes = [c.code for c in core.queries.codes()]
    assert sorted(codes) == sorted(expected)


def test_a_session_the_server_ended_is_a_transient_error_and_the_next_write_reconnects(
        postgres_url: str, tmp_path: Path) -> None:
    """What a worker frozen inside a transaction meets when it wakes: PostgreSQL ended its
    session (our idle-in-transaction limit). It gets a TransientError, not a dead connection
    for the rest of its life."""
    from guard_inbox.domain.errors import TransientError
    from guard_inbox.storage.db import POSTGRES_IDLE_IN_TRANSACTION_MS, open_database

    database = open_database(postgres_url, tmp_path / "unused.sqlite3")
    try:
        limit = database.db.execute_sql("SHOW idle_in_transaction_session_timeout").fetchone()[0]
        assert limit == f"{POSTGRES_IDLE_IN_TRANSACTION_MS // 1000}s"
        admin = psycopg2.connect(postgres_url)
        admin.autocommit = True
        lost = pytest.raises(TransientError, match="Lost the connection to the database")
        with lost, database.write():
            pid = database.db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
            with admin.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
            database.db.execute_sql("SELECT 1")
        admin.close()
        with database.write():  # a fresh session
            assert database.db.execute_sql("SELECT 1").fetchone()[0] == 1
    finally:
        database.close()
