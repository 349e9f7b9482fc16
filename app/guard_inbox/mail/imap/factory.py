"""Wiring for IMAP accounts: the saved profile (settings + password) and the sources built from it.

The profile lives in the token store (the system keyring, else the 0600 file), under
``imap:<address>``: the password beside the settings it belongs to, and nothing of it in the
database, the queue, logs or exports. The account row holds only the address and the cursor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guard_inbox.domain.errors import ReconnectNeeded
from guard_inbox.domain.imap import ImapSettings
from guard_inbox.domain.models import Account, AccountKind
from guard_inbox.domain.ports import MailSource, SourceFactory
from guard_inbox.mail.gmail.tokens import TokenStore
from guard_inbox.mail.imap.connection import DEFAULT_TIMEOUT, AccessTokens, ImapConnection, connect
from guard_inbox.mail.imap.source import ImapSource

SECRET_PREFIX = "imap:"


def secret_key(address: str) -> str:
    return SECRET_PREFIX + address


def save_profile(store: TokenStore, settings: ImapSettings, password: str) -> None:
    store.save(secret_key(settings.user), {"settings": settings.to_dict(), "password": password})


def load_profile(store: TokenStore, address: str) -> tuple[ImapSettings, str]:
    info: dict[str, Any] | None = store.load(secret_key(address))
    if not info or not isinstance(info.get("settings"), dict):
        raise ReconnectNeeded(f"Guard Inbox has no saved login for {address}: add the account "
                              "again with its password or app password.")
    return ImapSettings.from_dict(info["settings"]), str(info.get("password", ""))


def delete_profile(store: TokenStore, address: str) -> None:
    store.delete(secret_key(address))


class ImapConnector:
    """Opens logged-in connections for one profile; the source calls it again after a drop."""

    def __init__(self, settings: ImapSettings, password: str,
                 tokens: Mapping[str, AccessTokens], timeout: float) -> None:
        self._settings = settings
        self._password = password
        self._tokens = tokens.get(settings.provider)
        self._timeout = timeout

    def __call__(self) -> ImapConnection:
        return connect(self._settings, self._password, tokens=self._tokens, timeout=self._timeout)


class ImapSourceFactory:
    """SourceFactory for IMAP accounts; other kinds go to ``fallback``.

    ``tokens`` maps a provider key (a preset's) to where its XOAUTH2 access tokens come from.
    """

    def __init__(self, store: TokenStore, fallback: SourceFactory, *,
                 tokens: Mapping[str, AccessTokens] | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self._store = store
        self._fallback = fallback
        self._tokens = dict(tokens or {})
        self._timeout = timeout

    def open(self, account: Account) -> MailSource:
        if account.kind is not AccountKind.IMAP:
            return self._fallback.open(account)
        settings, password = load_profile(self._store, account.address)
        return ImapSource(self.connector(settings, password), settings, account.sync_state)

    def connector(self, settings: ImapSettings, password: str) -> ImapConnector:
        return ImapConnector(settings, password, self._tokens, self._timeout)
