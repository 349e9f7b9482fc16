"""What the Overview tab draws: already aggregated, so no view ever holds 100,000 codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from guard_inbox.domain.models import JobState


def day_starts(today: date, days: int, zone: tzinfo | None = None) -> list[datetime]:
    """The ``days + 1`` midnights from ``today`` on, as aware instants.

    Without ``zone``, in the system's local time with each date's own UTC offset, so a
    daylight-saving change inside the 30 days moves that day's boundary by its hour.
    """
    midnights = (datetime.combine(today + timedelta(days=i), time()) for i in range(days + 1))
    if zone is None:
        return [m.astimezone() for m in midnights]
    return [m.replace(tzinfo=zone) for m in midnights]


@dataclass(frozen=True, slots=True)
class ExpiringDay:
    """Unused codes expiring on one local calendar day (today: from now on)."""

    day: date
    count: int
    shops: tuple[tuple[str, int], ...] = ()  # (shop, codes), most codes first, a few only
    more_shops: int = 0  # shops expiring that day beyond ``shops``


@dataclass(frozen=True, slots=True)
class ShopSummary:
    """One shop's codes: how many, how many still usable, and what they take off."""

    merchant: str  # "" when extraction found no shop
    codes: int
    active: int  # unused and not expired
    used: int
    discounts: tuple[str, ...] = ()  # of active codes, biggest first, a few only
    best_discount: str = ""  # the biggest of them ("30% off" beats "10% off")

    @property
    def expired(self) -> int:
        return self.codes - self.active - self.used


@dataclass(frozen=True, slots=True)
class ScanSummary:
    """What one finished scan found."""

    job_id: int
    account_label: str
    state: JobState
    trigger: str
    finished_at: datetime | None  # aware UTC
    scanned: int
    found: int
    new: int

    @property
    def known(self) -> int:
        """Codes found again that an earlier scan had stored already."""
        return max(self.found - self.new, 0)


@dataclass(frozen=True, slots=True)
class Overview:
    today: date  # the local day the timeline starts on
    expiring: tuple[ExpiringDay, ...]  # one per day, days without codes included
    shops: tuple[ShopSummary, ...]  # the shops with most active codes, most first
    shop_count: int
    total_codes: int
    active_codes: int
    scans: tuple[ScanSummary, ...]  # the latest finished scans, oldest first

    @property
    def expiring_total(self) -> int:
        return sum(day.count for day in self.expiring)

    @property
    def is_empty(self) -> bool:
        """Nothing found and nothing scanned yet: the view shows its welcome sentence instead."""
        return self.total_codes == 0 and not self.scans
