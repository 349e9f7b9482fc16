"""Which accounts a scan with no account named queues, through the CoreApi the window uses (real
Core: SQLite and the embedded Redis; no workers, so every job stays PENDING to be counted)."""

from __future__ import annotations

from pathlib import Path

from guard_inbox.bootstrap.app_api import CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind, AccountStatus, Priority


def test_scan_all_skips_paused_and_scheduled_scans_skip_accounts_with_a_problem(
    core: Core, tmp_path: Path
) -> None:
    api = CoreApi(core)
    ok, paused, missing = (core.repository.add_account(AccountKind.MBOX, str(tmp_path / name),
                                                       name).id
                           for name in ("ok.mbox", "paused.mbox", "missing.mbox"))
    api.pause_account(paused, True)
    core.repository.set_account_status(missing, AccountStatus.UNAVAILABLE, "not there")

    manual = api.scan([])
    scheduled = api.scan([], Priority.LOW, "scheduled")
    chosen = api.scan([paused])  # named on purpose: paused or not, it is scanned

    assert [j.account_id for j in manual.jobs] == [ok, missing]  # fails at once, and says why
    assert [(j.account_id, j.trigger) for j in scheduled.jobs] == [(ok, "scheduled")]
    assert [(j.account_id, j.account_label) for j in chosen.jobs] == [(paused, "paused.mbox")]
