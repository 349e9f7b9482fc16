"""The loopback listener that receives Google's redirect at the end of a desktop sign-in.

google-auth-oauthlib's ``run_local_server`` waits in one ``handle_request()`` for up to its
whole timeout and offers no way to stop it: a window whose user pressed Cancel, or quit, had a
thread (and an open port on 127.0.0.1) left for minutes. Here the wait is a loop of short
polls that checks a ``threading.Event`` between them, so a cancel closes the port within
``POLL_SECONDS``. It also receives the redirect URL unaltered (the library rewrote every
"http" in it, authorization code included) and ignores stray requests such as a favicon.
"""

from __future__ import annotations

import html
import socket
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.util import request_uri

from guard_inbox.domain.errors import KnownError

POLL_SECONDS = 0.1
# A browser sends its request line as soon as it connects; a socket that stays silent this
# long (a speculative pre-connect) is dropped rather than holding up a cancel.
_READ_TIMEOUT_SECONDS = 1.0
_REPLY_KEYS = frozenset({"code", "error", "state"})

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class SignInCancelled(KnownError):
    """The user cancelled the sign-in (or quit) before Google's redirect arrived."""


class _Handler(WSGIRequestHandler):
    timeout = _READ_TIMEOUT_SECONDS

    def log_message(self, format: str, *args: Any) -> None:
        """The request line carries the authorization code: never on stderr."""


class _ExclusiveServer(WSGIServer):
    """No SO_REUSEADDR, and SO_EXCLUSIVEADDRUSE where it exists (Windows), as the library does:
    another program must not be able to bind our port and catch the authorization code."""

    allow_reuse_address = False

    def server_bind(self) -> None:
        exclusive = getattr(socket, "SO_EXCLUSIVEADDRUSE", None)
        if exclusive is not None:
            self.socket.setsockopt(socket.SOL_SOCKET, exclusive, 1)
        super().server_bind()


class LoopbackRedirect:
    """Listens on 127.0.0.1 (a free port) until the redirect arrives, the deadline passes or a
    cancel is asked for; closing it frees the port."""

    def __init__(self, success_message: str, host: str = "127.0.0.1") -> None:
        self._success = success_message
        self._received: str | None = None
        self._server = make_server(host, 0, self._app, server_class=_ExclusiveServer,
                                   handler_class=_Handler)
        self.redirect_uri = f"http://{host}:{self._server.server_port}/"

    def wait(self, timeout: float, cancel: threading.Event | None = None) -> str:
        """The redirect URL as the browser sent it; SignInCancelled or a KnownError on timeout."""
        deadline = time.monotonic() + timeout
        while self._received is None:
            if cancel is not None and cancel.is_set():
                raise SignInCancelled("Google sign-in was cancelled; nothing was connected.")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KnownError(
                    f"Google sign-in was not completed within {timeout:g} seconds; try again."
                )
            self._server.timeout = min(POLL_SECONDS, remaining)
            self._server.handle_request()
        return self._received

    def close(self) -> None:
        self._server.server_close()

    def __enter__(self) -> LoopbackRedirect:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if self._received is not None or not _REPLY_KEYS & query.keys():
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Not found"]
        self._received = request_uri(environ)
        text = self._success if "code" in query else (
            "Google sign-in was cancelled or refused; nothing was connected. "
            "You can close this tab and try again from Guard Inbox."
        )
        page = (f"<!doctype html><html><head><meta charset=utf-8><title>Guard Inbox</title></head>"
                f"<body style='font-family:sans-serif;margin:3em'><p>{html.escape(text)}</p>"
                "</body></html>")
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [page.encode()]
