"""Adding and removing accounts: local mailboxes here, Gmail through a connector port."""

from __future__ import annotations

from pathlib import Path

from guard_inbox.domain.models import Account, AccountKind
from guard_inbox.mail.local import LocalMailbox
from guard_inbox.storage.repository import Repository


def add_local_mailbox(repository: Repository, path: Path) -> Account:
    """Checks the path is a mailbox (one clear sentence if not), then adds or finds its account."""
    resolved = path.expanduser().resolve()
    kind = AccountKind(LocalMailbox(resolved).kind)
    return repository.add_account(kind, str(resolved), resolved.name)
