"""Wiring for IMAP accounts: the saved profile (settings + password) and the sources built from it.

The profile lives in the token store (the system keyring, else the 0600 file), under
``imap:<address>``: the password beside the settings it belongs to, and nothing of it in the
database, the queue, logs or exports. The account row holds only the address and the cursor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from guard_inbox.domain.errors import ReconnectNeeded
from guard_inbox.domain.imap import ImapAuth, ImapSettings
from guard_inbox.domain.models import Account, AccountKind
from guard_inbox.domain.ports import MailSource, SourceFactory
from guard_inbox.mail.gmail.tokens import TokenStore
from guard_inbox.mail.imap.connection import DEFAULT_TIMEOUT, AccessTokens, ImapConnection, connect
from guard_inbox.mail.imap.oauth import StoredGrantTokens
from guard_inbox.mail.imap.source import ImapSource

SECRET_PREFIX = "imap:"


def secret_key(address: str) -> str:
    return SECRET_PREFIX + address


def save_profile(store: TokenStore, settings: ImapSettings, password: str,
                 grant: Mapping[str, Any] | None = None) -> None:
    """Settings with their password, or with their OAuth grant (XOAUTH2)."""
    profile: dict[str, Any] = {"settings": settings.to_dict(), "password": password}
    if grant:
        profile["oauth"] = dict(grant)
    store.save(secret_key(settings.user), profile)


def grant_tokens(store: TokenStore, address: str) -> StoredGrantTokens:
    """XOAUTH2 tokens from the OAuth grant in the account's profile, refreshed tokens saved back."""

    def load() -> dict[str, Any] | None:
        profile = store.load(secret_key(address)) or {}
        grant = profile.get("oauth")
        return grant if isinstance(grant, dict) else None

    def save(grant: dict[str, Any]) -> None:
        profile = store.load(secret_key(address)) or {}
        profile["oauth"] = grant
        store.save(secret_key(address), profile)

    return StoredGrantTokens(load, save)


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

    def __init__(self, settings: ImapSettings, password: str, tokens: AccessTokens | None,
                 timeout: float) -> None:
        self._settings = settings
        self._password = password
        self._tokens = tokens
        self._timeout = timeout

    def __call__(self) -> ImapConnection:
        return connect(self._settings, self._password, tokens=self._tokens, timeout=self._timeout)


class ImapSourceFactory:
    """SourceFactory for IMAP accounts; other kinds go to ``fallback``.

    ``tokens`` maps a provider key (a preset's) to where its XOAUTH2 access tokens come from;
    without one, an XOAUTH2 account refreshes the grant saved in its own profile.
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

    def connector(self, settings: ImapSettings, password: str,
                  tokens: AccessTokens | None = None) -> ImapConnector:
        if tokens is None and settings.auth is ImapAuth.XOAUTH2:
            tokens = self._tokens.get(settings.provider) or grant_tokens(self._store, settings.user)
        return ImapConnector(settings, password, tokens, self._timeout)
