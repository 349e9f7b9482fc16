"""A stand-in browser for OAuth tests: GETs the authorization URL without following redirects,
then GETs the `Location` it was sent to (the app's loopback redirect).

Use `visit(url)` directly, or register a `FakeBrowser` with `webbrowser` so that
`InstalledAppFlow.run_local_server(open_browser=True, browser=NAME)` opens it; `open()` runs the
visit on a thread and returns at once, like a real browser.
"""

from __future__ import annotations

import http.client
import threading
import webbrowser
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit


@dataclass
class Hop:
    url: str
    status: int
    location: str | None
    body: bytes


@dataclass
class Visit:
    hops: list[Hop] = field(default_factory=list)

    @property
    def final(self) -> Hop:
        return self.hops[-1]


def _get(url: str, timeout: float) -> Hop:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"the fake browser only speaks plain http: {url}")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request("GET", target, headers={"User-Agent": "FakeBrowser/1.0", "Accept": "text/html"})
        response = conn.getresponse()
        body = response.read()
        return Hop(url, response.status, response.getheader("Location"), body)
    finally:
        conn.close()


def visit(url: str, *, max_redirects: int = 1, timeout: float = 10.0) -> Visit:
    """GETs `url`, then follows up to `max_redirects` redirects by hand (1: just the loopback hop)."""
    result = Visit([_get(url, timeout)])
    while (result.final.status in (301, 302, 303, 307, 308) and result.final.location
           and len(result.hops) <= max_redirects):
        result.hops.append(_get(urljoin(result.final.url, result.final.location), timeout))
    return result


class FakeBrowser(webbrowser.BaseBrowser):
    """`webbrowser.register(name, None, FakeBrowser(), preferred=False)`, then pass `browser=name`."""

    def __init__(self, name: str = "fake-browser", *, timeout: float = 10.0) -> None:
        super().__init__(name)
        self.timeout = timeout
        self.opened: list[str] = []
        self.visits: list[Visit] = []
        self.errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)
        thread = threading.Thread(target=self._run, args=(url,), name="fake-browser", daemon=True)
        self._threads.append(thread)
        thread.start()
        return True

    def _run(self, url: str) -> None:
        try:
            self.visits.append(visit(url, timeout=self.timeout))
        except Exception as exc:  # reported to the test through .errors
            self.errors.append(exc)

    def join(self, timeout: float | None = None) -> None:
        for thread in self._threads:
            thread.join(timeout)
