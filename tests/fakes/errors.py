"""Google API error bodies, shaped as the Gmail API returns them (JSON error envelope)."""

from __future__ import annotations

from ._http import HTTPReply

_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
           429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}

_DEFAULTS: dict[int, tuple[str, str, str]] = {  # status -> message, domain, reason
    400: ("Bad Request", "global", "badRequest"),
    401: ("Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
          "or other valid authentication credential. See "
          "https://developers.google.com/identity/sign-in/web/devconsole-project.",
          "global", "authError"),
    403: ("Forbidden", "global", "forbidden"),
    404: ("Requested entity was not found.", "global", "notFound"),
    429: ("Too many requests", "usageLimits", "rateLimitExceeded"),
    500: ("Backend Error", "global", "backendError"),
    503: ("The service is currently unavailable.", "global", "backendError"),
}


def google_error(code: int, message: str | None = None, *, reason: str | None = None,
                 domain: str | None = None, item_message: str | None = None,
                 location: tuple[str, str] | None = None) -> HTTPReply:
    """The `{"error": {code, message, errors: [...], status}}` envelope with the right headers."""
    default_message, default_domain, default_reason = _DEFAULTS.get(code, ("Error", "global", "unknown"))
    message = message or default_message
    item: dict[str, str] = {"message": item_message or message, "domain": domain or default_domain,
                            "reason": reason or default_reason}
    if location is not None:
        item["location"], item["locationType"] = location
    body = {"error": {"code": code, "message": message, "errors": [item],
                      "status": _STATUS.get(code, "UNKNOWN")}}
    extra: list[tuple[str, str]] = [("Vary", "Origin, X-Origin, Referer")]
    if code == 401:
        extra.append(("WWW-Authenticate",
                      'Bearer realm="https://accounts.google.com/", error="invalid_token"'))
    return HTTPReply.json(code, body, *extra)


def invalid_credentials() -> HTTPReply:
    return google_error(401, item_message="Invalid Credentials", location=("Authorization", "header"))


def login_required() -> HTTPReply:
    return google_error(
        401, "Request is missing required authentication credential. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        reason="required", item_message="Login Required.", location=("Authorization", "header"))


def not_found() -> HTTPReply:
    return google_error(404)


def bad_request(message: str, reason: str = "invalidArgument") -> HTTPReply:
    return google_error(400, message, reason=reason)


def rate_limited() -> HTTPReply:
    return google_error(429)
