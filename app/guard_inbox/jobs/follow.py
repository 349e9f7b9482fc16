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
TURN_SECONDS = 0.05  # each wait on this process's events, then on the others'


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
        """True when the job may have changed: an event for it here or from another process.

        Waits in short turns on each, so an event from either is seen within moments; every
        event taken from the inbox is taken out of it (one left there would make every later
        call return at once, and the follower re-read the row a thousand times a second).
        """
        if remote is None:
            return _take_all(inbox, timeout=0.5)
        if _take_all(inbox, timeout=TURN_SECONDS):
            return True
        try:
            if any(event.job_id == job_id for event in remote.events(timeout=TURN_SECONDS)):
                return True
        except (redis.RedisError, OSError):
            time.sleep(TURN_SECONDS)
        return _take_all(inbox, timeout=0.0)


def _take_all(inbox: queue.Queue[JobEvent], timeout: float) -> bool:
    """Empties the inbox, waiting up to ``timeout`` for a first event; True if there was one."""
    try:
        inbox.get(timeout=timeout) if timeout > 0 else inbox.get_nowait()
    except queue.Empty:
        return False
    while True:
        try:
            inbox.get_nowait()
        except queue.Empty:
            return True
