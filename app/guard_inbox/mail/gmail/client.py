"""The Gmail API calls a scan needs, with quota pacing, backoff, and errors a user can act on.

googleapiclient does the HTTP and the batch format; this module adds what it leaves out:
- one service per thread (services share an httplib2 connection and are not thread-safe: one
  service shared by eight threads returned responses for the wrong message);
- batches posted to ``endpoint + /batch/gmail/v1`` (``service.new_batch_http_request()``
  ignores ``api_endpoint`` and would post to Google whatever the endpoint);
- a retry of only the parts of a batch that failed with 429/403-rate/5xx, after backoff;
- quota units taken from the account's shared bucket before every call and batch part;
- small batches (a quarter second of quota), several in flight (pipeline.py): Google serves a
  batch's parts one after another, and a quota left idle while one is served is time lost;
  Google averages the quota over a few seconds, so big batches sent in bursts meet 429s;
- every failure turned into TransientError, PermanentError or ReconnectNeeded with a sentence.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from typing import Any

from google.auth import exceptions as auth_exceptions
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import BatchError, HttpError
from googleapiclient.http import BatchHttpRequest

from guard_inbox.domain.errors import TransientError
from guard_inbox.mail.gmail.auth import reconnect_error
from guard_inbox.mail.gmail.errors import (
    RATE_REASONS,
    TRANSPORT_ERRORS,
    HistoryExpired,
    MessageUnavailable,
    account_error,
    concerns_account,
    describe,
    reasons_of,
    retry_after,
    retryable,
    unavailable,
)
from guard_inbox.mail.gmail.pipeline import OrderedPipeline, Stopped
from guard_inbox.mail.gmail.quota import (
    COST_GET,
    COST_HISTORY,
    COST_LIST,
    COST_PROFILE,
    Backoff,
    QuotaLimiter,
)
from guard_inbox.mail.gmail.transport import CountingHttp

_log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://gmail.googleapis.com"
RAW_FIELDS = "id,raw,internalDate,labelIds"
# Batches in flight per scan. Two keep the quota busy while Google serves one batch part by part;
# more cover slow answers. Each is a connection, and Google limits concurrent requests per user.
IN_FLIGHT = 4
# Quota per batch, in seconds of budget (5 messages.get at 6,000 units/min, 12 at 15,000).
# Measured on the fake that averages as Google does (3 s window, 30 ms per part; 200 messages
# paced at 97%): 20-part batches met 5 429s and took 1.11x the floor, 5-part ones none, 1.08x.
BATCH_SECONDS = 0.25
AHEAD_MESSAGES = 200  # fetched but not yet read, at most (raw messages can be large)


class GmailClient:
    """Gmail calls for one account; safe to share between threads (each gets its own service)."""

    def __init__(
        self,
        address: str,
        credentials_provider: Callable[[], Credentials],
        endpoint: str = DEFAULT_ENDPOINT,
        quota: QuotaLimiter | None = None,
        batch_size: int = 50,
        max_results: int = 500,
        *,
        backoff: Backoff | None = None,
        timeout: float = 60.0,
        in_flight: int = IN_FLIGHT,
        batch_parts: int | None = None,
    ) -> None:
        """``batch_size`` caps a batch; ``batch_parts`` fixes it (default: BATCH_SECONDS of
        quota, so the quota is spent in small even steps). ``in_flight``: batches sent at once,
        each on a thread and connection of its own; 1 sends them one after another."""
        self.address = address
        self._credentials = credentials_provider
        self._endpoint = (endpoint or DEFAULT_ENDPOINT).rstrip("/")
        self._batch_uri = self._endpoint + "/batch/gmail/v1"
        self._quota = quota if quota is not None else QuotaLimiter.for_account(address)
        self._batch_size = max(1, min(100, batch_size))  # Google refuses batches over 100 calls
        self._max_results = max(1, min(500, max_results))
        self._backoff = backoff if backoff is not None else Backoff()
        self._timeout = timeout
        self._in_flight = max(1, in_flight)
        self._batch_parts = batch_parts
        self._local = threading.local()
        self._count_lock = threading.Lock()
        self._requests = 0
        self._transports: list[CountingHttp] = []

    @property
    def endpoint(self) -> str:
        return self._endpoint

    def release(self) -> None:
        """Close this thread's pooled connection; the client stays usable and reconnects when needed."""
        transport = getattr(self._local, "transport", None)
        if transport is not None:
            transport.close()

    def close(self) -> None:
        """Close every thread's pooled connections; only once no thread is using the client."""
        with self._count_lock:
            transports = list(self._transports)
        for transport in transports:
            transport.close()

    def __enter__(self) -> GmailClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent to the Gmail endpoint (a batch is one; token refreshes not counted)."""
        with self._count_lock:
            return self._requests

    @property
    def backoff_seconds(self) -> float:
        return self._backoff.backoff_seconds

    # -- calls ----------------------------------------------------------------------------------

    def profile(self) -> dict[str, Any]:
        """users.getProfile: emailAddress, messagesTotal, threadsTotal, historyId."""
        return self._call(lambda s: s.users().getProfile(userId="me"), COST_PROFILE, "reading the profile")

    def list_ids(self, query: str, *, stop: Callable[[list[str]], bool] | None = None) -> list[str]:
        """Ids of the messages matching ``query``, newest first, all pages.

        ``stop`` sees each page's ids and may end the listing early (an incremental scan stops
        once it reaches mail it has already scanned).
        """
        ids: list[str] = []
        for page_ids in self.list_pages(query):
            ids.extend(page_ids)
            if stop is not None and stop(page_ids):
                break
        return ids

    def list_pages(self, query: str) -> Iterator[list[str]]:
        """The ids matching ``query`` page by page (up to ``max_results`` each), newest first.

        A page is requested only when the one before has been taken: a scan can fetch the first
        page's messages while later pages are still to be listed.
        """
        page_token: str | None = None
        while True:
            token = page_token

            def request(s: Any, token: str | None = token) -> Any:
                return s.users().messages().list(
                    userId="me", q=query or None, maxResults=self._max_results, pageToken=token,
                    fields="messages/id,nextPageToken",
                )

            page = self._call(request, COST_LIST, "listing messages")
            yield [str(m["id"]) for m in page.get("messages", ()) if m.get("id")]
            page_token = page.get("nextPageToken")
            if not page_token:
                return

    def history_ids(self, start_history_id: str) -> tuple[list[str], str]:
        """(ids of messages added since ``start_history_id``, the mailbox's current historyId).

        Raises HistoryExpired when Google no longer keeps history that far back (404).
        """
        ids: dict[str, None] = {}
        current = start_history_id
        page_token: str | None = None
        while True:
            token = page_token

            def request(s: Any, token: str | None = token) -> Any:
                return s.users().history().list(
                    userId="me", startHistoryId=start_history_id, historyTypes=["messageAdded"],
                    maxResults=self._max_results, pageToken=token,
                    fields="history/messagesAdded/message/id,historyId,nextPageToken",
                )

            try:
                page = self._call(request, COST_HISTORY, "reading the mailbox history", not_found_ok=True)
            except HttpError as exc:  # only 404 gets here: the others became KnownErrors
                raise HistoryExpired(start_history_id) from exc
            for record in page.get("history", ()):
                for added in record.get("messagesAdded", ()):
                    mid = added.get("message", {}).get("id")
                    if mid:
                        ids[str(mid)] = None
            current = str(page.get("historyId") or current)
            page_token = page.get("nextPageToken")
            if not page_token:
                return list(ids), current

    def get_raw_many(self, ids: Iterable[str]) -> Iterator[tuple[str, bytes | Exception]]:
        """(id, raw RFC 822 bytes) per message, in batches; a message Gmail cannot give is an Exception.

        ``ids`` is read as batches are needed, so it may be a listing still in progress; an id
        given twice is fetched once. A 404 (deleted since it was listed) or 400 for one message
        comes back as its Exception; failures that say "try later" are retried part by part;
        failures that concern the whole account (revoked grant, API disabled) raise.
        """
        chunks = _batches(_once_each(ids), self.parts_per_batch)
        first = list(islice(chunks, 2))  # one batch alone needs no threads
        if self._in_flight == 1 or len(first) <= 1:
            for chunk in chain(first, chunks):
                yield from self._get_batch(chunk)
            return
        # Fetch ahead by messages, not batches: a batch backing off after a 429 (>= 1 s) must
        # not stall the others while the quota refills.
        ahead = max(2 * self._in_flight, AHEAD_MESSAGES // self.parts_per_batch)
        yield from OrderedPipeline(
            chain(first, chunks), lambda chunk, stop: list(self._get_batch(chunk, stop)),
            workers=self._in_flight, ahead=ahead, on_exit=self.release,
        )

    @property
    def parts_per_batch(self) -> int:
        """Calls per batch: fixed, or BATCH_SECONDS of the quota's budget, within 1..batch_size."""
        if self._batch_parts is not None:
            return max(1, min(100, self._batch_parts))
        parts = self._quota.units_per_minute / 60.0 * BATCH_SECONDS / COST_GET
        return max(1, min(self._batch_size, round(parts)))

    # -- machinery ------------------------------------------------------------------------------

    def _get_batch(
        self, chunk: list[str], stop: threading.Event | None = None
    ) -> Iterator[tuple[str, bytes | Exception]]:
        pending = chunk
        attempt = 0
        while pending:
            attempt += 1
            if stop is None:
                self._quota.acquire(COST_GET * len(pending))
            elif not self._quota.acquire_unless(COST_GET * len(pending), stop):
                raise Stopped()
            replies: dict[str, tuple[Any, Exception | None]] = {}
            try:
                self._send_batch(pending, replies)
            except HttpError as exc:
                if not retryable(exc) and not isinstance(exc, BatchError):
                    raise account_error(exc) from exc
                self._pause(attempt, exc, "fetching messages")
                continue
            except auth_exceptions.RefreshError as exc:
                known = reconnect_error(exc)
                if not isinstance(known, TransientError):
                    raise known from exc
                self._pause(attempt, exc, "fetching messages")
                continue
            except TRANSPORT_ERRORS as exc:
                self._drop_service()
                self._pause(attempt, exc, "fetching messages")
                continue
            retry: list[str] = []
            failure: BaseException | None = None
            if any(_rate_limited(error) for _, error in replies.values()):
                self._quota.slow_down()
            for mid in pending:
                response, error = replies.get(mid, (None, _MissingPart(mid)))
                if error is None:
                    yield mid, _decode_raw(mid, response)
                elif isinstance(error, HttpError) and not retryable(error):
                    if concerns_account(error):
                        raise account_error(error) from error
                    yield mid, unavailable(error)
                else:
                    retry.append(mid)
                    failure = error
            pending = retry
            if pending:
                _log.info("Retrying %d of %d messages of a Gmail batch", len(pending), len(chunk))
                self._pause(attempt, failure, "fetching messages")

    def _send_batch(self, ids: list[str], replies: dict[str, tuple[Any, Exception | None]]) -> None:
        def collect(request_id: str, response: Any, exception: Exception | None) -> None:
            replies[request_id] = (response, exception)

        service = self._service()
        batch = BatchHttpRequest(callback=collect, batch_uri=self._batch_uri)
        messages = service.users().messages()
        for mid in ids:
            batch.add(messages.get(userId="me", id=mid, format="raw", fields=RAW_FIELDS), request_id=mid)
        batch.execute()

    def _call(
        self, make: Callable[[Any], Any], cost: int, what: str, *, not_found_ok: bool = False
    ) -> dict[str, Any]:
        """Execute one request with quota and backoff; with ``not_found_ok`` a 404 HttpError is re-raised."""
        attempt = 0
        while True:
            attempt += 1
            self._quota.acquire(cost)
            try:
                result = make(self._service()).execute()
            except HttpError as exc:
                if not_found_ok and exc.resp is not None and exc.resp.status == 404:
                    raise
                if not retryable(exc):
                    raise account_error(exc) from exc
                if _rate_limited(exc):
                    self._quota.slow_down()
                self._pause(attempt, exc, what)
            except auth_exceptions.RefreshError as exc:
                known = reconnect_error(exc)
                if not isinstance(known, TransientError):
                    raise known from exc
                self._pause(attempt, exc, what)
            except TRANSPORT_ERRORS as exc:
                self._drop_service()
                self._pause(attempt, exc, what)
            else:
                return result if isinstance(result, dict) else {}

    def _pause(self, attempt: int, failure: BaseException | None, what: str) -> None:
        """Sleep before the next try, or give up with a TransientError after the last one."""
        cause = describe(failure)
        if not self._backoff.can_retry(attempt):
            raise TransientError(
                f"Gmail is not answering ({cause}, {attempt} attempts while {what}); the scan will retry."
            )
        seconds = self._backoff.wait(attempt, retry_after(failure))
        _log.info("Gmail %s: %s; retrying in %.1f s", what, cause, seconds)

    def _service(self) -> Any:
        service = getattr(self._local, "service", None)
        if service is None:
            import google_auth_httplib2

            transport = CountingHttp(self._count, self._endpoint, self._timeout)
            authed = google_auth_httplib2.AuthorizedHttp(
                self._credentials(), http=transport, max_refresh_attempts=1
            )
            service = build(
                "gmail", "v1", http=authed, static_discovery=True, cache_discovery=False,
                client_options={"api_endpoint": self._endpoint},
            )
            self._local.service, self._local.transport = service, transport
            with self._count_lock:
                self._transports.append(transport)
        return service

    def _drop_service(self) -> None:
        """Forget this thread's service after a transport error; its connection may be half-dead."""
        transport = getattr(self._local, "transport", None)
        self._local.service = self._local.transport = None
        if transport is not None:
            with self._count_lock:
                if transport in self._transports:
                    self._transports.remove(transport)
            transport.close()

    def _count(self) -> None:
        with self._count_lock:
            self._requests += 1


def _once_each(ids: Iterable[str]) -> Iterator[str]:
    """``ids`` in order without repeats (a listing whose pages shifted as mail arrived)."""
    seen: set[str] = set()
    for mid in ids:
        if mid not in seen:
            seen.add(mid)
            yield mid


def _batches(ids: Iterator[str], size: int) -> Iterator[list[str]]:
    while batch := list(islice(ids, size)):
        yield batch


def _rate_limited(error: BaseException | None) -> bool:
    """A 429, or a 403 whose reason is a rate limit: Gmail says we are going too fast."""
    if not isinstance(error, HttpError) or error.resp is None:
        return False
    return error.resp.status == 429 or (error.resp.status == 403 and bool(reasons_of(error) & RATE_REASONS))


class _MissingPart(Exception):
    """A batch answer that left out one of the requests we sent."""

    def __str__(self) -> str:
        return "a batch answer left out a message"


def _decode_raw(mid: str, response: Any) -> bytes | Exception:
    raw = response.get("raw") if isinstance(response, dict) else None
    if not isinstance(raw, str):
        return MessageUnavailable("Gmail sent this message without its content.")
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError:
        return MessageUnavailable("Gmail sent this message's content in a form that could not be decoded.")
