"""Adapters the composition root builds: the token store, mail sources, extraction and Gmail.

Each defers its library (keyring, Google's clients, openai, the rules' compiled patterns) to
first use, so a command that never needs one never pays for its import.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.models import Account, Extraction, FoundCode, MailMessage
from guard_inbox.domain.ports import MailSource, SourceFactory
from guard_inbox.mail.gmail.tokens import TokenStore, default_token_store
from guard_inbox.settings import Settings

if TYPE_CHECKING:
    from guard_inbox.extraction.ai import AiExtractor
    from guard_inbox.extraction.pipeline import AiLayer, ExtractionPipeline
    from guard_inbox.services.gmail_accounts import GmailAccounts
    from guard_inbox.services.imap_accounts import ImapAccounts
    from guard_inbox.storage.repository import Repository

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

    @property
    def rules_only(self) -> bool:
        """No AI layer: local scans may read in processes that build the same pipeline."""
        return self._ai is None

    def _get(self) -> ExtractionPipeline:
        with self._lock:
            if self._pipeline is None:
                from guard_inbox.extraction.pipeline import ExtractionPipeline

                self._pipeline = ExtractionPipeline(ai=self._ai)
            return self._pipeline

    def extract(self, message: MailMessage) -> list[FoundCode]:
        return self._get().extract(message)

    def examine(self, message: MailMessage) -> Extraction:
        return self._get().examine(message)


def build_sources(settings: Settings, token_store: TokenStore) -> SourceFactory:
    """Local mailboxes, and Gmail and IMAP ones through their clients once the first one is opened."""
    from guard_inbox.services.sources import LocalSourceFactory

    def gmail_sources() -> SourceFactory:
        from guard_inbox.mail.gmail.factory import GmailSourceFactory
        from guard_inbox.mail.imap.factory import ImapSourceFactory

        return GmailSourceFactory(
            token_store,
            ImapSourceFactory(token_store, LocalSourceFactory()),
            endpoint=settings.get("gmail.endpoint"),
            query=settings.get("gmail.query"),
            batch_size=int(settings.get("gmail.batch_size")),
            max_results=int(settings.get("gmail.max_results")),
            quota_units_per_minute=int(settings.get("gmail.quota_units_per_minute")),
        )

    return LazySourceFactory(gmail_sources)


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


def build_gmail_accounts(repository: Repository, settings: Settings,
                         token_store: TokenStore) -> GmailAccounts:
    from guard_inbox.services.gmail_accounts import GmailAccounts

    return GmailAccounts(
        repository, token_store, endpoint=settings.get("gmail.endpoint"),
        client_secrets=lambda: str(settings.get("gmail.client_secrets")),
    )


def build_imap_accounts(repository: Repository, token_store: TokenStore) -> ImapAccounts:
    from guard_inbox.mail.imap.factory import ImapSourceFactory
    from guard_inbox.services.imap_accounts import ImapAccounts
    from guard_inbox.services.sources import LocalSourceFactory

    return ImapAccounts(repository, token_store, ImapSourceFactory(token_store, LocalSourceFactory()))
