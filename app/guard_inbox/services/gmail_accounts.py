"""Connect, import and remove Gmail accounts; the token goes to the token store, never the database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.models import Account, AccountKind, AccountStatus
from guard_inbox.mail.gmail.auth import run_connect_flow
from guard_inbox.mail.gmail.factory import import_token_file, save_authorisation
from guard_inbox.mail.gmail.tokens import TokenStore
from guard_inbox.storage.repository import Repository

CONNECT_TIMEOUT_SECONDS = 300


class GmailAccounts:
    def __init__(
        self,
        repository: Repository,
        token_store: TokenStore,
        *,
        endpoint: str = "",
        client_secrets: Callable[[], str] = lambda: "",
    ) -> None:
        self.repository = repository
        self.token_store = token_store
        self.endpoint = endpoint
        self._client_secrets = client_secrets

    def add_from_token_file(self, path: Path) -> Account:
        """A worker machine is authorised from a desktop's exported token (headless)."""
        return self._store(import_token_file(path))

    def connect(self, *, open_browser: bool = True,
                open_url: Callable[[str], object] | None = None) -> Account:
        """Browser sign-in (loopback redirect, PKCE, gmail.readonly); blocks until done."""
        info = run_connect_flow(
            self._client_secrets(),  # '' -> a KnownError with step-by-step instructions
            open_browser, CONNECT_TIMEOUT_SECONDS, open_url=open_url,
        )
        return self._store(info)

    def _store(self, info: dict[str, Any]) -> Account:
        address = save_authorisation(self.token_store, info, self.endpoint)
        account = self.repository.find_account(address, AccountKind.GMAIL)
        if account is None:
            account = self.repository.add_account(AccountKind.GMAIL, address, address)
        # Reconnecting clears a "needs reconnect" mark.
        self.repository.set_account_status(account.id, AccountStatus.OK)
        refreshed = self.repository.get_account(account.id)
        return refreshed or account

    def remove(self, address: str) -> Account:
        account = self.repository.find_account(address, AccountKind.GMAIL)
        if account is None:
            raise KnownError(f"No Gmail account {address!r} is connected.")
        self.token_store.delete(account.address)
        self.repository.remove_account(account.id)
        return account
