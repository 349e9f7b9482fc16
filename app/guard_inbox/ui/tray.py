"""Tray icon: background scans on a schedule, notifications, and the app living on when closed."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from guard_inbox.ui.icons import icon

log = logging.getLogger(__name__)


class Tray(QObject):
    """Menu: Scan now / Open Guard Inbox / Pause background scans / Quit.

    The schedule lives here (a QTimer on the main thread that only *asks*
    for background scans); the scans themselves are queued off the thread.
    """

    scan_requested = Signal()
    open_requested = Signal()
    quit_requested = Signal()
    background_scan_due = Signal()
    message_clicked = Signal(str)  # the kind given to the notification the user clicked
    schedule_changed = Signal()  # interval, pause or the next due time moved: ask next_scan()

    def __init__(self, interval_minutes: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.icon = QSystemTrayIcon(icon("guard-inbox"), self)
        self.icon.setToolTip("Guard Inbox")
        self.menu = QMenu(parent)
        self.scan_action = QAction("Scan now", self.menu)
        self.open_action = QAction("Open Guard Inbox", self.menu)
        self.pause_action = QAction("Pause background scans", self.menu)
        self.pause_action.setCheckable(True)
        self.quit_action = QAction("Quit", self.menu)
        for action in (self.scan_action, self.open_action, self.pause_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.icon.setContextMenu(self.menu)
        self.scan_action.triggered.connect(self.scan_requested.emit)
        self.open_action.triggered.connect(self.open_requested.emit)
        self.quit_action.triggered.connect(self.quit_requested.emit)
        self.pause_action.toggled.connect(self._paused)
        self.icon.activated.connect(self._activated)
        self._last_kind = ""
        self.icon.messageClicked.connect(lambda: self.message_clicked.emit(self._last_kind))
        self.timer = QTimer(self)
        self.interval_minutes = 0
        self.timer.timeout.connect(self._due)
        self.set_interval(interval_minutes)
        if self.available:
            self.icon.show()

    def set_interval(self, minutes: int) -> None:
        self.timer.stop()
        self.interval_minutes = minutes
        if minutes > 0:
            self.timer.setInterval(minutes * 60_000)
            if not self.pause_action.isChecked():
                self.timer.start()
        self.schedule_changed.emit()

    @property
    def paused(self) -> bool:
        return self.pause_action.isChecked()

    def set_paused(self, paused: bool) -> None:
        self.pause_action.setChecked(paused)

    def next_scan(self) -> datetime | None:
        """When the next background scan is due (local time); None when off or paused."""
        if not self.timer.isActive():
            return None
        return datetime.now().astimezone() + timedelta(milliseconds=self.timer.remainingTime())

    def _paused(self, paused: bool) -> None:
        if paused:
            self.timer.stop()
            log.info("Background scans paused")
        elif self.interval_minutes > 0:
            self.timer.start()
            log.info("Background scans resumed")
        self.schedule_changed.emit()

    def _due(self) -> None:
        if not self.pause_action.isChecked():
            self.background_scan_due.emit()
        self.schedule_changed.emit()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self.open_requested.emit()

    def notify(self, title: str, message: str, kind: str = "") -> None:
        """``kind`` comes back with ``message_clicked`` ("expiring": open that list)."""
        self._last_kind = kind
        if self.available and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, message, icon("guard-inbox"), 8000)
        else:
            log.info("Notification: %s — %s", title, message)

    def hide(self) -> None:
        self.timer.stop()
        self.schedule_changed.emit()
        self.icon.hide()
