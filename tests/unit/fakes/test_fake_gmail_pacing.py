"""FakeGmail serves as Google does: batch parts one after another, quota as a moving average,
a per-user limit on concurrent requests. Driven by the real google-api-python-client."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from fakes import FakeGmail
from mailgen import promo_message

TOKEN = "t"


def _service(gmail: FakeGmail) -> Any:
    return build("gmail", "v1", credentials=Credentials(token=TOKEN), static_discovery=True,
                 client_options={"api_endpoint": gmail.base_url})


@pytest.fixture
def gmail() -> Iterator[FakeGmail]:
    with FakeGmail(valid_tokens={TOKEN}) as fake:
        yield fake


def _batch_statuses(gmail: FakeGmail, service: Any, ids: list[str]) -> list[int]:
    statuses: list[int] = []

    def callback(_id: str, _response: Any, exc: HttpError | None) -> None:
        statuses.append(exc.resp.status if exc else 200)

    batch = BatchHttpRequest(callback=callback, batch_uri=gmail.batch_url)
    for msg_id in ids:
        batch.add(service.users().messages().get(userId="me", id=msg_id, format="raw"))
    batch.execute()
    return statuses


def test_parts_of_a_batch_are_served_one_after_another(gmail: FakeGmail) -> None:
    ids = [gmail.add_message(bytes(promo_message(i))) for i in range(10)]
    service = _service(gmail)
    gmail.call_latency = 0.05
    started = time.monotonic()
    assert _batch_statuses(gmail, service, ids) == [200] * 10
    assert time.monotonic() - started >= 0.5  # 10 parts x 50 ms, not one latency
    service.close()


def test_moving_average_quota_refuses_what_the_window_cannot_hold(gmail: FakeGmail) -> None:
    ids = [gmail.add_message(bytes(promo_message(i))) for i in range(12)]
    service = _service(gmail)
    gmail.quota_window = 2.0
    gmail.quota_units_per_second = 25  # 50 units per 2 s window: ten messages.get
    assert gmail.quota_window == 2.0
    assert _batch_statuses(gmail, service, ids) == [200] * 10 + [429] * 2
    assert gmail.rate_limited == 2 and gmail.units_used == 50  # refused calls cost nothing
    with pytest.raises(HttpError) as caught:
        service.users().messages().get(userId="me", id=ids[0]).execute()
    error = json.loads(caught.value.content)["error"]
    assert error["code"] == 429 and error["status"] == "RESOURCE_EXHAUSTED"
    assert error["errors"][0]["reason"] == "rateLimitExceeded"
    # A one-second bucket would be full again after 1 s; the window still holds the 50 units.
    time.sleep(1.1)
    assert _batch_statuses(gmail, service, ids[:1]) == [429]
    time.sleep(1.0)  # now the first batch has left the window
    assert _batch_statuses(gmail, service, ids[:10]) == [200] * 10
    service.close()


def test_requests_over_the_concurrency_limit_get_429(gmail: FakeGmail) -> None:
    ids = [gmail.add_message(bytes(promo_message(i))) for i in range(4)]
    gmail.call_latency = 0.3
    gmail.max_concurrent = 2
    statuses: list[int] = []
    lock = threading.Lock()

    def one() -> None:
        service = _service(gmail)
        try:
            service.users().messages().get(userId="me", id=ids[0]).execute()
            status = 200
        except HttpError as exc:
            status = exc.resp.status
            assert json.loads(exc.content)["error"]["errors"][0]["reason"] == "rateLimitExceeded"
        finally:
            service.close()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [200, 200, 429, 429]
    assert gmail.peak_concurrent >= 3 and gmail.rate_limited == 2
