"""The one Huey instance: priority-capable Redis storage, no result store."""

from __future__ import annotations

from huey import PriorityRedisHuey

from guard_inbox.jobs.broker import BrokerInfo

QUEUE_NAME = "guard-inbox"


def make_huey(broker: BrokerInfo) -> PriorityRedisHuey:
    """Results are off: the database is where callers read a job's outcome."""
    return PriorityRedisHuey(
        QUEUE_NAME,
        connection_pool=broker.pool(),
        results=False,
        store_none=False,
        utc=True,
        blocking=True,
        read_timeout=1,
    )
