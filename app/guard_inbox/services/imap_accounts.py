"""Add, test, show and remove IMAP accounts; the password goes to the token store, never the database."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from typing import Any

from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.imap import ImapAuth, ImapSettings
from guard_inbox.domain.models import Account, AccountKind, AccountStatus
from guard_inbox.mail.gmail.tokens import TokenStore
from guard_inbox.mail.imap.factory import (
    ImapSourceFactory,
    delete_profile,
    load_profile,
    save_profile,
    secret_key,
)
from guard_inbox.mail.imap.oauth import StoredGrantTokens, check_grant
from guard_inbox.mail.imap.signin import OAuthClient, sign_in
from guard_inbox.storage.repository import Repository


class ImapAccounts:
    def __init__(self, repository: Repository, store: TokenStore, sources: ImapSourceFactory, *,
                 oauth_client: Callable[[str], OAuthClient] = OAuthClient) -> None:
        """``oauth_client`` makes the sign-in's client from a client id (Microsoft's endpoints)."""
        self.repository = repository
        self.store = store
        self.sources = sources
        self.oauth_client = oauth_client
        self._signing_in = threading.Lock()

    def sign_in(self, settings: ImapSettings, client_id: str, *, show_url: Callable[[str], object],
                cancel: threading.Event | None = None) -> Account:
        """Browser sign-in (Outlook's XOAUTH2), then adds the account with the grant it gave."""
        settings = settings.checked()
        if not self._signing_in.acquire(blocking=False):
            raise KnownError("A sign-in is already in progress: finish it in the browser or cancel it.")
        try:
            grant = sign_in(self.oauth_client(client_id.strip()), settings.user, show_url=show_url,
                            cancel=cancel)
        finally:
            self._signing_in.release()
        return self.add(dataclasses.replace(settings, auth=ImapAuth.XOAUTH2), "", grant)

    def test(self, settings: ImapSettings, password: str,
             grant: Mapping[str, Any] | None = None) -> list[str]:
        """Connects and logs in as the account would; returns the folders the chooser offers."""
        return self._test(settings.checked(), password, self._grant(settings, grant))[0]

    def _grant(self, settings: ImapSettings, grant: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The OAuth grant to log in with: the one given (checked), else the one saved before."""
        if settings.auth is not ImapAuth.XOAUTH2:
            return None
        if grant is not None:
            return check_grant(dict(grant))
        saved = self.store.load(secret_key(settings.user.strip())) or {}
        if isinstance(saved.get("oauth"), dict):
            return dict(saved["oauth"])
        raise KnownError(f"{settings.host} signs in with OAuth: give the account's token "
                         "(--oauth-token-file) or sign in.")

    def _test(self, settings: ImapSettings, password: str,
              grant: dict[str, Any] | None) -> tuple[list[str], dict[str, Any] | None]:
        holder = {"grant": grant}
        tokens = None
        if grant is not None:
            tokens = StoredGrantTokens(lambda: holder["grant"], lambda g: holder.update(grant=g))
        with self.sources.connector(settings, password, tokens)() as conn:
            folders = conn.folders()
            missing = [f for f in settings.folders if f not in folders and f.upper() != "INBOX"]
        if missing:
            raise KnownError(f"The server has no folder {missing[0]!r}; choose from: "
                             f"{', '.join(folders[:20])}.")
        return folders, holder["grant"]

    def add(self, settings: ImapSettings, password: str,
            grant: Mapping[str, Any] | None = None) -> Account:
        """Tests the login first, then saves the profile and the account (or updates both)."""
        settings = settings.checked()
        _, used_grant = self._test(settings, password, self._grant(settings, grant))
        existing = self.repository.find_account(settings.user, AccountKind.IMAP)
        if existing is not None:
            try:
                old, _ = load_profile(self.store, settings.user)
            except KnownError:
                old = None
            if old is not None and (old.host, old.port, old.folders) != (
                    settings.host, settings.port, settings.folders):
                # Another server or folders: the old cursor says nothing about them.
                self.repository.finish_account_scan(existing.id, "")
        save_profile(self.store, settings, password, used_grant)  # with a refreshed token, if it was
        account = existing or self.repository.add_account(AccountKind.IMAP, settings.user, settings.user)
        self.repository.set_account_status(account.id, AccountStatus.OK)  # a fixed login clears the mark
        return self.repository.get_account(account.id) or account

    def settings(self, address: str) -> ImapSettings:
        return load_profile(self.store, address)[0]

    def forget(self, address: str) -> None:
        """Deletes the saved password (or OAuth grant) and settings; the account row is not ours."""
        delete_profile(self.store, address)
