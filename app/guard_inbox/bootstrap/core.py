"""Everything one process runs, built in a fixed, logged order and closed in reverse.

As qutebrowser's ``app.py::_init_modules``: database → broker and queue → events from other
processes → workers. A stage runs when the composition root asks for it, never because some
caller touched an attribute; each one that opens something pushes its closer, and ``close``
pops them, so workers stop before the broker they use and the broker before the database.
A command that only reads the database (``codes``) runs the first stage alone: it never starts
Redis nor imports redis-py or huey (their modules are imported inside the stage).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from guard_inbox.domain.ports import Extractor, SourceFactory
from guard_inbox.paths import AppPaths
from guard_inbox.services.lifecycle import JobLifecycle
from guard_inbox.services.queries import Queries
from guard_inbox.services.reading_pool import ReadingPool
from guard_inbox.services.scan import RetryPolicy, ScanService
from guard_inbox.services.workers import new_worker_id
from guard_inbox.settings import Settings
from guard_inbox.storage import migrations
from guard_inbox.storage.db import Database, check_sqlite, open_database
from guard_inbox.storage.job_repository import JobRepository
from guard_inbox.storage.repository import Repository

if TYPE_CHECKING:
    import redis
    from huey import PriorityRedisHuey

    from guard_inbox.jobs.broker import BrokerInfo, EmbeddedRedis
    from guard_inbox.jobs.consumer import WorkerPool
    from guard_inbox.jobs.control import JobControl
    from guard_inbox.jobs.events import EventBus
    from guard_inbox.jobs.registry import WorkerRegistry
    from guard_inbox.jobs.tasks import ScanQueue

log = logging.getLogger("guard_inbox.bootstrap")


@dataclass(frozen=True, slots=True)
class Storage:
    database: Database
    repository: Repository
    job_repository: JobRepository
    queries: Queries


@dataclass(frozen=True, slots=True)
class QueueParts:
    broker: BrokerInfo
    redis: redis.Redis
    huey: PriorityRedisHuey
    events: EventBus
    queue: ScanQueue
    lifecycle: JobLifecycle
    workers: WorkerRegistry
    control: JobControl
    scans: ScanService


class StageNotRun(RuntimeError):
    """A part was used before the composition root built it: a wiring bug, not a user error."""


class Core:
    def __init__(
        self, paths: AppPaths, settings: Settings, sources: SourceFactory, extractor: Extractor
    ) -> None:
        self.paths = paths
        self.settings = settings
        self.sources = sources
        self.extractor = extractor
        self.process_id = new_worker_id()
        self._lock = threading.RLock()
        self._closers: list[tuple[str, Callable[[], None]]] = []
        self._storage: Storage | None = None
        self._queue: QueueParts | None = None
        self._stages: set[str] = set()
        self._pools: list[WorkerPool] = []
        self._embedded: EmbeddedRedis | None = None
        self._remote_stop = threading.Event()
        self._closed = False

    # -- how a stage runs ------------------------------------------------------------------
    @property
    def stored(self) -> Storage:
        if self._storage is None:
            raise StageNotRun("storage is used before bootstrap opened the database")
        return self._storage

    @property
    def queued(self) -> QueueParts:
        if self._queue is None:
            raise StageNotRun("the queue is used before bootstrap opened it")
        return self._queue

    def _stage(self, name: str, build: Callable[[], None]) -> None:
        with self._lock:
            if name in self._stages:
                return
            if self._closed:  # a quit during the window's start: nothing opens after close
                raise StageNotRun(f"{name} not started: Guard Inbox is shutting down")
            began = time.monotonic()
            build()
            self._stages.add(name)
            log.info("Start-up: %s ready in %.0f ms", name, (time.monotonic() - began) * 1000)

    def _on_close(self, name: str, closer: Callable[[], None]) -> None:
        self._closers.append((name, closer))

    # -- stage 1: the database ----------------------------------------------------------------
    def open_database(self) -> None:
        self._stage("storage", self._build_storage)

    def _build_storage(self) -> None:
        database = open_database(self.settings.get("database.url"), self.paths.database_file)
        try:
            check_sqlite(database)  # a damaged file: one sentence (DatabaseDamaged), unchanged
            applied = migrations.migrate(database)
        except BaseException:
            database.close()
            raise
        log.info("Database ready: %s (%d migrations applied)", database.description, applied)
        self._on_close("database", database.close)
        repository = Repository(database)
        jobs = JobRepository(database)
        days = self.settings
        queries = Queries(repository, jobs, lambda: int(days.get("notify.expiring_days")))
        self._storage = Storage(database, repository, jobs, queries)

    @property
    def database(self) -> Database:
        return self.stored.database

    @property
    def repository(self) -> Repository:
        return self.stored.repository

    @property
    def job_repository(self) -> JobRepository:
        return self.stored.job_repository

    @property
    def queries(self) -> Queries:
        return self.stored.queries

    # -- stage 2: broker, queue, events, the scan service ------------------------------------
    def open_queue(self) -> None:
        self.open_database()
        self._stage("queue", self._build_queue)

    def _build_queue(self) -> None:
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        from guard_inbox.jobs.app import make_huey
        from guard_inbox.jobs.broker import connect_broker
        from guard_inbox.jobs.control import JobControl
        from guard_inbox.jobs.events import EventBus
        from guard_inbox.jobs.registry import WorkerRegistry
        from guard_inbox.jobs.tasks import ScanQueue

        broker, self._embedded = connect_broker(self.settings.get("broker.url"), self.paths)
        log.info("Broker: %s", broker.display)
        if self._embedded is not None:
            self._on_close("embedded broker", self._embedded.stop)
        client = broker.client(socket_timeout=5, socket_connect_timeout=5)
        self._on_close("broker client", client.close)
        huey = make_huey(broker)
        self._on_close("queue", huey.storage.conn.connection_pool.disconnect)
        # Its own client that fails fast: a broadcast is a hint, and redis-py's default retries
        # held every checkpoint of a running scan for seconds while Redis was away.
        events = EventBus(broker.client(socket_timeout=1, socket_connect_timeout=1,
                                        retry=Retry(NoBackoff(), 0)), self.process_id)
        self._on_close("events", events.close)
        stale = float(self.settings.get("scan.stale_after_seconds"))
        lifecycle = JobLifecycle(self.job_repository, events, stale_after=stale)
        queue = ScanQueue(huey)
        registry = WorkerRegistry(client)
        self._queue = QueueParts(
            broker, client, huey, events, queue, lifecycle, registry,
            JobControl(lifecycle, queue, registry), self._scan_service(lifecycle),
        )

    def _scan_service(self, lifecycle: JobLifecycle) -> ScanService:
        policy = RetryPolicy(
            attempts=int(self.settings.get("scan.retry_attempts")),
            base_seconds=float(self.settings.get("scan.retry_backoff_base")),
            factor=float(self.settings.get("scan.retry_backoff_factor")),
        )
        pool = None
        if getattr(self.extractor, "rules_only", False):  # the AI layer stays in this process
            pool = ReadingPool(int(self.settings.get("scan.processes")))
            self._on_close("reading processes", pool.close)
        return ScanService(self.repository, lifecycle, self.sources, self.extractor, policy,
                           pool=pool)

    @property
    def broker(self) -> BrokerInfo:
        return self.queued.broker

    @property
    def redis(self) -> redis.Redis:
        return self.queued.redis

    @property
    def huey(self) -> PriorityRedisHuey:
        return self.queued.huey

    @property
    def events(self) -> EventBus:
        return self.queued.events

    @property
    def queue(self) -> ScanQueue:
        return self.queued.queue

    @property
    def lifecycle(self) -> JobLifecycle:
        return self.queued.lifecycle

    @property
    def workers(self) -> WorkerRegistry:
        return self.queued.workers

    @property
    def control(self) -> JobControl:
        return self.queued.control

    @property
    def scans(self) -> ScanService:
        return self.queued.scans

    @property
    def embedded_broker(self) -> EmbeddedRedis | None:
        return self._embedded

    # -- stage 3: events from other processes (the window shows external workers' scans) ------
    def follow_other_processes(self) -> None:
        self.open_queue()
        self._stage("remote events", self._build_remote_events)

    def _build_remote_events(self) -> None:
        from guard_inbox.jobs.events import RemoteEvents

        remote = RemoteEvents(self.redis, self.process_id)
        bus, stop = self.events, self._remote_stop

        def pump() -> None:
            while not stop.is_set():
                try:
                    for event in remote.events(timeout=0.5):
                        bus.deliver(event)
                except Exception as exc:  # Redis away: keep trying, quietly
                    log.debug("Remote events paused: %s", exc)
                    stop.wait(1.0)
            remote.close()

        thread = threading.Thread(target=pump, name="remote-events", daemon=True)
        thread.start()

        def stop_pump() -> None:
            stop.set()
            thread.join(timeout=2.0)

        self._on_close("remote events", stop_pump)

    # -- stage 4: workers -------------------------------------------------------------------
    def start_workers(self, threads: int | None = None) -> WorkerPool:
        """One more pool of worker threads in this process; stopped before the broker closes."""
        from guard_inbox.jobs.consumer import WorkerPool

        self.open_queue()
        with self._lock:
            if self._closed:
                raise StageNotRun("workers not started: Guard Inbox is shutting down")
            count = int(threads or self.settings.get("scan.concurrency"))
            began = time.monotonic()
            pool = WorkerPool(
                self.queue, self.scans, self.control, self.workers, self.process_id, count,
                on_thread_exit=self.database.close,
            )
            pool.start()
            self._pools.append(pool)
            self._on_close(f"workers ({count} threads)", pool.stop)
            log.info("Start-up: workers ready in %.0f ms (%d threads)",
                     (time.monotonic() - began) * 1000, count)
            return pool

    def start_workers_unless_alive(self) -> WorkerPool | None:
        """For ``scan --wait``: run the job here only when no worker anywhere would take it."""
        self.open_queue()
        return self.start_workers() if self.workers.alive_count() == 0 else None

    @property
    def worker_pools(self) -> list[WorkerPool]:
        return list(self._pools)

    # -- shutting down ------------------------------------------------------------------------
    def close(self) -> None:
        """Reverse start order: workers, remote events, queue, broker, then the database."""
        with self._lock:
            self._closed = True
            closers, self._closers = self._closers, []
            self._pools.clear()
        for name, closer in reversed(closers):
            try:
                closer()
            except Exception:  # one part failing to close must not keep the others open
                log.exception("Shut down: %s failed to close", name)
            else:
                log.info("Shut down: %s", name)
