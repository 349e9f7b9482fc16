"""Run blocking work off the main thread and hand the result back on it (Anki's QueryOp)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class _Box:
    """Carries a result across threads as an ordinary object.

    PySide6 6.12.0 over-released singletons passed through signals on Python 3.11 (they are
    not immortal there) and aborted the app with "deallocating None"; we pin PySide6 below
    6.12, and boxing keeps None, True and False out of signal arguments altogether.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Relay(QObject):
    done = Signal(object)  # _Box
    failed = Signal(object)  # Exception


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn = fn
        self.relay = relay

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # reported on the main thread, never lost
            self.relay.failed.emit(exc)
        else:
            self.relay.done.emit(_Box(result))


class TaskManager(QObject):
    """Keeps relays alive until their result arrives; callbacks run on the main thread."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(4)
        self._relays: set[_Relay] = set()

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        relay = _Relay(self)
        self._relays.add(relay)

        def finish_ok(box: _Box) -> None:
            self._relays.discard(relay)
            if on_done is not None:
                on_done(box.value)

        def finish_err(exc: Exception) -> None:
            self._relays.discard(relay)
            if on_error is not None:
                on_error(exc)
            else:
                log.error("Background task failed", exc_info=exc)

        relay.done.connect(finish_ok)
        relay.failed.connect(finish_err)
        self.pool.start(_Job(fn, relay))

    def wait(self, msecs: int = 30000) -> bool:
        return bool(self.pool.waitForDone(msecs))
