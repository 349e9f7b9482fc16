"""FakeGoogleOAuth speaks Google's OAuth wire format: driven by google-auth-oauthlib and google-auth."""

from __future__ import annotations

import base64
import gc
import hashlib
import itertools
import warnings
import webbrowser
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import InstalledAppFlow
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest
from oauthlib.oauth2.rfc6749.errors import AccessDeniedError

from fakes import FakeBrowser, FakeGmail, FakeGoogleOAuth, visit

SCOPE = "https://www.googleapis.com/auth/gmail.readonly"
_names = itertools.count()


@pytest.fixture(autouse=True)
def _insecure_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def gmail() -> Iterator[FakeGmail]:
    with FakeGmail() as fake:
        yield fake


@pytest.fixture
def oauth(gmail: FakeGmail) -> Iterator[FakeGoogleOAuth]:
    with FakeGoogleOAuth(valid_tokens=gmail.valid_tokens) as fake:
        yield fake


@pytest.fixture
def browser() -> tuple[str, FakeBrowser]:
    name = f"guard-inbox-fake-{next(_names)}"
    fake = FakeBrowser(name)
    webbrowser.register(name, None, fake)
    return name, fake


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def _run_flow(oauth: FakeGoogleOAuth, browser: tuple[str, FakeBrowser]) -> tuple[InstalledAppFlow, Any]:
    name, fake = browser
    flow = InstalledAppFlow.from_client_config(oauth.client_config(), scopes=[SCOPE])
    # The bare library rewrites every "http" in the redirect (our app undoes that, these tests
    # call the library directly), so the code and state must not contain it by chance.
    oauth.next_codes.append("4/0AfakeFixedCodeForTheBareLibraryFlow")
    try:
        creds = flow.run_local_server(host="127.0.0.1", port=0, open_browser=True, browser=name,
                                      authorization_prompt_message="", timeout_seconds=10,
                                      state="fixed-state-for-the-bare-library-flow")
    finally:
        flow.oauth2session.close()
        fake.join(10)
    return flow, creds


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def test_installed_app_flow_with_pkce_then_gmail_and_refresh(
        oauth: FakeGoogleOAuth, gmail: FakeGmail, browser: tuple[str, FakeBrowser],
        session: requests.Session) -> None:
    flow, creds = _run_flow(oauth, browser)
    fake_browser = browser[1]
    assert not fake_browser.errors
    (hops,) = [v.hops for v in fake_browser.visits]
    assert [h.status for h in hops] == [302, 200]  # consent redirect, then the app's loopback page

    sent = oauth.auth_requests[0]
    assert sent["response_type"] == "code" and sent["scope"] == SCOPE
    assert sent["redirect_uri"].startswith("http://127.0.0.1:") and sent["access_type"] == "offline"
    assert sent["code_challenge_method"] == "S256"
    assert sent["code_challenge"] == _s256(flow.code_verifier)
    assert oauth.pkce_verified == 1 and oauth.code_exchanges == 1 and oauth.token_requests == 1

    assert isinstance(creds, Credentials)
    assert creds.token in gmail.valid_tokens and creds.refresh_token in oauth.issued_refresh_tokens
    assert creds.token_uri == oauth.token_uri and creds.expiry is not None

    # The access token works against the fake Gmail; once it expires, AuthorizedHttp refreshes it.
    service = build("gmail", "v1", credentials=creds, static_discovery=True,
                    client_options={"api_endpoint": gmail.base_url})
    try:
        assert service.users().getProfile(userId="me").execute()["emailAddress"] == "me@example.org"
        oauth.expire_access_tokens()
        assert service.users().getProfile(userId="me").execute()["historyId"]
        assert oauth.refresh_requests == 1 and creds.token in gmail.valid_tokens

        # Inside a batch each part answers 401 on its own; the client refreshes once and resends them.
        oauth.expire_access_tokens()
        answers: list[Any] = []
        batch = BatchHttpRequest(callback=lambda _id, resp, exc: answers.append(exc or resp),
                                 batch_uri=gmail.batch_url)
        for _ in range(3):
            batch.add(service.users().getProfile(userId="me"))
        with warnings.catch_warnings():
            # googleapiclient refreshes for a batch's 401 parts through a fresh httplib2.Http() it never
            # closes (googleapiclient/_auth.py refresh_credentials): its socket is a ResourceWarning.
            warnings.simplefilter("ignore", ResourceWarning)
            batch.execute()
            gc.collect()
    finally:
        service.close()
    assert [a["emailAddress"] for a in answers] == ["me@example.org"] * 3
    assert oauth.refresh_requests == 2 and gmail.batch_sizes == [3, 3] and gmail.statuses[401] == 4

    old = creds.token
    creds.refresh(Request(session=session))
    assert creds.token != old and oauth.refresh_requests == 3

    oauth.revoke(creds.refresh_token)
    assert creds.token not in gmail.valid_tokens
    with pytest.raises(RefreshError) as caught:
        creds.refresh(Request(session=session))
    assert "invalid_grant" in str(caught.value) and caught.value.retryable is False


def test_denied_consent_redirects_with_access_denied(oauth: FakeGoogleOAuth,
                                                     browser: tuple[str, FakeBrowser]) -> None:
    oauth.deny = True
    with pytest.raises(AccessDeniedError):
        _run_flow(oauth, browser)
    assert oauth.token_requests == 0


def test_wrong_code_verifier_is_invalid_grant(oauth: FakeGoogleOAuth, session: requests.Session) -> None:
    verifier = "v" * 43
    redirect_uri = "http://127.0.0.1:9/"
    auth = session.get(oauth.auth_uri, allow_redirects=False, params={
        "client_id": oauth.client_id, "redirect_uri": redirect_uri, "response_type": "code", "scope": SCOPE,
        "state": "xyz", "code_challenge": _s256(verifier), "code_challenge_method": "S256"})
    assert auth.status_code == 302
    query = parse_qs(urlsplit(auth.headers["Location"]).query)
    assert query["state"] == ["xyz"] and query["scope"] == [SCOPE]
    reply = session.post(oauth.token_uri, data={
        "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect_uri,
        "client_id": oauth.client_id, "client_secret": oauth.client_secret, "code_verifier": "w" * 43})
    assert reply.status_code == 400
    assert reply.json() == {"error": "invalid_grant", "error_description": "Invalid code verifier."}
    assert oauth.pkce_verified == 0


def test_authorization_endpoint_rejects_foreign_redirects_and_clients(oauth: FakeGoogleOAuth) -> None:
    base = {"response_type": "code", "scope": SCOPE, "code_challenge": "c" * 43,
            "code_challenge_method": "S256"}

    def status(**params: str) -> int:
        url = oauth.auth_uri + "?" + urlencode({**base, **params})
        return visit(url, max_redirects=0).final.status

    assert status(client_id=oauth.client_id, redirect_uri="https://evil.example/") == 400
    assert status(client_id="someone-else", redirect_uri="http://localhost:8080/") == 401
    assert status(client_id=oauth.client_id, redirect_uri="http://localhost:8080/") == 302


def test_client_config_is_an_installed_client_secret(oauth: FakeGoogleOAuth) -> None:
    installed = oauth.client_config()["installed"]
    assert installed["auth_uri"] == oauth.base_url + "/o/oauth2/auth"
    assert installed["token_uri"] == oauth.base_url + "/token"
    assert {"client_id", "client_secret", "redirect_uris"} <= set(installed)
