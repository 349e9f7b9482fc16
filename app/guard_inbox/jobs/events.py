"""Job events: in-process listeners get them directly, other processes via Redis pub/sub."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator

import redis

from guard_inbox.domain.models import JobEvent

log = logging.getLogger(__name__)

CHANNEL = "guard-inbox:job-events"
QUIET_AFTER_FAILURE = 5.0  # seconds without broadcasts once Redis did not answer
Listener = Callable[[JobEvent], None]


class EventBus:
    """Publishes each event once to local listeners and once to Redis.

    Listeners run on the publishing (worker) thread and must stay tiny: the UI
    bridge only queues the event for the main thread.
    """

    def __init__(self, client: redis.Redis | None, source_id: str) -> None:
        self._client = client
        self.source_id = source_id
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._quiet_until = 0.0

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(redis.RedisError):
                self._client.close()

    def add_listener(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def deliver(self, event: JobEvent) -> None:
        """To this process's listeners only: an event another process already broadcast."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("Job event listener failed")

    def publish(self, event: JobEvent) -> None:
        self.deliver(event)
        if self._client is None or time.monotonic() < self._quiet_until:
            return  # the database holds the truth; a missed broadcast only delays a repaint
        payload = json.dumps({"source": self.source_id, "event": event.to_dict()})
        try:
            self._client.publish(CHANNEL, payload)
        except (redis.RedisError, OSError) as exc:  # the database already holds the truth
            self._quiet_until = time.monotonic() + QUIET_AFTER_FAILURE
            log.debug("Event for job %s not broadcast: %s", event.job_id, exc)


class RemoteEvents:
    """Follows events from every process; skips this process's own (it got them locally)."""

    def __init__(self, client: redis.Redis, own_source_id: str = "") -> None:
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(CHANNEL)
        self._own = own_source_id

    def events(self, timeout: float) -> Iterator[JobEvent]:
        """Events arriving within ``timeout`` seconds (blocking read, not polling)."""
        message = self._pubsub.get_message(timeout=timeout)
        while message is not None:
            event = _decode(message.get("data"), self._own)
            if event is not None:
                yield event
            message = self._pubsub.get_message(timeout=0)

    def close(self) -> None:
        with contextlib.suppress(redis.RedisError):
            self._pubsub.close()


def _decode(data: object, own: str) -> JobEvent | None:
    try:
        payload = json.loads(data)  # type: ignore[arg-type]
        if own and payload.get("source") == own:
            return None
        return JobEvent.from_dict(payload["event"])
    except (TypeError, ValueError, KeyError):
        log.debug("Ignored malformed job event %r", data)
        return None
