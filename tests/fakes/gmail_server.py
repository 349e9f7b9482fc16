"""FakeGmail: a loopback server speaking the Gmail API v1 wire format, for tests and benchmarks.

    with FakeGmail(valid_tokens={"t"}) as gmail:
        gmail.add_message(raw_bytes)
        service = build("gmail", "v1", credentials=Credentials(token="t"), static_discovery=True,
                        client_options={"api_endpoint": gmail.base_url})

Served: users.getProfile, users.labels.list, users.messages.list, users.messages.get,
users.messages.attachments.get, users.history.list, and batches at /batch/gmail/v1 (and /batch,
the discovery document's batchPath). Every response is the JSON Google documents; errors use
Google's error envelope. The knobs and counters are listed in the class docstring.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from . import errors
from ._http import HTTPReply, HTTPRequest, LoopbackServer
from .batch import handle_batch
from .gmail_mailbox import FORMATS, HISTORY_TYPES, GmailError, Mailbox
from .gmail_quota import MovingAverageQuota, TokenBucket
from .partial import FieldsError, apply_fields, parse_fields

# Parameters every Google API accepts (the discovery document's top-level "parameters").
GLOBAL_PARAMS = frozenset({"$.xgafv", "access_token", "alt", "callback", "fields", "key", "oauth_token",
                           "prettyPrint", "quotaUser", "uploadType", "upload_protocol", "userIp"})
QUOTA_UNITS = {"getProfile": 1, "labels.list": 1, "messages.list": 5, "messages.get": 5,
               "attachments.get": 5, "history.list": 2}

_USER = r"^/gmail/v1/users/(?P<user>[^/]+)"

# Google's documented bodies for the faults a client must ride out ("Resolve errors", Gmail API).
_FAULTS: dict[int, tuple[str, str, str]] = {  # status -> reason, domain, message
    500: ("backendError", "global", "Backend Error"),
    429: ("rateLimitExceeded", "usageLimits", "Rate Limit Exceeded"),
    403: ("userRateLimitExceeded", "usageLimits", "User Rate Limit Exceeded"),
}


@dataclass(frozen=True)
class RateLimitBurst:
    """API calls number `start` .. `start + length - 1` (1-based, batch parts included, counted
    from when `FakeGmail.rate_limit_bursts` was set) are answered `status`: 429
    rateLimitExceeded or 403 userRateLimitExceeded."""

    start: int
    length: int
    status: int = 429

    def __post_init__(self) -> None:
        if self.status not in (429, 403):
            raise ValueError("a rate-limit burst answers 429 or 403")

    def covers(self, number: int) -> bool:
        return self.start <= number < self.start + self.length


def fault_reply(status: int) -> HTTPReply:
    reason, domain, message = _FAULTS[status]
    return errors.google_error(status, message, reason=reason, domain=domain)


@dataclass(frozen=True)
class _Route:
    name: str
    pattern: re.Pattern[str]
    params: frozenset[str]


_ROUTES = (
    _Route("getProfile", re.compile(_USER + r"/profile$"), frozenset()),
    _Route("labels.list", re.compile(_USER + r"/labels$"), frozenset()),
    _Route("messages.list", re.compile(_USER + r"/messages$"),
           frozenset({"q", "labelIds", "maxResults", "pageToken", "includeSpamTrash"})),
    _Route("messages.get", re.compile(_USER + r"/messages/(?P<id>[^/]+)$"),
           frozenset({"format", "metadataHeaders"})),
    _Route("attachments.get", re.compile(_USER + r"/messages/(?P<mid>[^/]+)/attachments/(?P<id>[^/]+)$"),
           frozenset()),
    _Route("history.list", re.compile(_USER + r"/history$"),
           frozenset({"startHistoryId", "historyTypes", "labelId", "maxResults", "pageToken"})),
)


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _int_param(query: dict[str, list[str]], name: str) -> int | None:
    value = _one(query, name)
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise GmailError(400, f"Invalid value at '{name}' (TYPE_UINT32), \"{value}\"", "invalid")
    return int(value)


class FakeGmail:
    """A fake Gmail API server.

    Constructor: `email_address`, `valid_tokens` (a set; pass your own set to share it, e.g. with
    FakeGoogleOAuth), `quota_units_per_second` (None = unlimited), `quota_window` (0: a bucket
    holding one second of units; > 0: Google's moving average over that many seconds, see
    MovingAverageQuota), `latency` (seconds per outer HTTP request), `call_latency` (seconds to
    serve each API call; the parts of one batch are served one after another, as at Google, where
    a 50-part messages.get batch takes seconds), `max_concurrent` (outer requests served at once
    per user; more are answered 429 rateLimitExceeded), `error_rate` (share of API calls answered
    500/503), `seed`, `clock` (for `newer_than:` and default internalDate), `history_step_max`
    (>1 makes historyId gaps).

    Fault knobs (attributes; both reach API calls inside batches too, as Google fails single parts
    of a batch): `fault_rate` (share of API calls answered 500 backendError, drawn from a random
    seeded with `seed`), `rate_limit_bursts` (RateLimitBurst runs of 429 rateLimitExceeded / 403
    userRateLimitExceeded, by call number; setting the list restarts the numbering).

    Counters: `requests` (outer HTTP requests), `calls` (Counter of API calls by name, batch
    parts included: getProfile, labels.list, messages.list, messages.get, attachments.get,
    history.list), `statuses` (Counter of API call statuses), `units_used`, `batch_sizes`,
    `faults` (Counter of injected faults by reason: backendError from `error_rate` and
    `fault_rate`, rateLimitExceeded / userRateLimitExceeded from bursts), `rate_limited` (calls
    refused by the quota or the concurrency limit), `peak_concurrent` (most outer requests
    served at once).
    """

    def __init__(self, *, email_address: str = "me@example.org", valid_tokens: set[str] | None = None,
                 quota_units_per_second: float | None = None, quota_window: float = 0.0,
                 latency: float = 0.0, call_latency: float = 0.0, max_concurrent: int | None = None,
                 error_rate: float = 0.0,
                 seed: int = 0, clock: Callable[[], float] = time.time, history_step_max: int = 1,
                 fault_rate: float = 0.0, rate_limit_bursts: Iterable[RateLimitBurst] = (),
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.mailbox = Mailbox(email_address, clock=clock, seed=seed, history_step_max=history_step_max)
        self.valid_tokens: set[str] = valid_tokens if valid_tokens is not None else set()
        self.latency = latency
        self.call_latency = call_latency
        self.max_concurrent = max_concurrent
        self._serving = 0
        self.error_rate = error_rate
        self._rng = random.Random(seed)
        self.fault_rate = fault_rate
        self._fault_rng = random.Random(f"fault-{seed}")  # own stream: error_rate draws stay as before
        self._bursts: tuple[RateLimitBurst, ...] = tuple(rate_limit_bursts)
        self._call_number = 0
        self._lock = threading.Lock()
        self._bucket: TokenBucket | MovingAverageQuota | None = None
        self._quota_window = quota_window
        self.quota_units_per_second = quota_units_per_second
        self._fail_queue: list[int] = []
        self._server = LoopbackServer(self._handle, host, port)
        self.reset_counters()

    # ----- lifecycle ------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def batch_url(self) -> str:
        return self.base_url + "/batch/gmail/v1"

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # ----- knobs and counters ---------------------------------------------------------------
    @property
    def quota_units_per_second(self) -> float | None:
        return self._bucket.rate if self._bucket else None

    @quota_units_per_second.setter
    def quota_units_per_second(self, rate: float | None) -> None:
        with self._lock:
            if not rate:
                self._bucket = None
            elif self._quota_window > 0:
                self._bucket = MovingAverageQuota(rate, self._quota_window)
            else:
                self._bucket = TokenBucket(rate)

    @property
    def quota_window(self) -> float:
        return self._quota_window

    @quota_window.setter
    def quota_window(self, seconds: float) -> None:
        rate = self.quota_units_per_second
        self._quota_window = seconds
        self.quota_units_per_second = rate

    @property
    def history_floor(self) -> int:
        return self.mailbox.history_floor

    @history_floor.setter
    def history_floor(self, value: int) -> None:
        self.mailbox.history_floor = value

    @property
    def rate_limit_bursts(self) -> tuple[RateLimitBurst, ...]:
        return self._bursts

    @rate_limit_bursts.setter
    def rate_limit_bursts(self, bursts: Iterable[RateLimitBurst]) -> None:
        with self._lock:
            self._bursts = tuple(bursts)
            self._call_number = 0

    def fail_next(self, n: int = 1, status: int = 503) -> None:
        """The next `n` outer HTTP requests (a whole batch counts once) get `status`."""
        with self._lock:
            self._fail_queue.extend([status] * n)

    def reset_counters(self) -> None:
        with self._lock:
            self.requests = 0
            self.calls: Counter[str] = Counter()
            self.statuses: Counter[int] = Counter()
            self.units_used = 0
            self.batch_sizes: list[int] = []
            self.faults: Counter[str] = Counter()
            self.rate_limited = 0
            self.peak_concurrent = 0

    # ----- mailbox shortcuts ----------------------------------------------------------------
    def add_message(self, raw: bytes, label_ids: Iterable[str] = ("INBOX", "CATEGORY_PROMOTIONS"),
                    internal_date_ms: int | None = None, thread_id: str | None = None) -> str:
        return self.mailbox.add_message(raw, label_ids, internal_date_ms, thread_id)

    def modify_labels(self, msg_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        self.mailbox.modify_labels(msg_id, add, remove)

    def delete_message(self, msg_id: str) -> None:
        self.mailbox.delete_message(msg_id)

    def expire_history(self) -> None:
        self.mailbox.expire_history()

    @property
    def history_id(self) -> int:
        return self.mailbox.history_id

    # ----- HTTP -----------------------------------------------------------------------------
    def _handle(self, request: HTTPRequest) -> HTTPReply:
        with self._lock:
            self.requests += 1
            forced = self._fail_queue.pop(0) if self._fail_queue else None
            self._serving += 1
            self.peak_concurrent = max(self.peak_concurrent, self._serving)
            crowded = self.max_concurrent is not None and self._serving > self.max_concurrent
            if crowded:
                self.rate_limited += 1
        try:
            if crowded:
                return errors.google_error(429, "Too many concurrent requests for user.",
                                           reason="rateLimitExceeded")
            return self._serve(request, forced)
        finally:
            with self._lock:
                self._serving -= 1

    def _serve(self, request: HTTPRequest, forced: int | None) -> HTTPReply:
        if self.latency:
            time.sleep(self.latency)
        if forced is not None:
            return errors.google_error(forced)
        if request.path in ("/batch/gmail/v1", "/batch"):
            reply, size = handle_batch(request, self._call)
            if size:
                with self._lock:
                    self.batch_sizes.append(size)
            return reply
        return self._call(request)

    def _call(self, request: HTTPRequest) -> HTTPReply:
        """One API call: route, authenticate, charge quota, inject faults, answer."""
        route, match = next(((r, m) for r in _ROUTES if (m := r.pattern.match(request.path))), (None, None))
        if route is None or match is None or request.method != "GET":
            return errors.google_error(404, "Method not found.", reason="notFound")
        if self.call_latency:
            time.sleep(self.call_latency)  # parts of a batch are served one after another
        reply = self._checked_call(route, match, request)
        with self._lock:
            self.calls[route.name] += 1
            self.statuses[reply.status] += 1
        return reply

    def _authorised(self, request: HTTPRequest) -> HTTPReply | None:
        query = request.query
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        token = token or _one(query, "access_token") or _one(query, "oauth_token") or ""
        if not token:
            return errors.login_required()
        if token not in self.valid_tokens:
            return errors.invalid_credentials()
        return None

    def _checked_call(self, route: _Route, match: re.Match[str], request: HTTPRequest) -> HTTPReply:
        denied = self._authorised(request)
        if denied is not None:
            return denied
        user = match.group("user")
        if user != "me" and user.lower() != self.mailbox.email_address.lower():
            return errors.google_error(403, f"Delegation denied for {self.mailbox.email_address}",
                                       reason="forbidden")
        query = request.query
        unknown = sorted(set(query) - route.params - GLOBAL_PARAMS)
        if unknown:
            return errors.bad_request(
                f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot bind query parameter. '
                f"Field '{unknown[0]}' could not be found in request message.", reason="invalid")
        cost = QUOTA_UNITS[route.name]
        with self._lock:
            self._call_number += 1
            burst = next((b for b in self._bursts if b.covers(self._call_number)), None)
            if burst is not None:
                self.faults[_FAULTS[burst.status][0]] += 1
                return fault_reply(burst.status)
            if self._bucket is not None and not self._bucket.take(cost):
                self.rate_limited += 1
                return errors.rate_limited()
            self.units_used += cost
            fault_status = 0
            if self.error_rate > 0 and self._rng.random() < self.error_rate:
                fault_status = self._rng.choice((500, 503))
            elif self.fault_rate > 0 and self._fault_rng.random() < self.fault_rate:
                fault_status = 500
            if fault_status:
                self.faults["backendError"] += 1
        if fault_status == 500:
            return fault_reply(500)
        if fault_status:
            return errors.google_error(fault_status)
        try:
            fields = _one(query, "fields")
            tree = parse_fields(fields) if fields else None
            result = self._run(route.name, match, query)
        except FieldsError as exc:
            return errors.bad_request(str(exc), reason="invalidParameter")
        except GmailError as exc:
            return errors.google_error(exc.code, exc.message, reason=exc.reason or None)
        return HTTPReply.json(200, apply_fields(result, tree), ("Vary", "Origin, X-Origin, Referer"))

    def _run(self, name: str, match: re.Match[str], query: dict[str, list[str]]) -> dict[str, Any]:
        box = self.mailbox
        if name == "getProfile":
            return box.profile()
        if name == "labels.list":
            return box.list_labels()
        if name == "messages.list":
            spam_trash = (_one(query, "includeSpamTrash") or "false").lower()
            if spam_trash not in ("true", "false"):
                raise GmailError(400, f'Invalid value at \'include_spam_trash\' (TYPE_BOOL), "{spam_trash}"',
                                 "invalid")
            return box.list_messages(q=_one(query, "q") or "", label_ids=query.get("labelIds"),
                                     max_results=_int_param(query, "maxResults"),
                                     page_token=_one(query, "pageToken"),
                                     include_spam_trash=spam_trash == "true")
        if name == "messages.get":
            fmt = (_one(query, "format") or "full").lower()
            if fmt not in FORMATS:
                raise GmailError(400, f"Invalid value at 'format' (type.googleapis.com/"
                                 f"google.apps.gmail.v1.GetMessageRequest.Format), \"{fmt}\"", "invalid")
            return box.get_message(match.group("id"), fmt, query.get("metadataHeaders"))
        if name == "attachments.get":
            return box.get_attachment(match.group("mid"), match.group("id"))
        types = query.get("historyTypes")
        for history_type in types or ():
            if history_type not in HISTORY_TYPES:
                raise GmailError(400, f"Invalid value at 'history_types' (type.googleapis.com/"
                                 f"google.apps.gmail.v1.ListHistoryRequest.HistoryType), \"{history_type}\"",
                                 "invalid")
        return box.list_history(start_history_id=_one(query, "startHistoryId"), history_types=types,
                                label_id=_one(query, "labelId"),
                                max_results=_int_param(query, "maxResults"),
                                page_token=_one(query, "pageToken"))
