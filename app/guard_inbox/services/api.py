"""The one interface the UI and the CLI see: use cases, queries and an event source.

Plain domain values cross it, never repositories, the Redis client, broker details or worker
pools, so a window or a command cannot reach past it. Each use case that changes something
returns ``Changes``, and each view decides on its own whether that concerns what it shows
(Anki's ``OpChanges`` / ``operation_did_execute``). This module imports only the domain: a
view importing it pulls in no storage, queue or mail library.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from guard_inbox.domain.imap import ImapSettings
from guard_inbox.domain.models import (
    Account,
    CodeQuery,
    FoundCode,
    Job,
    JobEvent,
    MailMessage,
    Priority,
    QueueStats,
    StoredCode,
)
from guard_inbox.domain.overview import Overview

JobListener = Callable[[JobEvent], None]


@dataclass(frozen=True, slots=True)
class Changes:
    """What one use case (or one job event) changed: views reload only what they show."""

    codes: bool = False
    accounts: bool = False
    jobs: tuple[Job, ...] = ()
    job_events: tuple[JobEvent, ...] = ()

    @classmethod
    def of_event(cls, event: JobEvent) -> Changes:
        """A job that ended may have stored codes and moved its account's last-scan time."""
        final = event.state.is_final
        return cls(codes=final, accounts=final, job_events=(event,))

    @property
    def anything(self) -> bool:
        return self.codes or self.accounts or bool(self.jobs) or bool(self.job_events)


NOTHING = Changes()


@dataclass(frozen=True, slots=True)
class BrokerStatus:
    """Where the queue lives, in words for the status bar (no client, no socket object)."""

    embedded: bool
    name: str  # "embedded Redis": what the status bar calls it
    display: str  # where it is (a socket path or host:port, never a password)


@dataclass(frozen=True, slots=True)
class WorkerLoad:
    worker_id: str
    busy: int
    threads: int


@dataclass(frozen=True, slots=True)
class Started:
    """What a window shows first, read once the queue and this process's workers run."""

    accounts: list[Account]
    jobs: list[Job]
    broker: BrokerStatus


class EventSource(Protocol):
    """Job events from every process; listeners run on worker threads and must stay tiny."""

    def add_listener(self, listener: JobListener) -> None: ...

    def remove_listener(self, listener: JobListener) -> None: ...


class CodeReader(Protocol):
    """What the codes list reads: ids for the whole answer, rows only for what is on screen."""

    def code_ids(self, query: CodeQuery) -> list[int]: ...

    def code_shops(self, query: CodeQuery) -> list[tuple[int, str, str]]:
        """(id, shop key, shop name) in the query's order: the list grouped by shop."""
        ...

    def codes_by_ids(self, ids: Sequence[int]) -> list[StoredCode]: ...


class OverviewReader(Protocol):
    """What the Overview tab reads: counts per day, shop and scan, aggregated by the database."""

    def overview(self, now: datetime | None = None, days: int = 30) -> Overview:
        """Codes expiring on each of the next ``days`` local days, the top shops and the latest
        scans; ``now`` (aware) fixes the clock and time zone, else the system's."""
        ...


