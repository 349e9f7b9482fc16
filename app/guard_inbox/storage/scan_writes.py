"""A scan checkpoint written in bulk: a chunk's messages and codes in a few statements.

Row by row (a ``create`` per message with codes, a lookup and a ``save`` per code) peewee spent
~1.5 ms of Python per message building SQL: more than parsing the message costs, on the one
thread that stores what the reading processes send back. Here a chunk takes one insert per
100 messages, one lookup of their ids, one lookup of the codes they name, one insert for the
new codes and one update per distinct code already stored, whatever the chunk repeats.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from guard_inbox.domain.folding import fold, search_key
from guard_inbox.domain.models import FoundCode, MailMessage, UnreadableMessage
from guard_inbox.storage.clock import to_db
from guard_inbox.storage.tables import CodeRow, MessageRow

ScanResult = tuple[MailMessage | UnreadableMessage, Sequence[FoundCode]]

ROWS_PER_INSERT = 100  # SQLite builds before 3.32 allow 999 bound parameters per statement
IDS_PER_QUERY = 500
_CHANGING = ("first_seen", "last_seen", "message", "discount", "expires_at", "link", "min_spend",
             "seen_by_job", "search_key")


def message_fields(
    account_id: int, job_id: int, message: MailMessage | UnreadableMessage, now: datetime
) -> dict[str, object]:
    """The checkpoint row of one message; an unreadable one keeps its reason."""
    fields: dict[str, object] = {
        "account": account_id, "provider_id": message.provider_id, "scanned_at": now,
        "job": job_id, "date": None, "sender": "", "subject": "", "snippet": "", "error": "",
    }
    if isinstance(message, UnreadableMessage):
        fields["error"] = message.reason[:2000]
        return fields
    fields |= {
        "date": to_db(message.date), "sender": message.sender[:1000],
        "subject": message.subject[:2000], "snippet": message.snippet[:500],
        "error": "; ".join(message.defects)[:2000],
    }
    return fields


def merchant_key(merchant: str) -> str:
    return " ".join(merchant.lower().split())


@dataclass(slots=True)
class _Code:
    """One stored code as the chunk leaves it; ``row_id`` None until inserted."""

    row_id: int | None
    fields: dict[str, Any]
    changed: bool = False


def write_results(account_id: int, job_id: int, results: Sequence[ScanResult],
                  now: datetime) -> tuple[int, int]:
    """Inside the caller's transaction: messages not checkpointed yet, and their codes.

    Same rules as one message at a time: a message already checkpointed adds nothing; a code
    already stored keeps its first sighting and takes the newest mail's details. Returns
    (codes found, codes new), each code counted once per job however many messages repeat it.
    """
    done = checkpointed(account_id, [message.provider_id for message, _ in results])
    rows: list[dict[str, object]] = []
    with_codes: list[tuple[str, datetime, Sequence[FoundCode]]] = []
    for message, codes in results:
        if message.provider_id in done:
            continue
        done.add(message.provider_id)
        fields = message_fields(account_id, job_id, message, now)
        rows.append(fields)
        if codes:
            seen = fields["date"] if isinstance(fields["date"], datetime) else now
            with_codes.append((message.provider_id, seen, codes))
    for start in range(0, len(rows), ROWS_PER_INSERT):
        MessageRow.insert_many(rows[start : start + ROWS_PER_INSERT]).execute()
    if not with_codes:
        return 0, 0
    message_ids = _ids_of(account_id, [pid for pid, _, _ in with_codes])
    stored = _stored_codes(account_id, {c.code.lower() for _, _, codes in with_codes for c in codes})
    found = new = 0
    for pid, seen, codes in with_codes:
        for code in codes:
            key = (merchant_key(code.merchant), code.code.lower())
            entry = stored.get(key)
            if entry is None:
                stored[key] = _new_code(account_id, job_id, key, code, message_ids[pid], seen)
                found += 1
                new += 1
            else:
                found += _seen_again(entry, job_id, code, message_ids[pid], seen)
    _write_codes(stored.values())
    return found, new


def checkpointed(account_id: int, provider_ids: Sequence[str]) -> set[str]:
    """Which of these messages an earlier checkpoint already holds (one query per 500)."""
    done: set[str] = set()
    for start in range(0, len(provider_ids), IDS_PER_QUERY):
        query = MessageRow.select(MessageRow.provider_id).where(
            (MessageRow.account == account_id)
            & MessageRow.provider_id.in_(provider_ids[start : start + IDS_PER_QUERY])
        )
        done.update(provider_id for (provider_id,) in query.tuples())
    return done


def _ids_of(account_id: int, provider_ids: Sequence[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for start in range(0, len(provider_ids), IDS_PER_QUERY):
        query = MessageRow.select(MessageRow.provider_id, MessageRow.id).where(
            (MessageRow.account == account_id)
            & MessageRow.provider_id.in_(provider_ids[start : start + IDS_PER_QUERY])
        )
        ids.update(query.tuples())
    return ids


def _stored_codes(account_id: int, code_keys: set[str]) -> dict[tuple[str, str], _Code]:
    keys = sorted(code_keys)
    stored: dict[tuple[str, str], _Code] = {}
    columns = (CodeRow.id, CodeRow.merchant_key, CodeRow.code_key, CodeRow.code, CodeRow.merchant) + tuple(
        getattr(CodeRow, name) for name in _CHANGING
    )
    for start in range(0, len(keys), IDS_PER_QUERY):
        query = CodeRow.select(*columns).where(
            (CodeRow.account == account_id) & CodeRow.code_key.in_(keys[start : start + IDS_PER_QUERY])
        )
        for row_id, merchant, code_key, code, name, *values in query.tuples():
            fields = dict(zip(_CHANGING, values, strict=True)) | {"code": code, "merchant": name}
            stored.setdefault((merchant, code_key), _Code(row_id, fields))
    return stored


def _new_code(account_id: int, job_id: int, key: tuple[str, str], code: FoundCode,
              message_id: int, seen: datetime) -> _Code:
    return _Code(None, {
        "search_key": search_key(code.code, code.merchant, code.discount),
        "shop_key": fold(code.merchant), "seen_by_job": job_id,
        "account": account_id, "code": code.code, "code_key": key[1], "merchant": code.merchant,
        "merchant_key": key[0], "discount": code.discount, "expires_at": to_db(code.expires),
        "min_spend": code.min_spend, "link": code.link, "source": code.source,
        "message": message_id, "first_seen": seen, "last_seen": seen,
    }, changed=True)


def _seen_again(entry: _Code, job_id: int, code: FoundCode, message_id: int, seen: datetime) -> int:
    """Applies one more sighting; 1 if it is this job's first of the code, else 0."""
    row = entry.fields
    first_this_job = row["seen_by_job"] != job_id
    row["seen_by_job"] = job_id
    row["first_seen"] = min(row["first_seen"], seen)
    if seen >= row["last_seen"]:
        row["last_seen"] = seen
        row["message"] = message_id  # the newest mail is the one worth showing
        row["discount"] = code.discount or row["discount"]
        row["expires_at"] = to_db(code.expires) or row["expires_at"]
        row["link"] = code.link or row["link"]
        row["search_key"] = search_key(row["code"], row["merchant"], row["discount"])
    row["min_spend"] = row["min_spend"] or code.min_spend
    entry.changed = True
    return int(first_this_job)


def _write_codes(entries: Iterable[_Code]) -> None:
    fresh: list[dict[str, Any]] = []
    for entry in entries:
        if not entry.changed:
            continue
        if entry.row_id is None:
            fresh.append(entry.fields)
        else:
            CodeRow.update({getattr(CodeRow, k): entry.fields[k] for k in _CHANGING}).where(
                CodeRow.id == entry.row_id
            ).execute()
    for start in range(0, len(fresh), ROWS_PER_INSERT // 2):  # 16 columns a row
        CodeRow.insert_many(fresh[start : start + ROWS_PER_INSERT // 2]).execute()
