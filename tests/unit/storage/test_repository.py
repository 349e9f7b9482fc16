"""Storage on a real SQLite file: codes are unique per account + merchant + code, any case."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from guard_inbox.domain.errors import ScanLost
from guard_inbox.domain.models import AccountKind, FoundCode, JobState, MailMessage, UnreadableMessage
from guard_inbox.storage import migrations
from guard_inbox.storage.db import Database, open_database
from guard_inbox.storage.job_repository import JobRepository
from guard_inbox.storage.repository import CodeQuery, Repository
from guard_inbox.storage.tables import MessageRow


def message(pid: str, day: int) -> MailMessage:
    return MailMessage(provider_id=pid, subject=f"Offer {pid}", sender="Shop <a@shop.example>",
                       date=datetime(2026, 3, day, tzinfo=UTC), snippet="...")


def test_migrations_are_versioned_and_idempotent(database: Database) -> None:
    assert migrations.current_version(database) == migrations.LATEST
    assert migrations.migrate(database) == 0
    pragmas = {p: database.db.execute_sql(f"PRAGMA {p}").fetchone()[0]
               for p in ("journal_mode", "busy_timeout", "foreign_keys")}
    assert pragmas == {"journal_mode": "wal", "busy_timeout": 15000, "foreign_keys": 1}


def test_same_code_any_case_from_several_messages_is_one_code(database: Database) -> None:
    repo, jobs = Repository(database), JobRepository(database)
    account = repo.add_account(AccountKind.MBOX, "/m.mbox")
    job = jobs.create(account.id, 100, "manual")
    found, new = repo.record_scan_results(account.id, job.id, [
        (message("m2", 10), [FoundCode("SPRING20", "Shop", "20% off")]),
        (message("m1", 5), [FoundCode("spring20", "shop ", "")]),
        (message("m3", 20), [FoundCode("Spring20", "SHOP", "25% off")]),
        (UnreadableMessage("m4", "bad bytes"), []),
    ])
    assert (found, new) == (1, 1)  # one code, however many messages repeat it
    [code] = repo.list_codes()
    assert code.code == "SPRING20"  # as first written
    assert code.first_seen == datetime(2026, 3, 5, tzinfo=UTC)
    assert code.last_seen == datetime(2026, 3, 20, tzinfo=UTC)
    assert code.discount == "25% off" and code.message_id == "m3"  # newest mail wins
    assert repo.scanned_ids(account.id) == {"m1", "m2", "m3", "m4"}


def test_a_job_counts_each_code_once_as_new_or_already_known(database: Database) -> None:
    repo, jobs = Repository(database), JobRepository(database)
    account = repo.add_account(AccountKind.MBOX, "/m.mbox")
    first = jobs.create(account.id, 100, "manual")
    assert repo.record_scan_results(account.id, first.id, [
        (message("m1", 1), [FoundCode("A10", "Shop"), FoundCode("B10", "Shop")]),
    ]) == (2, 2)
    assert repo.record_scan_results(account.id, first.id, [  # a later checkpoint, same job
        (message("m2", 2), [FoundCode("a10", "shop")]),
    ]) == (0, 0)
    rescan = jobs.create(account.id, 100, "manual")
    assert repo.record_scan_results(account.id, rescan.id, [
        (message("m3", 3), [FoundCode("A10", "Shop"), FoundCode("C10", "Shop")]),
        (message("m4", 4), [FoundCode("A10", "Shop"), FoundCode("C10", "Shop")]),
    ]) == (2, 1)  # A10 already known, C10 new; each once
    assert repo.count_codes(account.id) == 3


def test_other_merchants_and_accounts_keep_their_own_codes(database: Database) -> None:
    repo, jobs = Repository(database), JobRepository(database)
    a = repo.add_account(AccountKind.MBOX, "/a.mbox")
    b = repo.add_account(AccountKind.MBOX, "/b.mbox")
    for account, pid in ((a, "x"), (b, "x")):
        job = jobs.create(account.id, 100, "manual")
        repo.record_scan_results(account.id, job.id, [
            (message(pid, 1), [FoundCode("WELCOME10", "Shop"), FoundCode("WELCOME10", "Other")]),
        ])
    assert repo.count_codes() == 4
    assert repo.count_codes(a.id) == 2


def test_a_message_checkpointed_twice_adds_nothing(database: Database) -> None:
    repo, jobs = Repository(database), JobRepository(database)
    account = repo.add_account(AccountKind.MBOX, "/m.mbox")
    job = jobs.create(account.id, 100, "manual")
    batch = [(message("m1", 1), [FoundCode("ONCE5", "Shop")])]
    assert repo.record_scan_results(account.id, job.id, batch) == (1, 1)
    assert repo.record_scan_results(account.id, job.id, batch) == (0, 0)


def test_a_large_checkpoint_keeps_every_message_once_with_its_details(database: Database) -> None:
    repo, jobs = Repository(database), JobRepository(database)
    account = repo.add_account(AccountKind.MBOX, "/big.mbox")
    job = jobs.create(account.id, 100, "manual")
    repo.record_scan_results(account.id, job.id, [(message("old", 1), [])])
    batch: list[tuple[MailMessage | UnreadableMessage, list[FoundCode]]] = [
        (message(f"m{i}", 1 + i % 28), [FoundCode(f"SAVE{i}", "Shop")] if i % 97 == 0 else [])
        for i in range(1_234)
    ]
    batch += [(message("old", 2), [FoundCode("LATE10", "Shop")]), (message("m5", 3), []),
              (UnreadableMessage("broken", "not a MIME message"), [])]
    found, new = repo.record_scan_results(account.id, job.id, batch)
    assert (found, new) == (13, 13)  # m0, m97 … m1164; "old" was checkpointed before
    assert repo.scanned_ids(account.id) == {"old", "broken"} | {f"m{i}" for i in range(1_234)}
    rows = {row.provider_id: row for row in MessageRow.select()}
    assert rows["broken"].error == "not a MIME message" and rows["broken"].date is None
    assert rows["m5"].subject == "Offer m5" and rows["m5"].job_id == job.id
    assert {c.code for c in repo.list_codes(CodeQuery(search="late"))} == set()


def test_code_queries_filter_and_search(database: Database) -> None:
    repo, jobs = Repository(database), JobRepository(database)
    account = repo.add_account(AccountKind.MBOX, "/m.mbox")
    job = jobs.create(account.id, 100, "manual")
    repo.record_scan_results(account.id, job.id, [
        (message("m1", 1), [FoundCode("PAST1", "Old", expires=datetime(2020, 1, 1, tzinfo=UTC))]),
        (message("m2", 2), [FoundCode("FUTURE2", "New Shop", "10% off",
                                      expires=datetime(2099, 1, 1, tzinfo=UTC))]),
        (message("m3", 3), [FoundCode("NOEXP3", "Forever")]),
    ])
    active = {c.code for c in repo.list_codes(CodeQuery(status="active"))}
    assert active == {"FUTURE2", "NOEXP3"}
    assert [c.code for c in repo.list_codes(CodeQuery(search="new sh"))] == ["FUTURE2"]
    future = repo.list_codes(CodeQuery(search="future"))[0]
    repo.set_code_used(future.id, True)
    assert [c.code for c in repo.list_codes(CodeQuery(status="used"))] == ["FUTURE2"]
    ids = repo.code_ids(CodeQuery(sort="code", descending=False))
    assert [c.code for c in repo.codes_by_ids(ids)] == ["FUTURE2", "NOEXP3", "PAST1"]


@pytest.mark.parametrize(("search", "found"), [
    ("_", {"SAVE_10"}), ("%", {"HALF50"}), ("\\", {"BACK"}), ("e_1", {"SAVE_10"}),
    ("50%", {"HALF50"}), ("save", {"SAVE_10", "SAVE10"}), ("off", {"HALF50", "SAVE10"}),
])
def test_search_treats_like_wildcards_as_plain_characters(
    database: Database, search: str, found: set[str]
) -> None:
    repo, jobs = Repository(database), JobRepository(database)
    account = repo.add_account(AccountKind.MBOX, "/m.mbox")
    job = jobs.create(account.id, 100, "manual")
    repo.record_scan_results(account.id, job.id, [
        (message("m1", 1), [FoundCode("SAVE_10", "Shop")]),
        (message("m2", 2), [FoundCode("SAVE10", "Shop", "10 off")]),
        (message("m3", 3), [FoundCode("HALF50", "Shop", "50% off")]),
        (message("m4", 4), [FoundCode("BACK", "Back\\slash Books")]),
    ])
    assert {c.code for c in repo.list_codes(CodeQuery(search=search))} == found


def test_an_older_database_is_upgraded_in_place_keeping_its_codes(tmp_path: Path) -> None:
    db = open_database("", tmp_path / "old.sqlite3")
    migrations.bind(db)
    db.db.create_tables([migrations.SchemaVersion])
    first_version, _, first_step = migrations.MIGRATIONS[0]
    first_step(db.db)
    migrations.SchemaVersion.create(version=first_version, applied_at=datetime(2026, 1, 1))
    columns = {c.name for c in db.db.get_columns("promo_code")}
    assert "expiry_notified_at" not in columns  # a genuine v1 schema
    assert {"paused", "removed_at"}.isdisjoint(c.name for c in db.db.get_columns("account"))
    old = datetime(2026, 1, 1)
    # Rows as the first release wrote them (today's tables have columns it did not).
    db.db.execute_sql("INSERT INTO account (kind, address, display_name, status, status_message, "
                      "sync_state, created_at) VALUES ('mbox', '/m.mbox', 'm', 'ok', '', '', ?)",
                      (old,))
    db.db.execute_sql("INSERT INTO promo_code (account_id, code, code_key, merchant, merchant_key, "
                      "discount, min_spend, link, source, first_seen, last_seen, used) VALUES "
                      "(1, 'OLD10', 'old10', 'Shop', 'shop', '', '', '', 'rules', ?, ?, 0)",
                      (old, old))
    repo = Repository(db)

    assert migrations.migrate(db) == len(migrations.MIGRATIONS) - 1
    assert migrations.current_version(db) == migrations.LATEST
    assert [c.code for c in repo.list_codes()] == ["OLD10"]
    assert repo.expiring_unnotified(3) == []
    (account,) = repo.list_accounts()  # kept, not paused, not removed, its code counted
    assert (account.address, account.paused, account.code_count) == ("/m.mbox", False, 1)
    db.close()


def test_a_worker_that_lost_its_job_can_no_longer_write_to_it(database: Database) -> None:
    """Worker A stalls past the heartbeat limit, B takes the job over; A's late writes bounce."""
    repo, jobs = Repository(database), JobRepository(database)
    account = repo.add_account(AccountKind.MBOX, "/m.mbox")
    job = jobs.create(account.id, 100, "manual")
    assert jobs.claim(job.id, "host-a:1:a", 20.0, lambda _w: False) is not None
    repo.record_scan_results(account.id, job.id, [(message("m1", 1), [FoundCode("AAA", "Shop", "")])],
                             owner="host-a:1:a")

    released = jobs.orphans(0.0, lambda worker: worker == "host-a:1:a")  # A's heartbeats stopped
    assert [j.id for j in released] == [job.id]
    taken = jobs.claim(job.id, "host-b:2:b", 20.0, lambda _w: False)
    assert taken is not None and taken.attempts == 2

    with pytest.raises(ScanLost):
        jobs.progress(job.id, 10, 5, 1, 1, owner="host-a:1:a")
    with pytest.raises(ScanLost):
        repo.record_scan_results(account.id, job.id, [(message("m2", 2), [FoundCode("BBB", "Shop", "")])],
                                 owner="host-a:1:a")
    assert repo.scanned_ids(account.id) == {"m1"}  # nothing of A's late batch was written
    late = jobs.finish(job.id, JobState.FAILED, "IntegrityError", owner="host-a:1:a")
    assert late is not None and late.state is JobState.IN_PROGRESS and late.worker_id == "host-b:2:b"
    assert jobs.release(job.id, error="x", owner="host-a:1:a") is not None
    assert jobs.get(job.id).state is JobState.IN_PROGRESS  # type: ignore[union-attr]

    assert not jobs.progress(job.id, 2, 2, 1, 0, owner="host-b:2:b")  # the new owner carries on
    repo.record_scan_results(account.id, job.id, [(message("m2", 2), [FoundCode("BBB", "Shop", "")])],
                             owner="host-b:2:b")
    done = jobs.finish(job.id, JobState.COMPLETED, owner="host-b:2:b")
    assert done is not None and done.state is JobState.COMPLETED
    assert repo.scanned_ids(account.id) == {"m1", "m2"}
