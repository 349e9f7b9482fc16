"""An OAuth 2.0 token introspection endpoint (RFC 7662) for Dovecot's oauth2 passdb (stdlib only).

Dovecot POSTs ``token=...``; the answer says whether the token is active and whose it is. The
valid tokens are a set shared with FakeGoogleOAuth, so tokens that server issues or revokes are
the ones that log in or stop logging in.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self
from urllib.parse import parse_qs

from ._http import HTTPReply, HTTPRequest, LoopbackServer


class FakeIntrospection:
    def __init__(self, valid_tokens: set[str], username: str) -> None:
        self.valid_tokens = valid_tokens
        self.username = username
        self.requests = 0
        self._server = LoopbackServer(self._handle)

    @property
    def url(self) -> str:
        return self._server.base_url + "/introspect"

    def __enter__(self) -> Self:
        self._server.start()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.stop()

    def _handle(self, request: HTTPRequest) -> HTTPReply:
        self.requests += 1
        if request.method != "POST" or request.path != "/introspect":
            return HTTPReply.json(404, {"error": "not_found"})
        form = parse_qs(request.body.decode("utf-8", errors="replace"))
        token = (form.get("token") or [""])[-1]
        if token in self.valid_tokens:
            return HTTPReply.json(200, {"active": "true", "username": self.username})
        return HTTPReply.json(200, {"active": "false"})
