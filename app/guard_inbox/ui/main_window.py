"""Main window (first version): accounts, Scan Now and live jobs. Thin: actions call services."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
)

from guard_inbox.domain.models import Account, AccountKind, Job, JobEvent, Priority
from guard_inbox.jobs.events import RemoteEvents
from guard_inbox.jobs.runtime import Runtime
from guard_inbox.mail.local import LocalMailbox
from guard_inbox.ui.bridge import EventBridge
from guard_inbox.ui.taskman import TaskManager

log = logging.getLogger(__name__)

JOB_COLUMNS = ("Job", "Account", "Status", "Progress", "Codes", "Error")


class MainWindow(QMainWindow):
    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        self.tasks = TaskManager(self)
        self.bridge: EventBridge | None = None
        self.setWindowTitle("Guard Inbox")
        self.resize(960, 600)
        self._job_rows: dict[int, int] = {}
        self._build()

    def _build(self) -> None:
        toolbar = QToolBar("Main", self)
        self.addToolBar(toolbar)
        self.scan_action = QAction("Scan Now", self)
        self.scan_action.setShortcut(QKeySequence("Ctrl+R"))
        self.scan_action.triggered.connect(self.scan_now)
        self.scan_action.setEnabled(False)
        toolbar.addAction(self.scan_action)
        add_local = QAction("Add local mailbox…", self)
        add_local.triggered.connect(self.add_local_mailbox)
        toolbar.addAction(add_local)

        self.accounts = QListWidget(self)
        self.jobs = QTableWidget(0, len(JOB_COLUMNS), self)
        self.jobs.setHorizontalHeaderLabels(JOB_COLUMNS)
        self.jobs.horizontalHeader().setStretchLastSection(True)
        self.jobs.verticalHeader().setVisible(False)
        self.jobs.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.accounts)
        splitter.addWidget(self.jobs)
        splitter.setSizes([260, 700])
        self.setCentralWidget(splitter)
        self.status = QLabel("Starting the job queue…", self)
        self.statusBar().addWidget(self.status)

    # -- start-up (off the main thread) ---------------------------------------------------
    def start_background(self) -> None:
        def start() -> tuple[list[Account], list[Job]]:
            runtime = self.runtime
            runtime.start_workers()
            runtime.control.reconcile()
            return runtime.queries.accounts(), runtime.queries.recent_jobs(100)

        self.tasks.run(start, self._on_started, self._on_start_failed)

    def _on_started(self, result: tuple[list[Account], list[Job]]) -> None:
        accounts, jobs = result
        self.bridge = EventBridge(self.runtime.events, self)
        self.bridge.job_changed.connect(self._on_job_event)
        self.bridge.follow_remote(RemoteEvents(self.runtime.redis, self.runtime.process_id))
        self._show_accounts(accounts)
        for job in reversed(jobs):
            self._show_job(job)
        self.scan_action.setEnabled(True)
        self.status.setText(f"Ready — {self.runtime.broker.display}")

    def _on_start_failed(self, exc: Exception) -> None:
        self.status.setText(f"The job queue could not start: {exc}")

    # -- actions ---------------------------------------------------------------------------
    def scan_now(self) -> None:
        selected = [i.data(Qt.ItemDataRole.UserRole) for i in self.accounts.selectedItems()]
        control = self.runtime.control
        queries = self.runtime.queries

        def enqueue() -> list[Job]:
            ids = selected or [a.id for a in queries.accounts()]
            return [control.start_scan(i, Priority.HIGH) for i in ids]

        self.tasks.run(enqueue, self._show_jobs, self._report)

    def add_local_mailbox(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose an mbox file")
        if not path:
            return
        repo = self.runtime.repository

        def add() -> list[Account]:
            mailbox = LocalMailbox(Path(path))
            kind = AccountKind(mailbox.kind)
            repo.add_account(kind, str(Path(path).resolve()), Path(path).name)
            return repo.list_accounts()

        self.tasks.run(add, self._show_accounts, self._report)

    def _report(self, exc: Exception) -> None:
        self.status.setText(str(exc))

    # -- views -------------------------------------------------------------------------------
    def _show_accounts(self, accounts: list[Account]) -> None:
        self.accounts.clear()
        for account in accounts:
            item = QListWidgetItem(f"{account.label}  ({account.code_count} codes)")
            item.setData(Qt.ItemDataRole.UserRole, account.id)
            self.accounts.addItem(item)

    def _show_jobs(self, jobs: list[Job]) -> None:
        for job in jobs:
            self._show_job(job)

    def _show_job(self, job: Job) -> None:
        self._set_row(job.id, job.account_label or str(job.account_id), job.state.value,
                      job.scanned, job.total, job.codes_found, job.error)

    def _on_job_event(self, event: JobEvent) -> None:
        self._set_row(event.job_id, None, event.state.value, event.scanned, event.total,
                      event.codes_found, event.error)

    def _set_row(self, job_id: int, account: str | None, state: str, scanned: int,
                 total: int, codes: int, error: str) -> None:
        row = self._job_rows.get(job_id)
        if row is None:
            self.jobs.insertRow(0)
            self._job_rows = {j: r + 1 for j, r in self._job_rows.items()}
            self._job_rows[job_id] = row = 0
            self.jobs.setItem(row, 0, QTableWidgetItem(str(job_id)))
            self.jobs.setItem(row, 1, QTableWidgetItem(account or ""))
        elif account is not None:
            self.jobs.setItem(row, 1, QTableWidgetItem(account))
        values = (state, f"{scanned} / {total}", str(codes), error)
        for column, value in enumerate(values, start=2):
            self.jobs.setItem(row, column, QTableWidgetItem(value))

    # -- shutdown ------------------------------------------------------------------------------
    def shutdown(self) -> None:
        if self.bridge is not None:
            self.bridge.close()
        self.tasks.wait()
