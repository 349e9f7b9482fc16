"""One logged-in IMAP connection, with the library's failures turned into sentences a user can act on.

IMAPClient (not the standard library's imaplib) because it parses FETCH, STATUS and SEARCH
responses, speaks STARTTLS, SASL XOAUTH2, CONDSTORE and Gmail's X-GM-RAW, and raises a distinct
LoginError: imaplib would leave all of that parsing, and the error sorting, to us.

Plain (unencrypted) IMAP is allowed to loopback hosts only; certificates are verified as a
browser would, plus an extra certificate the user names for a self-hosted server.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from guard_inbox.domain.errors import KnownError, PermanentError, ReconnectNeeded, TransientError
from guard_inbox.domain.imap import ImapAuth, ImapSettings, Security, is_loopback

_log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0
WRONG_PASSWORD = "check the password or app password"


class AccessTokens(Protocol):
    """Where an XOAUTH2 login gets its access token (Outlook's sign-in plugs in here)."""

    def access_token(self, user: str, *, refresh: bool = False) -> str:
        """A current access token for ``user`` (``refresh``: a new one, the last was refused);
        ReconnectNeeded when the sign-in must be redone."""
        ...


@dataclass(frozen=True, slots=True)
class FolderStatus:
    uidvalidity: int
    uidnext: int
    messages: int
    highestmodseq: int = 0  # 0 when the server has no CONDSTORE


class ImapConnection:
    """A logged-in IMAPClient plus the few commands a scan needs (each one IMAP command)."""

    def __init__(self, client: IMAPClient, settings: ImapSettings) -> None:
        self._client = client
        self.settings = settings
        self.selected: tuple[str, int] | None = None  # folder and its UIDVALIDITY
        self._login_tag = self._tag()

    def _tag(self) -> int:
        """imaplib numbers every command's tag: the count of commands sent on this connection."""
        return int(getattr(self._client._imap, "tagnum", 0))

    @property
    def commands_sent(self) -> int:
        """IMAP commands sent since login (what benchmarks/imap_scan.py reports)."""
        return self._tag() - self._login_tag

    @property
    def is_gmail(self) -> bool:
        return bool(self._client.has_capability("X-GM-EXT-1"))

    def status(self, folder: str) -> FolderStatus:
        what = ["UIDVALIDITY", "UIDNEXT", "MESSAGES"]
        condstore = self._client.has_capability("CONDSTORE")
        if condstore:
            what.append("HIGHESTMODSEQ")
        with _errors(self.settings, folder):
            got = self._client.folder_status(folder, what)
        return FolderStatus(int(got[b"UIDVALIDITY"]), int(got[b"UIDNEXT"]), int(got[b"MESSAGES"]),
                            int(got.get(b"HIGHESTMODSEQ", 0)) if condstore else 0)

    def examine(self, folder: str) -> int:
        """Selects ``folder`` read-only (nothing we do can change it); returns its UIDVALIDITY."""
        with _errors(self.settings, folder):
            got = self._client.select_folder(folder, readonly=True)
        uidvalidity = int(got[b"UIDVALIDITY"])
        self.selected = (folder, uidvalidity)
        return uidvalidity

    def uids_from(self, first: int, *, promotions: bool = False) -> list[int]:
        """UIDs >= ``first`` in the selected folder (``promotions``: Gmail's category only)."""
        criteria: list[str] = ["UID", f"{max(first, 1)}:*"]
        if promotions:
            # IMAPClient quotes a value only when it must; this one goes as an atom.
            criteria = ["X-GM-RAW", "category:promotions", *criteria]
        with _errors(self.settings, self.selected[0] if self.selected else ""):
            found = self._client.search(criteria)
        # "n:*" always matches the last message, even below n.
        return sorted(int(u) for u in found if int(u) >= first)

    def fetch_bodies(self, uids: Sequence[int]) -> dict[int, bytes]:
        """Whole messages by UID with BODY.PEEK[] (never marks them read); missing ones are absent."""
        with _errors(self.settings, self.selected[0] if self.selected else ""):
            got = self._client.fetch(list(uids), [b"BODY.PEEK[]"])
        out: dict[int, bytes] = {}
        for uid, data in got.items():
            body = data.get(b"BODY[]")
            if isinstance(body, bytes):
                out[int(uid)] = body
        return out

    def folders(self) -> list[str]:
        """Every folder that can be selected, for the chooser."""
        with _errors(self.settings, ""):
            listed = self._client.list_folders()
        hidden = {b"\\Noselect", b"\\NonExistent"}
        return [name for flags, _, name in listed if not hidden & set(flags)]

    def close(self) -> None:
        try:
            self._client.logout()
        except Exception:  # already dropped: nothing to log out from
            try:
                self._client.shutdown()
            except Exception:
                _log.debug("IMAP connection to %s was already closed", self.settings.host)

    def __enter__(self) -> ImapConnection:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def connect(settings: ImapSettings, password: str = "", *,
            tokens: AccessTokens | None = None, timeout: float = DEFAULT_TIMEOUT) -> ImapConnection:
    """Connect (TLS unless the host is this machine), log in, and return the connection.

    Wrong password -> ReconnectNeeded (no retry helps); unreachable -> TransientError (retried
    with backoff); an untrusted certificate or a server without STARTTLS -> PermanentError.
    """
    settings = settings.checked()
    if settings.security is Security.NONE and not is_loopback(settings.host):
        raise PermanentError("Plain IMAP is only allowed to this machine.")  # checked() said so too
    context = _tls_context(settings)
    where = f"{settings.host}:{settings.port}"
    try:
        client = IMAPClient(settings.host, port=settings.port, ssl=settings.security is Security.SSL,
                            ssl_context=context, timeout=timeout)
    except ssl.SSLCertVerificationError as exc:
        raise PermanentError(f"{where} showed a certificate that cannot be trusted "
                             f"({exc.verify_message}).") from None
    except ssl.SSLError as exc:
        raise PermanentError(f"{where} did not speak TLS ({exc.reason or exc}); check the port "
                             "and security (993 is SSL, 143 is STARTTLS).") from None
    except (OSError, IMAPClientError) as exc:
        raise TransientError(f"The IMAP server {where} cannot be reached ({_why(exc)}).") from None
    try:
        if settings.security is Security.STARTTLS:
            if not client.has_capability("STARTTLS"):
                raise PermanentError(f"{where} does not offer STARTTLS; choose SSL (port 993).")
            try:
                client.starttls(context)
            except ssl.SSLCertVerificationError as exc:
                raise PermanentError(f"{where} showed a certificate that cannot be trusted "
                                     f"({exc.verify_message}).") from None
        _login(client, settings, password, tokens)
    except BaseException:
        with contextlib.suppress(Exception):
            client.shutdown()
        raise
    return ImapConnection(client, settings)


def _login(client: IMAPClient, settings: ImapSettings, password: str, tokens: AccessTokens | None) -> None:
    refused = (f"The server {settings.host} refused the login for {settings.user}: {WRONG_PASSWORD}.")
    try:
        if settings.auth is ImapAuth.XOAUTH2:
            if tokens is None:
                raise PermanentError(f"Signing in to {settings.host} with OAuth is not available "
                                     "in this version.")
            try:
                client.oauth2_login(settings.user, tokens.access_token(settings.user))
            except LoginError:  # the saved token may have been revoked early: one fresh try
                try:
                    client.oauth2_login(settings.user, tokens.access_token(settings.user, refresh=True))
                except LoginError:
                    raise ReconnectNeeded(f"The server {settings.host} refused the sign-in for "
                                          f"{settings.user}: sign in again.") from None
        else:
            if not password:
                raise ReconnectNeeded(f"No password is saved for {settings.user}: {WRONG_PASSWORD}.")
            client.login(settings.user, password)
    except LoginError:
        raise ReconnectNeeded(refused) from None
    except (OSError, IMAPClientAbortError) as exc:
        raise TransientError(f"The connection to {settings.host} dropped while logging in "
                             f"({_why(exc)}).") from None
    except IMAPClientError as exc:  # some servers answer a bad login with a plain NO/BAD
        if "auth" in str(exc).lower() or "login" in str(exc).lower():
            raise ReconnectNeeded(refused) from None
        raise PermanentError(f"The server {settings.host} did not accept the login ({_why(exc)}).") from None


def _tls_context(settings: ImapSettings) -> ssl.SSLContext | None:
    if settings.security is Security.NONE:
        return None
    context = ssl.create_default_context()
    if settings.ca_file:
        try:
            context.load_verify_locations(cafile=settings.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise PermanentError(f"The certificate file {settings.ca_file} cannot be used ({exc}).") from None
    return context


def _why(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return "the host name is unknown"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return text or type(exc).__name__


class _errors:
    """Turns a dropped connection into TransientError and a refused command into a sentence."""

    def __init__(self, settings: ImapSettings, folder: str) -> None:
        self.settings = settings
        self.folder = folder

    def __enter__(self) -> None:
        return None

    def __exit__(self, t: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None or isinstance(exc, KnownError):
            return
        if isinstance(exc, IMAPClientAbortError | OSError):
            raise ConnectionDropped(f"The connection to {self.settings.host} dropped "
                                    f"({_why(exc)}).") from exc
        if isinstance(exc, IMAPClientError):
            what = f" on folder {self.folder!r}" if self.folder else ""
            raise PermanentError(f"The server {self.settings.host} refused a command{what} "
                                 f"({_why(exc)}).") from exc


class ConnectionDropped(TransientError):
    """The server closed the connection mid-scan: reconnect and go on from the checkpoint."""


Connector = Callable[[], ImapConnection]
