"""Accounts, scanned messages and codes; every method returns domain objects."""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from datetime import datetime, timedelta

import peewee

from guard_inbox.domain.folding import fold, search_terms
from guard_inbox.domain.models import (
    DEFAULT_EXPIRING_DAYS,
    Account,
    AccountKind,
    AccountStatus,
    CodeQuery,
    StoredCode,
)
from guard_inbox.storage.clock import from_db, to_db, utcnow
from guard_inbox.storage.db import Database
from guard_inbox.storage.job_repository import JobRepository
from guard_inbox.storage.scan_writes import ScanResult, write_results
from guard_inbox.storage.tables import AccountRow, CodeRow, MessageRow

__all__ = ["Repository", "ScanResult"]


def _account(row: AccountRow, code_count: int = 0) -> Account:
    return Account(
        id=row.id,
        kind=AccountKind(row.kind),
        address=row.address,
        display_name=row.display_name,
        status=AccountStatus(row.status),
        status_message=row.status_message,
        last_scan_at=from_db(row.last_scan_at),
        code_count=code_count,
        paused=bool(row.paused),
        removed=row.removed_at is not None,
        sync_state=str(row.sync_state or ""),
    )


class Repository:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._jobs = JobRepository(database)  # job ownership checks inside our transactions

    # -- accounts -----------------------------------------------------------------
    def add_account(self, kind: AccountKind, address: str, display_name: str = "") -> Account:
        with self.database.write():
            row = AccountRow.get_or_none(
                (AccountRow.kind == kind.value) & (AccountRow.address == address)
            )
            if row is None:
                row = AccountRow.create(
                    kind=kind.value, address=address, display_name=display_name,
                    created_at=utcnow(),
                )
            elif row.removed_at is not None:  # added again after a removal that kept its codes
                row.removed_at, row.paused = None, False
                row.save()
        return _account(row)

    def get_account(self, account_id: int) -> Account | None:
        row = AccountRow.get_or_none(AccountRow.id == account_id)
        return None if row is None else _account(row, self._code_count(account_id))

    def find_account(self, address: str, kind: AccountKind | None = None) -> Account | None:
        query = AccountRow.select().where(
            (peewee.fn.LOWER(AccountRow.address) == address.lower()) & AccountRow.removed_at.is_null()
        )
        if kind is not None:
            query = query.where(AccountRow.kind == kind.value)
        row = query.first()
        return None if row is None else _account(row, self._code_count(row.id))

    def list_accounts(self) -> list[Account]:
        counts = dict(
            CodeRow.select(CodeRow.account, peewee.fn.COUNT(CodeRow.id))
            .group_by(CodeRow.account)
            .tuples()
        )
        rows = AccountRow.select().where(AccountRow.removed_at.is_null()).order_by(AccountRow.id)
        return [_account(r, counts.get(r.id, 0)) for r in rows]

    def set_account_status(self, account_id: int, status: AccountStatus, message: str = "") -> None:
        with self.database.write():
            AccountRow.update(status=status.value, status_message=message).where(
                AccountRow.id == account_id
            ).execute()

    def finish_account_scan(self, account_id: int, sync_state: str | None) -> None:
        updates: dict[str, object] = {"last_scan_at": utcnow()}
        if sync_state is not None:
            updates["sync_state"] = sync_state
        with self.database.write():
            AccountRow.update(**updates).where(AccountRow.id == account_id).execute()

    def _code_count(self, account_id: int) -> int:
        return int(CodeRow.select().where(CodeRow.account == account_id).count())

    # -- checkpoints and codes ---------------------------------------------------------
    def scanned_ids(self, account_id: int) -> frozenset[str]:
        query = MessageRow.select(MessageRow.provider_id).where(MessageRow.account == account_id)
        return frozenset(pid for (pid,) in query.tuples())

    def record_scan_results(
        self, account_id: int, job_id: int, results: Sequence[ScanResult], owner: str = ""
    ) -> tuple[int, int]:
        """Checkpoint messages and upsert their codes in one transaction.

        Returns (codes found, codes new): each code counts once per job, however many messages
        repeat it (found = new + already known). A message already checkpointed is skipped, so
        codes never double. With ``owner`` (the worker running the job) nothing is written, and
        ScanLost raised, once another worker has taken the job over.
        """
        with self.database.write():
            self._jobs.check_owner(job_id, owner)
            found, new = write_results(account_id, job_id, results, utcnow())
            self._jobs.add_counts(job_id, len(results), found, new)
            return found, new

    # -- reading codes -------------------------------------------------------------
    def _code_select(self, query: CodeQuery, *, rows: bool = True) -> peewee.ModelSelect:
        """The query's codes in its order; ``rows=False`` selects ids alone, without the join to
        the messages (the codes list asks for every id of 100,000 codes on each reload)."""
        if rows:
            select = CodeRow.select(CodeRow, MessageRow).join(
                MessageRow, peewee.JOIN.LEFT_OUTER, on=(CodeRow.message == MessageRow.id)
            )
        else:
            select = CodeRow.select(CodeRow.id)
        if query.account_id is not None:
            select = select.where(CodeRow.account == query.account_id)
        for term in search_terms(query.search):
            select = select.where(_contains(CodeRow.search_key, term))
        if query.shop:
            select = select.where(_contains(CodeRow.shop_key, fold(query.shop)))
        if query.expires_between is not None:
            start, end = (to_db(instant) for instant in query.expires_between)
            select = select.where((CodeRow.expires_at >= start) & (CodeRow.expires_at < end))
        status = _status(query, utcnow())
        if status is not None:
            keep = list(query.keep_ids)
            select = select.where(status | CodeRow.id.in_(keep) if keep else status)
        column = {
            "code": CodeRow.code_key, "merchant": CodeRow.merchant_key,
            "discount": CodeRow.discount, "expires": CodeRow.expires_at,
            "first_seen": CodeRow.first_seen, "last_seen": CodeRow.last_seen,
            "used": CodeRow.used,
        }.get(query.sort, CodeRow.first_seen)
        order = column.desc(nulls="LAST") if query.descending else column.asc(nulls="LAST")
        if query.group_by_shop:
            return select.order_by(CodeRow.shop_key, order, CodeRow.id.desc())
        return select.order_by(order, CodeRow.id.desc())

    def code_ids(self, query: CodeQuery) -> list[int]:
        """Ids only: the UI model holds these and fetches rows lazily."""
        # Straight from the cursor: peewee's row wrapping costs twice the query on 100,000 ids,
        # GIL time the window's thread then waits for while scans run.
        cursor = self.database.db.execute(self._code_select(query, rows=False))
        return [cid for (cid,) in cursor.fetchall()]

    def code_shops(self, query: CodeQuery) -> list[tuple[int, str, str]]:
        """(id, shop key, shop name) in the query's order, for a list grouped by shop."""
        select = self._code_select(query, rows=False).select(
            CodeRow.id, CodeRow.shop_key, CodeRow.merchant
        )
        return [(cid, key, name) for cid, key, name in self.database.db.execute(select).fetchall()]

    def codes_by_ids(self, ids: Sequence[int]) -> list[StoredCode]:
        if not ids:
            return []
        rows = {
            r.id: r
            for r in CodeRow.select(CodeRow, MessageRow)
            .join(MessageRow, peewee.JOIN.LEFT_OUTER, on=(CodeRow.message == MessageRow.id))
            .where(CodeRow.id.in_(list(ids)))
        }
        return [_stored_code(rows[i]) for i in ids if i in rows]

    def list_codes(self, query: CodeQuery | None = None, limit: int | None = None) -> list[StoredCode]:
        select = self._code_select(query or CodeQuery())
        if limit is not None:
            select = select.limit(limit)
        return [_stored_code(r) for r in select]

    def count_codes(self, account_id: int | None = None) -> int:
        select = CodeRow.select()
        if account_id is not None:
            select = select.where(CodeRow.account == account_id)
        return int(select.count())

    def expiring_unnotified(self, days: int) -> list[StoredCode]:
        """Unused codes expiring within ``days`` that we have not warned about yet."""
        # The codes list's own "Expiring soon" question: a notification names what it lists.
        soon = CodeQuery(status="expiring", expiring_days=days, sort="expires", descending=False)
        select = self._code_select(soon).where(CodeRow.expiry_notified_at.is_null())
        return [_stored_code(r) for r in select]

    def mark_expiry_notified(self, code_ids: Sequence[int]) -> None:
        if not code_ids:
            return
        with self.database.write():
            CodeRow.update(expiry_notified_at=utcnow()).where(CodeRow.id.in_(list(code_ids))).execute()

    def set_code_used(self, code_id: int, used: bool) -> None:
        with self.database.write():
            CodeRow.update(used=used).where(CodeRow.id == code_id).execute()


