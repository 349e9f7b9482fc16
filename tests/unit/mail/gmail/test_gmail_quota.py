"""Quota bucket arithmetic (on a fake clock) and backoff bounds; one real-time check with slack."""

from __future__ import annotations

import threading
import time

import pytest

from guard_inbox.mail.gmail.quota import (
    BURST_SECONDS,
    FLOOR_FACTOR,
    PACE,
    SLOW_DOWN,
    SLOW_DOWN_SECONDS,
    Backoff,
    QuotaLimiter,
)


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_bucket_holds_a_small_burst_and_paces_at_the_rate() -> None:
    t = FakeTime()
    limiter = QuotaLimiter(9600, clock=t.clock, sleep=t.sleep)  # 160 units per second, paced at PACE
    rate = 160 * PACE
    burst = rate * BURST_SECONDS  # ~10 units
    assert 0.9 <= PACE < 1.0  # a small margin under the budget, never over it
    assert BURST_SECONDS < 0.25  # Google averages over seconds: no burst worth speaking of
    assert limiter.acquire(6) == 0.0  # a profile and a listing at once
    assert limiter.acquire(3) == 0.0
    assert t.slept == []
    assert limiter.acquire(50) == pytest.approx((9 + 50 - burst) / rate)  # the rest at the rate
    t.now += 0.03
    assert limiter.available() == pytest.approx(0.03 * rate)
    t.now += 1000
    assert limiter.available() == pytest.approx(burst)  # never a bigger burst after idling


def test_waiters_queue_up_instead_of_all_waking_at_once() -> None:
    t = FakeTime()
    limiter = QuotaLimiter(60, clock=t.clock, sleep=t.slept.append)  # ~1 unit/s; time stands still
    first = limiter.acquire(1)
    waits = [limiter.acquire(2) for _ in range(3)]
    burst = PACE * BURST_SECONDS
    assert waits == pytest.approx([(3 - burst) / PACE, (5 - burst) / PACE, (7 - burst) / PACE])
    assert limiter.waited_seconds == pytest.approx(first + sum(waits))


def test_a_batch_bigger_than_a_seconds_budget_is_served_by_sleeping_off_its_debt() -> None:
    t = FakeTime()
    limiter = QuotaLimiter(60, clock=t.clock, sleep=t.sleep)
    limiter.acquire(1)
    assert limiter.acquire(250) == pytest.approx(250.0 / PACE)
    assert limiter.acquire(1) == pytest.approx(1.0 / PACE)  # the next caller waits behind it


def test_for_account_shares_one_limiter_per_address_and_updates_budget() -> None:
    first = QuotaLimiter.for_account("Quota.Test@example.org", 600)
    assert QuotaLimiter.for_account("quota.test@example.org", 600) is first
    assert QuotaLimiter.for_account("quota.test@example.org", 1200).units_per_minute == 1200
    assert QuotaLimiter.for_account("other.quota@example.org") is not first


def test_threads_share_the_budget_in_real_time() -> None:
    limiter = QuotaLimiter(600)  # 10 units per second
    limiter.acquire(10)
    start = time.monotonic()
    threads = [threading.Thread(target=limiter.acquire, args=(2,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    elapsed = time.monotonic() - start
    assert 1.0 <= elapsed < 15.0  # 16 units at 10/s: ~1.6 s


def test_backoff_is_exponential_with_jitter_floored_and_capped() -> None:
    slept: list[float] = []
    low = Backoff(base=1.0, cap=32.0, max_attempts=6, sleep=slept.append, rand=lambda: 0.0)
    high = Backoff(base=1.0, cap=32.0, max_attempts=6, sleep=slept.append, rand=lambda: 1.0)
    assert [low.delay(n) for n in range(1, 7)] == [1.0] * 6
    assert [high.delay(n) for n in range(1, 7)] == [2.0, 4.0, 8.0, 16.0, 32.0, 32.0]
    assert high.delay(1, retry_after=10) == 10.0
    assert high.delay(1, retry_after=3600) == 32.0
    assert [high.can_retry(n) for n in (1, 5, 6)] == [True, True, False]
    high.wait(1)
    high.wait(2)
    assert slept == [2.0, 4.0]
    assert high.backoff_seconds == pytest.approx(6.0)
    jittered = Backoff(base=1.0, cap=32.0)
    assert all(1.0 <= jittered.delay(3) <= 8.0 for _ in range(100))


def test_a_stopped_waiter_leaves_at_once_and_gives_its_units_back() -> None:
    limiter = QuotaLimiter(600)  # 10 units per second
    stop = threading.Event()
    assert limiter.acquire_unless(1, stop)
    timer = threading.Timer(0.2, stop.set)
    timer.start()
    start = time.monotonic()
    assert not limiter.acquire_unless(50, stop)  # would have waited ~5 s
    assert time.monotonic() - start < 2.0
    timer.join()
    assert limiter.available() > -5  # the 50 units were given back


def test_a_429_slows_the_pace_once_per_burst_and_the_pace_recovers() -> None:
    t = FakeTime()
    limiter = QuotaLimiter(6000, clock=t.clock, sleep=t.sleep)
    assert limiter.pace_factor == 1.0
    limiter.slow_down()
    limiter.slow_down()  # parts of the same burst of refusals: counted once
    assert limiter.pace_factor == pytest.approx(SLOW_DOWN)
    t.now += SLOW_DOWN_SECONDS
    limiter.slow_down()
    assert limiter.pace_factor == pytest.approx(SLOW_DOWN * SLOW_DOWN, abs=0.01)
    t.now += 1000
    assert limiter.pace_factor == 1.0  # back to the full pace after a quiet while
    for _ in range(100):
        t.now += SLOW_DOWN_SECONDS
        limiter.slow_down()
    assert limiter.pace_factor >= FLOOR_FACTOR  # never slower than this


def test_while_slowed_down_the_units_come_slower() -> None:
    t = FakeTime()
    limiter = QuotaLimiter(600, clock=t.clock, sleep=t.slept.append)  # time stands still
    limiter.slow_down()
    assert limiter.acquire(20) == pytest.approx((20 - 10 * PACE * SLOW_DOWN * BURST_SECONDS)
                                                / (10 * PACE * SLOW_DOWN))
