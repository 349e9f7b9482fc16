"""What Scan Now scans, in words: the selected accounts, else every active (not paused) one.

The button, its tooltip and the message after it say the same thing, so a scan of one
selected account is never taken for a scan of all of them. Pure functions: no Qt.
"""

from __future__ import annotations

from collections.abc import Sequence

from guard_inbox.domain.models import Account
from guard_inbox.services.api import Changes

TEXT_MAX = 32


def describe(chosen: Sequence[Account], listed: Sequence[Account]) -> tuple[str, str]:
    """The button's text and tooltip."""
    if chosen:
        names = ", ".join(a.label for a in chosen)
        text = f"Scan {chosen[0].label}" if len(chosen) == 1 else f"Scan {len(chosen)} Selected"
        tip = f"Scan {names} now (Ctrl+R). Clear the selection to scan all active accounts."
        return (text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"), tip
    paused = sum(a.paused for a in listed)
    active = len(listed) - paused
    noun = "account" if active == 1 else "accounts"
    tip = f"Scan all {active} active {noun} now (Ctrl+R)"
    return "Scan All", tip + (f"; {paused} paused left out." if paused else ".")


def queued_message(changes: Changes, selected: bool, any_account: bool) -> str:
    """The status bar's line once the scans are queued."""
    if not changes.jobs:
        if any_account and not selected:
            return "Every account is paused: resume one from its menu to scan it."
        return "Add an account first: Connect Gmail or add a local mailbox."
    names = ", ".join(dict.fromkeys(j.account_label for j in changes.jobs if j.account_label))
    if selected:
        return f"Scanning {names}."
    count = len(changes.jobs)
    return f"Scanning all {count} active {'account' if count == 1 else 'accounts'}: {names}."
