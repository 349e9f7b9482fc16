"""Wires storage, services and the queue for one process; each part opens on first use.

``bootstrap`` decides the order and hands a Runtime to the CLI or the UI; a
command that needs only the database (``codes``) never starts Redis, nor imports redis-py
or huey: the queue's modules are imported in the properties that build it (start-up time).
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import TYPE_CHECKING

from guard_inbox.domain.ports import Extractor, SourceFactory
from guard_inbox.paths import AppPaths
from guard_inbox.services.lifecycle import JobLifecycle
from guard_inbox.services.queries import Queries
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

log = logging.getLogger(__name__)


class Runtime:
    def __init__(
        self, paths: AppPaths, settings: Settings, sources: SourceFactory, extractor: Extractor
    ) -> None:
        self.paths = paths
        self.settings = settings
        self.sources = sources
        self.extractor = extractor
        self.process_id = new_worker_id()
        self._lock = threading.RLock()
        self._embedded: EmbeddedRedis | None = None
        self._pools: list[WorkerPool] = []

    # -- storage ---------------------------------------------------------------------
    @functools.cached_property
    def database(self) -> Database:
        with self._lock:
            database = open_database(self.settings.get("database.url"), self.paths.database_file)
            try:
                check_sqlite(database)  # a damaged file: one sentence (DatabaseDamaged), unchanged
                applied = migrations.migrate(database)
            except BaseException:
                database.close()
                raise
            log.info("Database ready: %s (%d migrations applied)", database.description, applied)
            return database

    @functools.cached_property
    def repository(self) -> Repository:
        return Repository(self.database)

    @functools.cached_property
    def job_repository(self) -> JobRepository:
        return JobRepository(self.database)

    @functools.cached_property
    def queries(self) -> Queries:
        return Queries(self.repository, self.job_repository)

    # -- broker and queue ------------------------------------------------------------
    @functools.cached_property
    def broker(self) -> BrokerInfo:
        from guard_inbox.jobs.broker import connect_broker

        with self._lock:
            info, self._embedded = connect_broker(self.settings.get("broker.url"), self.paths)
            log.info("Broker: %s", info.display)
            return info

    @functools.cached_property
    def redis(self) -> redis.Redis:
        return self.broker.client(socket_timeout=5, socket_connect_timeout=5)

    @functools.cached_property
    def huey(self) -> PriorityRedisHuey:
        from guard_inbox.jobs.app import make_huey

        return make_huey(self.broker)

    @functools.cached_property
    def events(self) -> EventBus:
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        from guard_inbox.jobs.events import EventBus

        # Its own client that fails fast: a broadcast is a hint, and redis-py's default retries
        # held every checkpoint of a running scan for seconds while Redis was away.
        client = self.broker.client(socket_timeout=1, socket_connect_timeout=1,
                                    retry=Retry(NoBackoff(), 0))
        return EventBus(client, self.process_id)

    @functools.cached_property
    def queue(self) -> ScanQueue:
        from guard_inbox.jobs.tasks import ScanQueue

        return ScanQueue(self.huey)

    @functools.cached_property
    def lifecycle(self) -> JobLifecycle:
        stale = float(self.settings.get("scan.stale_after_seconds"))
        return JobLifecycle(self.job_repository, self.events, stale_after=stale)

    @functools.cached_property
    def workers(self) -> WorkerRegistry:
        from guard_inbox.jobs.registry import WorkerRegistry

        return WorkerRegistry(self.redis)

    @functools.cached_property
    def control(self) -> JobControl:
        from guard_inbox.jobs.control import JobControl

        return JobControl(self.lifecycle, self.queue, self.workers)

    @functools.cached_property
    def scans(self) -> ScanService:
        policy = RetryPolicy(
            attempts=int(self.settings.get("scan.retry_attempts")),
            base_seconds=float(self.settings.get("scan.retry_backoff_base")),
            factor=float(self.settings.get("scan.retry_backoff_factor")),
        )
        meter = getattr(self.extractor, "take_usage", None)
        return ScanService(self.repository, self.lifecycle, self.sources, self.extractor, policy,
                           take_ai_tokens=meter if callable(meter) else (lambda: 0))

    def start_workers(self, threads: int | None = None) -> WorkerPool:
        from guard_inbox.jobs.consumer import WorkerPool

        count = int(threads or self.settings.get("scan.concurrency"))
        pool = WorkerPool(
            self.queue, self.scans, self.control, self.workers, self.process_id, count,
            on_thread_exit=self.database.close,
        )
        pool.start()
        self._pools.append(pool)
        return pool

    @property
    def worker_pools(self) -> list[WorkerPool]:
        return list(self._pools)

    @property
    def embedded_broker(self) -> EmbeddedRedis | None:
        return self._embedded

    def close(self) -> None:
        """Stop workers, then the broker we own, then the database — reverse start order."""
        for pool in self._pools:
            pool.stop()
        self._pools.clear()
        if "redis" in self.__dict__:
            self.redis.close()
        if "events" in self.__dict__:
            self.events.close()
        if "huey" in self.__dict__:
            self.huey.storage.conn.connection_pool.disconnect()
        if self._embedded is not None:
            self._embedded.stop()
        if "database" in self.__dict__:
            self.database.close()