def _stored_code(row: CodeRow) -> StoredCode:
    message = getattr(row, "message", None) if row.message_id is not None else None
    return StoredCode(
        id=row.id,
        account_id=row.account_id,
        code=row.code,
        merchant=row.merchant,
        discount=row.discount,
        expires=from_db(row.expires_at),
        min_spend=row.min_spend,
        link=row.link,
        source=row.source,
        first_seen=from_db(row.first_seen),
        last_seen=from_db(row.last_seen),
        used=bool(row.used),
        subject=message.subject if message else "",
        sender=message.sender if message else "",
        message_id=message.provider_id if message else "",
    )


def _status(query: CodeQuery, now: datetime) -> peewee.Expression | None:
    """The status filter and the expired toggle as one condition (None: every code)."""
    not_expired = CodeRow.expires_at.is_null() | (CodeRow.expires_at >= now)
    days = DEFAULT_EXPIRING_DAYS if query.expiring_days is None else query.expiring_days
    conditions: list[peewee.Expression] = []
    if query.status in ("active", "unused", "expiring"):
        conditions.append(~CodeRow.used)
    if query.status == "active" or not query.include_expired:
        conditions.append(not_expired)
    if query.status == "expiring":
        # The same window as expiring_unnotified: what a notification names, this lists.
        conditions.append((CodeRow.expires_at >= now) & (CodeRow.expires_at <= now + timedelta(days=days)))
    elif query.status == "used":
        conditions.append(CodeRow.used)
    if not conditions:
        return None
    return functools.reduce(operator.and_, conditions)


def _contains(column: peewee.Field, text: str) -> peewee.Expression:
    """Case-insensitive substring match in which % and _ are plain characters.

    Searching "_" or "%" used to match every code: both are LIKE wildcards unless escaped.
    """
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = peewee.NodeList((peewee.Value(f"%{escaped}%"), peewee.SQL("ESCAPE '\\'")))
    return peewee.Expression(column, peewee.OP.ILIKE, pattern)  # SQLite: LIKE; PostgreSQL: ILIKE
