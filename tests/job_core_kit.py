"""The job core on explicit time: a SQLite file, huey in memory, and a clock the test moves.

Every part is the real one -- storage, lifecycle, event bus, queue, control, scan service and
worker pool -- except the broker: huey keeps its queue in memory (``MemoryStorage``, as Huey's own
suite does) and a task runs only when the test calls ``run_due``, at the clock's time. Nothing
sleeps; a minute of backoff is ``clock.advance(60)``.

Here, not in a conftest, because tests/unit/jobs and tests/unit/services both use it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from huey import signals
from huey.storage import MemoryStorage
from redis.backoff import NoBackoff
from redis.retry import Retry

from guard_inbox.domain.models import AccountKind, Job, JobEvent, JobState
from guard_inbox.domain.ports import Extractor, SourceFactory
from guard_inbox.extraction.pipeline import ExtractionPipeline
from guard_inbox.jobs.app import QUEUE_NAME, GuardHuey
from guard_inbox.jobs.consumer import WorkerPool
from guard_inbox.jobs.control import JobControl
from guard_inbox.jobs.events import EventBus
from guard_inbox.jobs.registry import WorkerRegistry
from guard_inbox.jobs.serializer import JsonSerializer
from guard_inbox.jobs.tasks import ScanQueue
from guard_inbox.services.lifecycle import JobLifecycle
from guard_inbox.services.reading_pool import ReadingPool
from guard_inbox.services.scan import RetryPolicy, ScanService
from guard_inbox.services.sources import LocalSourceFactory
from guard_inbox.services.workers import new_worker_id
from guard_inbox.storage import migrations
from guard_inbox.storage.db import Database, open_database
from guard_inbox.storage.job_repository import JobRepository
from guard_inbox.storage.repository import Repository

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """Wall time (aware UTC, or naive UTC as the database and huey keep it) and a monotonic
    clock; both stand still until ``advance``."""

    def __init__(self, start: datetime = START) -> None:
        self._now = start
        self._monotonic = 1000.0

    def now(self) -> datetime:
        return self._now

    def naive(self) -> datetime:
        return self._now.replace(tzinfo=None)

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._monotonic += seconds


class MemoryGuardHuey(GuardHuey):
    """The app's huey (priorities, JSON messages, refusing foreign entries) on memory storage."""

    storage_class = MemoryStorage


def memory_huey() -> GuardHuey:
    return MemoryGuardHuey(QUEUE_NAME, results=False, store_none=False, utc=True,
                           serializer=JsonSerializer())


def unreachable_redis(tmp_path: Path) -> redis.Redis:
    """A client whose server is not there: fails at once, never retries (worker registry)."""
    return redis.Redis(unix_socket_path=str(tmp_path / "no-redis.sock"), retry=Retry(NoBackoff(), 0),
                       socket_connect_timeout=0.2, socket_timeout=0.2)


class EventLog:
    """Every event the bus delivers in this process, in order."""

    def __init__(self, bus: EventBus) -> None:
        self.events: list[JobEvent] = []
        self._lock = threading.Lock()
        bus.add_listener(self._record)

    def _record(self, event: JobEvent) -> None:
        with self._lock:
            self.events.append(event)

    def for_job(self, job_id: int) -> list[JobEvent]:
        with self._lock:
            return [e for e in self.events if e.job_id == job_id]

    def states(self, job_id: int) -> list[JobState]:
        """The job's states as followers saw them, repeats (progress) folded."""
        states: list[JobState] = []
        for event in self.for_job(job_id):
            if not states or states[-1] is not event.state:
                states.append(event.state)
        return states


@dataclass
class JobCore:
    clock: Clock
    database: Database
    repository: Repository
    jobs: JobRepository
    bus: EventBus
    log: EventLog
    lifecycle: JobLifecycle
    huey: GuardHuey
    queue: ScanQueue
    control: JobControl
    scans: ScanService
    pool: WorkerPool
    task_errors: list[BaseException] = field(default_factory=list)

    def mbox_account(self, path: Path) -> int:
        return self.repository.add_account(AccountKind.MBOX, str(path), path.name).id

    def job(self, job_id: int) -> Job:
        job = self.jobs.get(job_id)
        assert job is not None
        return job

    def run_due(self, limit: int = 100) -> list[int]:
        """What one worker thread and the scheduler do at the clock's time: move the delayed
        tasks now due into the queue, then run the queue dry. Returns the job ids run, in order
        (a task whose time has not come goes back to the schedule and is not counted)."""
        at = self.clock.naive()
        for task in self.huey.read_schedule(at):
            self.huey.enqueue(task)
        ran: list[int] = []
        while self.huey.pending_count():
            assert len(ran) < limit, f"the queue never emptied: {ran}"
            task = self.huey.dequeue()
            if task is None:
                continue  # refused and dropped
            if self.huey.ready_to_run(task, at):
                ran.append(int(task.args[0]))
            self.huey.execute(task, at)
        assert not self.task_errors, self.task_errors
        return ran

    def delayed(self) -> list[tuple[int, datetime]]:
        """Job ids in huey's schedule with their due time (naive UTC), soonest first."""
        return sorted(((int(t.args[0]), t.eta) for t in self.huey.scheduled()), key=lambda p: p[1])


@contextmanager
def job_core(
    tmp_path: Path,
    *,
    clock: Clock | None = None,
    retry: RetryPolicy | None = None,
    stale_after: float = 20.0,
    sources: SourceFactory | None = None,
    extractor: Extractor | None = None,
    reading: ReadingPool | None = None,
) -> Iterator[JobCore]:
    """``reading``: the processes local scans read in (None: in the scan's thread)."""
    clock = clock or Clock()
    database = open_database("", tmp_path / "jobs.sqlite3")
    migrations.migrate(database)
    repository = Repository(database)
    jobs = JobRepository(database, now=clock.naive)
    bus = EventBus(None, "test-process")
    log = EventLog(bus)
    lifecycle = JobLifecycle(jobs, bus, stale_after=stale_after)
    huey = memory_huey()
    queue = ScanQueue(huey, now=clock.now)
    registry = WorkerRegistry(unreachable_redis(tmp_path))
    control = JobControl(lifecycle, queue, registry, now=clock.now)
    scans = ScanService(
        repository, lifecycle, sources or LocalSourceFactory(), extractor or ExtractionPipeline(),
        retry or RetryPolicy(attempts=3, base_seconds=1.0, factor=2.0),
        now=clock.now, monotonic=clock.monotonic, pool=reading,
    )
    pool = WorkerPool(queue, scans, control, registry, new_worker_id(), threads=1)
    queue.attach_runner(pool.run_job)
    core = JobCore(clock, database, repository, jobs, bus, log, lifecycle, huey, queue, control,
                   scans, pool)

    def task_failed(_signal: str, _task: Any, exc: BaseException | None = None) -> None:
        core.task_errors.append(exc or RuntimeError("task failed"))

    huey.signal(signals.SIGNAL_ERROR)(task_failed)
    try:
        yield core
    finally:
        registry.client.close()
        database.close()
