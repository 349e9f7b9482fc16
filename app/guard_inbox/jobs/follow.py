"""Follow one job live from any process: events first, the database as the fallback truth."""

from __future__ import annotations

import dataclasses
import queue
import time
from collections.abc import Iterator

import redis

from guard_inbox.domain.models import Job, JobEvent
from guard_inbox.jobs.events import EventBus, RemoteEvents
from guard_inbox.storage.job_repository import JobRepository

RECHECK_SECONDS = 2.0


class JobFollower:
    """Yields the job each time it changes, until it reaches a final state.

    Subscribes before reading the database so no change falls in between;
    re-reads the row every couple of seconds in case an event was missed
    (Redis pub/sub is fire-and-forget), which is a safety net, not polling.
    """

    def __init__(
        self, jobs: JobRepository, local: EventBus, remote_client: redis.Redis | None
    ) -> None:
        self.jobs = jobs
        self.local = local
        self.remote_client = remote_client

    def follow(self, job_id: int) -> Iterator[Job]:
        inbox: queue.Queue[JobEvent] = queue.Queue()
        ended: list[JobEvent] = []

        def listener(event: JobEvent) -> None:
            if event.job_id == job_id:
                if event.state.is_final:
                    ended.append(event)
                inbox.put(event)

        self.local.add_listener(listener)
        remote = None
        if self.remote_client is not None:
            try:
                remote = RemoteEvents(self.remote_client, self.local.source_id)
            except (redis.RedisError, OSError):
                remote = None
        try:
            job = self.jobs.get(job_id)
            if job is None:
                return
            yield job
            last_check = time.monotonic()
            while not job.state.is_final:
                changed = self._wait(inbox, remote, job_id)
                if changed or time.monotonic() - last_check >= RECHECK_SECONDS:
                    last_check = time.monotonic()
                    latest = self.jobs.get(job_id)
                    if latest is not None and latest != job:
                        job = latest
                        yield job
                if ended and not job.state.is_final:
                    # A worker here ended the job but could not record it (a full disk).
                    job = dataclasses.replace(job, state=ended[-1].state, error=ended[-1].error)
                    yield job
        finally:
            self.local.remove_listener(listener)
            if remote is not None:
                remote.close()

    @staticmethod
    def _wait(inbox: queue.Queue[JobEvent], remote: RemoteEvents | None, job_id: int) -> bool:
        if remote is None:
            try:
                inbox.get(timeout=0.5)
                return True
            except queue.Empty:
                return False
        if not inbox.empty():
            return True
        try:
            for event in remote.events(timeout=0.25):
                if event.job_id == job_id:
                    return True
        except (redis.RedisError, OSError):
            time.sleep(0.25)
        return not inbox.empty()
