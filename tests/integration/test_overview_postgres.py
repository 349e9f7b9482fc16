"""The Overview's SQL gives PostgreSQL's answer the same as SQLite's (DATABASE_URL users)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from guard_inbox.bootstrap.app_api import CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind, FoundCode, JobState, MailMessage

pytestmark = [pytest.mark.postgres]

NOW = datetime(2026, 3, 19, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def fill(core: Core) -> None:
    """Codes on many days and shops, some used, some expired, and three finished scans."""
    repo, jobs = core.repository, core.job_repository
    for n, address in enumerate(("/mail/a.mbox", "/mail/b.mbox", "/mail/a.mbox")):
        account = repo.find_account(address) or repo.add_account(AccountKind.MBOX, address)
        job = jobs.create(account.id, 100, "manual")
        codes = [
            FoundCode(f"C{n}-{i}", f"Shop {i % 4}", f"{5 * (i % 5)}% off" if i % 3 else "50% off, today",
                      None if i % 7 == 0 else NOW + timedelta(days=i - 10, hours=i))
            for i in range(45)
        ]
        found, new = repo.record_scan_results(account.id, job.id, [
            (MailMessage(provider_id=f"<{n}-{i}@x>"), [code]) for i, code in enumerate(codes)])
        jobs.progress(job.id, 45, 45, found, new)
        jobs.finish(job.id, JobState.COMPLETED if n != 1 else JobState.FAILED)
    for stored in repo.list_codes():
        if stored.code.endswith(("-3", "-11")):
            repo.set_code_used(stored.id, True)


def test_postgresql_counts_the_overview_as_sqlite_does(make_core: Callable[..., Core],
                                                       postgres_url: str) -> None:
    answers = []
    for url in (postgres_url, ""):  # one after the other: the tables bind to the last opened
        core = make_core(stages="database", database__url=url)
        assert core.repository.database.is_sqlite is (url == "")
        fill(core)
        answers.append(CoreApi(core).overview(NOW))
    on_postgres, on_sqlite = answers
    assert on_postgres.expiring_total > 0 and on_postgres.shops and len(on_postgres.scans) == 3
    assert all(shop.best_discount == "50% off, today" for shop in on_postgres.shops)
    assert on_postgres.expiring == on_sqlite.expiring
    assert on_postgres.shops == on_sqlite.shops
    assert (on_postgres.total_codes, on_postgres.active_codes, on_postgres.shop_count) == (
        on_sqlite.total_codes, on_sqlite.active_codes, on_sqlite.shop_count)
    strip = [(s.account_label, s.state, s.scanned, s.found, s.new) for s in on_postgres.scans]
    assert strip == [(s.account_label, s.state, s.scanned, s.found, s.new) for s in on_sqlite.scans]
