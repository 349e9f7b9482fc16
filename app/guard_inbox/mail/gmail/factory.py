"""Wiring for Gmail accounts: open a source for an account, and add an account from a token.

The composition root builds one ``GmailSourceFactory`` (wrapping the local-mail factory for the
other kinds); the CLI and the accounts dialog use ``import_token_file`` / ``run_connect_flow``
plus ``save_authorisation`` to add an account, which asks Gmail whose mailbox the token opens
rather than trusting an address typed by the user.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from google.oauth2.credentials import Credentials

from guard_inbox.domain.errors import KnownError, PermanentError, ReconnectNeeded
from guard_inbox.domain.models import Account, AccountKind
from guard_inbox.domain.ports import MailSource, SourceFactory
from guard_inbox.mail.gmail.auth import (
    GOOGLE_TOKEN_URI,
    READ_SCOPES,
    LockedCredentials,
    credentials_from_info,
    info_of,
)
from guard_inbox.mail.gmail.client import DEFAULT_ENDPOINT, GmailClient
from guard_inbox.mail.gmail.quota import DEFAULT_UNITS_PER_MINUTE, Backoff, QuotaLimiter
from guard_inbox.mail.gmail.source import GmailSource
from guard_inbox.mail.gmail.tokens import TokenStore

_log = logging.getLogger(__name__)

DEFAULT_QUERY = "category:promotions newer_than:365d"
# https, or plain http to this machine only (a local test or self-hosted token endpoint).
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_TOKEN_KEYS = ("token", "refresh_token", "token_uri", "client_id", "client_secret", "scopes", "expiry")


class GmailSourceFactory:
    """SourceFactory for Gmail accounts; other kinds go to ``fallback``.

    A Gmail source lists from the account's stored cursor (``Account.sync_state``); an account
    without one gets a full listing.
    """

    def __init__(
        self,
        token_store: TokenStore,
        fallback: SourceFactory,
        *,
        endpoint: str = "",
        query: str = DEFAULT_QUERY,
        batch_size: int = 50,
        max_results: int = 500,
        quota_units_per_minute: int = DEFAULT_UNITS_PER_MINUTE,
        timeout: float = 60.0,
    ) -> None:
        self._store = token_store
        self._fallback = fallback
        self._endpoint = endpoint or DEFAULT_ENDPOINT
        self._query = query
        self._batch_size = batch_size
        self._max_results = max_results
        self._quota_units = quota_units_per_minute
        self._timeout = timeout

    def open(self, account: Account) -> MailSource:
        if account.kind is not AccountKind.GMAIL:
            return self._fallback.open(account)
        address = account.address
        info = self._store.load(address)
        if info is None:
            raise ReconnectNeeded(
                f"Guard Inbox has no Gmail authorisation for {address}. Reconnect it from the "
                "Accounts list or with `guard-inbox accounts connect`."
            )
        credentials = LockedCredentials.from_info(address, info, self._store)
        client = GmailClient(
            address,
            lambda: credentials,
            self._endpoint,
            QuotaLimiter.for_account(address, self._quota_units),
            self._batch_size,
            self._max_results,
            timeout=self._timeout,
        )
        return GmailSource(client, self._query, account.sync_state)


def import_token_file(path: Path | str) -> dict[str, Any]:
    """The authorized-user info in a token JSON file as google-auth writes it, checked.

    Raises a KnownError naming what is wrong; never echoes the file's content (it holds secrets).
    """
    file = Path(path).expanduser()
    try:
        data = json.loads(file.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise PermanentError(f"The token file {file} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PermanentError(f"The token file {file} cannot be read ({exc}).") from None
    except ValueError:
        raise PermanentError(f"The token file {file} is not JSON.") from None
    return check_token_info(data, f"The token file {file}")


def check_token_info(data: object, where: str = "The Gmail authorisation") -> dict[str, Any]:
    """Validate authorized-user info (from a file or the connect flow); returns only known keys."""
    if not isinstance(data, dict):
        raise PermanentError(f"{where} is not an authorised-user token (a JSON object was expected).")
    if "installed" in data or "web" in data:
        raise PermanentError(
            f"{where} is an OAuth client file (client_secret.json), not a token. Use it with "
            "--client-secrets and `guard-inbox accounts connect` to sign in instead."
        )
    if data.get("type") == "service_account":
        raise PermanentError(f"{where} is a service-account key; Gmail needs a token of your own account.")
    missing = [k for k in ("refresh_token", "client_id", "client_secret") if not isinstance(data.get(k), str)
               or not data[k]]
    if missing:
        raise PermanentError(
            f"{where} lacks {', '.join(missing)}: it must be an authorised-user token as google-auth "
            "writes it (Credentials.to_json()), with a refresh token."
        )
    scopes = data.get("scopes")
    if isinstance(scopes, str):
        scopes = scopes.split()
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise PermanentError(f"{where} does not say which scopes it grants (\"scopes\" is missing).")
    if not set(scopes) & READ_SCOPES:
        raise PermanentError(
            f"{where} does not allow reading Gmail; it needs the scope "
            "https://www.googleapis.com/auth/gmail.readonly."
        )
    token_uri = data.get("token_uri") or GOOGLE_TOKEN_URI
    if not usable_token_uri(token_uri):
        raise PermanentError(f"{where} has an unusable token_uri (it must be an https URL).")
    info = {k: data[k] for k in _TOKEN_KEYS if data.get(k) not in (None, "")}
    info["token_uri"] = token_uri
    info["scopes"] = scopes
    return info


def usable_token_uri(uri: object) -> bool:
    """https to a named host, or plain http to this machine only (a local test server).

    Parsed, not prefix-matched: http://127.0.0.1@evil.example/ and http://localhost.evil.example/
    start like loopback URLs but would send the refresh token elsewhere.
    """
    if not isinstance(uri, str):
        return False
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return False
    if not host or parts.username is not None or parts.password is not None:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK_HOSTS)


def fetch_profile_address(info: Mapping[str, Any], endpoint: str = "") -> str:
    """The address of the mailbox ``info`` opens (users.getProfile)."""
    return _profile_address(credentials_from_info(info), endpoint)


def save_authorisation(token_store: TokenStore, info: Mapping[str, Any], endpoint: str = "") -> str:
    """Check ``info`` against Gmail, store it under the mailbox's own address, and return that address.

    What ``accounts add --token-file`` and ``accounts connect`` call after getting the info.
    """
    checked = check_token_info(dict(info))
    credentials = LockedCredentials.from_info("", checked, None)
    address = _profile_address(credentials, endpoint)
    token_store.save(address, info_of(credentials))  # with the token refreshed by the check, if it was
    return address


def _profile_address(credentials: Credentials, endpoint: str) -> str:
    # A private bucket and a short backoff: this runs while a user waits in a dialog.
    with GmailClient(
        "", lambda: credentials, endpoint or DEFAULT_ENDPOINT, QuotaLimiter(DEFAULT_UNITS_PER_MINUTE),
        backoff=Backoff(max_attempts=3, cap=4.0), timeout=30.0,
    ) as client:
        profile = client.profile()
    address = profile.get("emailAddress")
    if not isinstance(address, str) or "@" not in address:
        raise KnownError("Gmail did not say which mailbox this authorisation opens; try connecting again.")
    return address.strip()
