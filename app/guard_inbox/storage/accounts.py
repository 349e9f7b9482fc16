"""Changing an account: rename, pause, point at a moved mailbox, remove with or without its codes.

Apart from the repository (which adds accounts and records scans) so the account life cycle is
read in one place. Every change is one transaction and returns the account as it now is.
"""

from __future__ import annotations

from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.models import Account, AccountKind, AccountStatus, JobState
from guard_inbox.storage.clock import utcnow
from guard_inbox.storage.db import Database
from guard_inbox.storage.repository import Repository
from guard_inbox.storage.tables import AccountRow, JobRow

NAME_MAX = 255
REMOVED_NOTE = "Cancelled: its account was removed."


class AccountStore:
    def __init__(self, database: Database, repository: Repository) -> None:
        self.database = database
        self.repository = repository

    def _row(self, account_id: int) -> AccountRow:
        row = AccountRow.get_or_none(
            (AccountRow.id == account_id) & AccountRow.removed_at.is_null()
        )
        if row is None:
            raise KnownError("That account no longer exists; it may have been removed meanwhile.")
        return row

    def _now(self, account_id: int) -> Account:
        account = self.repository.get_account(account_id)
        if account is None:  # removed by another process between our write and this read
            raise KnownError("That account no longer exists; it may have been removed meanwhile.")
        return account

    def rename(self, account_id: int, name: str) -> Account:
        """The name lists show; empty goes back to the address."""
        name = " ".join(name.split())
        if len(name) > NAME_MAX:
            raise KnownError(f"A name can be at most {NAME_MAX} characters long.")
        with self.database.write():
            row = self._row(account_id)
            row.display_name = name
            row.save()
        return self._now(account_id)

    def set_paused(self, account_id: int, paused: bool) -> Account:
        with self.database.write():
            row = self._row(account_id)
            row.paused = paused
            row.save()
        return self._now(account_id)

    def relocate(self, account_id: int, kind: AccountKind, address: str) -> Account:
        """The mailbox moved: same account (checkpoints and codes), new place, problem cleared."""
        with self.database.write():
            row = self._row(account_id)
            if row.kind == AccountKind.GMAIL.value:
                raise KnownError("A Gmail account has no file to locate.")
            other = AccountRow.get_or_none(
                (AccountRow.kind == kind.value) & (AccountRow.address == address)
                & (AccountRow.id != account_id)
            )
            if other is not None:
                raise KnownError(f"{address} is already the mailbox of another account "
                                 f"({other.display_name or other.address}).")
            if row.display_name in ("", _basename(row.address)):
                row.display_name = _basename(address)  # a name the user chose stays
            row.kind, row.address = kind.value, address
            row.status, row.status_message = AccountStatus.OK.value, ""
            row.save()
        return self._now(account_id)

    def remove(self, account_id: int, *, keep_codes: bool) -> Account:
        """Without its codes the account goes with everything it owns (jobs, checkpoints,
        codes). Keeping them, it stays as their owner, out of every list and scan; its waiting
        scans are cancelled and a running one stops at its next checkpoint."""
        account = self._now(account_id)
        with self.database.write():
            row = self._row(account_id)
            if not keep_codes:
                row.delete_instance()  # ON DELETE CASCADE: jobs, checkpoints, codes
            else:
                row.removed_at, row.paused = utcnow(), True
                row.save()
                mine = JobRow.account == account_id
                JobRow.update(state=JobState.CANCELLED.value, finished_at=utcnow(),
                              error=REMOVED_NOTE, next_attempt_at=None).where(
                    mine & (JobRow.state == JobState.PENDING.value)).execute()
                JobRow.update(cancel_requested=True).where(
                    mine & (JobRow.state == JobState.IN_PROGRESS.value)).execute()
        return account


def _basename(address: str) -> str:
    return address.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1]
