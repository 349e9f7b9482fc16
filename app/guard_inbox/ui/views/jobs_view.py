"""Jobs view: live scan jobs with a progress bar, and Cancel / Retry / Details."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from guard_inbox.domain.models import Job, JobState
from guard_inbox.ui.models.jobs_model import PROGRESS, JobsModel, progress_text, total_known


def bar_values(job: Job) -> tuple[int, int, str]:
    """(maximum, progress, text) of a job's bar; maximum 0 makes Qt draw a busy bar, with no
    percentage, while the total is unknown."""
    maximum = max(job.total, 1) if total_known(job) else 0
    return maximum, min(job.scanned, maximum), progress_text(job)


class ProgressDelegate(QStyledItemDelegate):
    """Draws "n / total" as a native progress bar; a busy bar while the total is unknown."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        job = index.data(Qt.ItemDataRole.UserRole)
        if not isinstance(job, Job) or (job.total == 0 and job.state is not JobState.IN_PROGRESS):
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum = 0
        bar.maximum, bar.progress, bar.text = bar_values(job)
        bar.textVisible = True
        bar.state = QStyle.StateFlag.State_Enabled
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class JobsView(QWidget):
    cancel_requested = Signal(int)
    retry_requested = Signal(int)

    def __init__(self, model: JobsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.table = QTableView(self)
        self.table.setModel(model)
        self.table.setItemDelegateForColumn(PROGRESS, ProgressDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.setColumnWidth(0, 220)
        self.table.setColumnWidth(1, 120)
        self.table.setColumnWidth(PROGRESS, 160)
        self.cancel_button = QPushButton("Cancel", self)
        self.retry_button = QPushButton("Retry", self)
        self.details_button = QPushButton("Show details", self)
        buttons = QHBoxLayout()
        for button in (self.cancel_button, self.retry_button, self.details_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        self.cancel_button.clicked.connect(self._cancel)
        self.retry_button.clicked.connect(self._retry)
        self.details_button.clicked.connect(self.show_details)
        self.table.doubleClicked.connect(lambda _index: self.show_details())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        model.dataChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    def selected_job(self) -> Job | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.job_at(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        job = self.selected_job()
        self.cancel_button.setEnabled(job is not None and not job.state.is_final)
        self.retry_button.setEnabled(
            job is not None and job.state in (JobState.FAILED, JobState.CANCELLED)
        )
        self.details_button.setEnabled(job is not None)

    def _cancel(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.cancel_requested.emit(job.id)

    def _retry(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.retry_requested.emit(job.id)

    def show_details(self) -> None:
        job = self.selected_job()
        if job is None:
            return
        lines = [
            f"Job {job.id} — {job.account_label}",
            f"Status: {job.state.value}",
            f"Messages: {job.scanned} of {job.total}" if total_known(job)
            else f"Messages: {job.scanned} so far",
            f"Codes found: {job.codes_found} ({job.codes_new} new)",
            f"Attempts: {job.attempts}",
        ]
        if job.error:
            lines.append(f"\n{job.error}")
        QMessageBox.information(self, "Scan details", "\n".join(lines))
