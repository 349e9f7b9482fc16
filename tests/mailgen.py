"""Builds realistic test mailboxes with known codes (so a test knows the right answer).

Messages come from one byte template (what ``bytes(EmailMessage)`` wrote for them, header for
header), not from ``EmailMessage``: 6,000 messages take a few milliseconds instead of seconds.
"""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

MERCHANTS = ("Acme Outdoor", "Blue Bottle", "Cinder Shoes", "Dandelion Books")
_DOMAINS = tuple(merchant.lower().replace(" ", "") + ".example" for merchant in MERCHANTS)
_FIRST_DATE = datetime(2026, 1, 1, tzinfo=UTC)

_HEAD = (
    "From: {merchant} <news@{domain}>\n"
    "To: me@example.org\n"
    "Subject: {merchant}: this week's offers #{i}\n"
    "Message-ID: <promo-{i}@{domain}>\n"
    "Date: {date}\n"
    'Content-Type: text/plain; charset="utf-8"\n'
    "Content-Transfer-Encoding: 7bit\n"
    "MIME-Version: 1.0\n"
    "\n"
)
_BODY_WITH_CODE = ("Hello!\n\nTake 20% off everything this week. Use code {code} at checkout.\n\n"
                   "See you soon,\nThe team\n")
_BODY_WITHOUT_CODE = "Hello!\n\nOur autumn catalogue is out. No discount this time.\n"
# The line an mbox starts each message with; no message here has a line starting "From ".
_MBOX_FROM = b"From news@example.org Thu Jan  1 00:00:00 2026\n"


def promo_code(i: int) -> str:
    return f"SAVE{i:05d}X"


def promo_bytes(i: int, *, with_code: bool = True) -> bytes:
    """Message ``i`` as RFC 5322 bytes (ASCII, LF line ends), one hour after message ``i - 1``."""
    merchant = MERCHANTS[i % len(MERCHANTS)]
    head = _HEAD.format(merchant=merchant, domain=_DOMAINS[i % len(MERCHANTS)], i=i,
                        date=format_datetime(_FIRST_DATE + timedelta(hours=i)))
    body = _BODY_WITH_CODE.format(code=promo_code(i)) if with_code else _BODY_WITHOUT_CODE
    return (head + body).encode("ascii")


def promo_message(i: int, *, with_code: bool = True) -> EmailMessage:
    """The same message parsed, for tests that want headers and parts; ``bytes()`` of it is
    ``promo_bytes(i)``."""
    message = email.message_from_bytes(promo_bytes(i, with_code=with_code), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def write_mbox(path: Path, count: int, *, start: int = 0, every_nth_without_code: int = 0) -> set[str]:
    """Appends ``count`` messages; returns the codes a perfect scan must find."""
    codes: set[str] = set()
    chunks: list[bytes] = []
    for i in range(start, start + count):
        with_code = not (every_nth_without_code and i % every_nth_without_code == 0)
        chunks += (_MBOX_FROM, promo_bytes(i, with_code=with_code), b"\n")
        if with_code:
            codes.add(promo_code(i))
    with path.open("ab") as handle:
        handle.write(b"".join(chunks))
    return codes
