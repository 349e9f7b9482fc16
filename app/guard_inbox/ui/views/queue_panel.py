"""Queue panel (our Bull Board): counts, workers alive, recent failures with Retry."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from guard_inbox.domain.models import QueueStats
from guard_inbox.ui.icons import icon

FIELDS = (
    ("waiting", "Waiting"), ("active", "Active"), ("delayed", "Delayed (retry scheduled)"),
    ("completed", "Completed"), ("failed", "Failed"), ("cancelled", "Cancelled"),
    ("workers_alive", "Workers alive"),
)


class QueuePanel(QWidget):
    retry_requested = Signal(int)
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: dict[str, QLabel] = {}
        counts = QGroupBox("Queue", self)
        form = QFormLayout(counts)
        for key, label in FIELDS:
            value = QLabel("–", counts)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setObjectName(f"queue-{key}")
            self.values[key] = value
            form.addRow(label, value)
        self.broker = QLabel("", self)
        self.broker.setWordWrap(True)
        failures = QGroupBox("Recent failures", self)
        self.failures = QListWidget(failures)
        self.failures.setWordWrap(True)  # a failure's reason is a sentence: read it whole
        self.retry_button = QPushButton("Retry", failures)
        self.retry_button.setEnabled(False)
        self.retry_button.clicked.connect(self._retry)
        self.failures.itemSelectionChanged.connect(
            lambda: self.retry_button.setEnabled(bool(self.failures.selectedItems()))
        )
        refresh = QPushButton("Refresh", self)
        refresh.clicked.connect(self.refresh_requested.emit)
        box = QVBoxLayout(failures)
        box.addWidget(self.failures)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.retry_button)
        box.addLayout(row)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(counts, 1)
        top.addStretch(1)
        layout.addLayout(top)
        layout.addWidget(self.broker)
        layout.addWidget(failures, 1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(refresh)
        layout.addLayout(bottom)

    def show_stats(self, stats: QueueStats, broker: str) -> None:
        for key, value in stats.to_dict().items():
            if key in self.values:
                self.values[key].setText(str(value))
        self.broker.setText(f"Broker: {broker}")
        selected = {i.data(Qt.ItemDataRole.UserRole) for i in self.failures.selectedItems()}
        self.failures.clear()
        for job in stats.recent_failures:
            item = QListWidgetItem(icon("state-failed"), f"{job.account_label}: {job.error}")
            item.setData(Qt.ItemDataRole.UserRole, job.id)
            item.setToolTip(job.error)
            self.failures.addItem(item)
            item.setSelected(job.id in selected)

    def _retry(self) -> None:
        for item in self.failures.selectedItems():
            self.retry_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))
