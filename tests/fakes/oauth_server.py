"""FakeGoogleOAuth: Google's OAuth 2.0 endpoints for installed (desktop) apps, on loopback.

- `GET /o/oauth2/auth` (also `/o/oauth2/v2/auth`): the consent screen, answered at once with a
  302 to the loopback `redirect_uri` carrying `state`, `code`, `scope` (or `error=access_denied`
  when `deny` is set). Bad client, redirect URI, scope or PKCE parameters get Google's error page.
- `POST /token` (also `/o/oauth2/token`): `authorization_code` (PKCE S256/plain checked) and
  `refresh_token` grants; client credentials in the body or as HTTP Basic auth.
- `POST /revoke?token=…`: revokes a grant by its refresh or access token.

Issued access tokens are added to `valid_tokens` (pass `FakeGmail.valid_tokens` to share it) and
reported to `on_access_token`; revoking or `expire_access_tokens()` removes them again.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

from ._http import HTTPReply, HTTPRequest, LoopbackServer

CODE_LIFETIME_S = 600
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_SCOPE = re.compile(r"(https://www\.googleapis\.com/auth/[\w.\-/]+|https://mail\.google\.com/|openid|email|profile)")


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scopes: list[str]
    challenge: str | None
    method: str | None
    issued: float


@dataclass
class _Grant:
    client_id: str
    scopes: list[str]
    access_tokens: set[str] = field(default_factory=set)
    revoked: bool = False


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def _token_error(status: int, error: str, description: str) -> HTTPReply:
    return HTTPReply.json(status, {"error": error, "error_description": description},
                          ("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate"),
                          ("Pragma", "no-cache"))


def _error_page(status: int, error: str, detail: str) -> HTTPReply:
    body = (f"<!doctype html><html><head><title>Error {status} ({error})</title></head><body>"
            f"<h1>Access blocked: authorization error</h1><p>Error {status}: {html.escape(error)}</p>"
            f"<p>{html.escape(detail)}</p></body></html>")
    return HTTPReply(status, body.encode(), [("Content-Type", "text/html; charset=utf-8")])


def _valid_loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    try:
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme == "http" and host in _LOOPBACK_HOSTS and not parts.query and not parts.fragment


class FakeGoogleOAuth:
    """Constructor: `client_id`, `client_secret`, `valid_tokens` (set to add access tokens to),
    `on_access_token` (callback), `expires_in`, `require_pkce`.

    Knobs: `deny` (consent refused), `granted_scopes` (None = grant what was asked).
    Records: `auth_requests` (query dicts), `pkce_verified` (successful verifier checks),
    `token_requests` (every POST /token), `code_exchanges`, `refresh_requests`,
    `issued_access_tokens`, `issued_refresh_tokens`.
    """

    def __init__(self, *, client_id: str = "1234567890-fake.apps.googleusercontent.com",
                 client_secret: str = "GOCSPX-fake-secret", valid_tokens: set[str] | None = None,
                 on_access_token: Callable[[str], None] | None = None, expires_in: int = 3599,
                 require_pkce: bool = True, host: str = "127.0.0.1", port: int = 0) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.valid_tokens: set[str] = valid_tokens if valid_tokens is not None else set()
        self.on_access_token = on_access_token
        self.expires_in = expires_in
        self.require_pkce = require_pkce
        self.deny = False
        self.granted_scopes: list[str] | None = None
        self.next_codes: list[str] = []  # authorization codes to hand out before random ones
        self.auth_requests: list[dict[str, str]] = []
        self.pkce_verified = 0
        self.token_requests = 0
        self.code_exchanges = 0
        self.refresh_requests = 0
        self.issued_access_tokens: list[str] = []
        self.issued_refresh_tokens: list[str] = []
        self._codes: dict[str, _Code] = {}
        self._grants: dict[str, _Grant] = {}  # refresh token -> grant
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._handle, host, port)

    # ----- lifecycle ------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def auth_uri(self) -> str:
        return self.base_url + "/o/oauth2/auth"

    @property
    def token_uri(self) -> str:
        return self.base_url + "/token"

    @property
    def revoke_uri(self) -> str:
        return self.base_url + "/revoke"

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

    def client_config(self) -> dict[str, Any]:
        """A client_secret.json ("installed" app) whose endpoints are this fake."""
        return {"installed": {
            "client_id": self.client_id, "project_id": "guard-inbox-fake", "auth_uri": self.auth_uri,
            "token_uri": self.token_uri, "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_secret": self.client_secret, "redirect_uris": ["http://localhost"]}}

    # ----- test helpers ---------------------------------------------------------------------
    def revoke(self, token: str) -> bool:
        """Revokes the grant holding this refresh or access token; its access tokens stop working."""
        with self._lock:
            grant = self._grants.get(token) or next(
                (g for g in self._grants.values() if token in g.access_tokens), None)
            if grant is None:
                return False
            grant.revoked = True
            self.valid_tokens.difference_update(grant.access_tokens)
            return True

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working (as after its hour is up)."""
        with self._lock:
            self.valid_tokens.difference_update(self.issued_access_tokens)

    # ----- HTTP -----------------------------------------------------------------------------
    def _handle(self, request: HTTPRequest) -> HTTPReply:
        if request.method == "GET" and request.path in ("/o/oauth2/auth", "/o/oauth2/v2/auth"):
            return self._authorize({k: v[-1] for k, v in request.query.items()})
        if request.method == "POST" and request.path in ("/token", "/o/oauth2/token"):
            return self._token(request)
        if request.method == "POST" and request.path in ("/revoke", "/o/oauth2/revoke"):
            form = {**{k: v[-1] for k, v in request.query.items()}, **self._form(request)}
            if self.revoke(form.get("token", "")):
                return HTTPReply.json(200, {})
            return _token_error(400, "invalid_token", "Token expired or revoked")
        return HTTPReply(404, b"Not Found", [("Content-Type", "text/html; charset=utf-8")])

    def _authorize(self, params: dict[str, str]) -> HTTPReply:
        with self._lock:
            self.auth_requests.append(dict(params))
        if params.get("client_id") != self.client_id:
            return _error_page(401, "invalid_client", "The OAuth client was not found.")
        redirect_uri = params.get("redirect_uri", "")
        if not _valid_loopback(redirect_uri):
            return _error_page(400, "redirect_uri_mismatch",
                               f"redirect_uri={redirect_uri} is not a loopback http URI")
        scopes = params.get("scope", "").split()
        if not scopes:
            return _error_page(400, "invalid_request", "Missing required parameter: scope")
        bad = [s for s in scopes if not _SCOPE.fullmatch(s)]
        if bad:
            return _error_page(400, "invalid_scope", f"Some requested scopes were invalid: {bad}")
        challenge, method = params.get("code_challenge"), params.get("code_challenge_method")
        if challenge is not None and (method or "plain") not in ("S256", "plain"):
            return _error_page(400, "invalid_request", f"Invalid code_challenge_method: {method}")
        if challenge is None and self.require_pkce:
            return _error_page(400, "invalid_request", "Missing required parameter: code_challenge")
        state = params.get("state")
        if params.get("response_type") != "code":
            return self._redirect(redirect_uri, state, error="unsupported_response_type")
        if self.deny:
            return self._redirect(redirect_uri, state, error="access_denied")
        granted = [s for s in scopes if self.granted_scopes is None or s in self.granted_scopes]
        code = self.next_codes.pop(0) if self.next_codes else "4/0Afake" + secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(self.client_id, redirect_uri, granted, challenge,
                                      (method or "plain") if challenge else None, time.time())
        return self._redirect(redirect_uri, state, code=code, scope=" ".join(granted),
                              authuser="0", prompt="consent")

    @staticmethod
    def _redirect(redirect_uri: str, state: str | None, **params: str) -> HTTPReply:
        query = {**({"state": state} if state is not None else {}), **params}
        location = redirect_uri + "?" + urlencode(query, safe=":/")
        return HTTPReply(302, b"", [("Location", location), ("Content-Type", "text/html; charset=UTF-8")])

    @staticmethod
    def _form(request: HTTPRequest) -> dict[str, str]:
        parsed = parse_qs(request.body.decode("utf-8", errors="replace"), keep_blank_values=True)
        return {k: v[-1] for k, v in parsed.items()}

    def _client_ok(self, request: HTTPRequest, form: dict[str, str]) -> bool:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(encoded).decode().partition(":")
            except ValueError:
                return False
            client_id, secret = user, password
        return client_id == self.client_id and secret == self.client_secret

    def _token(self, request: HTTPRequest) -> HTTPReply:
        with self._lock:
            self.token_requests += 1
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _token_error(400, "invalid_request", "Invalid content type")
        form = self._form(request)
        grant_type = form.get("grant_type", "")
        if grant_type == "refresh_token":
            with self._lock:
                self.refresh_requests += 1
        if not self._client_ok(request, form):
            return _token_error(401, "invalid_client", "Unauthorized")
        if grant_type == "authorization_code":
            return self._exchange_code(form)
        if grant_type == "refresh_token":
            return self._refresh(form)
        return _token_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _issue(self, grant: _Grant, scopes: list[str], refresh_token: str | None) -> HTTPReply:
        access = "ya29.fake-" + secrets.token_urlsafe(32)
        grant.access_tokens.add(access)
        self.issued_access_tokens.append(access)
        self.valid_tokens.add(access)
        body: dict[str, Any] = {"access_token": access, "expires_in": self.expires_in}
        if refresh_token is not None:
            body["refresh_token"] = refresh_token
        body |= {"scope": " ".join(scopes), "token_type": "Bearer"}
        if self.on_access_token is not None:
            self.on_access_token(access)
        return HTTPReply.json(200, body, ("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate"),
                              ("Pragma", "no-cache"))

    def _exchange_code(self, form: dict[str, str]) -> HTTPReply:
        with self._lock:
            code = self._codes.pop(form.get("code", ""), None)  # one use only
            if code is None or time.time() - code.issued > CODE_LIFETIME_S:
                return _token_error(400, "invalid_grant", "Malformed auth code.")
            if form.get("redirect_uri") != code.redirect_uri:
                return _token_error(400, "redirect_uri_mismatch", "Bad Request")
            if code.challenge is not None:
                verifier = form.get("code_verifier")
                if not verifier:
                    return _token_error(400, "invalid_grant", "Missing code verifier.")
                expected = _s256(verifier) if code.method == "S256" else verifier
                if not _VERIFIER.fullmatch(verifier) or expected != code.challenge:
                    return _token_error(400, "invalid_grant", "Invalid code verifier.")
                self.pkce_verified += 1
            self.code_exchanges += 1
            refresh = "1//fake-" + secrets.token_urlsafe(32)
            grant = _Grant(code.client_id, code.scopes)
            self._grants[refresh] = grant
            self.issued_refresh_tokens.append(refresh)
            return self._issue(grant, code.scopes, refresh)

    def _refresh(self, form: dict[str, str]) -> HTTPReply:
        with self._lock:
            grant = self._grants.get(form.get("refresh_token", ""))
            if grant is None or grant.revoked:
                return _token_error(400, "invalid_grant", "Token has been expired or revoked.")
            asked = form.get("scope", "").split()
            if any(s not in grant.scopes for s in asked):
                return _token_error(400, "invalid_scope",
                                    "Some requested scopes were invalid. {invalid=" + " ".join(asked) + "}")
            return self._issue(grant, asked or grant.scopes, None)
