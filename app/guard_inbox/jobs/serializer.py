"""Tasks travel through Redis as JSON, never pickle.

Huey pickles its messages by default, and unpickling runs code: anyone who can write to the
Redis (every client of a shared ``REDIS_URL``) could run code in every worker. Our tasks carry
a job id, so plain JSON holds them; anything else on the queue is refused, logged and dropped,
and the worker goes on.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from huey.registry import Message
from huey.serializer import Serializer

log = logging.getLogger("guard_inbox.jobs")

FORMAT = "guard-inbox-task/1"
_SCALARS = (str, int, float, bool, type(None))


class RefusedMessage(ValueError):
    """A queue entry that is not one of our JSON task messages (pickle, junk, a foreign task)."""


class JsonSerializer(Serializer):  # type: ignore[misc]
    """Encodes huey's task ``Message`` as a small JSON object and accepts nothing else."""

    def _serialize(self, data: Any) -> bytes:
        if not isinstance(data, Message):
            raise TypeError(f"only task messages go on the queue, not {type(data).__name__}")
        if data.on_complete or data.on_error or data.chord_config:
            raise TypeError("task pipelines and chords are not used, and not serialised")
        if not all(isinstance(a, _SCALARS) for a in data.args or ()):
            raise TypeError("task arguments must be plain values (a job id), not objects")
        body = {
            "format": FORMAT, "id": data.id, "name": data.name, "eta": _iso(data.eta),
            "retries": data.retries, "retry_delay": data.retry_delay, "priority": data.priority,
            "args": list(data.args or ()), "kwargs": dict(data.kwargs or {}),
            "expires": data.expires, "expires_resolved": _iso(data.expires_resolved),
            "timeout": data.timeout, "retry_backoff": data.retry_backoff,
        }
        return json.dumps(body, separators=(",", ":")).encode("utf-8")

    def _deserialize(self, data: bytes) -> Message:
        try:
            body = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise RefusedMessage(f"not a JSON task ({len(data)} bytes, starting {data[:8]!r})") from exc
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise RefusedMessage("JSON, but not a Guard Inbox task message")
        try:
            return Message(
                id=_typed(body, "id", str), name=_typed(body, "name", str),
                eta=_datetime(body.get("eta")), retries=_number(body.get("retries")),
                retry_delay=_number(body.get("retry_delay")), priority=_number(body.get("priority")),
                args=tuple(_plain_list(body.get("args"))), kwargs=_plain_dict(body.get("kwargs")),
                expires=_number(body.get("expires")),
                expires_resolved=_datetime(body.get("expires_resolved")),
                timeout=_number(body.get("timeout")), retry_backoff=_number(body.get("retry_backoff")),
            )
        except (TypeError, ValueError) as exc:
            raise RefusedMessage(f"malformed task message: {exc}") from exc


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _datetime(value: object) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("a time must be an ISO 8601 string")
    return datetime.fromisoformat(value)


def _typed(body: dict[str, Any], key: str, kind: type) -> Any:
    value = body.get(key)
    if not isinstance(value, kind):
        raise TypeError(f"{key} must be {kind.__name__}")
    return value


def _number(value: object) -> int | float | None:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    raise TypeError(f"expected a number, got {type(value).__name__}")


def _plain_list(value: object) -> list[Any]:
    if not isinstance(value, list) or not all(isinstance(v, _SCALARS) for v in value):
        raise TypeError("args must be a list of plain values")
    return value


def _plain_dict(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, _SCALARS) for v in value.values()):
        raise TypeError("kwargs must be an object of plain values")
    return value
