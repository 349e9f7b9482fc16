"""The Overview tab's figures: local calendar days, top shops with their best discount, scans.

The SQL lives in ``storage/overview_queries.py`` and counts; a day is one of
``domain.overview.day_starts`` (local midnights, daylight-saving moves included, shared with the
codes list's day filter); this module decides which few shops a day's tooltip names and which
discount reads as the biggest.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from guard_inbox.domain.overview import ExpiringDay, Overview, ScanSummary, ShopSummary, day_starts
from guard_inbox.storage.overview_queries import DayShopCount, OverviewQueries

TIMELINE_DAYS = 30
TOP_SHOPS = 8
RECENT_SCANS = 14
SHOPS_PER_DAY = 3
DISCOUNTS_PER_SHOP = 3

_PERCENT = re.compile(r"(\d{1,3}(?:[.,]\d+)?)\s*%")
_AMOUNT = re.compile(
    r"[$€£¥]\s*(\d+(?:[.,]\d+)?)|(\d+(?:[.,]\d+)?)\s*(?:[$€£¥]|(?:eur|usd|gbp)\b)", re.IGNORECASE)


def discount_size(discount: str) -> tuple[int, float]:
    """How big a discount reads: percentages above amounts above words; larger numbers first."""
    if match := _PERCENT.search(discount):
        return 2, float(match.group(1).replace(",", "."))
    if match := _AMOUNT.search(discount):
        return 1, float((match.group(1) or match.group(2)).replace(",", "."))
    return 0, 0.0


def biggest_first(discounts: Iterable[str]) -> tuple[str, ...]:
    """Biggest discount first; equal sizes by name, so the order never depends on the database."""
    by_name = sorted(discounts, key=lambda d: (d.lower(), d))
    return tuple(sorted(by_name, key=discount_size, reverse=True))


def best_discount(discounts: Iterable[str]) -> str:
    ranked = biggest_first(discounts)
    return ranked[0] if ranked else ""


def _days(rows: Iterable[DayShopCount], today: date, days: int) -> tuple[ExpiringDay, ...]:
    per_day: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for row in rows:
        per_day[row.day].append((row.merchant, row.codes))
    result = []
    for i in range(days):
        shops = sorted(per_day.get(i, []), key=lambda shop: (-shop[1], shop[0].lower()))
        result.append(ExpiringDay(
            day=today + timedelta(days=i), count=sum(n for _, n in shops),
            shops=tuple(shops[:SHOPS_PER_DAY]), more_shops=max(len(shops) - SHOPS_PER_DAY, 0),
        ))
    return tuple(result)


def read_overview(queries: OverviewQueries, now: datetime | None = None,
                  days: int = TIMELINE_DAYS) -> Overview:
    """Everything the Overview tab draws, in three aggregate queries.

    ``now`` (aware) fixes the clock and the time zone the days are counted in; without it, the
    system's clock and local time.
    """
    zone = None if now is None else now.tzinfo
    now = now or datetime.now(UTC)
    today = now.astimezone(zone).date() if zone is not None else now.astimezone().date()
    expiring = queries.expiring_by_day(now, day_starts(today, days, zone))
    every_shop = queries.shops(now)
    shops = sorted(every_shop, key=lambda s: (-s.active, -s.codes, s.shop_key))[:TOP_SHOPS]
    scans = queries.recent_scans(RECENT_SCANS)
    return Overview(
        today=today,
        expiring=_days(expiring, today, days),
        shops=tuple(
            ShopSummary(
                merchant=s.merchant, codes=s.codes, active=s.active, used=s.used,
                discounts=biggest_first(s.discounts)[:DISCOUNTS_PER_SHOP],
                best_discount=best_discount(s.discounts),
            )
            for s in shops
        ),
        shop_count=len(every_shop),
        total_codes=sum(s.codes for s in every_shop),
        active_codes=sum(s.active for s in every_shop),
        scans=tuple(
            ScanSummary(job_id=s.job_id, account_label=s.account_label, state=s.state,
                        trigger=s.trigger, finished_at=s.finished_at, scanned=s.scanned,
                        found=s.found, new=s.new)
            for s in reversed(scans)
        ),
    )
