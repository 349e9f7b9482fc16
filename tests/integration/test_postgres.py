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
