"""The status bar's permanent labels: how busy the workers are, the last scan, which broker."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar


class StatusLine:
    """Owns three labels on ``bar``; the window only says what changed."""

    def __init__(self, bar: QStatusBar) -> None:
        self.broker = QLabel("Starting the job queue…", bar)
        self.workers = QLabel("", bar)
        self.last_scan = QLabel("", bar)
        for label in (self.workers, self.last_scan, self.broker):
            bar.addPermanentWidget(label)

    def show_broker(self, name: str, address: str) -> None:
        self.broker.setText(f"Broker: {name}")
        self.broker.setToolTip(address)

    def show_broker_failed(self) -> None:
        self.broker.setText("Job queue unavailable")

    def show_workers(self, busy: int, threads: int) -> None:
        self.workers.setText(f"Workers: {busy} of {threads} busy")

    def show_last_scan(self, account_label: str) -> None:
        self.last_scan.setText(f"Last scan: {account_label}")
