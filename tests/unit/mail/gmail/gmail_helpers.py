"""Shared bits of the Gmail tests (a plain module: importing from conftest is fragile)."""

from __future__ import annotations

from guard_inbox.mail.gmail.quota import Backoff

ADDRESS = "shopper@example.org"


def promo(i: int, *, subject: str | None = None) -> bytes:
    return (
        f"From: Shop <deals@shop.example>\r\nTo: {ADDRESS}\r\nSubject: {subject or f'Sale {i}'}\r\n"
        f"Message-ID: <promo-{i}@shop.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Use code SAVE{i} for 10% off.\r\n"
    ).encode()


def fast_backoff(max_attempts: int = 6) -> Backoff:
    return Backoff(base=0.01, cap=0.05, max_attempts=max_attempts)
