"""Adding mail accounts from the window: a local mailbox, the demo mailbox, or Gmail.

The dialogs run here on the main thread; the use cases run on the task manager's threads, and
what they changed goes to the change hub, which refreshes the views that show it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from guard_inbox.domain.models import Account
from guard_inbox.services.api import AppApi, Changes
from guard_inbox.ui.changes import ChangeHub
from guard_inbox.ui.icons import demo_mailbox
from guard_inbox.ui.taskman import TaskManager


class AccountActions:
    def __init__(self, api: AppApi, tasks: TaskManager, hub: ChangeHub, window: QWidget,
                 report: Callable[[Exception], None], say: Callable[[str], None]) -> None:
        self._api = api
        self._tasks = tasks
        self._hub = hub
        self._window = window
        self._report = report
        self._say = say

    def add_local_mailbox(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._window, "Choose an mbox file (for a folder "
                                              "of .eml files, cancel and pick the folder)")
        if not path:
            path = QFileDialog.getExistingDirectory(self._window, "Choose a folder of .eml files")
        if path:
            self.add_path(Path(path), scan=True)

    def add_path(self, path: Path, scan: bool) -> None:
        api = self._api
        self._tasks.run(lambda: api.add_local_mailbox(path, scan=scan)[1], self._hub.publish,
                        self._report)

    def try_demo(self) -> None:
        self.add_path(demo_mailbox(), scan=True)
        self._say("Scanning the demo mailbox…")

    def connect_gmail(self) -> None:
        self._say("Sign in with Google in your browser to connect Gmail…")
        api = self._api

        def connect_and_scan() -> tuple[Account, Changes]:
            account, added = api.connect_gmail(open_browser=True)
            scans = api.scan([account.id])
            return account, Changes(accounts=added.accounts, jobs=scans.jobs)

        self._tasks.run(connect_and_scan, self._gmail_connected, self._gmail_failed)

    def _gmail_connected(self, result: tuple[Account, Changes]) -> None:
        account, changes = result
        self._say(f"Connected {account.address}. Scanning…")
        self._hub.publish(changes)

    def _gmail_failed(self, exc: Exception) -> None:
        QMessageBox.warning(self._window, "Connect Gmail", str(exc))
