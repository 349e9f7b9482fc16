"""What Gmail's refusals mean for a scan: retry later, skip one message, or stop and tell the user.

Decisions are made from the HTTP status and Google's machine-readable reasons (``errors[].reason``,
``status``, ``details[].reason``), never from the English message; the sentences built here are the
ones a user sees.
"""

from __future__ import annotations

import http.client
import json

import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import BatchError, HttpError

from guard_inbox.domain.errors import KnownError, PermanentError, ReconnectNeeded
from guard_inbox.mail.gmail.auth import RECONNECT_MESSAGE

RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"})
_SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})
_DISABLED_REASONS = frozenset({"accessNotConfigured", "SERVICE_DISABLED"})
# What a server that is down, unreachable or too slow raises instead of an HttpError.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # ConnectionRefusedError, TimeoutError (socket timeout), BrokenPipeError, ssl errors
    http.client.HTTPException,
    httplib2.HttpLib2Error,  # ServerNotFoundError and friends
    auth_exceptions.TransportError,  # the token endpoint unreachable during a refresh
    BatchError,  # a batch answer that is not multipart: a proxy or load balancer error page
)


class HistoryExpired(Exception):
    """The stored startHistoryId is too old (404); only a full listing can catch up."""


class MessageUnavailable(Exception):
    """One message Gmail would not give; ``str()`` says why in words a user can read."""


def account_error(exc: HttpError) -> KnownError:
    """The error of a refused request that concerns the whole account, in words a user can act on."""
    status = exc.resp.status if exc.resp is not None else 0
    reasons = reasons_of(exc)
    if status == 401:
        # google-auth already refreshed once and retried: the grant itself is refused.
        return ReconnectNeeded(RECONNECT_MESSAGE)
    if reasons & _DISABLED_REASONS:
        return PermanentError(
            "The Gmail API is not enabled for the Google Cloud project of Guard Inbox's OAuth "
            "client. Enable it in the Google Cloud console (APIs & Services > Library > Gmail API)."
        )
    if status == 403 and reasons & _SCOPE_REASONS:
        return ReconnectNeeded(
            "Gmail account needs to be reconnected: its authorisation does not allow reading "
            "mail. Reconnect it and allow \"View your email messages and settings\"."
        )
    detail = ", ".join(sorted(reasons)) or exc.reason or "no reason given"
    return PermanentError(f"Gmail refused the request (HTTP {status}: {detail}).")


def unavailable(exc: HttpError) -> MessageUnavailable:
    status = exc.resp.status if exc.resp is not None else 0
    if status == 404:
        error = MessageUnavailable("This message is no longer in the mailbox (deleted since it was listed).")
    else:
        reasons = ", ".join(sorted(reasons_of(exc))) or http.client.responses.get(status, "")
        error = MessageUnavailable(f"Gmail would not give this message (HTTP {status} {reasons}).")
    error.__cause__ = exc
    return error


def reasons_of(exc: HttpError) -> set[str]:
    """Google's machine-readable reasons (errors[].reason, status, details[].reason) of an error."""
    try:
        content = exc.content.decode("utf-8", "replace") if isinstance(exc.content, bytes) else ""
        error = json.loads(content).get("error", {})
    except (ValueError, AttributeError):
        return set()
    if not isinstance(error, dict):
        return set()
    found = {str(e["reason"]) for e in error.get("errors", ()) if isinstance(e, dict) and e.get("reason")}
    found |= {str(d["reason"]) for d in error.get("details", ()) if isinstance(d, dict) and d.get("reason")}
    if isinstance(error.get("status"), str) and error["status"]:
        found.add(error["status"])
    return found


def retryable(exc: HttpError) -> bool:
    status = exc.resp.status if exc.resp is not None and hasattr(exc.resp, "status") else 0
    if status == 429 or status >= 500:
        return True
    return status == 403 and bool(reasons_of(exc) & RATE_REASONS)


def concerns_account(exc: HttpError) -> bool:
    """Errors of one message (404, 400) stay with that message; these stop the whole scan."""
    status = exc.resp.status if exc.resp is not None else 0
    return status in (401, 403)


def retry_after(failure: BaseException | None) -> float | None:
    if not isinstance(failure, HttpError) or failure.resp is None:
        return None
    try:
        return float(failure.resp.get("retry-after", ""))
    except (TypeError, ValueError):
        return None


def describe(failure: BaseException | None) -> str:
    """A short cause for a log line or a user message; never a URL with a query, never a token."""
    if isinstance(failure, BatchError):
        return "an unreadable batch answer"
    if isinstance(failure, HttpError):
        status = failure.resp.status if failure.resp is not None else 0
        rate = ", ".join(sorted(reasons_of(failure) & RATE_REASONS))
        return f"HTTP {status} {rate or http.client.responses.get(status, '')}".strip()
    if isinstance(failure, ConnectionRefusedError):
        return "connection refused"
    if isinstance(failure, TimeoutError):
        return "timed out"
    if isinstance(failure, httplib2.ServerNotFoundError):
        return "server not found"
    if isinstance(failure, OSError):
        return failure.strerror or type(failure).__name__
    if failure is None:
        return "no answer"
    return type(failure).__name__
