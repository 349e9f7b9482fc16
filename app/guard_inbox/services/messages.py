"""Load one stored message again from its source, for the source-email viewer."""

from __future__ import annotations

from guard_inbox.domain.errors import PermanentError
from guard_inbox.domain.models import MailMessage, StoredCode
from guard_inbox.domain.ports import SourceFactory
from guard_inbox.storage.repository import Repository


def load_source_message(repository: Repository, sources: SourceFactory, code: StoredCode) -> MailMessage:
    """Reads the message behind a code; raises a KnownError with a sentence if it is gone."""
    account = repository.get_account(code.account_id)
    if account is None or not code.message_id:
        raise PermanentError("The email this code came from is no longer known.")
    source = sources.open(account)
    wanted = code.message_id
    for item in source.fetch([wanted]):
        if isinstance(item, MailMessage):
            return item
        raise PermanentError(f"The email could not be read: {item.reason}")
    raise PermanentError("The email is no longer in its mailbox.")
