"""httplib2 connections as Guard Inbox needs them: proxies that work, and requests counted.

httplib2 is what googleapiclient and google-auth-httplib2 speak. Two of its defaults hurt:
with HTTP(S)_PROXY set and no PySocks installed it fails every request (ignoring NO_PROXY),
and nothing counts how many requests a scan cost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httplib2

_log = logging.getLogger(__name__)


def proxy_info(method: str) -> Any:
    """httplib2's proxy settings from the environment, unless it cannot use them.

    Without PySocks, httplib2 refuses every request when a proxy is configured; connecting
    directly is then the only thing that can work.
    """
    info = httplib2.proxy_info_from_environment(method)
    if info is not None and getattr(httplib2, "socks", None) is None:
        _log.info("Ignoring the %s proxy setting: httplib2 needs PySocks to use it", method)
        return None
    return info


def new_http(timeout: float) -> Any:
    """A plain httplib2.Http with our proxy handling."""
    return httplib2.Http(timeout=timeout, proxy_info=proxy_info)


class CountingHttp(httplib2.Http):  # type: ignore[misc]  # httplib2 ships no type hints
    """httplib2.Http that reports each request sent to URLs under ``prefix``."""

    def __init__(self, on_request: Callable[[], None], prefix: str, timeout: float) -> None:
        super().__init__(timeout=timeout, proxy_info=proxy_info)
        # googleapiclient does this too: a 308 from Gmail is "resume incomplete", not a redirect.
        self.redirect_codes = frozenset(httplib2.REDIRECT_CODES) - {308}
        self._on_request = on_request
        self._prefix = prefix

    def request(self, uri: str, *args: Any, **kwargs: Any) -> Any:
        if uri.startswith(self._prefix):
            self._on_request()
        return super().request(uri, *args, **kwargs)
