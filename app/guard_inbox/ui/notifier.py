"""Decides what to tell the user about new and soon-expiring codes (once per code)."""

from __future__ import annotations

from collections.abc import Callable

from guard_inbox.domain.models import Job, StoredCode


def new_codes_message(job: Job) -> tuple[str, str] | None:
    if job.codes_new <= 0:
        return None
    noun = "code" if job.codes_new == 1 else "codes"
    return "New promo codes", f"{job.codes_new} new {noun} in {job.account_label}."


def expiring_message(codes: list[StoredCode]) -> tuple[str, str] | None:
    if not codes:
        return None
    if len(codes) == 1:
        code = codes[0]
        return "A code expires soon", f"{code.code} ({code.merchant}) expires soon — use it or lose it."
    names = ", ".join(c.code for c in codes[:3]) + ("…" if len(codes) > 3 else "")
    return f"{len(codes)} codes expire soon", names


def check_expiring(
    load: Callable[[int], list[StoredCode]], mark: Callable[[list[int]], None], days: int
) -> tuple[str, str] | None:
    """Runs off the main thread: find unwarned codes, mark them warned, return the message."""
    codes = load(days)
    mark([c.id for c in codes])
    return expiring_message(codes)
