"""Builds realistic test mailboxes with known codes (so a test knows the right answer)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

MERCHANTS = ("Acme Outdoor", "Blue Bottle", "Cinder Shoes", "Dandelion Books")


def promo_code(i: int) -> str:
    return f"SAVE{i:05d}X"


def promo_message(i: int, *, with_code: bool = True) -> EmailMessage:
    merchant = MERCHANTS[i % len(MERCHANTS)]
    msg = EmailMessage()
    domain = merchant.lower().replace(" ", "") + ".example"
    msg["From"] = f"{merchant} <news@{domain}>"
    msg["To"] = "me@example.org"
    msg["Subject"] = f"{merchant}: this week's offers #{i}"
    msg["Message-ID"] = f"<promo-{i}@{domain}>"
    msg["Date"] = format_datetime(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=i))
    if with_code:
        body = (f"Hello!\n\nTake 20% off everything this week. Use code {promo_code(i)} at "
                "checkout.\n\nSee you soon,\nThe team\n")
    else:
        body = "Hello!\n\nOur autumn catalogue is out. No discount this time.\n"
    msg.set_content(body)
    return msg


def write_mbox(path: Path, count: int, *, start: int = 0, every_nth_without_code: int = 0) -> set[str]:
    """Writes ``count`` messages; returns the codes a perfect scan must find."""
    codes: set[str] = set()
    with path.open("ab") as handle:
        for i in range(start, start + count):
            with_code = not (every_nth_without_code and i % every_nth_without_code == 0)
            msg = promo_message(i, with_code=with_code)
            handle.write(b"From news@example.org Thu Jan  1 00:00:00 2026\n")
            handle.write(bytes(msg).replace(b"\nFrom ", b"\n>From "))
            handle.write(b"\n")
            if with_code:
                codes.add(promo_code(i))
    return codes
