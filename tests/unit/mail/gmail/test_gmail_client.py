"""GmailClient against FakeGmail and FakeGoogleOAuth: paging, batches, retries, and refusals."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from gmail_helpers import ADDRESS, fast_backoff, promo

from fakes import FakeGmail, FakeGoogleOAuth
from guard_inbox.domain.errors import ReconnectNeeded, TransientError
from guard_inbox.mail.gmail.auth import RECONNECT_MESSAGE
from guard_inbox.mail.gmail.client import GmailClient
from guard_inbox.mail.gmail.errors import HistoryExpired, MessageUnavailable
from guard_inbox.mail.gmail.quota import Backoff, QuotaLimiter
from guard_inbox.mail.gmail.tokens import FileTokenStore

MakeClient = Callable[..., GmailClient]


def fill(gmail: FakeGmail, n: int) -> dict[str, bytes]:
    return {gmail.add_message(promo(i)): promo(i) for i in range(n)}


def test_full_listing_follows_pages(gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient) -> None:
    fill(gmail, 120)
    client = make_client(info, max_results=50)
    ids = client.list_ids("category:promotions")
    assert ids == gmail.mailbox.message_ids()  # all 120, newest first
    assert gmail.calls["messages.list"] == 3
    assert client.requests_sent == gmail.requests == 3


def test_listing_stops_when_asked(gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient) -> None:
    fill(gmail, 120)
    client = make_client(info, max_results=50)
    assert len(client.list_ids("", stop=lambda page: True)) == 50
    assert gmail.calls["messages.list"] == 1


def test_batch_fetch_of_120_uses_three_batches(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    raw = fill(gmail, 120)
    client = make_client(info, batch_size=50)
    got = dict(client.get_raw_many(list(raw)))
    assert got == raw
    assert sorted(gmail.batch_sizes) == [20, 50, 50]  # sent at once: any order
    assert client.requests_sent == gmail.requests == 3


def test_endpoint_override_is_honoured_for_batches_too(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    raw = fill(gmail, 3)
    # Were the batch posted to Google's default URL it would never reach the fake (nor succeed offline).
    client = make_client(info, endpoint=gmail.base_url + "/")
    assert dict(client.get_raw_many(list(raw))) == raw
    assert gmail.batch_sizes == [3]
    assert client.endpoint == gmail.base_url


def test_rate_limited_parts_alone_are_retried(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    raw = fill(gmail, 120)
    # Backoff long enough for the fake's bucket to refill a little between rounds.
    limiter = QuotaLimiter(1_000_000)
    client = make_client(info, batch_size=50, backoff=Backoff(base=0.2, cap=0.5, max_attempts=20),
                         quota=limiter)
    gmail.quota_units_per_second = 150  # 30 messages.get per second: part of each batch of 50 gets 429
    got = dict(client.get_raw_many(list(raw)))
    assert got == raw
    assert gmail.statuses[429] > 0
    assert limiter.pace_factor < 1.0  # told to slow down, the account's pace dropped
    # Every part was sent once, plus once more per 429: successful parts were never re-requested.
    assert sum(gmail.batch_sizes) == 120 + gmail.statuses[429]
    assert client.backoff_seconds > 0


def test_whole_request_failures_back_off_and_retry(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    raw = fill(gmail, 5)
    client = make_client(info)
    gmail.fail_next(2, 503)
    assert sorted(client.list_ids("")) == sorted(raw)
    gmail.fail_next(2, 500)
    assert dict(client.get_raw_many(list(raw))) == raw
    assert client.backoff_seconds > 0


def test_gives_up_with_a_transient_error(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    fill(gmail, 2)
    client = make_client(info, backoff=fast_backoff(max_attempts=3))
    gmail.fail_next(3, 503)
    with pytest.raises(TransientError, match=r"^Gmail is not answering \(HTTP 503.*the scan will retry\.$"):
        client.list_ids("")
    assert client.requests_sent == 3


def test_a_server_that_is_down_is_transient(info: dict[str, Any], make_client: MakeClient) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = make_client(info, endpoint=f"http://127.0.0.1:{port}", backoff=fast_backoff(max_attempts=2))
    with pytest.raises(TransientError, match="connection refused"):
        client.list_ids("")
    with pytest.raises(TransientError, match="connection refused"):
        list(client.get_raw_many(["abc"]))


def test_a_deleted_message_is_an_item_not_a_failure(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    raw = fill(gmail, 3)
    gone = next(iter(raw))
    gmail.delete_message(gone)
    got = dict(make_client(info).get_raw_many(list(raw)))
    assert isinstance(got[gone], MessageUnavailable)
    assert "no longer in the mailbox" in str(got[gone])
    assert all(got[mid] == body for mid, body in raw.items() if mid != gone)


def test_history_lists_added_messages_and_the_current_id(
    gmail: FakeGmail, info: dict[str, Any], make_client: MakeClient
) -> None:
    fill(gmail, 2)
    start = str(gmail.history_id)
    new = [gmail.add_message(promo(i)) for i in range(10, 13)]
    gmail.modify_labels(new[0], add=["STARRED"])  # not an addition: ignored
    client = make_client(info, max_results=2)
    added, current = client.history_ids(start)
    assert added == new
    assert current == str(gmail.history_id)
    gmail.expire_history()
    with pytest.raises(HistoryExpired):
        client.history_ids(start)


def test_revoked_grant_needs_reconnect(
    gmail: FakeGmail, oauth: FakeGoogleOAuth, info: dict[str, Any], make_client: MakeClient
) -> None:
    ids = list(fill(gmail, 2))
    client = make_client(info)
    assert client.profile()["emailAddress"] == ADDRESS
    oauth.revoke(info["refresh_token"])  # its access tokens stop working too
    with pytest.raises(ReconnectNeeded) as error:
        client.profile()
    assert str(error.value) == RECONNECT_MESSAGE
    with pytest.raises(ReconnectNeeded):
        list(client.get_raw_many(ids))
    assert oauth.refresh_requests == 2  # one refresh attempt per call, no retry loop


def test_expired_token_is_refreshed_once_and_saved(
    gmail: FakeGmail, oauth: FakeGoogleOAuth, info: dict[str, Any], make_client: MakeClient, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fill(gmail, 60)
    store = FileTokenStore(tmp_path / "tokens.json")
    client = make_client(info, store=store)
    oauth.expire_access_tokens()  # the token still looks valid to us; Gmail answers 401
    with caplog.at_level(logging.DEBUG):
        ids = client.list_ids("")
        assert oauth.refresh_requests == 1
        assert len(dict(client.get_raw_many(ids))) == 60
        assert oauth.refresh_requests == 1
        oauth.expire_access_tokens()  # now the batch parts get the 401s
        got = dict(client.get_raw_many(ids))
    assert len(got) == 60 and all(isinstance(raw, bytes) for raw in got.values())
    assert oauth.refresh_requests == 2
    saved = store.load(ADDRESS)
    assert saved is not None and saved["token"] == oauth.issued_access_tokens[-1]
    assert saved["refresh_token"] == info["refresh_token"]
    for secret in (info["refresh_token"], info["client_secret"], *oauth.issued_access_tokens):
        assert secret not in caplog.text


def test_eight_threads_refresh_a_stale_token_once(
    gmail: FakeGmail, oauth: FakeGoogleOAuth, info: dict[str, Any], make_client: MakeClient
) -> None:
    stale = {k: v for k, v in info.items() if k not in ("token", "expiry")}  # forces a refresh
    client = make_client(stale)
    barrier = threading.Barrier(8)
    results: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(5)
            results.append(client.profile()["emailAddress"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert results == [ADDRESS] * 8
    assert oauth.refresh_requests == 1
