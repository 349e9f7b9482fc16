"""One Gmail sign-in at a time, on a thread of its own that Cancel and Quit can end at once.

Not the task manager's pool: a sign-in waits for a person in a browser for up to five minutes,
and the pool is what shutdown waits for (a pool thread also outlives its window, and Qt joins
it when the pool is destroyed). This thread is a daemon that the window cancels first at quit;
the cancel closes the loopback listener within a poll, and if the token exchange is in flight
at that moment the process does not wait for it. Results come back on the main thread through
a relay's queued signals, like the task manager's; a cancelled run's late result is dropped.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal, SignalInstance

from guard_inbox.domain.models import Account
from guard_inbox.services.api import AppApi, Changes

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Lives on the main thread; the sign-in thread only emits (queued to the main thread)."""

    url = Signal(str)
    done = Signal(object)  # (Account, Changes): never None (see taskman._Box)
    failed = Signal(object)  # Exception


class GmailSignIn(QObject):
    url_ready = Signal(str)
    succeeded = Signal(object)  # (Account, Changes)
    failed = Signal(object)  # Exception the user should read
    cancelled = Signal()
    running_changed = Signal(bool)

    def __init__(self, api: AppApi, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._api = api
        self._relay: _Relay | None = None
        self._cancel: threading.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._relay is not None

    def start(self, client_file: Path) -> bool:
        """False (and nothing started) while another sign-in runs."""
        if self.running:
            return False
        api, cancel, relay = self._api, threading.Event(), _Relay(self)
        previous = self._thread

        def sign_in() -> None:
            if previous is not None:
                previous.join(5)  # a cancelled one frees the port (and the one-at-a-time lock) first
            try:
                result = api.sign_in_gmail(client_file, show_url=lambda url: _emit(relay.url, url),
                                           cancel=cancel)
            except Exception as exc:  # reported on the main thread, or dropped if cancelled
                _emit(relay.failed, exc)
            else:
                _emit(relay.done, result)

        relay.url.connect(lambda url: self._url(relay, url))
        relay.done.connect(lambda result: self._done(relay, result))
        relay.failed.connect(lambda exc: self._failed(relay, exc))
        self._relay, self._cancel = relay, cancel
        self._thread = threading.Thread(target=sign_in, name="gmail-sign-in", daemon=True)
        self._thread.start()
        self.running_changed.emit(True)
        return True

    def cancel(self) -> None:
        """Stops the wait for the browser (the port is freed within a poll); nothing is added."""
        if self._cancel is None:
            return
        self._cancel.set()
        self._end()
        self.cancelled.emit()

    def stop(self, timeout: float = 1.5) -> bool:
        """At quit: cancel, and give the thread ``timeout`` seconds to close its listener.

        True when it ended. A thread still in the token exchange is a daemon: it does not keep
        the process alive, and its result is dropped.
        """
        thread = self._thread
        self.cancel()
        if thread is None:
            return True
        thread.join(timeout)
        if thread.is_alive():
            log.warning("The Gmail sign-in thread did not end within %.1f s; quitting anyway", timeout)
        return not thread.is_alive()

    def _end(self) -> None:
        self._relay = None
        self._cancel = None
        self.running_changed.emit(False)

    def _url(self, relay: _Relay, url: str) -> None:
        if relay is self._relay:
            self.url_ready.emit(url)

    def _done(self, relay: _Relay, result: tuple[Account, Changes]) -> None:
        relay.deleteLater()  # its thread's last emit: nothing touches it any more
        if relay is self._relay:
            self._end()
            self.succeeded.emit(result)

    def _failed(self, relay: _Relay, exc: Exception) -> None:
        relay.deleteLater()
        if relay is self._relay:
            self._end()
            self.failed.emit(exc)


def _emit(signal: SignalInstance, value: object) -> None:
    """From the sign-in thread; a window already gone (its relay deleted) just drops the value."""
    try:
        signal.emit(value)
    except RuntimeError:
        log.debug("Gmail sign-in result dropped: the window has closed")
