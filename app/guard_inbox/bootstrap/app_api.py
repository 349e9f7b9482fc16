"""The services interface (``services.api.AppApi``) over the parts ``Core`` built.

The composition root hands this to the window or the CLI; they never see ``Core`` itself.
Queue calls need the queue stage, which bootstrap runs before any command that uses them (the
window's start runs on a thread, and ``wait_started`` is where the window waits for it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.imap import ImapSettings
from guard_inbox.domain.models import (
    Account,
    AccountKind,
    AccountStatus,
    CodeQuery,
    FoundCode,
    Job,
    MailMessage,
    Priority,
    QueueStats,
    StoredCode,
)
from guard_inbox.domain.overview import Overview
from guard_inbox.services.accounts import add_local_mailbox, locate_local_mailbox
from guard_inbox.services.api import (
    NOTHING,
    BrokerStatus,
    Changes,
    EventSource,
    Started,
    WorkerLoad,
)
from guard_inbox.services.export import write_csv
from guard_inbox.services.messages import load_source_message, read_message_file
from guard_inbox.services.overview import read_overview
from guard_inbox.storage.accounts import AccountStore
from guard_inbox.storage.overview_queries import OverviewQueries

if TYPE_CHECKING:
    from guard_inbox.services.gmail_accounts import GmailAccounts
    from guard_inbox.services.imap_accounts import ImapAccounts


class BackgroundStart:
    """Runs start-up steps on a thread so the window paints first; ``wait`` re-raises their error."""

    def __init__(self, steps: Callable[[], None]) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(steps,), name="start-up",
                                        daemon=True)
        self._thread.start()

    def _run(self, steps: Callable[[], None]) -> None:
        try:
            steps()
        except BaseException as exc:  # handed to whoever waits: the window shows it
            self._error = exc

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError("Guard Inbox is still starting its job queue")
        if self._error is not None:
            raise self._error


class CoreApi:
    def __init__(
        self,
        core: Core,
        *,
        gmail: Callable[[], GmailAccounts] | None = None,
        save_secret: Callable[[str], None] | None = None,
        start: BackgroundStart | None = None,
        imap: Callable[[], ImapAccounts] | None = None,
    ) -> None:
        self._core = core
        self._gmail_factory = gmail
        self._gmail: GmailAccounts | None = None
        self._lazy_lock = threading.Lock()  # Gmail's and IMAP's services are built on first use
        self._save_secret = save_secret
        self._start = start
        self._imap_factory = imap
        self._imap: ImapAccounts | None = None

    # -- start-up ----------------------------------------------------------------------------
    def wait_started(self, timeout: float | None = None) -> Started:
        if self._start is not None:
            self._start.wait(timeout)
        return Started(self.accounts(), self.recent_jobs(), self.broker())

    def events(self) -> EventSource:
        return self._core.events

    # -- reading ---------------------------------------------------------------------------
    def accounts(self) -> list[Account]:
        return self._core.queries.accounts()

    def find_account(self, address: str) -> Account | None:
        return self._core.repository.find_account(address)

    def job(self, job_id: int) -> Job | None:
        return self._core.queries.job(job_id)

    def recent_jobs(self, limit: int = 200) -> list[Job]:
        return self._core.queries.recent_jobs(limit)

    def code_ids(self, query: CodeQuery) -> list[int]:
        return self._core.queries.code_ids(query)

    def code_shops(self, query: CodeQuery) -> list[tuple[int, str, str]]:
        return self._core.queries.code_shops(query)

    def codes_by_ids(self, ids: Sequence[int]) -> list[StoredCode]:
        return self._core.queries.codes_by_ids(ids)

    def codes(self, query: CodeQuery | None = None) -> list[StoredCode]:
        return self._core.queries.codes(query)

    def overview(self, now: datetime | None = None, days: int = 30) -> Overview:
        return read_overview(OverviewQueries(self._core.repository.database), now, days)

    def load_message(self, code: StoredCode) -> MailMessage:
        return load_source_message(self._core.repository, self._core.sources, code)

    def queue_stats(self) -> QueueStats:
        return self._core.control.stats()

    def worker_load(self) -> WorkerLoad:
        pools = self._core.worker_pools
        return WorkerLoad(self._core.process_id, sum(p.busy for p in pools),
                          sum(p.threads for p in pools))

    def broker(self) -> BrokerStatus:
        broker = self._core.broker
        name = "embedded Redis" if broker.embedded else "external Redis"
        return BrokerStatus(broker.embedded, name, broker.display)

    def follow(self, job_id: int) -> Iterator[Job]:
        from guard_inbox.jobs.follow import JobFollower

        core = self._core
        return JobFollower(core.job_repository, core.events, core.redis).follow(job_id)

    def extract_file(self, path: Path) -> list[FoundCode]:
        return self._core.extractor.extract(read_message_file(path))

    def expiring_to_announce(self, days: int) -> list[StoredCode]:
        repository = self._core.repository
        codes = repository.expiring_unnotified(days)
        repository.mark_expiry_notified([c.id for c in codes])
        return codes

    # -- changing --------------------------------------------------------------------------
    def scan(self, account_ids: Sequence[int], priority: Priority = Priority.HIGH,
             trigger: str = "manual") -> Changes:
        control = self._core.control
        ids = list(account_ids) or [a.id for a in self.accounts() if _scanned_by(a, trigger)]
        return Changes(jobs=tuple(control.start_scan(i, priority, trigger) for i in ids))

    def cancel(self, job_id: int) -> Changes:
        return _job_changed(self._core.control.cancel(job_id))

    def retry(self, job_id: int) -> Changes:
        return _job_changed(self._core.control.retry(job_id))

    def mark_used(self, code_id: int, used: bool) -> Changes:
        self._core.repository.set_code_used(code_id, used)
        return Changes(codes=True)

    def add_local_mailbox(self, path: Path, *, scan: bool = True) -> tuple[Account, Changes]:
        account = add_local_mailbox(self._core.repository, path)
        changes = self.scan([account.id]) if scan else NOTHING
        return account, Changes(accounts=True, jobs=changes.jobs)

    def connect_gmail(self, *, open_browser: bool = True,
                      open_url: Callable[[str], object] | None = None) -> tuple[Account, Changes]:
        account = self._gmail_accounts().connect(open_browser=open_browser, open_url=open_url)
        return account, Changes(accounts=True)

    def add_gmail_token(self, path: Path) -> tuple[Account, Changes]:
        return self._gmail_accounts().add_from_token_file(path), Changes(accounts=True)

    # -- accounts ------------------------------------------------------------------------------
    def _account_store(self) -> AccountStore:
        return AccountStore(self._core.database, self._core.repository)

    def rename_account(self, account_id: int, name: str) -> Changes:
        self._account_store().rename(account_id, name)
        return Changes(accounts=True)

    def pause_account(self, account_id: int, paused: bool) -> Changes:
        self._account_store().set_paused(account_id, paused)
        return Changes(accounts=True)

    def locate_account(self, account_id: int, path: Path, *,
                       scan: bool = True) -> tuple[Account, Changes]:
        account = locate_local_mailbox(self._account_store(), account_id, path)
        jobs = self.scan([account.id]).jobs if scan else ()
        return account, Changes(accounts=True, jobs=jobs)

    def remove_account(self, account_id: int, *, keep_codes: bool) -> tuple[Account, Changes]:
        store = self._account_store()
        account = store.remove(account_id, keep_codes=keep_codes)
        if account.kind is AccountKind.GMAIL and self._gmail_factory is not None:
            self._gmail_accounts().token_store.delete(account.address)
        if account.kind is AccountKind.IMAP and self._imap_factory is not None:
            self._imap_accounts().forget(account.address)  # its password or OAuth grant
        return account, Changes(codes=True, accounts=True)

    def export_csv(self, path: Path, query: CodeQuery | None = None) -> int:
        return write_csv(self.codes(query), path)

    def save_ai_key(self, key: str) -> None:
        if self._save_secret is None:
            raise RuntimeError("this process was built without a secret store")
        self._save_secret(key)

    def _gmail_accounts(self) -> GmailAccounts:
        from guard_inbox.domain.errors import KnownError

        if self._gmail_factory is None:
            raise KnownError("Gmail support is not available in this installation.")
        with self._lazy_lock:  # Google's client libraries are imported on first use only
            if self._gmail is None:
                self._gmail = self._gmail_factory()
            return self._gmail

    # -- first run: the guided Gmail sign-in (issue 16) ---------------------------------------
    def check_gmail_client(self, path: Path) -> str:
        return self._gmail_accounts().check_client_file(path)

    def sign_in_gmail(self, client_file: Path, *, show_url: Callable[[str], object],
                      cancel: threading.Event) -> tuple[Account, Changes]:
        account = self._gmail_accounts().sign_in(client_file, show_url=show_url, cancel=cancel)
        return self._added(account)

    def _added(self, account: Account, *, scan: bool = True) -> tuple[Account, Changes]:
        """A signed-in or added account, with its first scan queued unless ``scan`` is False."""
        if not scan:
            return account, Changes(accounts=True)
        if self._start is not None:
            self._start.wait()  # the first scan needs the queue (minutes after the window opened)
        return account, Changes(accounts=True, jobs=self.scan([account.id]).jobs)


    # -- IMAP accounts (issue 17) --------------------------------------------------------------
    def _imap_accounts(self) -> ImapAccounts:
        from guard_inbox.domain.errors import KnownError

        if self._imap_factory is None:
            raise KnownError("IMAP support is not available in this installation.")
        with self._lazy_lock:  # IMAPClient is imported on first use only
            if self._imap is None:
                self._imap = self._imap_factory()
            return self._imap

    def test_imap(self, settings: ImapSettings, password: str, *,
                  oauth: Mapping[str, Any] | None = None) -> list[str]:
        return self._imap_accounts().test(settings, password, oauth)

    def add_imap(self, settings: ImapSettings, password: str, *, scan: bool = True,
                 oauth: Mapping[str, Any] | None = None) -> tuple[Account, Changes]:
        return self._added(self._imap_accounts().add(settings, password, oauth), scan=scan)

    def sign_in_imap(self, settings: ImapSettings, client_id: str, *,
                     show_url: Callable[[str], object], cancel: threading.Event,
                     scan: bool = True) -> tuple[Account, Changes]:
        account = self._imap_accounts().sign_in(settings, client_id, show_url=show_url, cancel=cancel)
        return self._added(account, scan=scan)

    def imap_settings(self, address: str) -> ImapSettings:
        return self._imap_accounts().settings(address)


def _scanned_by(account: Account, trigger: str) -> bool:
    """Scan all leaves paused accounts out; a scheduled scan also those with a problem (a
    missing mailbox, a withdrawn sign-in), which would only fail again until the user acts."""
    if account.paused:
        return False
    return trigger != "scheduled" or account.status is AccountStatus.OK


def _job_changed(job: Job | None) -> Changes:
    return Changes(jobs=(job,)) if job is not None else NOTHING
