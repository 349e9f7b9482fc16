"""XOAUTH2 access tokens for IMAP, refreshed from a stored OAuth grant (Outlook and the like).

The grant (refresh token, client id, token endpoint, scope; a client secret only for clients
that have one) lives in the account's keyring profile beside its settings. An access token is
used until a minute before it expires, then refreshed with a standard ``refresh_token`` grant
and saved back (providers may rotate the refresh token, as Microsoft does). A refused grant
means the user must sign in again (ReconnectNeeded); an unreachable endpoint is transient.

Where the first grant comes from is a separate step: the CLI imports one from a file; a
Microsoft sign-in (MSAL's public-client loopback flow) would produce the same fields.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from guard_inbox.domain.errors import PermanentError, ReconnectNeeded, TransientError
from guard_inbox.domain.imap import is_loopback

MICROSOFT_TOKEN_URI = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
MICROSOFT_IMAP_SCOPE = "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"
EARLY_SECONDS = 60.0
_KEYS = ("refresh_token", "client_id", "client_secret", "token_uri", "scope", "access_token",
         "expires_at")


def check_grant(data: object, where: str = "The OAuth grant") -> dict[str, Any]:
    """The fields we keep from a token file or a sign-in, checked; never echoes a secret."""
    if not isinstance(data, dict):
        raise PermanentError(f"{where} is not a JSON object.")
    missing = [k for k in ("refresh_token", "client_id") if not isinstance(data.get(k), str) or not data[k]]
    if missing:
        raise PermanentError(f"{where} lacks {', '.join(missing)}.")
    grant = {k: data[k] for k in _KEYS if data.get(k) not in (None, "")}
    grant.setdefault("token_uri", MICROSOFT_TOKEN_URI)
    grant.setdefault("scope", MICROSOFT_IMAP_SCOPE)
    if not usable_token_uri(grant["token_uri"]):
        raise PermanentError(f"{where} has an unusable token_uri (it must be an https URL).")
    if isinstance(data.get("scopes"), list) and "scope" not in data:
        grant["scope"] = " ".join(str(s) for s in data["scopes"])
    return grant


class StoredGrantTokens:
    """AccessTokens over one account's stored grant; ``load``/``save`` reach the keyring profile."""

    def __init__(self, load: Callable[[], Mapping[str, Any] | None],
                 save: Callable[[dict[str, Any]], None], *, timeout: float = 30.0,
                 clock: Callable[[], float] = time.time) -> None:
        self._load = load
        self._save = save
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()  # one refresh at a time, as for Gmail

    def access_token(self, user: str, *, refresh: bool = False) -> str:
        with self._lock:
            grant = dict(self._load() or {})
            if not grant.get("refresh_token"):
                raise ReconnectNeeded(f"{user} has no saved sign-in: sign in again.")
            token = str(grant.get("access_token", ""))
            if token and not refresh and float(grant.get("expires_at", 0)) - EARLY_SECONDS > self._clock():
                return token
            fresh = self._refresh(grant, user)
            grant.update(fresh)
            self._save(grant)
            return str(grant["access_token"])

    def _refresh(self, grant: dict[str, Any], user: str) -> dict[str, Any]:
        form = {"grant_type": "refresh_token", "refresh_token": grant["refresh_token"],
                "client_id": grant["client_id"], "scope": grant.get("scope", "")}
        if grant.get("client_secret"):
            form["client_secret"] = grant["client_secret"]
        request = urllib.request.Request(
            str(grant["token_uri"]), data=urllib.parse.urlencode(form).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as reply:  # noqa: S310 (checked URI)
                body = json.loads(reply.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            error = _error_code(exc)
            if exc.code in (400, 401) and error in ("invalid_grant", "invalid_client", "unauthorized_client",
                                                    "interaction_required", ""):
                raise ReconnectNeeded(f"The sign-in for {user} was revoked or has expired "
                                      f"({error or exc.code}): sign in again.") from None
            raise TransientError(f"The sign-in server answered {exc.code} ({error}).") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise TransientError(f"The sign-in server cannot be reached ({exc}).") from None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise TransientError("The sign-in server gave no access token.")
        fresh: dict[str, Any] = {"access_token": token,
                                 "expires_at": self._clock() + float(body.get("expires_in", 3600))}
        if isinstance(body.get("refresh_token"), str) and body["refresh_token"]:
            fresh["refresh_token"] = body["refresh_token"]  # rotated
        return fresh


def usable_token_uri(uri: object) -> bool:
    """https, or plain http to this machine only; parsed, so user@host tricks do not pass."""
    if not isinstance(uri, str):
        return False
    try:
        parts = urllib.parse.urlsplit(uri)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        return False
    if not host or parts.username is not None or parts.password is not None:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and is_loopback(host))


def _error_code(exc: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(exc.read().decode("utf-8", errors="replace"))
    except (ValueError, OSError):
        return ""
    return str(data.get("error", "")) if isinstance(data, dict) else ""
