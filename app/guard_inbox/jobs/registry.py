"""Live workers announce themselves in Redis with a short TTL (for stats and --wait)."""

from __future__ import annotations

import json

import redis

PREFIX = "guard-inbox:worker:"
TTL_SECONDS = 15


class WorkerRegistry:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def announce(self, worker_id: str, threads: int, busy: int) -> None:
        payload = json.dumps({"threads": threads, "busy": busy})
        self.client.set(PREFIX + worker_id, payload, ex=TTL_SECONDS)

    def withdraw(self, worker_id: str) -> None:
        self.client.delete(PREFIX + worker_id)

    def alive(self) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for key in self.client.scan_iter(match=PREFIX + "*", count=100):
            raw = self.client.get(key)
            if raw is None:
                continue
            name = key.decode() if isinstance(key, bytes) else str(key)
            try:
                found[name[len(PREFIX):]] = json.loads(raw)
            except ValueError:
                continue
        return found

    def alive_count(self) -> int:
        return len(self.alive())
