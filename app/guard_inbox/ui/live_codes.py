"""Which job events should reload the codes list: codes show while a scan finds them.

A job's end always does. During a scan, an event whose count of codes grew does too -- the
first at once, so the first code a local scan stores is on screen within moments, then at
most once a second: a scan sends up to ten events a second, and each reload asks the database
for every code id of the current query.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from guard_inbox.domain.models import JobEvent
from guard_inbox.services.api import Changes

EVERY_SECONDS = 1.0


class LiveCodes:
    def __init__(self, every: float = EVERY_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.monotonic = monotonic
        self._shown: dict[int, int] = {}  # job id -> codes found when the list last reloaded
        self._last = float("-inf")

    def changes(self, event: JobEvent) -> Changes:
        if event.state.is_final:
            self._shown.pop(event.job_id, None)
            return Changes.of_event(event)
        codes = False
        if event.codes_found > self._shown.get(event.job_id, 0):
            now = self.monotonic()
            if now - self._last >= self.every:
                self._last, codes = now, True
                self._shown[event.job_id] = event.codes_found
        return Changes(codes=codes, job_events=(event,))
