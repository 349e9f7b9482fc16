"""The desktop sign-in flow (real InstalledAppFlow vs FakeGoogleOAuth) and client-secret checks."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from fakes import FakeGoogleOAuth
from guard_inbox.domain.errors import KnownError, PermanentError
from guard_inbox.mail.gmail.auth import GMAIL_READONLY, load_client_secrets


def test_connect_flow_uses_loopback_pkce_and_readonly_scope(
    oauth: FakeGoogleOAuth, connect: Callable[..., dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        info = connect()
    assert info["refresh_token"] == oauth.issued_refresh_tokens[-1]
    assert info["token_uri"] == oauth.token_uri
    assert info["scopes"] == [GMAIL_READONLY]
    (asked,) = oauth.auth_requests
    assert asked["scope"] == GMAIL_READONLY
    assert asked["code_challenge_method"] == "S256" and asked["code_challenge"]
    assert asked["access_type"] == "offline"
    assert urlsplit(asked["redirect_uri"]).hostname == "127.0.0.1"
    assert oauth.pkce_verified == 1  # the token request carried the matching code_verifier
    for secret in (info["refresh_token"], info["token"], oauth.client_secret):
        assert secret not in caplog.text  # requests-oauthlib logs these at DEBUG unless held back


def test_codes_that_contain_http_survive_the_flows_https_rewrite(
    oauth: FakeGoogleOAuth, connect: Callable[..., dict[str, Any]]
) -> None:
    # Codes are random base64url, so now and then one holds "http" (CI drew one), which
    # google-auth-oauthlib's run_local_server rewrote to "https" along with the redirect's scheme.
    oauth.next_codes.append("4/0AfakeXhttpYhttps-http_" + "A" * 20)
    info = connect()
    assert oauth.code_exchanges == 1
    assert info["refresh_token"] == oauth.issued_refresh_tokens[-1]


def test_refused_consent_is_a_known_error(oauth: FakeGoogleOAuth, connect: Callable[..., Any]) -> None:
    oauth.deny = True
    with pytest.raises(KnownError, match="cancelled or access was refused"):
        connect()


def test_consent_without_gmail_access_is_refused(oauth: FakeGoogleOAuth, connect: Callable[..., Any]) -> None:
    oauth.granted_scopes = []  # the user unticked the Gmail box
    with pytest.raises(PermanentError, match="did not grant permission to read Gmail"):
        connect()


def test_sign_in_that_never_comes_back_times_out(oauth: FakeGoogleOAuth) -> None:
    from guard_inbox.mail.gmail.auth import run_connect_flow

    with pytest.raises(KnownError, match="not completed within 1 seconds"):
        run_connect_flow(oauth.client_config(), open_browser=False, timeout=1, prompt="")


def test_missing_client_secrets_explain_how_to_get_one(tmp_path: Path) -> None:
    for path in (None, "", tmp_path / "nope.json"):
        with pytest.raises(PermanentError) as error:
            load_client_secrets(path)
        text = str(error.value)
        for step in ("Google Cloud console", "OAuth client ID", "Desktop app", "Download JSON",
                     "--client-secrets", "GUARD_INBOX_CLIENT_SECRETS", "gmail.client_secrets"):
            assert step.lower() in text.lower(), step


def test_client_secrets_must_be_a_desktop_client(tmp_path: Path, oauth: FakeGoogleOAuth) -> None:
    path = tmp_path / "client.json"
    path.write_text("not json")
    with pytest.raises(PermanentError, match="is not JSON"):
        load_client_secrets(path)
    path.write_text(json.dumps({"web": oauth.client_config()["installed"]}))
    with pytest.raises(PermanentError, match="Web application"):
        load_client_secrets(path)
    path.write_text(json.dumps({"installed": {"client_id": "x"}}))
    with pytest.raises(PermanentError, match="client_secret"):
        load_client_secrets(path)
    path.write_text(json.dumps(oauth.client_config()))
    assert load_client_secrets(path) == oauth.client_config()


def test_connect_flow_reads_a_client_file(tmp_path: Path, oauth: FakeGoogleOAuth) -> None:
    from fakes import FakeBrowser
    from guard_inbox.mail.gmail.auth import run_connect_flow

    path = tmp_path / "client_secret.json"
    path.write_text(json.dumps(oauth.client_config()))
    browser = FakeBrowser()
    info = run_connect_flow(path, open_browser=False, timeout=10, open_url=browser.open, prompt="")
    browser.join(10)
    assert info["client_id"] == oauth.client_id
    assert parse_qs(urlsplit(browser.opened[0]).query)["scope"] == [GMAIL_READONLY]
