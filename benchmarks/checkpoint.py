"""Checkpoint benchmark: how long one scan checkpoint holds SQLite's write lock.

Every 50 messages a scan writes a checkpoint (one row per message, plus its codes) in one
IMMEDIATE transaction; while it runs, every other writer - ten scans, the UI marking a code
used - waits. Baseline in the same run: the same rows written one SELECT + one INSERT per
message, which is how checkpoints were written before they were batched.

    python benchmarks/checkpoint.py [--messages 5000] [--batch 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from guard_inbox.domain.models import AccountKind, FoundCode, MailMessage
from guard_inbox.storage import migrations
from guard_inbox.storage.clock import to_db, utcnow
from guard_inbox.storage.db import Database, open_database
from guard_inbox.storage.job_repository import JobRepository
from guard_inbox.storage.repository import Repository, ScanResult
from guard_inbox.storage.tables import CodeRow, MessageRow

Checkpoint = Callable[[Repository, int, int, Sequence[ScanResult]], object]


def mailbox(count: int, code_every: int) -> list[ScanResult]:
    """``count`` messages; every ``code_every``-th carries one code (0: none do)."""
    results: list[ScanResult] = []
    for i in range(count):
        message = MailMessage(
            provider_id=f"<{i:08d}.bench@shop.example>", subject=f"Weekly offers #{i}",
            sender="Shop <news@shop.example>", date=datetime(2026, 1 + i % 12, 1 + i % 28, tzinfo=UTC),
            snippet="This week only: new arrivals, free delivery over 50 and more.",
        )
        codes = [FoundCode(f"SAVE{i}", "Shop", "10% off")] if code_every and i % code_every == 0 else []
        results.append((message, codes))
    return results


def batched(repo: Repository, account_id: int, job_id: int, results: Sequence[ScanResult]) -> object:
    return repo.record_scan_results(account_id, job_id, results)


def row_by_row(repo: Repository, account_id: int, job_id: int, results: Sequence[ScanResult]) -> object:
    """The baseline: look each message up, insert it if new (codes through the same upsert)."""
    now = utcnow()
    with repo.database.write():
        for message, codes in results:
            assert isinstance(message, MailMessage)
            if MessageRow.get_or_none((MessageRow.account == account_id)
                                      & (MessageRow.provider_id == message.provider_id)):
                continue
            row = MessageRow.create(
                account=account_id, provider_id=message.provider_id, date=to_db(message.date),
                sender=message.sender, subject=message.subject, snippet=message.snippet,
                scanned_at=now, job=job_id,
            )
            for code in codes:
                _upsert_code(account_id, row, code, now)
    return None


def _upsert_code(account_id: int, message: MessageRow, code: FoundCode, now: datetime) -> None:
    """One code as checkpoints stored it before they were batched: a lookup, then a create or
    a save (the rules are the same as storage/scan_writes.py's)."""
    seen = to_db(message.date) or now
    key = " ".join(code.merchant.lower().split())
    row = CodeRow.get_or_none((CodeRow.account == account_id) & (CodeRow.merchant_key == key)
                              & (CodeRow.code_key == code.code.lower()))
    if row is None:
        CodeRow.create(account=account_id, code=code.code, code_key=code.code.lower(),
                       merchant=code.merchant, merchant_key=key, discount=code.discount,
                       expires_at=to_db(code.expires), min_spend=code.min_spend, link=code.link,
                       source=code.source, message=message, first_seen=seen, last_seen=seen)
        return
    row.first_seen = min(row.first_seen, seen)
    if seen >= row.last_seen:
        row.last_seen, row.message = seen, message
        row.discount = code.discount or row.discount
        row.expires_at = to_db(code.expires) or row.expires_at
        row.link = code.link or row.link
    row.min_spend = row.min_spend or code.min_spend
    row.save()


def run(database: Database, checkpoint: Checkpoint, results: list[ScanResult], batch: int) -> list[float]:
    """Milliseconds per checkpoint, scanning ``results`` into a fresh account."""
    repo, jobs = Repository(database), JobRepository(database)
    account = repo.add_account(AccountKind.MBOX, f"/bench/{checkpoint.__name__}-{time.time_ns()}.mbox")
    job = jobs.create(account.id, 100, "manual")
    held: list[float] = []
    for start in range(0, len(results), batch):
        began = time.perf_counter()
        checkpoint(repo, account.id, job.id, results[start : start + batch])
        held.append((time.perf_counter() - began) * 1000)
    return held


def line(name: str, held: list[float], messages: int) -> str:
    p95 = statistics.quantiles(held, n=20)[18] if len(held) >= 20 else max(held)
    rate = messages / (sum(held) / 1000)
    return (f"  {name:<34} median {statistics.median(held):6.2f} ms   p95 {p95:6.2f} ms   "
            f"{rate:8,.0f} msg/s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=50, help="messages per checkpoint (the scan's)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gi-bench-") as tmp:
        database = open_database("", Path(tmp) / "bench.sqlite3")
        migrations.migrate(database)
        print(f"Checkpoint write-lock hold, SQLite (WAL), {args.messages:,} messages, "
              f"{args.batch} per checkpoint")
        for label, code_every in (("newsletters (no codes)", 0), ("1 in 10 with a code", 10)):
            results = mailbox(args.messages, code_every)
            run(database, batched, results[:200], args.batch)  # warm the page cache and statements
            base = run(database, row_by_row, results, args.batch)
            ours = run(database, batched, results, args.batch)
            print(f"{label}:")
            print(line("baseline, a SELECT+INSERT each", base, args.messages))
            print(line("batched (record_scan_results)", ours, args.messages))
            print(f"  median hold: {statistics.median(base) / statistics.median(ours):.1f}x shorter")
        database.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
