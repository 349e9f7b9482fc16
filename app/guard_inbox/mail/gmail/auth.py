"""Google OAuth for Gmail: the desktop sign-in flow, and credentials safe to share between threads.

Two things google-auth leaves to us. It has no refresh lock: eight scan threads holding one
stale token each call the token endpoint, eight times. ``LockedCredentials`` refreshes under one
lock per grant (address and refresh token), lets a thread that waited adopt the token another
thread just obtained, and writes the new token back to the TokenStore so the next scan does not
refresh again. And its errors speak OAuth: ``reconnect_error`` turns a refused grant into the
sentence a user can act on. The sign-in itself waits on a loopback listener of ours that a
Cancel or Quit can stop (loopback.py); the client file it needs is checked in client_file.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import webbrowser
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import google_auth_httplib2
from google.auth import exceptions as auth_exceptions
from google.auth.transport import Request
from google.oauth2.credentials import Credentials

from guard_inbox.domain.errors import KnownError, PermanentError, ReconnectNeeded, TransientError
from guard_inbox.mail.gmail.client_file import check_client_config, load_client_secrets
from guard_inbox.mail.gmail.loopback import LoopbackRedirect
from guard_inbox.mail.gmail.tokens import TokenStore
from guard_inbox.mail.gmail.transport import new_http

_log = logging.getLogger(__name__)

GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"
SCOPES = (GMAIL_READONLY,)
# Scopes that include reading mail; a token imported from elsewhere may carry a broader one.
READ_SCOPES = frozenset(
    {GMAIL_READONLY, "https://www.googleapis.com/auth/gmail.modify", "https://mail.google.com/"}
)
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"

RECONNECT_MESSAGE = (
    "Gmail account needs to be reconnected: Google no longer accepts its authorisation "
    "(it was revoked or expired). Reconnect it from the Accounts list or with "
    "`guard-inbox accounts connect`."
)

SIGN_IN_PROMPT = "Sign in to Google in your browser. If it did not open, visit:\n{url}"

# google-auth treats a token as expired this long before its expiry (its REFRESH_THRESHOLD).
_REFRESH_THRESHOLD = timedelta(minutes=3, seconds=45)
_REFRESH_TIMEOUT = 30.0
_CHATTY_LOGGERS = ("requests_oauthlib", "oauthlib")


def credentials_from_info(info: Mapping[str, Any]) -> Credentials:
    """Plain credentials from authorized-user info, keeping its ``token_uri``.

    ``Credentials.from_authorized_user_info`` always replaces ``token_uri`` with Google's, which
    would make a test or self-hosted token endpoint unreachable.
    """
    creds: Credentials = _build(Credentials, info)
    return creds


def info_of(creds: Credentials) -> dict[str, Any]:
    """The authorized-user info of ``creds``, as google-auth writes it (what a TokenStore keeps)."""
    info: dict[str, Any] = json.loads(creds.to_json())  # type: ignore[no-untyped-call]
    return info


class LockedCredentials(Credentials):
    """Credentials whose refresh is serialised per address and persisted to a TokenStore."""

    _shared: ClassVar[dict[str, _SharedToken]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    address: str
    store: TokenStore | None
    grant_key: str
    sent: threading.local

    @classmethod
    def from_info(cls, address: str, info: Mapping[str, Any], store: TokenStore | None) -> LockedCredentials:
        creds: LockedCredentials = _build(cls, info)
        creds.address = address
        creds.store = store
        # The lock and the shared token belong to one grant: a reconnected account (new refresh
        # token) must never adopt an access token minted for its revoked predecessor.
        grant = hashlib.sha256(str(info["refresh_token"]).encode()).hexdigest()[:16]
        creds.grant_key = f"{address.strip().lower()}/{grant}"
        creds.sent = threading.local()
        return creds

    def apply(self, headers: dict[str, str], token: str | None = None) -> None:
        """Also remember, per thread, which token this thread's request carries: threads
        sending batches at once share these credentials, and one whose request was refused
        must compare the token *it* sent, not one another thread has refreshed since."""
        super().apply(headers, token)  # type: ignore[no-untyped-call]
        sent = getattr(self, "sent", None)
        if sent is not None:
            sent.token = token or self.token

    def refresh(self, request: Request) -> None:
        """Refresh once per grant, on a short-lived connection of our own.

        ``request`` is ignored: the batch path of googleapiclient passes a throwaway
        ``httplib2.Http()`` that it never closes and that ignores our proxy handling.
        """
        sent = getattr(self, "sent", None)
        seen = getattr(sent, "token", None) or self.token
        shared = self._shared_for(self.grant_key)
        with shared.lock:
            if shared.token_is_usable(seen):
                self.token, self.expiry = shared.token, shared.expiry
                return
            _log.info("Refreshing the Gmail access token of %s", self.address)
            http = new_http(_REFRESH_TIMEOUT)
            try:
                super().refresh(google_auth_httplib2.Request(http))  # type: ignore[no-untyped-call]
            finally:
                http.close()
            shared.remember(self.token, self.expiry)
        self._persist()

    def _persist(self) -> None:
        if self.store is None:
            return
        try:
            self.store.save(self.address, info_of(self))
        except KnownError as exc:  # the scan can go on with the token in memory
            _log.warning("Could not save the refreshed token of %s: %s", self.address, exc)

    @classmethod
    def _shared_for(cls, key: str) -> _SharedToken:
        with cls._shared_lock:
            shared = cls._shared.get(key)
            if shared is None:
                shared = cls._shared[key] = _SharedToken()
            return shared


class _SharedToken:
    """The last access token refreshed for one grant in this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.token: str | None = None
        self.expiry: datetime | None = None

    def remember(self, token: str | None, expiry: datetime | None) -> None:
        self.token, self.expiry = token, expiry

    def token_is_usable(self, seen: str | None) -> bool:
        """Whether a thread that held ``seen`` should take the shared token instead of refreshing.

        Only a token other than the one the thread held: if Gmail just refused ``seen``, handing
        the same token back would turn a plain expiry into a false "reconnect needed".
        """
        if self.token is None or self.expiry is None or _utcnow() >= self.expiry - _REFRESH_THRESHOLD:
            return False
        return seen != self.token


