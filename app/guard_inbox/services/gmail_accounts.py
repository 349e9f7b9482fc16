"""Connect, import and remove Gmail accounts; the token goes to the token store, never the database.

One sign-in at a time per process: a second one would open a second browser tab and a second
loopback listener, and whichever the user finished, the other would wait on for minutes.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.models import Account, AccountKind, AccountStatus
from guard_inbox.mail.gmail.auth import run_connect_flow
from guard_inbox.mail.gmail.client_file import load_client_secrets
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
        self._signing_in = threading.Lock()

    def add_from_token_file(self, path: Path) -> Account:
        """A worker machine is authorised from a desktop's exported token (headless)."""
        return self._store(import_token_file(path))

    def connect(self, *, open_browser: bool = True,
                open_url: Callable[[str], object] | None = None) -> Account:
        """Browser sign-in (loopback redirect, PKCE, gmail.readonly); blocks until done."""
        with self._one_sign_in():
            info = run_connect_flow(
                self._client_secrets(),  # '' -> a KnownError with step-by-step instructions
                open_browser, CONNECT_TIMEOUT_SECONDS, open_url=open_url,
            )
        return self._store(info)

    def check_client_file(self, path: Path) -> str:
        """The client id of a Desktop-app OAuth client file, or a KnownError saying what is wrong.

        Without the command line's help text: the window that asks shows the steps itself.
        """
        config = load_client_secrets(path, how_to="")
        return str(config["installed"]["client_id"])

    def sign_in(self, client_file: Path, *, show_url: Callable[[str], object],
                cancel: threading.Event) -> Account:
        """The window's sign-in: no browser opened here and nothing printed (the window shows
        the URL and opens it), and ``cancel`` ends the wait and frees the port at once."""
        with self._one_sign_in():
            info = run_connect_flow(client_file, open_browser=False,
                                    timeout=CONNECT_TIMEOUT_SECONDS, open_url=show_url, prompt="",
                                    cancel=cancel)
        return self._store(info)

    @contextlib.contextmanager
    def _one_sign_in(self) -> Iterator[None]:
        if not self._signing_in.acquire(blocking=False):
            raise KnownError("A Gmail sign-in is already in progress: finish it in the browser "
                             "or cancel it first.")
        try:
            yield
        finally:
            self._signing_in.release()

    def _store(self, info: dict[str, Any]) -> Account:
        address = save_authorisation(self.token_store, info, self.endpoint)
        account = self.repository.find_account(address, AccountKind.GMAIL)
        if account is None:
            account = self.repository.add_account(AccountKind.GMAIL, address, address)
        # Reconnecting clears a "needs reconnect" mark.
        self.repository.set_account_status(account.id, AccountStatus.OK)
        refreshed = self.repository.get_account(account.id)
        return refreshed or account
