"""Adding and removing accounts: local mailboxes here, Gmail through a connector port."""

from __future__ import annotations

from pathlib import Path

from guard_inbox.domain.models import Account, AccountKind
from guard_inbox.mail.local import LocalMailbox
from guard_inbox.storage.accounts import AccountStore
from guard_inbox.storage.repository import Repository


def add_local_mailbox(repository: Repository, path: Path) -> Account:
    """Checks the path is a mailbox (one clear sentence if not), then adds or finds its account."""
    resolved = path.expanduser().resolve()
    kind = AccountKind(LocalMailbox(resolved).kind)
    return repository.add_account(kind, str(resolved), resolved.name)


def locate_local_mailbox(store: AccountStore, account_id: int, path: Path) -> Account:
    """Points a moved mailbox's account at its new place, once the path is checked to be one."""
    resolved = path.expanduser().resolve()
    kind = AccountKind(LocalMailbox(resolved).kind)
    return store.relocate(account_id, kind, str(resolved))
