"""Read one message: again from its source (the source-email viewer), or from a file (`extract`)."""

from __future__ import annotations

import json
from pathlib import Path

from guard_inbox.domain.errors import PermanentError
from guard_inbox.domain.models import MailMessage, StoredCode
from guard_inbox.domain.ports import SourceFactory
from guard_inbox.mail.mime import parse_message
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


def read_message_file(path: Path) -> MailMessage:
    """An .eml file, or a saved .html page (its subject from a .json sidecar's "title")."""
    raw = path.read_bytes()
    if path.suffix.lower() in (".html", ".htm"):
        subject = ""
        sidecar = path.with_suffix(".json")
        if sidecar.exists():
            try:
                subject = str(json.loads(sidecar.read_text(encoding="utf-8")).get("title", ""))
            except (ValueError, AttributeError):
                subject = ""
        header = f"Subject: {subject}\nContent-Type: text/html; charset=utf-8\n\n".encode()
        raw = header + raw
    return parse_message(raw, path.name)
