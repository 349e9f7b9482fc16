"""RetryPolicy: the delays before each retry of a scan that failed for a passing reason."""

from __future__ import annotations

import pytest

from guard_inbox.services.scan import RetryPolicy


def test_delays_double_from_the_base_then_stop_after_the_last_retry() -> None:
    policy = RetryPolicy(attempts=3, base_seconds=1.0, factor=2.0)
    assert [policy.delay_after(attempt) for attempt in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, None, None]


def test_defaults_are_five_ten_twenty_seconds() -> None:
    policy = RetryPolicy()
    assert [policy.delay_after(attempt) for attempt in (1, 2, 3, 4)] == [5.0, 10.0, 20.0, None]


@pytest.mark.parametrize(
    ("base", "factor", "expected"),
    [
        (5.0, 3.0, [5.0, 15.0, 45.0, 135.0]),
        (2.5, 1.0, [2.5, 2.5, 2.5, 2.5]),  # factor 1: a flat backoff
        (0.0, 2.0, [0.0, 0.0, 0.0, 0.0]),  # base 0: retry at once
        (0.5, 1.5, [0.5, 0.75, 1.125, 1.6875]),
    ],
)
def test_each_delay_is_base_times_factor_to_the_retry_number(
    base: float, factor: float, expected: list[float]
) -> None:
    policy = RetryPolicy(attempts=4, base_seconds=base, factor=factor)
    assert [policy.delay_after(attempt) for attempt in (1, 2, 3, 4)] == expected
    assert policy.delay_after(5) is None


def test_no_retries_means_the_first_failure_is_final() -> None:
    assert RetryPolicy(attempts=0).delay_after(1) is None
