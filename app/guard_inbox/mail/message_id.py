"""A message's identity from its raw bytes: the Message-ID, else a content hash.

Read from the header block only, with a regex rather than a header parser: list_ids runs this on
every message of multi-gigabyte mailboxes, and it must not touch the body.
"""

from __future__ import annotations

import codecs
import hashlib
import re

__all__ = ["MAX_MESSAGE_ID", "message_id_of", "provider_id_for", "strip_leading"]

_HEADER_BLOCK_LIMIT = 256 * 1024
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(rb"^message-id[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)

MAX_MESSAGE_ID = 500


def message_id_of(raw: bytes) -> str | None:
    """The normalised Message-ID (no <>, no whitespace), read from the header block only.

    A regex over the header block rather than a header parser: list_ids runs this on every
    message of multi-gigabyte mailboxes, and it must not touch the body.
    """
    head = strip_leading(raw[: _HEADER_BLOCK_LIMIT + 4096])[:_HEADER_BLOCK_LIMIT]
    end = _HEADER_END.search(head)
    match = _MESSAGE_ID.search(head, 0, end.start() if end else len(head))
    if match is None:
        return None
    value = b"".join(match.group(1).split()).decode("utf-8", errors="replace")
    if "<" in value:
        inner = value.split("<", 1)[1].split(">", 1)[0]
        value = inner or value
    value = value.strip("<>")
    # Longer ones (seen: 900 characters of tracking data) fall back to a content hash: the
    # provider id column holds 512, and PostgreSQL, unlike SQLite, enforces that.
    return value if 0 < len(value) <= MAX_MESSAGE_ID else None


def provider_id_for(raw: bytes) -> str:
    """Message-ID when there is one, else a content hash, so re-scans recognise a message."""
    return message_id_of(raw) or "sha1:" + hashlib.sha1(raw).hexdigest()


def strip_leading(data: bytes) -> bytes:
    """A BOM or blank lines before the first header would make every header body text."""
    data = data.removeprefix(codecs.BOM_UTF8)
    return data.lstrip(b"\r\n\t ")
