"""Checkpoints written in bulk keep the row-by-row rules across chunks (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime

from guard_inbox.domain.models import AccountKind, FoundCode, MailMessage
from guard_inbox.storage.db import Database
from guard_inbox.storage.job_repository import JobRepository
from guard_inbox.storage.repository import Repository


def _mail(pid: str, day: int) -> MailMessage:
    return MailMessage(provider_id=pid, subject=f"Offer {pid}", sender="Shop <a@shop.example>",
                       date=datetime(2026, 3, day, tzinfo=UTC))


def test_a_code_seen_again_in_later_chunks_keeps_its_first_sighting_and_the_newest_details(
    database: Database,
) -> None:
    repo = Repository(database)
    account = repo.add_account(AccountKind.MBOX, "/m.mbox")
    jobs = JobRepository(database)
    job = jobs.create(account.id, 100, "manual")
    assert repo.record_scan_results(account.id, job.id, [
        (_mail("mid", 10), [FoundCode("SAVE10", "Shop", "10% off", min_spend="")]),
        (_mail("other", 10), [FoundCode("OTHER5", "Shop", "5% off")]),
    ]) == (2, 2)

    rescan = jobs.create(account.id, 100, "manual")
    found, new = repo.record_scan_results(account.id, rescan.id, [  # newest first, as a scan reads
        (_mail("new", 20), [FoundCode("save10", "shop", "20% off", min_spend="$50")]),
        (_mail("old", 5), [FoundCode("SAVE10", "SHOP", "5% off", link="https://old")]),
        (_mail("first-fresh", 7), [FoundCode("FRESH1", "Shop", "1% off")]),
        (_mail("second-fresh", 9), [FoundCode("fresh1", "Shop", "9% off")]),
        (_mail("mid", 10), [FoundCode("SAVE10", "Shop", "99% off")]),  # checkpointed already
    ])

    assert (found, new) == (2, 1)  # SAVE10 known, FRESH1 new: each counted once per job
    codes = {c.code: c for c in repo.list_codes()}
    assert set(codes) == {"SAVE10", "OTHER5", "FRESH1"}
    save = codes["SAVE10"]
    assert save.first_seen == datetime(2026, 3, 5, tzinfo=UTC)
    assert save.last_seen == datetime(2026, 3, 20, tzinfo=UTC)
    assert (save.discount, save.message_id, save.min_spend, save.link) == ("20% off", "new", "$50", "")
    fresh = codes["FRESH1"]
    assert (fresh.first_seen.day, fresh.last_seen.day, fresh.discount, fresh.message_id) == (
        7, 9, "9% off", "second-fresh")


def test_a_checkpoint_counts_its_messages_on_the_job_in_the_same_transaction(
    database: Database,
) -> None:
    """A worker killed between a checkpoint and its progress write: the job's counts still match
    the stored messages, so the resumed scan, which skips them, ends with the whole total."""
    repo = Repository(database)
    account = repo.add_account(AccountKind.MBOX, "/m.mbox")
    jobs = JobRepository(database)
    job = jobs.create(account.id, 100, "manual")
    repo.record_scan_results(account.id, job.id, [
        (_mail("a", 10), [FoundCode("SAVE10", "Shop", "10% off")]),
        (_mail("b", 11), []),
    ])
    stored = jobs.get(job.id)
    assert stored is not None
    assert (stored.scanned, stored.codes_found, stored.codes_new) == (2, 1, 1)
