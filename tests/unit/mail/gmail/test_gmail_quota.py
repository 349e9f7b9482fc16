"""Quota bucket arithmetic (on a fake clock) and backoff bounds; one real-time check with slack."""

from __future__ import annotations

import threading
import time

import pytest

from guard_inbox.mail.gmail.quota import PACE, Backoff, QuotaLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_bucket_holds_one_second_of_budget_and_paces_at_the_rate() -> None:
    t = FakeTime()
    limiter = QuotaLimiter(600, clock=t.clock, sleep=t.sleep)  # 10 units per second, paced at PACE
    rate = 10 * PACE
    assert 0.9 <= PACE < 1.0  # a small margin under the budget, never over it
    assert limiter.acquire(5) == 0.0
    assert limiter.acquire(4) == 0.0  # one second's worth available at once
    assert t.slept == []
    assert limiter.acquire(5) == pytest.approx((9 + 5 - rate) / rate)  # the rest at the rate
    t.now += 0.3
    assert limiter.available() == pytest.approx(0.3 * rate)
    t.now += 1000
    assert limiter.available() == pytest.approx(rate)  # never a burst bigger than one second


def test_waiters_queue_up_instead_of_all_waking_at_once() -> None:
    t = FakeTime()
    limiter = QuotaLimiter(60, clock=t.clock, sleep=t.slept.append)  # ~1 unit/s; time stands still
    first = limiter.acquire(1)
    waits = [limiter.acquire(2) for _ in range(3)]
    assert waits == pytest.approx([(3 - PACE) / PACE, (5 - PACE) / PACE, (7 - PACE) / PACE])
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
