"""Quota bucket arithmetic (on a fake clock) and backoff bounds; one real-time check with slack."""

from __future__ import annotations

import threading
import time

import pytest

from guard_inbox.mail.gmail.quota import Backoff, QuotaLimiter


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_bucket_starts_full_then_refills_at_budget_per_minute() -> None:
    t = FakeTime()
    limiter = QuotaLimiter(60, clock=t.clock, sleep=t.sleep)  # 1 unit per second
    for _ in range(12):
        assert limiter.acquire(5) == 0.0  # 60 units available at once
    assert t.slept == []
    assert limiter.acquire(5) == pytest.approx(5.0)  # empty: 5 units take 5 s
    t.now += 30
    assert limiter.available() == pytest.approx(30.0)
    t.now += 1000
    assert limiter.available() == pytest.approx(60.0)  # never more than one minute's budget


def test_waiters_queue_up_instead_of_all_waking_at_once() -> None:
    t = FakeTime()
    limiter = QuotaLimiter(60, clock=t.clock, sleep=t.slept.append)  # time stands still
    limiter.acquire(60)
    waits = [limiter.acquire(2) for _ in range(3)]
    assert waits == pytest.approx([2.0, 4.0, 6.0])
    assert limiter.waited_seconds == pytest.approx(12.0)


def test_request_bigger_than_budget_is_clamped_not_stuck() -> None:
    t = FakeTime()
    limiter = QuotaLimiter(60, clock=t.clock, sleep=t.sleep)
    limiter.acquire(60)
    assert limiter.acquire(500) == pytest.approx(60.0)


def test_for_account_shares_one_limiter_per_address_and_updates_budget() -> None:
    first = QuotaLimiter.for_account("Quota.Test@example.org", 600)
    assert QuotaLimiter.for_account("quota.test@example.org", 600) is first
    assert QuotaLimiter.for_account("quota.test@example.org", 1200).units_per_minute == 1200
    assert QuotaLimiter.for_account("other.quota@example.org") is not first


def test_threads_share_the_budget_in_real_time() -> None:
    limiter = QuotaLimiter(600)  # 10 units per second
    limiter.acquire(600)
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
