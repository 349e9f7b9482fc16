"""Gmail's per-user quota in the fake: the old one-second bucket, or Google's moving average."""

from __future__ import annotations

import time
from collections import deque


class TokenBucket:
    """Holds at most one second of units; a call costlier than that passes only from a full bucket."""

    window = 1.0

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.level = rate
        self.stamp = time.monotonic()

    def take(self, cost: int) -> bool:
        now = time.monotonic()
        self.level = min(self.rate, self.level + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.level >= min(cost, self.rate):
            self.level -= cost
            return True
        return False


class MovingAverageQuota:
    """Google's per-user quota as Google documents it: a moving average over a few seconds.

    A call passes when the units charged in the last ``window`` seconds plus its own cost stay
    within ``rate * window``; units are charged as each call is served (a batch's parts one by
    one), so a client that paid for a whole batch up front is not charged until it is served.
    """

    def __init__(self, rate: float, window: float) -> None:
        self.rate = rate
        self.window = window
        self._charged: deque[tuple[float, int]] = deque()
        self._sum = 0

    def take(self, cost: int) -> bool:
        now = time.monotonic()
        while self._charged and self._charged[0][0] <= now - self.window:
            self._sum -= self._charged.popleft()[1]
        if self._sum + cost > self.rate * self.window:
            return False
        self._charged.append((now, cost))
        self._sum += cost
        return True
