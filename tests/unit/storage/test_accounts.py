"""AccountStore on a real SQLite file: rename, pause, relocate and remove, with or without codes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.models import AccountKind, AccountStatus, FoundCode, JobState, MailMessage
from guard_inbox.storage.accounts import REMOVED_NOTE, AccountStore
from guard_inbox.storage.db import Database
from guard_inbox.storage.job_repository import JobRepository
from guard_inbox.storage.repository import Repository

WORKER = "host:1:abc"



def with_codes(repo: Repository, jobs: JobRepository, address: str, *codes: str) -> int:
    account = repo.add_account(AccountKind.MBOX, address, address.rsplit("/", 1)[-1])
    job = jobs.create(account.id, 100, "manual")
    repo.record_scan_results(account.id, job.id, [
        (MailMessage(f"{address}-{c}", date=datetime(2026, 3, 1, tzinfo=UTC)), [FoundCode(c, "Shop")])
        for c in codes
    ])
    jobs.finish(job.id, JobState.COMPLETED)
    return account.id


def test_removing_and_keeping_the_codes_hides_the_account_and_stops_its_scans(
    database: Database,
) -> None:
    repo, jobs = Repository(database), JobRepository(database)
    store = AccountStore(database, repo)
    demo = with_codes(repo, jobs, "/demo.mbox", "DEMO1", "DEMO2")
    waiting = jobs.create(demo, 100, "scheduled")
    running = jobs.create(demo, 100, "manual")
    assert jobs.claim(running.id, WORKER, 20.0, lambda _w: False) is not None

    removed = store.remove(demo, keep_codes=True)

    assert removed.code_count == 2
    assert repo.list_accounts() == [] and repo.find_account("/demo.mbox") is None
    assert repo.count_codes() == 2  # still listed, still owned
    cancelled = jobs.get(waiting.id)
    assert cancelled is not None and (cancelled.state, cancelled.error) == (
        JobState.CANCELLED, REMOVED_NOTE)
    stopping = jobs.get(running.id)
    assert stopping is not None and stopping.cancel_requested  # stops at its next checkpoint
    assert jobs.list_jobs() == []  # its jobs leave the lists with it
    with pytest.raises(KnownError, match="no longer exists"):
        store.rename(demo, "again")
    back = repo.add_account(AccountKind.MBOX, "/demo.mbox")
    assert back.id == demo and not back.removed and not back.paused
    assert [a.code_count for a in repo.list_accounts()] == [2]


def test_removing_with_the_codes_deletes_all_it_owned(database: Database) -> None:
    repo, jobs = Repository(database), JobRepository(database)
    store = AccountStore(database, repo)
    demo = with_codes(repo, jobs, "/demo.mbox", "DEMO1")
    real = with_codes(repo, jobs, "/real.mbox", "REAL1")

    store.remove(demo, keep_codes=False)

    assert [a.id for a in repo.list_accounts()] == [real]
    assert [c.code for c in repo.list_codes()] == ["REAL1"]
    assert [j.account_id for j in jobs.list_jobs()] == [real]
    assert repo.scanned_ids(demo) == frozenset()


def test_rename_pause_and_relocate(database: Database) -> None:
    repo, jobs = Repository(database), JobRepository(database)
    store = AccountStore(database, repo)
    usb = with_codes(repo, jobs, "/usb/mail.mbox", "A10")
    other = with_codes(repo, jobs, "/home/other.mbox")
    repo.set_account_status(usb, AccountStatus.UNAVAILABLE, "not available")

    assert store.rename(usb, "  Old   mail ").label == "Old mail"
    assert store.rename(usb, "").label == "/usb/mail.mbox"
    with pytest.raises(KnownError, match="at most 255"):
        store.rename(usb, "x" * 256)
    assert store.set_paused(usb, True).paused
    assert not store.set_paused(usb, False).paused

    moved = store.relocate(usb, AccountKind.MBOX, "/home/mail.mbox")
    assert (moved.address, moved.label, moved.status, moved.status_message, moved.code_count) == (
        "/home/mail.mbox", "mail.mbox", AccountStatus.OK, "", 1)
    assert repo.scanned_ids(usb) == {"/usb/mail.mbox-A10"}  # checkpoints kept: no rescan
    with pytest.raises(KnownError, match="already the mailbox of another account"):
        store.relocate(usb, AccountKind.MBOX, "/home/other.mbox")
    assert repo.get_account(other) is not None
