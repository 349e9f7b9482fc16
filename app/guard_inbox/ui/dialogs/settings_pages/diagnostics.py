"""Diagnostics: the version, and the job queue's counts, workers and recent failures with Retry
(the main window's Queue tab before: plumbing a user rarely needs, so it lives here now)."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from guard_inbox.services.api import Changes
from guard_inbox.ui.dialogs.settings_pages.services import PageServices, while_alive
from guard_inbox.ui.views.queue_panel import QueuePanel

REFRESH_MS = 2000


class DiagnosticsPage(QWidget):
    """Refreshes every 2 seconds while shown, never while hidden."""

    def __init__(self, services: PageServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from guard_inbox import __version__

        self.services = services
        self.queue = QueuePanel(self)
        self.queue.retry_requested.connect(self.retry)
        self.queue.refresh_requested.connect(self.refresh)
        self.version = QLabel(f"Guard Inbox {__version__}", self)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.addWidget(self.version)
        layout.addWidget(self.queue, 1)

    def refresh(self) -> None:
        api = self.services.api
        self.services.tasks.run(lambda: (api.queue_stats(), api.broker().display),
                                while_alive(self, lambda result: self.queue.show_stats(*result)),
                                self.services.report)

    def retry(self, job_id: int) -> None:
        api = self.services.api

        def retried(changes: Changes) -> None:
            self.services.publish(changes)
            self.refresh()

        self.services.tasks.run(lambda: api.retry(job_id), while_alive(self, retried),
                                self.services.report)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()
        self.timer.start(REFRESH_MS)

    def hideEvent(self, event: QHideEvent) -> None:
        self.timer.stop()
        super().hideEvent(event)
