"""The status bar's permanent labels, in people's words: when the next background scan runs
(or that scanning is paused), what is being scanned, and the last scan. Where the job queue
lives is said only while it starts or when it failed (Settings → Diagnostics says the rest)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

PAUSE_LINK, RESUME_LINK = "pause", "resume"


def schedule_text(next_scan: datetime | None, *, paused: bool, interval_minutes: int,
                  now: datetime | None = None) -> str:
    """``Next scan at 14:05``, ``Next scan tomorrow at 09:00``, or why there is none."""
    if paused:
        return "Background scanning paused"
    if interval_minutes <= 0:
        return "Background scans off"
    if next_scan is None:
        return ""
    now = now or datetime.now().astimezone()
    at = next_scan.astimezone(now.tzinfo)
    day = "" if at.date() == now.date() else (
        "tomorrow " if (at.date() - now.date()).days == 1 else f"{at.day} {at:%b} ")
    return f"Next scan {day}at {at:%H:%M}"


class ScheduleLabel(QLabel):
    """The schedule, with a Pause or Resume link so the window alone (no tray) can do both."""

    pause_requested = Signal(bool)  # True: pause, False: resume

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("schedule")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.linkActivated.connect(lambda link: self.pause_requested.emit(link == PAUSE_LINK))
        self.plain = ""

    def show_schedule(self, next_scan: datetime | None, *, paused: bool,
                      interval_minutes: int) -> None:
        self.plain = schedule_text(next_scan, paused=paused, interval_minutes=interval_minutes)
        if not self.plain:
            self.setText("")
            return
        link = ""
        if paused:
            link = f' · <a href="{RESUME_LINK}">Resume</a>'
        elif interval_minutes > 0:
            link = f' · <a href="{PAUSE_LINK}">Pause</a>'
        self.setText(self.plain + link)
        tip = ("No background scans until you resume them (Scan All still works)." if paused else
               f"Every account is scanned every {interval_minutes} minutes; change it in "
               "Settings → General." if interval_minutes > 0 else
               "Turn background scans on in Settings → General.")
        self.setToolTip(tip)


class StatusLine:
    """Owns the labels on ``bar``; the window only says what changed."""

    def __init__(self, bar: QStatusBar) -> None:
        self.broker = QLabel("Starting the job queue…", bar)
        self.workers = QLabel("", bar)
        self.last_scan = QLabel("", bar)
        self.schedule = ScheduleLabel(bar)
        for label in (self.schedule, self.workers, self.last_scan, self.broker):
            bar.addPermanentWidget(label)

    def show_broker(self, name: str, address: str) -> None:
        """Started: nothing to say here any more (plumbing; Diagnostics shows it)."""
        self.broker.setText(f"Job queue: {name}")
        self.broker.setToolTip(address)
        self.broker.hide()

    def show_broker_failed(self) -> None:
        self.broker.setText("Job queue unavailable")
        self.broker.show()

    def show_workers(self, busy: int, threads: int) -> None:
        if busy <= 0:
            self.workers.setText("")
            self.workers.hide()
            return
        self.workers.setText(f"Scanning {busy} mailbox" + ("" if busy == 1 else "es"))
        self.workers.setToolTip(f"{busy} of {threads} worker threads busy")
        self.workers.show()

    def show_last_scan(self, account_label: str) -> None:
        self.last_scan.setText(f"Last scan: {account_label}")

    def show_schedule(self, next_scan: datetime | None, *, paused: bool,
                      interval_minutes: int) -> None:
        self.schedule.show_schedule(next_scan, paused=paused, interval_minutes=interval_minutes)
