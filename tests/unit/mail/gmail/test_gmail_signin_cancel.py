"""The sign-in's loopback listener: a cancel frees the port at once; stray requests are ignored.

The real InstalledAppFlow runs against FakeGoogleOAuth; the user is played by FakeBrowser, or
by nobody at all (a sign-in left pending in the browser).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from fakes import FakeBrowser, FakeGoogleOAuth
from guard_inbox.domain.errors import PermanentError
from guard_inbox.mail.gmail.auth import run_connect_flow
from guard_inbox.mail.gmail.client_file import load_client_secrets
from guard_inbox.mail.gmail.loopback import SignInCancelled


class PendingSignIn:
    """run_connect_flow on a thread whose browser never comes back."""

    def __init__(self, oauth: FakeGoogleOAuth, cancel: threading.Event) -> None:
        self.urls: list[str] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(oauth, cancel), daemon=True)
        self.thread.start()

    def _run(self, oauth: FakeGoogleOAuth, cancel: threading.Event) -> None:
        try:
            run_connect_flow(oauth.client_config(), open_browser=False, timeout=60,
                             open_url=self.urls.append, prompt="", cancel=cancel)
        except BaseException as exc:  # handed to the test
            self.error = exc

    def port(self) -> int:
        deadline = time.monotonic() + 15
        while not self.urls and time.monotonic() < deadline:
            time.sleep(0.02)
        redirect = parse_qs(urlsplit(self.urls[0]).query)["redirect_uri"][0]
        port = urlsplit(redirect).port
        assert port is not None
        return port


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def test_cancel_ends_a_pending_sign_in_and_frees_its_port(oauth: FakeGoogleOAuth) -> None:
    cancel = threading.Event()
    pending = PendingSignIn(oauth, cancel)
    port = pending.port()
    assert listening(port)
    started = time.monotonic()
    cancel.set()
    pending.thread.join(5)
    assert not pending.thread.is_alive()
    assert time.monotonic() - started < 1.0
    assert isinstance(pending.error, SignInCancelled)
    assert "cancelled" in str(pending.error)
    assert not listening(port)
    assert oauth.code_exchanges == 0


def test_a_silent_connection_does_not_hold_up_a_cancel(oauth: FakeGoogleOAuth) -> None:
    # Browsers open speculative connections and may send nothing on them.
    cancel = threading.Event()
    pending = PendingSignIn(oauth, cancel)
    port = pending.port()
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        time.sleep(0.3)  # the listener has accepted it and waits for a request line
        started = time.monotonic()
        cancel.set()
        pending.thread.join(5)
        assert time.monotonic() - started < 2.0
    assert isinstance(pending.error, SignInCancelled)
    assert not listening(port)


def test_a_stray_request_before_the_redirect_is_ignored(oauth: FakeGoogleOAuth) -> None:
    browser = FakeBrowser()
    strays: list[int] = []

    def stray_then_sign_in(url: str) -> None:
        redirect = urlsplit(parse_qs(urlsplit(url).query)["redirect_uri"][0])
        conn = http.client.HTTPConnection("127.0.0.1", redirect.port, timeout=5)
        try:
            conn.request("GET", "/favicon.ico")
            strays.append(conn.getresponse().status)
        finally:
            conn.close()
        browser.open(url)

    def open_url(url: str) -> None:  # like a browser: returns at once, visits on its own thread
        threading.Thread(target=stray_then_sign_in, args=(url,), daemon=True).start()

    info: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: info.update(run_connect_flow(
        oauth.client_config(), open_browser=False, timeout=10, open_url=open_url, prompt="")))
    thread.start()
    thread.join(15)
    browser.join(10)
    assert strays == [404]
    assert info["refresh_token"] == oauth.issued_refresh_tokens[-1]
    assert b"Guard Inbox is connected" in browser.visits[0].final.body


def test_a_window_gets_the_complaint_without_the_command_line_help(tmp_path: Path) -> None:
    path = tmp_path / "client.json"
    path.write_text(json.dumps({"web": {"client_id": "x"}}))
    with pytest.raises(PermanentError) as error:
        load_client_secrets(path, how_to="")
    assert str(error.value) == f"The OAuth client file {path} is for a Web application; " \
                               "Guard Inbox needs a Desktop app client."
    with pytest.raises(PermanentError, match="is a folder"):
        load_client_secrets(tmp_path, how_to="")
