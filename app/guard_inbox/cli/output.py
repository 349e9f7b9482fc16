"""How the CLI writes things: one JSON shape per domain object, one progress line per job state."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from guard_inbox.domain.models import Account, AccountStatus, Job, JobState, StoredCode


@dataclass
class Console:
    """Results to ``out`` (pipeable), progress and messages to ``err``."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)

    def json(self, value: Any) -> None:
        json.dump(value, self.out, indent=2, ensure_ascii=False)
        print(file=self.out)

    def say(self, text: str) -> None:
        print(text, file=self.out)

    def tell(self, text: str) -> None:
        print(text, file=self.err, flush=True)


def when(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def progress_line(job: Job) -> str:
    if job.state is JobState.IN_PROGRESS:
        # A total of 0 while running: the source is still being listed (newest mail first).
        done = f"{job.scanned}/{job.total} messages" if job.total else f"{job.scanned} messages so far"
        return f"Job {job.id} IN_PROGRESS {done}, {job.codes_summary}"
    if job.state is JobState.PENDING and job.error:
        return f"Job {job.id} PENDING: {job.error}"
    return f"Job {job.id} {job.state.value}"


def job_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id, "account_id": job.account_id, "account": job.account_label,
        "state": job.state.value, "trigger": job.trigger, "priority": job.priority,
        "total": job.total, "scanned": job.scanned, "codes_found": job.codes_found,
        "codes_new": job.codes_new, "attempts": job.attempts, "error": job.error,
        "ai_tokens": job.tokens_used,
        "created_at": when(job.created_at), "started_at": when(job.started_at),
        "finished_at": when(job.finished_at),
    }


def account_state(account: Account) -> str:
    """One word for lists: a problem first, then paused, else the status."""
    if account.status is not AccountStatus.OK:
        return account.status.value
    return "paused" if account.paused else "ok"


def account_dict(account: Account) -> dict[str, Any]:
    return {
        "id": account.id, "address": account.address, "name": account.label,
        "kind": account.kind.value, "status": account.status.value,
        "status_message": account.status_message, "paused": account.paused,
        "last_scan": when(account.last_scan_at), "codes": account.code_count,
    }


def code_dict(code: StoredCode) -> dict[str, Any]:
    return {
        "id": code.id, "code": code.code, "merchant": code.merchant, "discount": code.discount,
        "expires": when(code.expires), "min_spend": code.min_spend, "link": code.link,
        "source": code.source, "first_seen": when(code.first_seen),
        "last_seen": when(code.last_seen), "used": code.used, "subject": code.subject,
        "sender": code.sender, "message_id": code.message_id,
    }
