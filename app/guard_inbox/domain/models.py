"""Frozen value objects passed between layers (never live ORM rows)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class AccountKind(enum.StrEnum):
    GMAIL = "gmail"
    MBOX = "mbox"
    EML_DIR = "eml_dir"
    IMAP = "imap"


class AccountStatus(enum.StrEnum):
    OK = "ok"
    NEEDS_RECONNECT = "needs_reconnect"
    UNAVAILABLE = "unavailable"


class JobState(enum.StrEnum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        return self in (JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED)


class Priority(enum.IntEnum):
    """Higher runs first; manual scans outrank scheduled background ones."""

    LOW = 0
    NORMAL = 50
    HIGH = 100

    @classmethod
    def parse(cls, name: str) -> Priority:
        try:
            return cls[name.upper()]
        except KeyError:
            raise ValueError(f"unknown priority {name!r} (use high, normal or low)") from None


@dataclass(frozen=True, slots=True)
class MailMessage:
    """One decoded message, whatever its source."""

    provider_id: str
    subject: str = ""
    sender: str = ""
    date: datetime | None = None
    text: str = ""
    html: str = ""
    snippet: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    defects: tuple[str, ...] = ()

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None


@dataclass(frozen=True, slots=True)
class RawMail:
    """One message's bytes as its source holds them, not yet parsed: what a local scan hands to
    the reading processes, so that parsing runs beside the scan rather than on its thread."""

    provider_id: str
    data: bytes
    mbox: bool = False  # an mbox entry: From_ line and >From quoting still on


@dataclass(frozen=True, slots=True)
class UnreadableMessage:
    """A message the source could not decode; recorded and skipped, never fatal."""

    provider_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class FoundCode:
    """A code an extractor found in one message, before it is stored."""

    code: str
    merchant: str = ""
    discount: str = ""
    expires: datetime | None = None
    min_spend: str = ""
    link: str = ""
    source: str = "rules"


@dataclass(frozen=True, slots=True)
class Extraction:
    """What extraction made of one message: its codes, and the AI tokens spent finding them.

    Returned rather than counted on the side, so a scan adds the cost to its own job whichever
    worker thread ran it.
    """

    codes: tuple[FoundCode, ...] = ()
    ai_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    kind: AccountKind
    address: str
    display_name: str = ""
    status: AccountStatus = AccountStatus.OK
    status_message: str = ""
    last_scan_at: datetime | None = None
    code_count: int = 0
    paused: bool = False  # left out of scheduled scans and "scan all"
    removed: bool = False  # removed with its codes kept: it owns them, no list shows it
    # The source's cursor saved by the last complete scan (Gmail's historyId), where the next
    # scan lists from. Out of repr: no secret, but noise wherever an account is shown or logged.
    sync_state: str = field(default="", repr=False)

    @property
    def label(self) -> str:
        return self.display_name or self.address


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    account_id: int
    state: JobState
    priority: int
    trigger: str = "manual"
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    total: int = 0
    scanned: int = 0
    codes_found: int = 0
    codes_new: int = 0
    attempts: int = 0
    error: str = ""
    next_attempt_at: datetime | None = None
    worker_id: str = ""
    cancel_requested: bool = False
    account_label: str = ""
    tokens_used: int = 0

    @property
    def codes_summary(self) -> str:
        """The one meaning of "codes found" that job rows, the CLI and notices share: unique
        codes this job saw, of which new (the rest were already known)."""
        if not self.codes_found:
            return "no codes"
        noun = "code" if self.codes_found == 1 else "codes"
        return f"{self.codes_found} {noun} ({self.codes_new} new)"


@dataclass(frozen=True, slots=True)
class StoredCode:
    id: int
    account_id: int
    code: str
    merchant: str
    discount: str = ""
    expires: datetime | None = None
    min_spend: str = ""
    link: str = ""
    source: str = ""
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    used: bool = False
    subject: str = ""
    sender: str = ""
    message_id: str = ""


@dataclass(frozen=True, slots=True)
class JobEvent:
    """A change of one job, published to every UI or CLI following it."""

    job_id: int
    account_id: int
    state: JobState
    total: int = 0
    scanned: int = 0
    codes_found: int = 0
    error: str = ""
    at: float = 0.0
    codes_new: int = 0  # of codes_found, those no earlier scan had stored

    def to_dict(self) -> dict[str, object]:
        return {
            "job_id": self.job_id,
            "account_id": self.account_id,
            "state": self.state.value,
            "total": self.total,
            "scanned": self.scanned,
            "codes_found": self.codes_found,
            "error": self.error,
            "at": self.at,
            "codes_new": self.codes_new,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> JobEvent:
        return cls(
            job_id=int(str(data["job_id"])),
            account_id=int(str(data["account_id"])),
            state=JobState(str(data["state"])),
            total=int(str(data.get("total", 0))),
            scanned=int(str(data.get("scanned", 0))),
            codes_found=int(str(data.get("codes_found", 0))),
            error=str(data.get("error", "")),
            at=float(str(data.get("at", 0.0))),
            codes_new=int(str(data.get("codes_new", 0))),  # absent from older processes
        )


@dataclass(frozen=True, slots=True)
class QueueStats:
    """The queue at a glance, as the seed's Bull Board showed it."""

    waiting: int
    active: int
    completed: int
    failed: int
    delayed: int
    cancelled: int = 0
    workers_alive: int = 0
    recent_failures: tuple[Job, ...] = field(default=())

    def to_dict(self) -> dict[str, int]:
        return {
            "waiting": self.waiting,
            "active": self.active,
            "completed": self.completed,
            "failed": self.failed,
            "delayed": self.delayed,
            "cancelled": self.cancelled,
            "workers_alive": self.workers_alive,
        }


DEFAULT_EXPIRING_DAYS = 3  # the "notify.expiring_days" setting's default


@dataclass(frozen=True, slots=True)
class CodeQuery:
    """What the codes view or `codes` command asks for."""

    search: str = ""  # words, each matched without regard to case or accents
    status: str = "all"  # all | unused | active (unused, not expired) | expiring | used
    expiring_days: int | None = None  # None: the "notify.expiring_days" setting
    account_id: int | None = None
    sort: str = "first_seen"
    descending: bool = True
    include_expired: bool = True  # the codes view hides them unless asked
    shop: str = ""  # part of the shop's name, any case or accents
    group_by_shop: bool = False  # shops in name order, the chosen order inside each
    # Codes answered whatever the status filter says: one just marked used stays on screen
    # (checked, greyed) instead of vanishing under the pointer, until the question changes.
    keep_ids: tuple[int, ...] = ()
    # Codes expiring in [start, end) (aware instants), e.g. one local day the Overview's
    # timeline was clicked on; None: no such limit.
    expires_between: tuple[datetime, datetime] | None = None
