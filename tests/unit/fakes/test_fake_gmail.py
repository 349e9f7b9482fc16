"""FakeGmail speaks the Gmail API wire format: driven here by the real google-api-python-client."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import google_auth_httplib2
import httplib2
import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from fakes import FakeGmail
from mailgen import promo_message

TOKEN = "t"
DAY_MS = 86_400_000


def _service(base: str, token: str = TOKEN, **http_options: Any) -> Any:
    creds = Credentials(token=token)
    if http_options:
        authed = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(), **http_options)
        return build("gmail", "v1", http=authed, static_discovery=True,
                     client_options={"api_endpoint": base})
    return build("gmail", "v1", credentials=creds, static_discovery=True,
                 client_options={"api_endpoint": base})


def _rich_message() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Shop <deals@shop.example>"
    msg["To"] = "me@example.org"
    msg["Subject"] = "Soldes d’été: -30 % avec le code ETE30"  # non-ASCII: sent as an encoded word
    msg["Message-ID"] = "<rich-1@shop.example>"
    msg.set_content("Use code ETE30 at checkout. It's valid until Sunday.\n")
    msg.add_alternative("<html><body><p>Use code <b>ETE30</b></p></body></html>", subtype="html")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="terms.pdf")
    return bytes(msg)


def _error_json(exc: HttpError) -> dict[str, Any]:
    content = exc.content.decode() if isinstance(exc.content, bytes) else exc.content
    parsed: dict[str, Any] = json.loads(content)
    return parsed


@pytest.fixture
def gmail() -> Iterator[FakeGmail]:
    with FakeGmail(valid_tokens={TOKEN}) as fake:
        yield fake


@pytest.fixture
def service(gmail: FakeGmail) -> Iterator[Any]:
    svc = _service(gmail.base_url)
    yield svc
    svc.close()


def test_profile_reports_counts_and_history_id_as_string(gmail: FakeGmail, service: Any) -> None:
    gmail.add_message(bytes(promo_message(1)))
    profile = service.users().getProfile(userId="me").execute()
    assert profile == {"emailAddress": "me@example.org", "messagesTotal": 1, "threadsTotal": 1,
                       "historyId": str(gmail.history_id)}
    assert gmail.calls["getProfile"] == 1 and gmail.units_used == 1


def test_list_pages_newest_first_until_no_token(gmail: FakeGmail, service: Any) -> None:
    ids = [gmail.add_message(bytes(promo_message(i)), internal_date_ms=1_700_000_000_000 + i)
           for i in range(7)]
    messages = service.users().messages()
    request = messages.list(userId="me", maxResults=3)
    pages = []
    while request is not None:
        page = request.execute()
        pages.append(page)
        request = messages.list_next(request, page)
    assert [len(p["messages"]) for p in pages] == [3, 3, 1]
    assert [m["id"] for p in pages for m in p["messages"]] == ids[::-1]
    assert all(p["resultSizeEstimate"] == 7 for p in pages)
    assert "nextPageToken" not in pages[-1]
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in ids)


def test_list_filters_by_query_and_label_ids(gmail: FakeGmail, service: Any) -> None:
    now_ms = int(time.time() * 1000)
    promo = gmail.add_message(bytes(promo_message(1)))
    old_promo = gmail.add_message(bytes(promo_message(2)), internal_date_ms=now_ms - 40 * DAY_MS)
    personal = gmail.add_message(bytes(promo_message(3)), label_ids=("INBOX", "CATEGORY_PERSONAL", "UNREAD"))
    spam = gmail.add_message(bytes(promo_message(4)), label_ids=("SPAM", "CATEGORY_PROMOTIONS"))

    def ids(**kwargs: Any) -> list[str]:
        result = service.users().messages().list(userId="me", **kwargs).execute()
        return [m["id"] for m in result.get("messages", [])]

    assert ids(q="category:promotions") == [promo, old_promo]
    assert ids(q="category:promotions newer_than:30d") == [promo]
    assert ids(q="label:unread") == [personal]
    assert ids(q='"Blue Bottle"') == [promo]  # promo_message(1) is from Blue Bottle
    assert ids(q="offers unknownop:whatever") == [personal, promo, old_promo]
    assert ids(labelIds=["INBOX", "CATEGORY_PERSONAL"]) == [personal]
    assert ids(q="in:spam") == [spam]
    assert spam in ids(includeSpamTrash=True)
    empty = service.users().messages().list(userId="me", q="nosuchwordanywhere").execute()
    assert empty == {"resultSizeEstimate": 0}


def test_get_full_builds_the_payload_tree(gmail: FakeGmail, service: Any) -> None:
    msg_id = gmail.add_message(_rich_message())
    msg = service.users().messages().get(userId="me", id=msg_id, format="full").execute()
    assert {"id", "threadId", "labelIds", "snippet", "payload", "sizeEstimate", "historyId",
            "internalDate"} <= set(msg)
    assert msg["threadId"] == msg_id and msg["internalDate"].isdigit() and msg["historyId"].isdigit()
    payload = msg["payload"]
    assert (payload["partId"], payload["mimeType"], payload["body"]) == ("", "multipart/mixed", {"size": 0})
    subject = next(h["value"] for h in payload["headers"] if h["name"] == "Subject")
    assert subject == "Soldes d’été: -30 % avec le code ETE30"
    alternative, attachment = payload["parts"]
    assert [p["partId"] for p in alternative["parts"]] == ["0.0", "0.1"]
    plain = alternative["parts"][0]
    assert plain["mimeType"] == "text/plain" and plain["filename"] == ""
    text = base64.urlsafe_b64decode(plain["body"]["data"])
    assert text.startswith(b"Use code ETE30") and plain["body"]["size"] == len(text)
    assert attachment["filename"] == "terms.pdf" and "data" not in attachment["body"]
    assert msg["snippet"].startswith("Use code ETE30 at checkout. It&#39;s valid")
    data = service.users().messages().attachments().get(
        userId="me", messageId=msg_id, id=attachment["body"]["attachmentId"]).execute()
    assert base64.urlsafe_b64decode(data["data"]) == b"%PDF-1.4 fake"


def test_get_raw_metadata_minimal_and_fields(gmail: FakeGmail, service: Any) -> None:
    raw_bytes = _rich_message()
    msg_id = gmail.add_message(raw_bytes)
    get = service.users().messages().get
    raw = get(userId="me", id=msg_id, format="raw").execute()
    assert base64.urlsafe_b64decode(raw["raw"]) == raw_bytes and "payload" not in raw
    meta = get(userId="me", id=msg_id, format="metadata", metadataHeaders=["From", "subject"]).execute()
    assert [h["name"] for h in meta["payload"]["headers"]] == ["From", "Subject"]
    minimal = get(userId="me", id=msg_id, format="minimal").execute()
    assert "payload" not in minimal and "raw" not in minimal and minimal["labelIds"]
    partial = get(userId="me", id=msg_id, fields="id,payload(mimeType,parts/partId)").execute()
    assert partial == {"id": msg_id, "payload": {"mimeType": "multipart/mixed",
                                                 "parts": [{"partId": "0"}, {"partId": "1"}]}}


def test_unknown_message_is_googles_404(service: Any) -> None:
    with pytest.raises(HttpError) as caught:
        service.users().messages().get(userId="me", id="0123456789abcdef").execute()
    assert caught.value.resp.status == 404
    assert _error_json(caught.value) == {"error": {
        "code": 404, "message": "Requested entity was not found.",
        "errors": [{"message": "Requested entity was not found.", "domain": "global", "reason": "notFound"}],
        "status": "NOT_FOUND"}}


def test_history_lists_changes_after_start_and_404s_when_expired(gmail: FakeGmail, service: Any) -> None:
    gmail.add_message(bytes(promo_message(0)))
    start = service.users().getProfile(userId="me").execute()["historyId"]
    added = [gmail.add_message(bytes(promo_message(i))) for i in range(1, 4)]
    gmail.modify_labels(added[0], remove=["INBOX"])
    history = service.users().history()
    request = history.list(userId="me", startHistoryId=start, historyTypes="messageAdded", maxResults=2)
    records: list[dict[str, Any]] = []
    while request is not None:
        page = request.execute()
        assert page["historyId"] == str(gmail.history_id)
        records += page.get("history", [])
        request = history.list_next(request, page)
    assert [r["messagesAdded"][0]["message"]["id"] for r in records] == added
    assert all(set(r) == {"id", "messages", "messagesAdded"} for r in records)
    everything = history.list(userId="me", startHistoryId=start).execute()["history"]
    assert everything[-1]["labelsRemoved"][0]["labelIds"] == ["INBOX"]
    latest = history.list(userId="me", startHistoryId=str(gmail.history_id)).execute()
    assert latest == {"historyId": str(gmail.history_id)}

    gmail.expire_history()
    with pytest.raises(HttpError) as caught:
        history.list(userId="me", startHistoryId=start).execute()
    assert caught.value.resp.status == 404 and caught.value.reason == "Requested entity was not found."


def test_batch_of_60_gets_answers_each_part(gmail: FakeGmail, service: Any) -> None:
    ids = [gmail.add_message(bytes(promo_message(i))) for i in range(60)]
    results: dict[str, Any] = {}

    def callback(request_id: str, response: Any, exception: Exception | None) -> None:
        results[request_id] = exception or response

    batch = BatchHttpRequest(callback=callback, batch_uri=gmail.batch_url)
    for msg_id in ids:
        batch.add(service.users().messages().get(userId="me", id=msg_id, format="raw"), request_id=msg_id)
    batch.execute()
    assert set(results) == set(ids)
    assert all(results[i]["id"] == i and "raw" in results[i] for i in ids)
    assert gmail.requests == 1 and gmail.batch_sizes == [60]
    assert gmail.calls["messages.get"] == 60 and gmail.units_used == 300


def test_batch_over_100_parts_is_rejected(gmail: FakeGmail, service: Any) -> None:
    batch = BatchHttpRequest(batch_uri=gmail.batch_url)
    for _ in range(101):
        batch.add(service.users().getProfile(userId="me"))
    with pytest.raises(HttpError) as caught:
        batch.execute()
    assert caught.value.resp.status == 400 and gmail.calls["getProfile"] == 0


def test_over_quota_is_429_alone_and_per_batch_part(gmail: FakeGmail, service: Any) -> None:
    msg_id = gmail.add_message(bytes(promo_message(1)))
    gmail.quota_units_per_second = 10  # two gets' worth
    get = service.users().messages().get
    get(userId="me", id=msg_id).execute()
    get(userId="me", id=msg_id).execute()
    with pytest.raises(HttpError) as caught:
        get(userId="me", id=msg_id).execute()
    assert caught.value.resp.status == 429
    assert _error_json(caught.value)["error"]["errors"][0] == {
        "message": "Too many requests", "domain": "usageLimits", "reason": "rateLimitExceeded"}

    time.sleep(1.0)  # refill: 10 units = 2 of the 5 gets below
    statuses: list[int] = []

    def callback(_id: str, _response: Any, exc: HttpError | None) -> None:
        statuses.append(exc.resp.status if exc else 200)

    batch = BatchHttpRequest(callback=callback, batch_uri=gmail.batch_url)
    for _ in range(5):
        batch.add(get(userId="me", id=msg_id))
    batch.execute()
    assert sorted(statuses) == [200, 200, 429, 429, 429]


def test_bad_token_is_googles_401(gmail: FakeGmail) -> None:
    svc = _service(gmail.base_url, token="wrong", refresh_status_codes=())
    try:
        with pytest.raises(HttpError) as caught:
            svc.users().getProfile(userId="me").execute()
    finally:
        svc.close()
    assert caught.value.resp.status == 401
    body = _error_json(caught.value)["error"]
    assert body["status"] == "UNAUTHENTICATED" and body["message"].startswith(
        "Request had invalid authentication credentials.")
    assert body["errors"] == [{"message": "Invalid Credentials", "domain": "global", "reason": "authError",
                               "location": "Authorization", "locationType": "header"}]


def test_bad_token_with_default_http_surfaces_as_refresh_error(gmail: FakeGmail) -> None:
    # The real AuthorizedHttp answers a 401 by refreshing; a token-only Credentials cannot.
    svc = _service(gmail.base_url, token="wrong")
    try:
        with pytest.raises(RefreshError):
            svc.users().getProfile(userId="me").execute()
    finally:
        svc.close()


def test_fault_injection_and_strict_parameters(gmail: FakeGmail, service: Any) -> None:
    gmail.fail_next(1, 503)
    with pytest.raises(HttpError) as caught:
        service.users().getProfile(userId="me").execute()
    assert caught.value.resp.status == 503
    assert service.users().getProfile(userId="me").execute()["emailAddress"] == "me@example.org"

    gmail.error_rate = 1.0
    with pytest.raises(HttpError) as caught:
        service.users().getProfile(userId="me").execute()
    assert caught.value.resp.status in (500, 503)
    gmail.error_rate = 0.0

    gmail.latency = 0.2
    started = time.monotonic()
    service.users().getProfile(userId="me").execute()
    assert time.monotonic() - started >= 0.2



def test_unknown_parameters_and_enum_values_are_400(gmail: FakeGmail) -> None:
    http = httplib2.Http()
    try:
        for query in ("format=html", "colour=blue"):
            resp, content = http.request(f"{gmail.base_url}/gmail/v1/users/me/messages/x?{query}",
                                         headers={"Authorization": f"Bearer {TOKEN}"})
            assert resp.status == 400, content
            assert json.loads(content)["error"]["status"] == "INVALID_ARGUMENT"
        resp, content = http.request(f"{gmail.base_url}/gmail/v1/users/me/profile")
        assert resp.status == 401 and json.loads(content)["error"]["errors"][0]["reason"] == "required"
    finally:
        http.close()


def test_hand_written_batch_in_the_documented_shape(gmail: FakeGmail) -> None:
    """CRLF parts, no HTTP version, outer Authorization inherited, one part without Content-ID."""
    first, second = gmail.add_message(bytes(promo_message(1))), gmail.add_message(bytes(promo_message(2)))
    body = (
        "--batch_foobarbaz\r\nContent-Type: application/http\r\n"
        "Content-ID: <item1:12930812@example.com>\r\n\r\n"
        f"GET /gmail/v1/users/me/messages/{first}?format=minimal\r\n\r\n"
        "--batch_foobarbaz\r\nContent-Type: application/http\r\n\r\n"
        f"GET /gmail/v1/users/me/messages/{second}?fields=id HTTP/1.1\r\n\r\n"
        "--batch_foobarbaz--\r\n")
    http = httplib2.Http()
    try:
        resp, content = http.request(gmail.batch_url, "POST", body=body, headers={
            "Content-Type": "multipart/mixed; boundary=batch_foobarbaz", "Authorization": f"Bearer {TOKEN}"})
    finally:
        http.close()
    assert resp.status == 200
    boundary = resp["content-type"].split("boundary=")[1]
    assert resp["content-type"].startswith("multipart/mixed; boundary=batch_")
    parts = content.decode().split(f"--{boundary}")
    assert parts[0] == "" and parts[-1] == "--\r\n" and len(parts) == 4
    head, _, inner = parts[1].partition("\r\n\r\n")
    assert "Content-Type: application/http" in head
    assert "Content-ID: <response-item1:12930812@example.com>" in head
    status_and_headers, _, json_body = inner.partition("\r\n\r\n")
    assert status_and_headers.startswith("HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=UTF-8")
    assert json.loads(json_body)["id"] == first
    assert "Content-ID" not in parts[2].partition("\r\n\r\n")[0]
    assert json.loads(parts[2].split("\r\n\r\n", 2)[2]) == {"id": second}


def test_parallel_clients_and_stop_with_open_connections() -> None:
    with FakeGmail(valid_tokens={TOKEN}) as gmail:
        ids = [gmail.add_message(bytes(promo_message(i))) for i in range(20)]
        failures: list[BaseException] = []

        def worker() -> None:
            svc = _service(gmail.base_url)
            try:
                for msg_id in ids:
                    assert svc.users().messages().get(userId="me", id=msg_id).execute()["id"] == msg_id
            except BaseException as exc:
                failures.append(exc)
            finally:
                svc.close()

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not failures and gmail.calls["messages.get"] == 160

        lingering = httplib2.Http()  # a keep-alive connection still open when the server stops
        resp, _ = lingering.request(gmail.base_url + "/gmail/v1/users/me/profile",
                                    headers={"Authorization": f"Bearer {TOKEN}"})
        assert resp.status == 200
        started = time.monotonic()
        gmail.stop()
        assert time.monotonic() - started < 2
        lingering.close()
