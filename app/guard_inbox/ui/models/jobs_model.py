"""Jobs table model: frozen Job rows, updated in place by live events."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from guard_inbox.domain.models import Job, JobEvent, JobState
from guard_inbox.services.api import Changes
from guard_inbox.ui.icons import icon
from guard_inbox.ui.palette import danger, success

ACCOUNT, STATUS, PROGRESS, CODES, STARTED, DURATION, ERROR = range(7)
HEADERS = ("Account", "Status", "Progress", "Codes", "Started", "Duration", "Details")
STATE_LABELS = {
    JobState.PENDING: "Pending", JobState.IN_PROGRESS: "Scanning", JobState.COMPLETED: "Completed",
    JobState.FAILED: "Failed", JobState.CANCELLED: "Cancelled",
}
STATE_ICONS = {
    JobState.PENDING: "state-pending", JobState.IN_PROGRESS: "state-running",
    JobState.COMPLETED: "state-completed", JobState.FAILED: "state-failed",
    JobState.CANCELLED: "state-cancelled",
}
Index = QModelIndex | QPersistentModelIndex


def total_known(job: Job) -> bool:
    """A scan that reads its mailbox as it goes (a local one, newest first) learns the total
    only at the end: until then it reports 0, and no percentage can be honest."""
    return job.total > 0 or job.state is not JobState.IN_PROGRESS


def progress_text(job: Job) -> str:
    if not total_known(job):
        return f"{job.scanned:,} scanned so far"
    return f"{job.scanned} / {job.total}" if job.total or job.scanned else ""


def _duration(job: Job, now: datetime) -> str:
    if job.started_at is None:
        return ""
    end = job.finished_at or now
    seconds = max(0, int((end - job.started_at).total_seconds()))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


class JobsModel(QAbstractTableModel):
    # A job to (re)load from the database: one we have not loaded yet, or one put back to wait
    # (events do not say until when, the row does: "Waiting to retry").
    unknown_job = Signal(int)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._jobs: list[Job] = []
        self._rows: dict[int, int] = {}
        self._labels: dict[int, str] | None = None  # account names as the sidebar shows them

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._jobs):
            return None
        job = self._jobs[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == ACCOUNT:
                return self.account_name(job)
            return self._display(job, column)
        if role == Qt.ItemDataRole.DecorationRole and column == STATUS:
            return icon(STATE_ICONS[job.state])
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS:
            if job.state is JobState.FAILED:
                return danger()
            return success() if job.state is JobState.COMPLETED else None
        if role == Qt.ItemDataRole.ToolTipRole and column in (ERROR, STATUS) and job.error:
            return job.error
        if role == Qt.ItemDataRole.ToolTipRole and column == CODES and job.codes_found:
            known = job.codes_found - job.codes_new
            return (f"{job.codes_found} different codes in the mail this scan read: "
                    f"{job.codes_new} new, {known} already known")
        if role == Qt.ItemDataRole.UserRole:
            return job
        return None

    def account_name(self, job: Job) -> str:
        """The account's name as it is now (a rename shows at once), else as the job read it."""
        name = (self._labels or {}).get(job.account_id) or job.account_label
        return name or f"Account {job.account_id}"

    @staticmethod
    def _display(job: Job, column: int) -> str | None:
        now = datetime.now(UTC)
        if column == STATUS:
            if job.state is JobState.PENDING and job.next_attempt_at is not None:
                return "Waiting to retry"
            return STATE_LABELS[job.state]
        if column == PROGRESS:
            return progress_text(job)
        if column == CODES:
            return job.codes_summary if job.state is not JobState.PENDING or job.scanned else ""
        if column == STARTED:
            return job.started_at.astimezone().strftime("%H:%M:%S") if job.started_at else ""
        if column == DURATION:
            return _duration(job, now)
        if column == ERROR:
            return job.error
        return None

    # -- updates ------------------------------------------------------------------------
    def set_jobs(self, jobs: list[Job]) -> None:
        self.beginResetModel()
        self._jobs = list(jobs)
        self._rows = {job.id: row for row, job in enumerate(self._jobs)}
        self.endResetModel()

    def upsert(self, job: Job) -> None:
        row = self._rows.get(job.id)
        if row is None:
            self.beginInsertRows(QModelIndex(), 0, 0)
            self._jobs.insert(0, job)
            self._rows = {j.id: r for r, j in enumerate(self._jobs)}
            self.endInsertRows()
            return
        previous = self._jobs[row]
        if not job.account_label and previous.account_label:
            job = dataclasses.replace(job, account_label=previous.account_label)
        self._jobs[row] = job
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))

    def set_account_labels(self, labels: dict[int, str]) -> None:
        """The accounts as listed now: rows show their names, and the jobs of an account that
        was removed leave the table (its rows are gone, or belong to no listed account)."""
        self._labels = dict(labels)
        gone = [job for job in self._jobs if job.account_id not in labels]
        if gone:
            self.set_jobs([job for job in self._jobs if job.account_id in labels])
        elif self._jobs:
            self.dataChanged.emit(self.index(0, ACCOUNT), self.index(len(self._jobs) - 1, ACCOUNT))

    def apply_changes(self, changes: Changes) -> None:
        """Subscribed to the change hub: jobs an action returned, then live events."""
        for job in changes.jobs:
            self.upsert(job)
        for event in changes.job_events:
            self.apply_event(event)

    def apply_event(self, event: JobEvent) -> None:
        row = self._rows.get(event.job_id)
        if row is None:
            self.unknown_job.emit(event.job_id)
            return
        job = self._jobs[row]
        now = datetime.now(UTC)
        updated = dataclasses.replace(
            job, state=event.state, total=event.total or job.total, scanned=event.scanned,
            codes_found=event.codes_found, codes_new=event.codes_new, error=event.error,
            next_attempt_at=job.next_attempt_at if event.state is JobState.PENDING else None,
            started_at=job.started_at or (now if event.state is JobState.IN_PROGRESS else None),
            finished_at=now if event.state.is_final and job.finished_at is None else job.finished_at,
        )
        self.upsert(updated)
        if event.state is JobState.PENDING and event.error:
            self.unknown_job.emit(event.job_id)

    def job_at(self, row: int) -> Job | None:
        return self._jobs[row] if 0 <= row < len(self._jobs) else None

    def job(self, job_id: int) -> Job | None:
        row = self._rows.get(job_id)
        return None if row is None else self._jobs[row]
