"""The one Huey instance: priority-capable Redis storage, JSON messages, no result store."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from huey import PriorityRedisHuey
from huey.exceptions import HueyException
from huey.storage import PriorityRedisStorage

from guard_inbox.jobs.broker import BrokerInfo
from guard_inbox.jobs.serializer import JsonSerializer, RefusedMessage

QUEUE_NAME = "guard-inbox"

log = logging.getLogger("guard_inbox.jobs")


class WakeableStorage(PriorityRedisStorage):  # type: ignore[misc]
    """Priority Redis storage whose idle workers can be woken at once.

    An idle worker sits in BZPOPMIN for up to ``read_timeout`` (1 s), and Huey's graceful stop
    joins it: every `scan --wait` waited most of a second at exit for workers that had nothing
    to do. Here the workers of this process also watch a wake-up key of their own, listed first
    so a stopping worker takes it before another task; ``wake`` puts one entry per thread in it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wake_key = f"{self.queue_key}.wake.{secrets.token_hex(6)}"

    def dequeue(self) -> Any:
        if not self.blocking:
            return super().dequeue()
        try:
            key, data, _ = self.conn.bzpopmin([self.wake_key, self.queue_key], timeout=self.read_timeout)
        except (TimeoutError, TypeError, IndexError):  # empty, timed out (as Huey's own dequeue)
            return None
        if key in (self.wake_key, self.wake_key.encode()):
            return None
        return data[8:]  # Huey's timestamp prefix

    def wake(self, workers: int) -> None:
        """Wakes up to ``workers`` idle workers of this process; leftovers expire in seconds."""
        pipe = self.conn.pipeline()
        pipe.zadd(self.wake_key, {f"wake-{i}": 0 for i in range(workers)})
        pipe.expire(self.wake_key, 5)
        pipe.execute()


class GuardHuey(PriorityRedisHuey):  # type: ignore[misc]
    """Drops a queue entry it refuses with one log line, so the worker takes the next one."""

    storage_class = WakeableStorage

    def dequeue(self) -> Any:
        try:
            return super().dequeue()
        except (RefusedMessage, HueyException) as exc:  # HueyException: an unknown task name
            log.warning("Refused an entry on the task queue and dropped it: %s", exc)
            return None


def make_huey(broker: BrokerInfo) -> PriorityRedisHuey:
    """Results are off: the database is where callers read a job's outcome."""
    return GuardHuey(
        QUEUE_NAME,
        connection_pool=broker.pool(),
        results=False,
        store_none=False,
        utc=True,
        blocking=True,
        read_timeout=1,
        serializer=JsonSerializer(),
    )
