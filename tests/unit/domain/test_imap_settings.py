"""IMAP settings: what is refused before any connection, and what survives the keyring round trip."""

from __future__ import annotations

import pytest

from guard_inbox.domain.errors import PermanentError
from guard_inbox.domain.imap import PRESETS, ImapAuth, ImapSettings, Security, is_loopback, preset


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.4.5.6", "::1", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["imap.example.com", "10.0.0.1", "localhost.evil.example", "0.0.0.0"])
def test_other_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


def test_plain_imap_only_to_this_machine() -> None:
    with pytest.raises(PermanentError, match="only over TLS"):
        ImapSettings("imap.example.com", "me@example.com", 143, Security.NONE).checked()
    assert ImapSettings("127.0.0.1", "me", 1143, Security.NONE).checked().host == "127.0.0.1"


def test_blanks_are_refused_and_folders_are_trimmed_and_deduplicated() -> None:
    with pytest.raises(PermanentError, match="host name"):
        ImapSettings(" ", "me").checked()
    with pytest.raises(PermanentError, match="user name"):
        ImapSettings("imap.example.com", "").checked()
    with pytest.raises(PermanentError, match="not a port"):
        ImapSettings("imap.example.com", "me", 0).checked()
    checked = ImapSettings(" imap.example.com ", " me ", folders=(" Deals", "Deals", "", "INBOX")).checked()
    assert (checked.host, checked.user, checked.folders) == ("imap.example.com", "me", ("Deals", "INBOX"))
    assert ImapSettings("h", "u", folders=()).checked().folders == ("INBOX",)


def test_round_trip_and_damaged_profiles() -> None:
    settings = ImapSettings("imap.fastmail.com", "me@fastmail.com", 143, Security.STARTTLS,
                            ImapAuth.PASSWORD, ("INBOX", "Deals"), "fastmail", False, "/ca.pem")
    assert ImapSettings.from_dict(settings.to_dict()) == settings
    assert "password" not in settings.to_dict()
    with pytest.raises(PermanentError, match="damaged"):
        ImapSettings.from_dict({"host": "h", "user": "u", "security": "tls?"})


def test_presets() -> None:
    keys = [p.key for p in PRESETS]
    assert keys == ["gmail", "outlook", "yahoo", "icloud", "fastmail", "other"]
    assert preset("outlook").auth is ImapAuth.XOAUTH2 and "2024" in preset("outlook").note
    assert all(p.app_password_url.startswith("https://") for p in PRESETS if p.key != "other")
    assert preset("gmail").settings("me@gmail.com").gmail_promotions
    assert preset("nonsense").key == "other"
