"""Ten workers scan ten mailboxes on one SQLite file while "the UI" reads and writes at once.

The readers run the read side the UI runs off its main thread (services/queries.py: the codes
model's ``code_ids`` + ``codes_by_ids`` pages, the jobs list, queue stats and counts, the
accounts panel, the expiry check); one thread marks codes used/unused as the codes view does.
Every "database is locked"/busy error is counted, in the UI threads and in the workers' logs.
"""

from __future__ import annotations

import logging
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import peewee
import pytest

from conftest import Figures, Scale
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind, CodeQuery, JobState
from mailgen import write_mbox

pytestmark = pytest.mark.area("Concurrency")

WORKERS = 10
MAILBOXES = 10
READERS = 4
PAGE = 200  # the codes model's page size order of magnitude
LOCKED = re.compile(r"database is locked|database table is locked|database is busy|SQLITE_BUSY",
                    re.IGNORECASE)


class LockedLogRecords(logging.Handler):
    """Every log record (any thread, any logger) that speaks of a locked/busy database."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.locked: list[str] = []
        self.errors: list[str] = []
        self._lock_list = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f" | {record.exc_info[1]!r}"
        with self._lock_list:
            # A failure is logged at WARNING or above; a DEBUG/INFO "still waiting" is not one.
            if record.levelno >= logging.WARNING and LOCKED.search(text):
                self.locked.append(text)
            if record.levelno >= logging.ERROR:
                self.errors.append(text)


@pytest.fixture
def locked_log() -> Iterator[LockedLogRecords]:
    handler = LockedLogRecords()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # workers log retries and failures at INFO and above
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@dataclass
class Tally:
    """What one UI thread did; counted under its own lock."""

    reads: int = 0
    writes: int = 0
    locked: list[str] = field(default_factory=list)
    other_errors: list[str] = field(default_factory=list)
    used: dict[int, bool] = field(default_factory=dict)  # the writer's last word per code
    longest: float = 0.0


def ui_thread(core: Core, stop: threading.Event, tally: Tally,
              step: Callable[[random.Random], int]) -> threading.Thread:
    """Loops ``step`` (returns how many operations it did) until ``stop``; counts failures."""

    def loop() -> None:
        rng = random.Random(threading.get_ident())
        try:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    done = step(rng)
                except (peewee.OperationalError, sqlite3.OperationalError) as exc:
                    (tally.locked if LOCKED.search(str(exc)) else tally.other_errors).append(repr(exc))
                    continue
                except Exception as exc:  # counted, reported, and fails the test
                    tally.other_errors.append(repr(exc))
                    continue
                tally.longest = max(tally.longest, time.monotonic() - started)
                tally.reads += done
        finally:
            core.database.close()  # this thread's connection, as the UI's task threads do

    return threading.Thread(target=loop, name="ui-reader", daemon=True)


def reader_step(core: Core, job_ids: list[int]) -> Callable[[random.Random], int]:
    queries = core.queries
    sorts = ("first_seen", "code", "merchant", "expires", "last_seen", "discount")
    statuses = ("all", "active", "used", "expiring")

    def step(rng: random.Random) -> int:
        query = CodeQuery(sort=rng.choice(sorts), descending=rng.random() < 0.5,
                          status=rng.choice(statuses), search=rng.choice(("", "", "save0", "acme")))
        ids = queries.code_ids(query)
        start = rng.randrange(0, max(1, len(ids)))
        codes = queries.codes_by_ids(ids[start:start + PAGE])
        assert len(codes) <= PAGE
        jobs = queries.recent_jobs(200)
        counts = queries.job_counts()
        assert sum(counts[s.value] for s in JobState) >= len(job_ids)
        accounts = queries.accounts()
        assert len(accounts) == MAILBOXES
        queries.job(rng.choice(job_ids))
        queries.code_count()
        core.repository.expiring_unnotified(7)
        core.control.stats()
        return 9 + (1 if jobs else 0)

    return step


def writer_step(core: Core, tally: Tally) -> Callable[[random.Random], int]:
    def step(rng: random.Random) -> int:
        ids = core.queries.code_ids(CodeQuery())
        if not ids:
            time.sleep(0.01)
            return 1
        code_id = rng.choice(ids)
        used = rng.random() < 0.5
        core.repository.set_code_used(code_id, used)
        tally.used[code_id] = used
        tally.writes += 1
        time.sleep(0.002)  # a user clicking fast, not a tight loop
        return 1

    return step


def test_ten_workers_and_the_ui_share_sqlite_without_lock_errors(
    make_core: Callable[..., Core], tmp_path: Path, scale: Scale, figures: Figures,
    locked_log: LockedLogRecords,
) -> None:
    per_mailbox = scale.pick(150, 3000)
    core = make_core()
    expected: dict[int, set[str]] = {}
    for i in range(MAILBOXES):
        mbox = tmp_path / f"box{i}.mbox"
        codes = write_mbox(mbox, per_mailbox, start=i * per_mailbox)
        account = core.repository.add_account(AccountKind.MBOX, str(mbox), mbox.name)
        expected[account.id] = codes
    all_codes = set().union(*expected.values())
    assert len(all_codes) == MAILBOXES * per_mailbox

    core.start_workers(WORKERS)
    started = time.monotonic()
    jobs = [core.control.start_scan(account_id) for account_id in expected]
    job_ids = [j.id for j in jobs]

    stop = threading.Event()
    reader_tallies = [Tally() for _ in range(READERS)]
    writer_tally = Tally()
    threads = [ui_thread(core, stop, t, reader_step(core, job_ids)) for t in reader_tallies]
    threads.append(ui_thread(core, stop, writer_tally, writer_step(core, writer_tally)))
    for thread in threads:
        thread.start()

    deadline = started + scale.pick(120, 900)
    finished: dict[int, JobState] = {}
    scan_seconds = 0.0
    try:
        while time.monotonic() < deadline:
            states = {j: core.queries.job(j).state for j in job_ids}  # type: ignore[union-attr]
            if all(s.is_final for s in states.values()):
                finished = states
                scan_seconds = time.monotonic() - started
                break
            time.sleep(0.1)
        # Keep the UI busy a little after the last job, as a user would keep browsing.
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a UI thread hung"
    assert finished, f"jobs not final after the deadline: {[core.queries.job(j) for j in job_ids]}"

    reads = sum(t.reads for t in reader_tallies)
    writes = writer_tally.writes
    ui_locked = [e for t in [*reader_tallies, writer_tally] for e in t.locked]
    ui_other = [e for t in [*reader_tallies, writer_tally] for e in t.other_errors]
    locked_total = len(ui_locked) + len(locked_log.locked)

    done_jobs = [core.queries.job(j) for j in job_ids]
    stored = core.queries.codes()
    by_account: dict[int, set[str]] = {}
    for code in stored:
        by_account.setdefault(code.account_id, set()).add(code.code)

    figures.record("threads", f"{WORKERS} workers + {READERS} UI readers + 1 UI writer, "
                   f"{MAILBOXES} mailboxes x {per_mailbox} messages")
    figures.record("reads done (UI queries)", reads)
    figures.record("writes done (set_code_used)", writes)
    figures.record("locked/busy errors", locked_total, "0")
    figures.record("slowest UI step (s)", round(max(t.longest for t in [*reader_tallies, writer_tally]), 3))
    figures.record("scan duration (s)", round(scan_seconds, 2))
    completed = sum(j is not None and j.state is JobState.COMPLETED for j in done_jobs)
    figures.record("jobs COMPLETED", f"{completed}/{len(done_jobs)}", f"{len(done_jobs)}/{len(done_jobs)}")

    assert locked_total == 0, (ui_locked[:5], locked_log.locked[:5])
    assert not ui_other, ui_other[:5]
    assert not locked_log.errors, locked_log.errors[:5]
    assert reads > 0 and writes > 0
    for job in done_jobs:
        assert job is not None and job.state is JobState.COMPLETED, job
        assert (job.scanned, job.codes_found, job.codes_new) == (per_mailbox,) * 3, job
    assert len(stored) == len(all_codes)
    assert by_account == expected
    used_now = {c.id: c.used for c in core.queries.codes_by_ids(list(writer_tally.used))}
    assert used_now == writer_tally.used, "a used/unused mark was lost"
