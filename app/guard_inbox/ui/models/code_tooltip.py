"""A code's tooltip: everything about it in words, also what a narrow table leaves out."""

from __future__ import annotations

import html
from datetime import datetime

from guard_inbox.domain.models import StoredCode
from guard_inbox.ui.format import local_datetime, relative_expiry


def code_tooltip(code: StoredCode, now: datetime, *, first_seen: bool = False) -> str:
    lines = [f"{code.code} · {code.merchant}" + (f" · {code.discount}" if code.discount else "")]
    if code.subject:
        lines.append(code.subject)
    if code.sender:
        lines.append(f"From: {code.sender}")
    if code.expires is not None:
        words = relative_expiry(code.expires, now)
        words = words if words.startswith("expired") else f"expires {words}"
        lines.append(f"{words[0].upper()}{words[1:]}: {local_datetime(code.expires, now)}")
    if first_seen and code.first_seen is not None:
        lines.append(f"First seen {local_datetime(code.first_seen, now)}")
    if code.min_spend:
        lines.append(f"Minimum spend: {code.min_spend}")
    if code.used:
        lines.append("Marked as used")
    # Subjects are sender-controlled: escaped, so a tag in one is shown, never rendered.
    return "<qt>" + "<br>".join(html.escape(line) for line in lines) + "</qt>"
