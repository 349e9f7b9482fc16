"""A browser sign-in for XOAUTH2 IMAP (Microsoft's), the same shape as our Google sign-in.

Authorization code flow for a public client: a loopback listener of ours on 127.0.0.1 (a free
port) receives the redirect, PKCE (S256) and a state value guard the code, and the code is
exchanged at the token endpoint for a refresh token. No client secret: Microsoft's desktop
("public client") registrations have none. A cancel closes the port within a fraction of a
second. The result is the grant the IMAP source refreshes access tokens from.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from guard_inbox.domain.errors import KnownError, PermanentError, TransientError
from guard_inbox.mail.gmail.loopback import LoopbackRedirect, SignInCancelled
from guard_inbox.mail.imap.oauth import MICROSOFT_IMAP_SCOPE, check_grant, usable_token_uri

MICROSOFT_LOGIN = "https://login.microsoftonline.com/common/oauth2/v2.0"
SIGN_IN_TIMEOUT = 300.0


@dataclass(frozen=True, slots=True)
class OAuthClient:
    """Who signs in where: the app registration's client id and the provider's endpoints."""

    client_id: str
    authorize_uri: str = MICROSOFT_LOGIN + "/authorize"
    token_uri: str = MICROSOFT_LOGIN + "/token"
    scope: str = MICROSOFT_IMAP_SCOPE
    client_secret: str = ""  # only for registrations that have one (Microsoft's desktop apps do not)

    def checked(self) -> OAuthClient:
        if not self.client_id.strip():
            raise PermanentError("Enter the application (client) ID of your Microsoft app "
                                 "registration.")
        for uri in (self.authorize_uri, self.token_uri):
            if not usable_token_uri(uri):
                raise PermanentError(f"{uri} is not an https address.")
        return self


def sign_in(client: OAuthClient, user: str, *, show_url: Callable[[str], object],
            cancel: threading.Event | None = None, timeout: float = SIGN_IN_TIMEOUT) -> dict[str, Any]:
    """Runs the sign-in; ``show_url`` gets the address to open (a window shows it, a CLI
    prints it or opens the browser). Returns the grant (refresh token and the rest)."""
    client = client.checked()
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(24)
    with LoopbackRedirect("Signed in: you can close this tab and go back to Guard Inbox.") as listener:
        query = {"client_id": client.client_id, "response_type": "code",
                 "redirect_uri": listener.redirect_uri, "scope": client.scope, "state": state,
                 "code_challenge": challenge, "code_challenge_method": "S256",
                 "prompt": "select_account"}
        if user:
            query["login_hint"] = user
        show_url(client.authorize_uri + "?" + urllib.parse.urlencode(query))
        try:
            redirect = listener.wait(timeout, cancel)
        except SignInCancelled:  # its own words name Google
            raise SignInCancelled("The sign-in was cancelled; nothing was added.") from None
        except KnownError:
            raise KnownError(f"The sign-in was not completed within {timeout:g} seconds; "
                             "try again.") from None
        redirect_uri = listener.redirect_uri
    got = {k: v[-1] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(redirect).query).items()}
    if got.get("state") != state:
        raise KnownError("The sign-in answer did not match this sign-in (state); try again.")
    if "error" in got or not got.get("code"):
        reason = got.get("error_description") or got.get("error") or "no authorization code"
        raise KnownError(f"The sign-in was refused or cancelled ({reason}); nothing was added.")
    form = {"grant_type": "authorization_code", "code": got["code"], "redirect_uri": redirect_uri,
            "client_id": client.client_id, "code_verifier": verifier, "scope": client.scope}
    if client.client_secret:
        form["client_secret"] = client.client_secret
    body = _post(client.token_uri, form)
    grant = {"refresh_token": body.get("refresh_token"), "access_token": body.get("access_token"),
             "expires_at": time.time() + float(body.get("expires_in", 3600)),
             "client_id": client.client_id, "token_uri": client.token_uri, "scope": client.scope}
    if client.client_secret:
        grant["client_secret"] = client.client_secret
    if not grant["refresh_token"]:
        raise KnownError("The sign-in gave no refresh token (was offline_access granted?); try again.")
    return check_grant(grant, "The sign-in's answer")


def _post(uri: str, form: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(
        uri, data=urllib.parse.urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310 (checked URI)
            data = json.loads(reply.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read().decode("utf-8", errors="replace")).get("error", "")
        except (ValueError, OSError, AttributeError):
            detail = ""
        raise KnownError(f"The sign-in server refused the code ({exc.code} {detail}); try again.") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise TransientError(f"The sign-in server cannot be reached ({exc}).") from None
    if not isinstance(data, dict):
        raise KnownError("The sign-in server's answer was not understood.")
    return data
