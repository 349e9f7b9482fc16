"""The Overview tab's SQL: every figure is counted by the database, never by loading codes.

Each method answers in one statement over ``promo_code`` (or ``scan_job``), grouped so the
result has one row per day, shop or scan, however many codes there are
(``benchmarks/overview.py`` times them with 100,000). Day buckets come from the caller as
UTC instants of local midnights, so the database needs no time-zone knowledge and SQLite and
PostgreSQL give the same answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import peewee

from guard_inbox.domain.models import JobState
from guard_inbox.storage.clock import from_db, to_db
from guard_inbox.storage.db import Database
from guard_inbox.storage.tables import AccountRow, CodeRow, JobRow


class DayShopCount(NamedTuple):
    day: int  # index into the caller's day starts
    merchant: str
    codes: int


class ShopCounts(NamedTuple):
    shop_key: str  # accent- and case-free: one shop, however a mail spells it
    merchant: str
    codes: int
    active: int
    used: int
    discounts: tuple[str, ...]  # distinct, of usable codes, in no particular order


class ScanRow(NamedTuple):
    job_id: int
    account_label: str
    state: JobState
    trigger: str
    finished_at: datetime | None
    scanned: int
    found: int
    new: int


_FINAL = [state.value for state in JobState if state.is_final]
# ASCII's unit separator: not in discount text a person reads; one that held it would only
# be shown split or with a comma (these lists are for display).
_UNIT = "\x1f"


def _active(now: datetime) -> peewee.Node:
    """1 for a code still usable at ``now`` (unused, not expired), else 0: summed per group."""
    return peewee.Case(None, [(CodeRow.used, 0), (CodeRow.expires_at < now, 0)], 1)


class OverviewQueries:
    def __init__(self, database: Database) -> None:
        self.database = database

    def expiring_by_day(self, now: datetime, day_starts: Sequence[datetime]) -> list[DayShopCount]:
        """Unused codes expiring from ``now`` until the last of ``day_starts``, counted per day
        (index i: between starts i and i+1) and shop. Aware datetimes; one row per pair."""
        starts = [to_db(start) for start in day_starts]
        if len(starts) < 2:
            return []
        day = peewee.Case(
            None, [(CodeRow.expires_at < start, i) for i, start in enumerate(starts[1:-1])],
            len(starts) - 2,
        )
        lower = max(to_db(now), starts[0])  # type: ignore[type-var]
        query = (
            CodeRow.select(day.alias("day"), peewee.fn.MIN(CodeRow.merchant),
                           peewee.fn.COUNT(CodeRow.id))
            .where(~CodeRow.used & (CodeRow.expires_at >= lower) & (CodeRow.expires_at < starts[-1]))
            # By its name: repeated, the CASE would carry its own parameters, and PostgreSQL
            # does not see two parameterised expressions as the same one.
            .group_by(peewee.SQL('"day"'), CodeRow.shop_key)
        )
        return [DayShopCount(int(d), str(m), int(n)) for d, m, n in self._rows(query)]

    def shops(self, now: datetime) -> list[ShopCounts]:
        """Every shop's codes, usable ones (unused, not expired at ``now``), used ones, and the
        distinct discounts of its usable codes.

        One pass over the table: the caller adds the rows up for the totals, and the discounts
        come as one distinct list per shop, which costs SQLite a fraction of a second
        statement grouped by shop and discount (that one sorts most of the table).
        """
        now_db = to_db(now)
        offered = peewee.Case(None, [(CodeRow.used, None), (CodeRow.expires_at < now_db, None),
                                     (CodeRow.discount == "", None)], CodeRow.discount)
        query = (
            CodeRow.select(CodeRow.shop_key, peewee.fn.MIN(CodeRow.merchant),
                           peewee.fn.COUNT(CodeRow.id), peewee.fn.SUM(_active(now_db)),
                           peewee.fn.SUM(peewee.Case(None, [(CodeRow.used, 1)], 0)),
                           self._distinct_list(offered))
            .group_by(CodeRow.shop_key)
        )
        return [ShopCounts(str(k), str(m), int(c), int(a or 0), int(u or 0), self._split(d))
                for k, m, c, a, u, d in self._rows(query)]

    def _distinct_list(self, value: peewee.Node) -> peewee.Node:
        """The distinct non-NULL values of a group in one string, split again by ``_split``.

        SQLite's group_concat takes no separator with DISTINCT (it is always ","), so commas
        inside a value travel as the unit separator; PostgreSQL's string_agg takes that one.
        """
        if self.database.is_sqlite:
            return peewee.fn.GROUP_CONCAT(peewee.NodeList((
                peewee.SQL("DISTINCT"), peewee.fn.REPLACE(value, ",", _UNIT))))
        return peewee.fn.STRING_AGG(peewee.NodeList((peewee.SQL("DISTINCT"), value)), _UNIT)

    def _split(self, joined: object) -> tuple[str, ...]:
        if not joined:
            return ()
        text = str(joined)
        if self.database.is_sqlite:
            return tuple(part.replace(_UNIT, ",") for part in text.split(","))
        return tuple(text.split(_UNIT))

    def recent_scans(self, limit: int) -> list[ScanRow]:
        """The latest ``limit`` finished scans, newest first."""
        query = (
            JobRow.select(JobRow.id, AccountRow.display_name, AccountRow.address, JobRow.state,
                          JobRow.trigger, JobRow.finished_at, JobRow.scanned, JobRow.codes_found,
                          JobRow.codes_new)
            .join(AccountRow)
            .where(JobRow.state.in_(_FINAL))
            .order_by(JobRow.id.desc())
            .limit(limit)
        )
        return [
            ScanRow(int(job_id), str(name or address), JobState(state), str(trigger),
                    from_db(finished), int(scanned), int(found), int(new))
            for job_id, name, address, state, trigger, finished, scanned, found, new
            in self._rows(query)
        ]

    def _rows(self, query: peewee.Query) -> list[tuple[Any, ...]]:
        """Straight from the cursor: no model instances for rows that are only numbers."""
        return list(self.database.db.execute(query).fetchall())
