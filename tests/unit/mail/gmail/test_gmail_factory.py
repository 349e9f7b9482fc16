"""Opening sources per account kind, and adding an account from a token file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gmail_helpers import ADDRESS, promo

from fakes import FakeGmail
from guard_inbox.domain.errors import PermanentError, ReconnectNeeded
from guard_inbox.domain.models import Account, AccountKind
from guard_inbox.mail.gmail.factory import (
    GmailSourceFactory,
    fetch_profile_address,
    import_token_file,
    save_authorisation,
)
from guard_inbox.mail.gmail.source import GmailSource
from guard_inbox.mail.gmail.tokens import FileTokenStore
from guard_inbox.mail.local import LocalMailbox
from guard_inbox.services.sources import LocalSourceFactory


def test_factory_opens_gmail_and_hands_other_kinds_on(
    tmp_path: Path, gmail: FakeGmail, info: dict[str, Any]
) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    store.save(ADDRESS, info)
    ids = [gmail.add_message(promo(i)) for i in range(3)]
    factory = GmailSourceFactory(store, LocalSourceFactory(), endpoint=gmail.base_url,
                                 query="category:promotions")
    source = factory.open(Account(7, AccountKind.GMAIL, ADDRESS))
    assert isinstance(source, GmailSource)
    try:
        assert list(source.list_ids(frozenset())) == ids[::-1]  # newest first
        assert [m.provider_id for m in source.fetch(ids)] == ids
    finally:
        source.close()
    mbox = tmp_path / "mail.mbox"
    mbox.write_bytes(b"From a@b Mon Jan 01 00:00:00 2024\n" + promo(1) + b"\n")
    assert isinstance(factory.open(Account(8, AccountKind.MBOX, str(mbox))), LocalMailbox)


def test_factory_lists_from_the_cursor_the_account_carries(
    tmp_path: Path, gmail: FakeGmail, info: dict[str, Any]
) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    store.save(ADDRESS, info)
    old = [gmail.add_message(promo(i)) for i in range(3)]
    factory = GmailSourceFactory(store, LocalSourceFactory(), endpoint=gmail.base_url,
                                 query="category:promotions")
    first = factory.open(Account(7, AccountKind.GMAIL, ADDRESS))
    assert isinstance(first, GmailSource)
    try:
        assert list(first.list_ids(frozenset())) == old[::-1]
        cursor = first.sync_state()
    finally:
        first.close()
    new = gmail.add_message(promo(3))
    gmail.reset_counters()

    again = factory.open(Account(7, AccountKind.GMAIL, ADDRESS, sync_state=cursor))
    assert isinstance(again, GmailSource)
    try:
        assert list(again.list_ids(frozenset(old))) == [new]
    finally:
        again.close()
    # From the account's cursor: history, then a check of the new id against the query;
    # a full listing would start with getProfile.
    assert gmail.calls == {"history.list": 1, "messages.list": 1}


def test_factory_without_a_stored_token_asks_for_reconnect(tmp_path: Path) -> None:
    factory = GmailSourceFactory(FileTokenStore(tmp_path / "tokens.json"), LocalSourceFactory())
    with pytest.raises(ReconnectNeeded, match="no Gmail authorisation"):
        factory.open(Account(1, AccountKind.GMAIL, "nobody@example.org"))


def test_token_file_is_imported_and_stored_under_its_mailbox(
    tmp_path: Path, gmail: FakeGmail, info: dict[str, Any]
) -> None:
    path = tmp_path / "token.json"
    path.write_text(json.dumps(info))
    checked = import_token_file(path)
    assert checked["refresh_token"] == info["refresh_token"]
    assert fetch_profile_address(checked, gmail.base_url) == ADDRESS
    store = FileTokenStore(tmp_path / "tokens.json")
    assert save_authorisation(store, checked, gmail.base_url) == ADDRESS
    assert store.load(ADDRESS) is not None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[]", "not an authorised-user token"),
        ('{"installed": {}}', "OAuth client file"),
        ('{"type": "service_account"}', "service-account"),
        ('{"client_id": "a", "client_secret": "b", "scopes": []}', "lacks refresh_token"),
        ('{"refresh_token": "r", "client_id": "a", "client_secret": "b"}', "scopes"),
        ('{"refresh_token": "r", "client_id": "a", "client_secret": "b", '
         '"scopes": ["https://www.googleapis.com/auth/drive"]}', "gmail.readonly"),
        ("{oops", "not JSON"),
    ],
)
def test_bad_token_files_say_what_is_wrong(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "token.json"
    path.write_text(content)
    with pytest.raises(PermanentError, match=message):
        import_token_file(path)


def test_missing_token_file(tmp_path: Path) -> None:
    with pytest.raises(PermanentError, match="does not exist"):
        import_token_file(tmp_path / "none.json")


@pytest.mark.parametrize("token_uri", [
    "http://127.0.0.1@evil.example/token",  # userinfo: the host is evil.example
    "http://localhost.evil.example/token",
    "http://127.0.0.1.evil.example/token",
    "http://evil.example/token",
    "https://user:pw@oauth2.example/token",
    "https:///token",
    "http://127.0.0.1:notaport/token",
    "ftp://localhost/token",
])
def test_token_uris_that_would_send_the_refresh_token_elsewhere_are_refused(
    tmp_path: Path, info: dict[str, Any], token_uri: str
) -> None:
    with pytest.raises(PermanentError, match="unusable token_uri"):
        import_token_file(token_file_with(tmp_path, info, token_uri))


@pytest.mark.parametrize("token_uri", [
    "https://oauth2.googleapis.com/token", "http://127.0.0.1:8765/token", "http://localhost/token",
    "http://[::1]:9000/token",
])
def test_google_and_loopback_token_uris_are_kept(
    tmp_path: Path, info: dict[str, Any], token_uri: str
) -> None:
    assert import_token_file(token_file_with(tmp_path, info, token_uri))["token_uri"] == token_uri


def token_file_with(tmp_path: Path, info: dict[str, Any], token_uri: str) -> Path:
    path = tmp_path / "token.json"
    path.write_text(json.dumps({**info, "token_uri": token_uri}))
    return path
