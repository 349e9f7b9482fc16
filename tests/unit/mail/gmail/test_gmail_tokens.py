"""Token stores: private file permissions, atomic writes, the keyring choice."""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import PasswordDeleteError

from guard_inbox.domain.errors import PermanentError
from guard_inbox.mail.gmail.tokens import (
    FileTokenStore,
    KeyringTokenStore,
    default_token_store,
    keyring_available,
)

INFO = {"token": "ya29.secret-access", "refresh_token": "1//secret-refresh", "client_id": "id",
        "client_secret": "shh", "token_uri": "https://oauth2.googleapis.com/token",
        "scopes": ["https://www.googleapis.com/auth/gmail.readonly"]}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_file_store_round_trip_and_delete(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "data" / "tokens.json")
    assert store.load("a@example.org") is None
    store.save("a@example.org", INFO)
    store.save("b@example.org", {**INFO, "token": "other"})
    assert store.load("a@example.org") == INFO
    assert store.load("b@example.org")["token"] == "other"  # type: ignore[index]
    store.delete("a@example.org")
    store.delete("a@example.org")  # deleting twice is fine
    assert store.load("a@example.org") is None
    assert FileTokenStore(store.path).load("b@example.org") is not None  # a fresh reader sees it


def test_file_store_is_private_from_the_first_byte(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStore(path)
    store.save("a@example.org", INFO)
    assert mode(path) == 0o600
    path.chmod(0o644)  # someone loosened it: the next write makes a new private file
    store.save("a@example.org", {**INFO, "token": "new"})
    assert mode(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["tokens.json"]  # no temporary files left


def test_damaged_file_is_reported_then_replaced_on_save(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("{ not json ya29.leaked")
    store = FileTokenStore(path)
    with pytest.raises(PermanentError, match="damaged") as info:
        store.load("a@example.org")
    assert "ya29" not in str(info.value)
    store.save("a@example.org", INFO)
    assert store.load("a@example.org") == INFO
    assert (tmp_path / "tokens.json.damaged").exists()
    assert "ya29" not in caplog.text


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring backend (a test stand-in; this machine has no real keyring)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    yield
    keyring.set_keyring(before)


@pytest.mark.usefixtures("restore_keyring")
def test_stand_in_keyrings_do_not_count_as_available() -> None:
    keyring.set_keyring(fail.Keyring())
    assert not keyring_available()
    keyring.set_keyring(null.Keyring())
    assert not keyring_available()
    keyring.set_keyring(MemoryKeyring())
    assert keyring_available()


@pytest.mark.usefixtures("restore_keyring")
def test_default_store_falls_back_to_a_file_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keyring.set_keyring(fail.Keyring())
    with caplog.at_level(logging.WARNING):
        store = default_token_store(tmp_path / "tokens.json")
    assert isinstance(store, FileTokenStore)
    assert "No system keyring" in caplog.text
    keyring.set_keyring(MemoryKeyring())
    assert isinstance(default_token_store(tmp_path / "tokens.json"), KeyringTokenStore)


@pytest.mark.usefixtures("restore_keyring")
def test_keyring_store_keeps_json_under_the_service_name() -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    store = KeyringTokenStore()
    store.save("a@example.org", INFO)
    assert ("guard-inbox", "a@example.org") in backend.items
    assert store.load("a@example.org") == INFO
    store.delete("a@example.org")
    store.delete("a@example.org")
    assert store.load("a@example.org") is None
