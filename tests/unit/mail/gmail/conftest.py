"""Gmail tests run the real google libraries against the loopback fakes in tests/fakes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gmail_helpers import ADDRESS, fast_backoff

from fakes import FakeBrowser, FakeGmail, FakeGoogleOAuth
from guard_inbox.mail.gmail.auth import LockedCredentials, run_connect_flow
from guard_inbox.mail.gmail.client import GmailClient
from guard_inbox.mail.gmail.quota import Backoff, QuotaLimiter
from guard_inbox.mail.gmail.tokens import TokenStore


@pytest.fixture(autouse=True)
def _oauth_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fakes speak plain http on 127.0.0.1; oauthlib refuses that unless told (tests only).
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def tokens() -> set[str]:
    """Access tokens the fake Gmail accepts; the fake OAuth server adds the ones it issues."""
    return set()


@pytest.fixture
def oauth(tokens: set[str]) -> Iterator[FakeGoogleOAuth]:
    with FakeGoogleOAuth(valid_tokens=tokens) as server:
        yield server


@pytest.fixture
def gmail(tokens: set[str]) -> Iterator[FakeGmail]:
    with FakeGmail(valid_tokens=tokens, email_address=ADDRESS) as server:
        yield server


@pytest.fixture
def connect(oauth: FakeGoogleOAuth) -> Callable[..., dict[str, Any]]:
    """Sign in through the real InstalledAppFlow, a stand-in browser playing the user."""

    def sign_in(**kwargs: Any) -> dict[str, Any]:
        browser = FakeBrowser()
        try:
            return run_connect_flow(oauth.client_config(), open_browser=False, timeout=10,
                                    open_url=browser.open, prompt="", **kwargs)
        finally:
            browser.join(10)

    return sign_in


@pytest.fixture
def info(connect: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return connect()


@pytest.fixture
def make_client(gmail: FakeGmail) -> Iterator[Callable[..., GmailClient]]:
    made: list[GmailClient] = []

    def make(info: dict[str, Any], *, store: TokenStore | None = None, address: str = ADDRESS,
             endpoint: str | None = None, backoff: Backoff | None = None,
             quota: QuotaLimiter | None = None, **kwargs: Any) -> GmailClient:
        creds = LockedCredentials.from_info(address, info, store)
        client = GmailClient(address, lambda: creds, endpoint or gmail.base_url,
                             quota or QuotaLimiter(1_000_000), backoff=backoff or fast_backoff(),
                             timeout=10, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
