"""XOAUTH2 access tokens from a stored grant, against the fake OAuth server over real HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from fakes import FakeGoogleOAuth
from gmail_kit import sign_in
from guard_inbox.domain.errors import PermanentError, ReconnectNeeded, TransientError
from guard_inbox.mail.imap.oauth import StoredGrantTokens, check_grant


@pytest.fixture
def oauth() -> Iterator[FakeGoogleOAuth]:
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake signs in over http
    with FakeGoogleOAuth() as server:
        yield server


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def stored(grant: dict[str, Any], clock: Clock) -> tuple[StoredGrantTokens, dict[str, Any]]:
    box = {"grant": grant}
    return StoredGrantTokens(lambda: box["grant"], lambda g: box.update(grant=g), clock=clock), box


def test_refreshes_when_due_saves_the_new_token_and_reuses_it(oauth: FakeGoogleOAuth) -> None:
    info = sign_in(oauth)
    grant = check_grant({k: info[k] for k in ("refresh_token", "client_id", "client_secret", "token_uri")}
                        | {"scope": " ".join(info["scopes"])})
    clock = Clock()
    tokens, box = stored(grant, clock)
    first = tokens.access_token("me")
    assert first in oauth.valid_tokens and oauth.refresh_requests == 1
    assert box["grant"]["access_token"] == first
    assert tokens.access_token("me") == first and oauth.refresh_requests == 1  # still fresh
    clock.now += 3599 - 30  # within the last minute of its hour
    second = tokens.access_token("me")
    assert second != first and oauth.refresh_requests == 2
    assert tokens.access_token("me", refresh=True) != second  # a refused token: a new one


def test_a_revoked_grant_asks_to_sign_in_again_and_a_down_server_is_transient(
        oauth: FakeGoogleOAuth) -> None:
    info = sign_in(oauth)
    grant = check_grant({k: info[k] for k in ("refresh_token", "client_id", "client_secret", "token_uri")})
    oauth.revoke(info["refresh_token"])
    with pytest.raises(ReconnectNeeded, match="sign in again"):
        stored(dict(grant), Clock())[0].access_token("me")
    down = dict(grant, token_uri="http://127.0.0.1:9/token")  # nothing listens on port 9
    with pytest.raises(TransientError, match="cannot be reached"):
        stored(down, Clock())[0].access_token("me")


def test_grants_are_checked_without_echoing_secrets() -> None:
    with pytest.raises(PermanentError, match="lacks refresh_token"):
        check_grant({"client_id": "x"})
    with pytest.raises(PermanentError, match="unusable token_uri"):
        check_grant({"refresh_token": "r", "client_id": "c", "token_uri": "http://127.0.0.1@evil.example/"})
    grant = check_grant({"refresh_token": "r", "client_id": "c"})
    assert grant["token_uri"].startswith("https://login.microsoftonline.com/")
    assert "IMAP.AccessAsUser.All" in grant["scope"]
