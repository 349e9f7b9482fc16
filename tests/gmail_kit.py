"""Shared by the Gmail end-to-end tests and the Gmail benchmark: a promotion the fake Gmail
serves, and a real sign-in (our connect flow) against the fake OAuth server."""

from __future__ import annotations

from typing import Any

from fakes import FakeBrowser, FakeGoogleOAuth
from guard_inbox.mail.gmail.auth import run_connect_flow


def trail_code(i: int) -> str:
    return f"TRAIL{i:04d}"


def trail_promo(i: int, address: str) -> bytes:
    """One plain-text promotion to ``address`` carrying ``trail_code(i)``."""
    return (
        f"From: Trail Gear <deals@trailgear.example>\r\nTo: {address}\r\n"
        f"Subject: Weekend offer {i}\r\nMessage-ID: <offer-{i}@trailgear.example>\r\n"
        "Date: Mon, 02 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Take 15% off tents. Use code {trail_code(i)} at checkout.\r\n"
    ).encode()


def sign_in(oauth: FakeGoogleOAuth) -> dict[str, Any]:
    """The authorized-user info our connect flow gets, the browser played by FakeBrowser."""
    browser = FakeBrowser()
    try:
        return run_connect_flow(oauth.client_config(), open_browser=False, timeout=10,
                                open_url=browser.open, prompt="")
    finally:
        browser.join(10)
