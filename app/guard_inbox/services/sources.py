"""Turns an account into the mail source that reads it."""

from __future__ import annotations

from pathlib import Path

from guard_inbox.domain.errors import PermanentError
from guard_inbox.domain.models import Account, AccountKind
from guard_inbox.domain.ports import MailSource
from guard_inbox.mail.local import LocalMailbox


class LocalSourceFactory:
    """Local mailboxes; the Gmail factory wraps this one and adds its own kind."""

    def open(self, account: Account) -> MailSource:
        if account.kind in (AccountKind.MBOX, AccountKind.EML_DIR):
            return LocalMailbox(Path(account.address))
        raise PermanentError(f"Accounts of kind {account.kind.value!r} cannot be scanned here.")
