"""Where Gmail authorisations live: the system keyring when there is one, else a 0600 file.

A stored authorisation is the "authorized user" JSON google-auth writes (refresh token, client id
and secret, token URI, scopes, the current access token and its expiry). It is a password in all
but name, so nothing here logs it, and the file fallback is created private (0600) before a byte
is written rather than chmod-ed afterwards.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from pathlib import Path
from typing import Any, Protocol

from guard_inbox.domain.errors import PermanentError, TransientError

_log = logging.getLogger(__name__)

KEYRING_SERVICE = "guard-inbox"


class TokenStore(Protocol):
    """Authorized-user info per account address."""

    def load(self, address: str) -> dict[str, Any] | None: ...

    def save(self, address: str, info: dict[str, Any]) -> None: ...

    def delete(self, address: str) -> None: ...


class KeyringTokenStore:
    """The OS keyring (Secret Service, macOS Keychain, Windows Credential Locker)."""

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self._service = service

    def load(self, address: str) -> dict[str, Any] | None:
        import keyring
        from keyring.errors import KeyringError

        try:
            value = keyring.get_password(self._service, address)
        except KeyringError as exc:  # locked, or the user declined to unlock it
            raise TransientError(
                f"The system keyring could not be read ({type(exc).__name__}); "
                "unlock it and the scan will retry."
            ) from exc
        if value is None:
            return None
        return _decode(value, f"the keyring entry for {address}")

    def save(self, address: str, info: dict[str, Any]) -> None:
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(self._service, address, json.dumps(info))
        except KeyringError as exc:
            raise TransientError(
                f"The Gmail authorisation could not be saved in the system keyring "
                f"({type(exc).__name__}); unlock the keyring and try again."
            ) from exc

    def delete(self, address: str) -> None:
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            keyring.delete_password(self._service, address)
        except PasswordDeleteError:
            pass  # nothing stored: already deleted
        except KeyringError as exc:
            raise TransientError(
                f"The Gmail authorisation could not be removed from the system keyring "
                f"({type(exc).__name__})."
            ) from exc


class FileTokenStore:
    """All addresses in one JSON object in a file only its owner can read or write.

    Writes go to a temporary 0600 file in the same folder that then replaces the old one, so a
    crash never leaves half a file. A lock serialises read-modify-write within this process;
    two processes racing can lose one update, which costs at most a fresh access token (the
    refresh token itself does not change).
    """

    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self._path

    def load(self, address: str) -> dict[str, Any] | None:
        with self._lock:
            return self._read().get(address)

    def save(self, address: str, info: dict[str, Any]) -> None:
        with self._lock:
            data = self._read(repair=True)
            data[address] = info
            self._write(data)

    def delete(self, address: str) -> None:
        with self._lock:
            data = self._read(repair=True)
            if data.pop(address, None) is not None:
                self._write(data)

    def _read(self, *, repair: bool = False) -> dict[str, dict[str, Any]]:
        """The stored object; with ``repair``, a damaged file is set aside so a reconnect can fix it."""
        try:
            text = self._path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise TransientError(f"The token file {self._path} could not be read ({exc.strerror}).") from exc
        try:
            data = _decode(text, f"the token file {self._path}")
        except PermanentError:
            if not repair:
                raise
            aside = self._path.with_name(self._path.name + ".damaged")
            _log.warning("The token file %s is damaged; moved aside to %s", self._path, aside)
            os.replace(self._path, aside)
            return {}
        return {str(k): v for k, v in data.items() if isinstance(v, dict)}

    def _write(self, data: dict[str, dict[str, Any]]) -> None:
        folder = self._path.parent
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = folder / f".{self._path.name}.{secrets.token_hex(8)}.tmp"
        try:
            # O_EXCL: never write through a file (or link) someone else placed at that name.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self._path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise TransientError(
                f"The token file {self._path} could not be written ({exc.strerror})."
            ) from exc


def default_token_store(data_dir_token_file: Path) -> TokenStore:
    """The keyring if this machine has a working backend, else a 0600 file (with a warning)."""
    if keyring_available():
        return KeyringTokenStore()
    _log.warning(
        "No system keyring is available; Gmail authorisations are kept in %s (readable only by "
        "you). Install and unlock a keyring (e.g. GNOME Keyring or KWallet) to keep them there.",
        data_dir_token_file,
    )
    return FileTokenStore(data_dir_token_file)


def keyring_available() -> bool:
    """False for keyring's stand-ins that store nothing: fail, null, or a chain of no backends."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null

        backend = keyring.get_keyring()
    except Exception:  # a broken keyring install must not stop the app
        _log.warning("The keyring library could not be loaded", exc_info=True)
        return False
    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return any(not isinstance(b, fail.Keyring | null.Keyring) for b in backend.backends)
    return True


def _decode(text: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        # Never echo the content: it may be a token.
        raise PermanentError(
            f"{where[0].upper()}{where[1:]} is damaged (not a JSON object); reconnect the account."
        )
    return value
