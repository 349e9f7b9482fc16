"""The one way from worker threads to the UI: events become Qt signals on the main thread.

Listeners run on worker threads, so they only store the latest event per job
under a lock; a 100 ms timer on the main thread emits them. Bursts coalesce to
at most 10 updates per second per job.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QTimer, Signal

from guard_inbox.domain.models import JobEvent
from guard_inbox.jobs.events import EventBus, RemoteEvents

log = logging.getLogger(__name__)

FLUSH_MS = 100


class EventBridge(QObject):
    job_changed = Signal(object)  # JobEvent

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bus = bus
        self._lock = threading.Lock()
        self._latest: dict[int, JobEvent] = {}
        self._stop = threading.Event()
        self._remote_thread: threading.Thread | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self._flush)
        self._timer.start()
        bus.add_listener(self.offer)

    def offer(self, event: JobEvent) -> None:
        """Called from any thread; cheap on purpose."""
        with self._lock:
            self._latest[event.job_id] = event

    def follow_remote(self, remote: RemoteEvents) -> None:
        """Read other processes' events on a background thread (external workers)."""

        def pump() -> None:
            while not self._stop.is_set():
                try:
                    for event in remote.events(timeout=0.5):
                        self.offer(event)
                except Exception as exc:  # Redis away: keep trying, quietly
                    log.debug("Remote events paused: %s", exc)
                    self._stop.wait(1.0)
            remote.close()

        self._remote_thread = threading.Thread(target=pump, name="remote-events", daemon=True)
        self._remote_thread.start()

    def _flush(self) -> None:
        with self._lock:
            events, self._latest = list(self._latest.values()), {}
        for event in events:
            self.job_changed.emit(event)

    def close(self) -> None:
        self._stop.set()
        self._timer.stop()
        self._bus.remove_listener(self.offer)