def reconnect_error(exc: auth_exceptions.RefreshError) -> KnownError:
    """A refused refresh -> ReconnectNeeded; a token endpoint that is merely down -> TransientError."""
    if getattr(exc, "retryable", False):
        return TransientError(
            f"Google's sign-in service is not answering ({_oauth_error(exc)}); the scan will retry."
        )
    _log.warning("Google refused to refresh a Gmail token: %s", _oauth_error(exc))
    return ReconnectNeeded(RECONNECT_MESSAGE)


def run_connect_flow(
    client_secrets: Path | str | dict[str, Any],
    open_browser: bool = True,
    timeout: int = 300,
    *,
    open_url: Callable[[str], object] | None = None,
    prompt: str | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Sign in with Google in the browser; returns the authorized-user info (no address yet).

    Loopback redirect to 127.0.0.1 on a free port, scope gmail.readonly only, PKCE (S256) always.
    ``open_url`` receives the sign-in URL instead of (or as well as) the system browser, for a
    GUI that shows it or a test that plays the browser; it must not block on the redirect.
    Setting ``cancel`` ends the wait within a fraction of a second (SignInCancelled) and frees
    the port: a window's Cancel or Quit must not leave a listener behind for minutes.
    """
    from google_auth_oauthlib.flow import InstalledAppFlow

    config = client_secrets if isinstance(client_secrets, dict) else load_client_secrets(client_secrets)
    config = check_client_config(config)
    flow = InstalledAppFlow.from_client_config(config, scopes=list(SCOPES),
                                               autogenerate_code_verifier=True)
    try:
        with _quiet(_CHATTY_LOGGERS):
            creds = _run_flow(flow, open_browser, timeout, prompt, open_url, cancel)
    finally:
        flow.oauth2session.close()  # a requests.Session: its pooled connection to the token endpoint
    info = info_of(creds)
    granted = set(info.get("scopes") or ())
    if not granted & READ_SCOPES:
        raise PermanentError(
            "Google did not grant permission to read Gmail. Connect again and tick "
            "\"View your email messages and settings\" on Google's consent screen."
        )
    return info


# -- helpers ------------------------------------------------------------------------------------


def _run_flow(flow: Any, open_browser: bool, timeout: int, prompt: str | None,
              open_url: Callable[[str], object] | None, cancel: threading.Event | None) -> Credentials:
    """What ``run_local_server`` does, with a listener that a cancel stops (see loopback.py)."""
    try:
        with LoopbackRedirect("Guard Inbox is connected. You can close this tab.") as redirect:
            flow.redirect_uri = redirect.redirect_uri
            url, _state = flow.authorization_url()
            # PKCE is google-auth-oauthlib's default (autogenerate_code_verifier); insist on it.
            if not flow.code_verifier or "code_challenge_method=S256" not in url:
                raise RuntimeError("PKCE is not in use: google-auth-oauthlib changed its defaults")
            if open_url is not None:
                open_url(url)
            if open_browser and not webbrowser.open(url, new=1, autoraise=True):
                _log.info("No web browser could be opened for the Google sign-in")
            message = SIGN_IN_PROMPT if prompt is None else prompt
            if message:
                print(message.format(url=url))
            received = redirect.wait(timeout, cancel)
        # oauthlib insists on https for the response (unless OAUTHLIB_INSECURE_TRANSPORT); only
        # the scheme changes: the code and state reach Google exactly as they were sent.
        response = "https://" + received.removeprefix("http://")
        flow.fetch_token(authorization_response=response, timeout=_REFRESH_TIMEOUT)
    except Exception as exc:
        known = _flow_error(exc)
        if known is None:
            raise
        raise known from exc
    creds: Credentials = flow.credentials
    return creds


@contextlib.contextmanager
def _quiet(names: tuple[str, ...]) -> Iterator[None]:
    """Hold loggers at INFO or above for a while.

    requests-oauthlib logs the token response, the code verifier and the client's Basic-auth
    header at DEBUG; with debug logging on, the sign-in would write secrets to our log file and
    crash-report buffer.
    """
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _build(cls: type[Credentials], info: Mapping[str, Any]) -> Any:
    missing = [k for k in ("refresh_token", "client_id", "client_secret") if not info.get(k)]
    if missing:
        raise ReconnectNeeded(
            f"The stored Gmail authorisation is incomplete (no {', '.join(missing)}). "
            "Reconnect it from the Accounts list or with `guard-inbox accounts connect`."
        )
    scopes = info.get("scopes")
    if isinstance(scopes, str):
        scopes = scopes.split()
    return cls(
        token=info.get("token"),
        refresh_token=info["refresh_token"],
        token_uri=info.get("token_uri") or GOOGLE_TOKEN_URI,
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        scopes=scopes,
        # No expiry stored: assume the token is stale and let the first request refresh it.
        expiry=_parse_expiry(info.get("expiry")) or (_utcnow() - timedelta(minutes=5)),
        quota_project_id=info.get("quota_project_id"),
        rapt_token=info.get("rapt_token"),
        account=info.get("account") or "",
    )


def _parse_expiry(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.strptime(value.rstrip("Z").split(".")[0], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None


def _utcnow() -> datetime:
    """Naive UTC, as google-auth compares expiries."""
    return datetime.now(UTC).replace(tzinfo=None)


def _oauth_error(exc: BaseException) -> str:
    """The OAuth error code of a refresh failure, never the token or the response body."""
    args: tuple[object, ...] = exc.args
    if len(args) > 1 and isinstance(args[1], dict) and args[1].get("error"):
        return str(args[1]["error"])
    text = str(args[0]) if args else type(exc).__name__
    return text.split(":", 1)[0][:80]


def _flow_error(exc: Exception) -> KnownError | None:
    """A sign-in failure the user can act on, or None for a bug."""
    if isinstance(exc, KnownError):
        return exc
    name = type(exc).__name__
    if name == "AccessDeniedError":
        return KnownError("Google sign-in was cancelled or access was refused; nothing was connected.")
    if name == "MismatchingStateError":
        return KnownError("Google sign-in answered for a different request (state mismatch); try again.")
    if isinstance(exc, Warning) and "Scope has changed" in str(exc):
        return PermanentError(
            "Google did not grant permission to read Gmail. Connect again and tick "
            "\"View your email messages and settings\" on Google's consent screen."
        )
    if isinstance(exc, OSError):
        return TransientError(f"Google sign-in could not be completed: {exc.strerror or exc}.")
    if type(exc).__module__.startswith(("oauthlib", "requests")):
        return KnownError(f"Google sign-in failed ({name}: {_oauth_error(exc)}).")
    return None