class AppApi(CodeReader, OverviewReader, Protocol):
    """Every call may block (database, Redis, network): the UI makes them off its main thread,
    except ``worker_load``, which reads this process's own counters."""

    # -- start-up ----------------------------------------------------------------------------
    def wait_started(self, timeout: float | None = None) -> Started:
        """Blocks until the composition root has started the queue and workers (or raises why not)."""
        ...

    def events(self) -> EventSource: ...

    # -- reading ---------------------------------------------------------------------------
    def accounts(self) -> list[Account]: ...

    def find_account(self, address: str) -> Account | None: ...

    def job(self, job_id: int) -> Job | None: ...

    def recent_jobs(self, limit: int = 200) -> list[Job]: ...

    def codes(self, query: CodeQuery | None = None) -> list[StoredCode]: ...

    def load_message(self, code: StoredCode) -> MailMessage:
        """The email behind a code, read again from its mailbox (a KnownError if it is gone)."""
        ...

    def queue_stats(self) -> QueueStats: ...

    def worker_load(self) -> WorkerLoad: ...

    def broker(self) -> BrokerStatus: ...

    def follow(self, job_id: int) -> Iterator[Job]:
        """The job each time it changes, until it ends (events first, the database as truth)."""
        ...

    def extract_file(self, path: Path) -> list[FoundCode]:
        """Codes in one .eml or .html file, without storing anything."""
        ...

    def expiring_to_announce(self, days: int) -> list[StoredCode]:
        """Codes expiring within ``days`` not announced yet; marks them announced (once per code)."""
        ...

    # -- changing --------------------------------------------------------------------------
    def scan(self, account_ids: Sequence[int], priority: Priority = Priority.HIGH,
             trigger: str = "manual") -> Changes:
        """Queues one scan per account. With no ``account_ids``: every account not paused, and
        for a "scheduled" trigger only those without a problem to fix (status OK)."""
        ...

    def cancel(self, job_id: int) -> Changes: ...

    def retry(self, job_id: int) -> Changes: ...

    def mark_used(self, code_id: int, used: bool) -> Changes: ...

    def add_local_mailbox(self, path: Path, *, scan: bool = True) -> tuple[Account, Changes]:
        """Checks the path is a mailbox (one clear sentence if not), adds it, optionally scans."""
        ...

    def connect_gmail(self, *, open_browser: bool = True,
                      open_url: Callable[[str], object] | None = None) -> tuple[Account, Changes]:
        """Browser sign-in; blocks until done. A KnownError says what to set up when it cannot."""
        ...

    def add_gmail_token(self, path: Path) -> tuple[Account, Changes]: ...

    # -- accounts (issue 16): rename, pause, locate a moved mailbox, remove ----------------------
    def rename_account(self, account_id: int, name: str) -> Changes:
        """An empty name shows the address again."""
        ...

    def pause_account(self, account_id: int, paused: bool) -> Changes:
        """A paused account is left out of scheduled scans and of "scan all"."""
        ...

    def locate_account(self, account_id: int, path: Path, *,
                       scan: bool = True) -> tuple[Account, Changes]:
        """The mailbox moved: checks ``path`` is one, points the account there (its checkpoints
        and codes kept), clears its problem and, with ``scan``, queues a scan."""
        ...

    def remove_account(self, account_id: int, *, keep_codes: bool) -> tuple[Account, Changes]:
        """Removes the account (a Gmail one's token too); ``keep_codes`` keeps its codes listed."""
        ...

    def export_csv(self, path: Path, query: CodeQuery | None = None) -> int:
        """Writes the codes ``query`` selects; returns how many."""
        ...

    def save_ai_key(self, key: str) -> None:
        """Into the keyring (or the 0600 fallback file), never the settings or the database."""
        ...

    # -- first run: the guided Gmail sign-in (issue 16) ---------------------------------------
    def check_gmail_client(self, path: Path) -> str:
        """The client id of a Desktop-app OAuth client file; a KnownError (one or two sentences,
        no command-line help) says what is wrong with it."""
        ...

    def sign_in_gmail(self, client_file: Path, *, show_url: Callable[[str], object],
                      cancel: threading.Event) -> tuple[Account, Changes]:
        """Browser sign-in with ``client_file``; ``show_url`` gets the sign-in URL (on the calling
        thread, the browser not opened). Setting ``cancel`` ends it within a second with a
        KnownError and frees its port. One at a time: a second raises a KnownError. Adds the
        account and queues its first scan."""
        ...

    # -- IMAP accounts (issue 17) ------------------------------------------------------------
    def test_imap(self, settings: ImapSettings, password: str, *,
                  oauth: Mapping[str, Any] | None = None) -> list[str]:
        """Connects and logs in as a scan would; returns the folders to choose from. A KnownError
        says what is wrong (wrong password, unreachable, untrusted certificate, ...). ``oauth``:
        an OAuth grant (refresh_token, client_id, token_uri, scope) for XOAUTH2 settings."""
        ...

    def add_imap(self, settings: ImapSettings, password: str, *, scan: bool = True,
                 oauth: Mapping[str, Any] | None = None) -> tuple[Account, Changes]:
        """Tests the login, keeps the password (or OAuth grant) in the keyring, adds (or fixes)
        the account and queues its first scan. The account's address is ``settings.user``."""
        ...

    def sign_in_imap(self, settings: ImapSettings, client_id: str, *,
                     show_url: Callable[[str], object], cancel: threading.Event,
                     scan: bool = True) -> tuple[Account, Changes]:
        """Outlook / Microsoft 365: a browser sign-in with the app registration ``client_id``
        (loopback redirect, PKCE); ``show_url`` gets the address to open. Adds the account with
        the grant (XOAUTH2) and queues its first scan; ``cancel`` ends the wait at once."""
        ...

    def imap_settings(self, address: str) -> ImapSettings:
        """The saved settings of an IMAP account (without its password), to fix them."""
        ...
