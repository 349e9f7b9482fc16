"""The one way from worker threads to the UI: events become Qt signals on the main thread.

Listeners run on worker threads, so they only store the latest event per job under a lock.
The first event after a quiet spell wakes the main thread (a queued signal), which emits
everything pending 100 ms later: bursts coalesce to at most 10 updates per second per job, and
an idle app -- a tray icon all day -- has no timer waking it at all (as qutebrowser's
misc/throttle.py does).
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from guard_inbox.domain.models import JobEvent
from guard_inbox.services.api import EventSource

log = logging.getLogger(__name__)

FLUSH_MS = 100


class EventBridge(QObject):
    job_changed = Signal(object)  # JobEvent
    _wake = Signal()  # emitted from any thread; delivered on the main thread

    def __init__(self, bus: EventSource, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bus = bus
        self._lock = threading.Lock()
        self._latest: dict[int, JobEvent] = {}
        self._stop = threading.Event()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self._flush)
        self._wake.connect(self._arm, Qt.ConnectionType.QueuedConnection)
        bus.add_listener(self.offer)

    @property
    def waiting(self) -> bool:
        """Whether a flush is scheduled (False whenever nothing is pending)."""
        return self._timer.isActive()

    def offer(self, event: JobEvent) -> None:
        """Called from any thread; cheap on purpose."""
        with self._lock:
            first = not self._latest
            self._latest[event.job_id] = event
        if first:
            self._wake.emit()

    def _arm(self) -> None:
        if not self._stop.is_set() and not self._timer.isActive():
            self._timer.start()

    def _flush(self) -> None:
        with self._lock:
            events, self._latest = list(self._latest.values()), {}
        for event in events:
            self.job_changed.emit(event)

    def close(self) -> None:
        self._stop.set()
        self._timer.stop()
        self._bus.remove_listener(self.offer)
