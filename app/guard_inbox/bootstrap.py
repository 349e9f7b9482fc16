"""Composition root: paths -> logging -> settings -> adapters -> runtime -> CLI or UI, in order.

For start-up time, the arguments are parsed before the runtime (peewee, the queue) is imported,
and each adapter's library (Google's clients, openai, Qt) only when that adapter is built or used.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guard_inbox import cli
from guard_inbox.domain.errors import DatabaseDamaged, KnownError
from guard_inbox.domain.models import Account, FoundCode, MailMessage
from guard_inbox.domain.ports import MailSource, SourceFactory
from guard_inbox.logs import setup_logging
from guard_inbox.mail.gmail.tokens import TokenStore, default_token_store
from guard_inbox.paths import AppPaths
from guard_inbox.settings import Settings, SettingsError

if TYPE_CHECKING:
    from guard_inbox.extraction.ai import AiExtractor
    from guard_inbox.extraction.pipeline import AiLayer, ExtractionPipeline
    from guard_inbox.jobs.runtime import Runtime
    from guard_inbox.services.gmail_accounts import GmailAccounts

log = logging.getLogger("guard_inbox")


class LazyTokenStore:
    """Picks keyring or file on first use, so commands that never touch Gmail never warn."""

    def __init__(self, fallback_file: Path) -> None:
        self._file = fallback_file
        self._store: TokenStore | None = None

    def _get(self) -> TokenStore:
        if self._store is None:
            self._store = default_token_store(self._file)
        return self._store

    def load(self, address: str) -> dict[str, Any] | None:
        return self._get().load(address)

    def save(self, address: str, info: dict[str, Any]) -> None:
        self._get().save(address, info)

    def delete(self, address: str) -> None:
        self._get().delete(address)


class LazySourceFactory:
    """Builds the real SourceFactory when the first mailbox is opened, not at start-up."""

    def __init__(self, build: Callable[[], SourceFactory]) -> None:
        self._build = build
        self._factory: SourceFactory | None = None
        self._lock = threading.Lock()  # scans on several worker threads open mailboxes at once

    def open(self, account: Account) -> MailSource:
        with self._lock:
            if self._factory is None:
                self._factory = self._build()
            factory = self._factory
        return factory.open(account)


class LazyPipeline:
    """The extraction pipeline, imported and built at the first message: its rules compile
    ~50 ms of patterns, which the commands that only read the database never use."""

    def __init__(self, ai: AiLayer | None) -> None:
        self._ai = ai
        self._pipeline: ExtractionPipeline | None = None
        self._lock = threading.Lock()

    def _get(self) -> ExtractionPipeline:
        with self._lock:
            if self._pipeline is None:
                from guard_inbox.extraction.pipeline import ExtractionPipeline

                self._pipeline = ExtractionPipeline(ai=self._ai)
            return self._pipeline

    def extract(self, message: MailMessage) -> list[FoundCode]:
        return self._get().extract(message)

    def take_usage(self) -> int:
        return self._get().take_usage()


def build_runtime(paths: AppPaths, settings: Settings, token_store: TokenStore) -> Runtime:
    """Adapters first (mail sources, extraction), then the runtime that wires the core."""
    from guard_inbox.jobs.runtime import Runtime
    from guard_inbox.services.sources import LocalSourceFactory

    runtime: Runtime

    def sync_state_of(account_id: int) -> str:
        return runtime.repository.sync_state(account_id)

    def gmail_sources() -> SourceFactory:
        from guard_inbox.mail.gmail.factory import GmailSourceFactory

        return GmailSourceFactory(
            token_store,
            LocalSourceFactory(),
            sync_state_of=sync_state_of,
            endpoint=settings.get("gmail.endpoint"),
            query=settings.get("gmail.query"),
            batch_size=int(settings.get("gmail.batch_size")),
            max_results=int(settings.get("gmail.max_results")),
            quota_units_per_minute=int(settings.get("gmail.quota_units_per_minute")),
        )

    sources = LazySourceFactory(gmail_sources)
    runtime = Runtime(paths, settings, sources, LazyPipeline(build_ai(settings, token_store)))
    return runtime


AI_KEY_ENTRY = "ai:openai-api-key"  # the AI key shares the token store (keyring or 0600 file)


def build_ai(settings: Settings, token_store: TokenStore) -> AiExtractor | None:
    """The optional model layer; None unless switched on (the scan never needs it)."""
    if not settings.get("ai.enabled"):
        return None
    from guard_inbox.extraction.ai import AiExtractor, AiSettings

    key = os.environ.get("OPENAI_API_KEY", "")
    if not key:
        try:
            stored = token_store.load(AI_KEY_ENTRY) or {}
        except KnownError as exc:  # a locked or broken keyring must not stop the app starting
            log.warning("AI extraction runs without an API key: %s", exc)
            stored = {}
        key = str(stored.get("api_key", ""))
    return AiExtractor(AiSettings(
        enabled=True, base_url=settings.get("ai.base_url"), model=settings.get("ai.model"),
        api_key=key, all_messages=bool(settings.get("ai.all_messages")),
        token_budget=int(settings.get("ai.token_budget")),
        timeout_seconds=float(settings.get("ai.timeout_seconds")),
    ))


def build_gmail_accounts(runtime: Runtime, settings: Settings, token_store: TokenStore) -> GmailAccounts:
    from guard_inbox.services.gmail_accounts import GmailAccounts

    return GmailAccounts(
        runtime.repository, token_store, endpoint=settings.get("gmail.endpoint"),
        client_secrets=lambda: str(settings.get("gmail.client_secrets")),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = cli.parse(argv)
    try:
        paths = AppPaths.resolve(args.data_dir).ensure()
    except OSError as exc:
        print(f"guard-inbox: cannot use the data folder: {exc}", file=sys.stderr)
        return 1
    if args.command == "logs":
        return cli.show_logs(paths.log_file, args)
    ring = setup_logging(paths.log_file, verbose=args.verbose)
    _console_logging(args.command, args.verbose)
    log.info("Guard Inbox starting (%s) with data in %s", args.command or "gui", paths.data_dir)
    try:
        settings = Settings(paths.settings_file)
        if args.client_secrets:
            settings.override("gmail.client_secrets", args.client_secrets)
    except SettingsError as exc:
        print(f"guard-inbox: {exc}", file=sys.stderr)
        return 1
    token_store = LazyTokenStore(paths.token_file)
    runtime = build_runtime(paths, settings, token_store)
    try:
        if args.command is None:
            from guard_inbox.ui.app import offer_fresh_start, run_gui  # Qt only for the GUI

            if not database_or_fresh_start(runtime, lambda m: offer_fresh_start(m, sys.argv[:1])):
                return 1
            gmail = build_gmail_accounts(runtime, settings, token_store)

            def connect_gmail() -> Account:
                return gmail.connect(open_browser=True)

            def save_ai_key(key: str) -> None:
                token_store.save(AI_KEY_ENTRY, {"api_key": key})

            return run_gui(runtime, ring, sys.argv[:1], connect_gmail=connect_gmail,
                           save_ai_key=save_ai_key, self_test=args.self_test)
        accounts: GmailAccounts | None = None  # only `accounts` needs it: the rest skip Google's clients
        if args.command == "accounts":
            accounts = build_gmail_accounts(runtime, settings, token_store)
        return cli.Cli(runtime, accounts).run(args)
    except KnownError as exc:
        print(f"guard-inbox: {exc}", file=sys.stderr)
        return 1
    finally:
        runtime.close()


def database_or_fresh_start(runtime: Runtime, ask: Callable[[str], bool]) -> bool:
    """Opens the database for the app; a damaged file is moved aside only if ``ask`` agrees.

    A launcher start has no terminal to print a sentence to, so the app asks in a dialog;
    the file is never changed without that yes. False: the user chose to quit.
    """
    try:
        runtime.database  # noqa: B018 (opens, checks and migrates it)
        return True
    except DatabaseDamaged as damage:
        log.error("%s", damage)
        damaged_file = Path(damage.path)
        if not ask(str(damage)):
            return False
    from guard_inbox.storage.db import move_aside

    moved = move_aside(damaged_file)
    log.warning("Moved the damaged database aside to %s; starting with an empty one", moved)
    runtime.database  # noqa: B018
    return True


def gui_main() -> int:
    """Entry point of `guard-inbox-gui` (a gui-script: no console window on Windows)."""
    return main(sys.argv[1:])


def _console_logging(command: str | None, verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    level = logging.INFO if command == "worker" else logging.WARNING
    handler.setLevel(logging.DEBUG if verbose else level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    handler._guard_inbox = True  # type: ignore[attr-defined]
    logging.getLogger().addHandler(handler)
