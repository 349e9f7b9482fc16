"""The one Huey instance: priority-capable Redis storage, JSON messages, no result store."""

from __future__ import annotations

import logging
from typing import Any

from huey import PriorityRedisHuey
from huey.exceptions import HueyException

from guard_inbox.jobs.broker import BrokerInfo
from guard_inbox.jobs.serializer import JsonSerializer, RefusedMessage

QUEUE_NAME = "guard-inbox"

log = logging.getLogger("guard_inbox.jobs")


class GuardHuey(PriorityRedisHuey):  # type: ignore[misc]
    """Drops a queue entry it refuses with one log line, so the worker takes the next one."""

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
