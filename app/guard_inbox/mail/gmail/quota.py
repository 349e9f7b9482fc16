"""Stay inside Gmail's per-user quota instead of finding it with 429s, and back off when we do not.

Google counts quota in units per user per minute (messages.list 5, messages.get 5, history.list 2,
getProfile 1; 6,000 units/min for Cloud projects created since May 2026). Every thread scanning
one account draws from the same budget at Google, so they must draw from one bucket here too:
``QuotaLimiter.for_account`` hands the same limiter to every client of an address in this process.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import ClassVar

COST_LIST = 5
COST_GET = 5
COST_HISTORY = 2
COST_PROFILE = 1
DEFAULT_UNITS_PER_MINUTE = 6000
PACE = 0.99
# What the bucket holds when idle, in seconds of budget: enough for a profile and a listing at
# once, no more. Google averages over a few seconds, so a burst is paid back as a window holding
# more than the budget allows when the scan goes on at full pace after it (429s).
BURST_SECONDS = 1 / 16
# After a 429 the pace drops by SLOW_DOWN (once per SLOW_DOWN_SECONDS, however many parts of
# however many batches were refused together), never under FLOOR_FACTOR of it, and recovers
# RECOVERY_PER_SECOND of it per second: a machine too loaded to send evenly paces itself lower
# instead of meeting a 429 every few batches. A 5,000-message scan (benchmarks/gmail_scan.py):
# without this, paced at 0.98, 142 429s in 1,000 batches and 1.078x the floor (load average 6
# on 2 cores); with 0.95 and 0.002/s, 8 429s and 1.059x (load 1-3); with 0.97 and 0.003/s
# paced at 0.99, 18 429s and 1.033x (load 1).
SLOW_DOWN = 0.97
SLOW_DOWN_SECONDS = 1.0
FLOOR_FACTOR = 0.7
RECOVERY_PER_SECOND = 0.003


class QuotaLimiter:
    """A token bucket counted in quota units that refills ``units_per_minute`` evenly, paced a
    little under it and holding almost no burst (see BURST_SECONDS).

    ``acquire`` reserves its units at once, letting the bucket go into debt, and then sleeps off
    the debt outside the lock. Reserving first makes waiting threads queue in arrival order (no
    thread starves behind a stream of small requests) and keeps the lock held for microseconds.
    """

    _registry: ClassVar[dict[str, QuotaLimiter]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        units_per_minute: int = DEFAULT_UNITS_PER_MINUTE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if units_per_minute <= 0:
            raise ValueError("units_per_minute must be positive")
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._per_minute = float(units_per_minute)
        # Gmail enforces the per-user limit as a moving average over seconds: a bucket holding a
        # whole minute (or even a second) would let a burst trip 429s, so it paces instead.
        self._factor = 1.0  # lowered by slow_down after a 429, recovering with time
        self._slowed_at = -SLOW_DOWN_SECONDS
        self._available = self._burst
        self._updated = clock()
        self._waited = 0.0

    @classmethod
    def for_account(cls, address: str, units_per_minute: int = DEFAULT_UNITS_PER_MINUTE) -> QuotaLimiter:
        """The one limiter of ``address`` in this process, created on first use.

        Process-wide on purpose: Google's quota is per user, whoever in this process spends it.
        A changed budget (the setting was edited) is applied to the existing limiter.
        """
        key = address.strip().lower()
        with cls._registry_lock:
            limiter = cls._registry.get(key)
            if limiter is None:
                limiter = cls._registry[key] = cls(units_per_minute)
            else:
                limiter.set_budget(units_per_minute)
            return limiter

    @property
    def units_per_minute(self) -> int:
        return int(self._per_minute)

    @property
    def waited_seconds(self) -> float:
        """Total time callers slept waiting for quota (for reporting, not control)."""
        with self._lock:
            return self._waited

    def set_budget(self, units_per_minute: int) -> None:
        if units_per_minute <= 0:
            raise ValueError("units_per_minute must be positive")
        with self._lock:
            self._refill()
            self._per_minute = float(units_per_minute)
            self._available = min(self._available, self._burst)

    def available(self) -> float:
        """Units that could be spent right now without waiting (negative while in debt)."""
        with self._lock:
            self._refill()
            return self._available

    def acquire(self, units: int) -> float:
        """Take ``units``, sleeping until the bucket has refilled enough; returns seconds slept.

        The bucket may go into debt, so a batch costing more than the bucket holds is served
        too: its caller sleeps the debt off and the next caller waits behind it.
        """
        if units <= 0:
            return 0.0
        with self._lock:
            self._refill()
            self._available -= float(units)
            wait = -self._available / self._rate if self._available < 0 else 0.0
            self._waited += wait
        if wait > 0:
            self._sleep(wait)
        return wait

    @property
    def pace_factor(self) -> float:
        """Share of the normal pace in force (1.0 unless Gmail refused calls lately)."""
        with self._lock:
            self._refill()
            return self._factor

    def slow_down(self) -> None:
        """Gmail answered 429: pace lower for a while (once for a burst of refusals)."""
        with self._lock:
            self._refill()
            now = self._clock()
            if now - self._slowed_at < SLOW_DOWN_SECONDS:
                return
            self._slowed_at = now
            self._factor = max(FLOOR_FACTOR, self._factor * SLOW_DOWN)

    def acquire_unless(self, units: int, stop: threading.Event) -> bool:
        """As ``acquire``, but False at once, the units given back, when ``stop`` is set while waiting.

        A fetch thread whose scan has ended must not sleep out its place in the queue first.
        """
        if units <= 0:
            return not stop.is_set()
        with self._lock:
            self._refill()
            self._available -= float(units)
            wait = -self._available / self._rate if self._available < 0 else 0.0
        if stop.wait(wait) if wait > 0 else stop.is_set():
            with self._lock:
                self._available += float(units)
            return False
        with self._lock:
            self._waited += wait
        return True

    @property
    def _rate(self) -> float:
        # A little under the budget: we charge a batch when we send it, Google as it serves
        # each part, and a loaded machine sends some late and the next ones early. On the fake
        # that averages as Google does (benchmarks/gmail_scan.py, a few 400-message runs on a
        # loaded 2-core machine, before slow_down existed), 0.99 met 5-11 429s per scan, 0.98
        # 3-4 and 0.97 0-4. A 429 costs the part's 5 units and a retry while the other batches
        # go on, and slow_down now paces lower for a while after one: 1% under is enough.
        return self._per_minute / 60.0 * PACE * self._factor

    @property
    def _burst(self) -> float:
        return self._rate * BURST_SECONDS

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._updated = now
        self._available = min(self._burst, self._available + elapsed * self._rate)
        if self._factor < 1.0:
            self._factor = min(1.0, self._factor + elapsed * RECOVERY_PER_SECOND)


class Backoff:
    """Exponential backoff with full jitter, floored at ``base`` and capped at ``cap`` seconds.

    Attempt n (1-based retry number) sleeps a uniform random time in [base, min(cap, base*2^n)]:
    the jitter spreads threads that failed together, the floor keeps us from hammering a server
    that just said "slow down" (Google asks for >= 1 s). ``backoff_seconds`` adds up every sleep,
    across threads, so a scan can report how long it was held back.
    """

    def __init__(
        self,
        base: float = 1.0,
        cap: float = 32.0,
        max_attempts: int = 6,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base = base
        self.cap = max(cap, base)
        self.max_attempts = max_attempts
        self._sleep = sleep
        self._rand = rand
        self._lock = threading.Lock()
        self._total = 0.0

    @property
    def backoff_seconds(self) -> float:
        with self._lock:
            return self._total

    def can_retry(self, attempt: int) -> bool:
        """Whether another try may follow try number ``attempt`` (1-based)."""
        return attempt < self.max_attempts

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed try ``attempt``; a server's Retry-After is honoured up to cap."""
        ceiling = min(self.cap, self.base * 2.0 ** max(0, attempt))
        delay = self.base + (ceiling - self.base) * self._rand()
        if retry_after is not None and retry_after > delay:
            delay = min(self.cap, retry_after)
        return delay

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        seconds = self.delay(attempt, retry_after)
        with self._lock:
            self._total += seconds
        self._sleep(seconds)
        return seconds
