"""Settings → Accounts: every account with its state, and rename, pause, locate and remove.

Its own widget so the settings dialog (whatever its pages) only adds it. It changes nothing
itself: the window's account actions do (the same dialogs as the sidebar's context menu), and
it reloads whenever the change hub says accounts changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from guard_inbox.domain.models import Account, AccountKind, AccountStatus
from guard_inbox.services.api import Changes
from guard_inbox.ui.account_actions import AccountActions
from guard_inbox.ui.format import relative_time
from guard_inbox.ui.views.accounts_panel import is_missing

NAME, KIND, STATE, CODES, LAST_SCAN = range(5)
HEADERS = ("Name", "Kind", "State", "Codes", "Last scan")
KINDS = {AccountKind.GMAIL: "Gmail", AccountKind.MBOX: "mbox file",
         AccountKind.EML_DIR: ".eml folder"}


def state_text(account: Account) -> str:
    if account.status is AccountStatus.NEEDS_RECONNECT:
        return "Needs reconnect"
    if account.status is AccountStatus.UNAVAILABLE:
        return "Mailbox not found" if is_missing(account) else "Unavailable"
    return "Paused" if account.paused else "Active"


class AccountsPage(QWidget):
    def __init__(self, actions: AccountActions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.account_actions = actions
        self._accounts: list[Account] = []
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.rename_button = QPushButton("Rename…", self)
        self.pause_button = QPushButton("Pause", self)
        self.pause_button.setToolTip("A paused account is left out of scheduled scans and "
                                     "Scan all; you can still scan it on its own")
        self.locate_button = QPushButton("Locate mailbox…", self)
        self.locate_button.setToolTip("The mailbox moved: show Guard Inbox where it is now")
        self.remove_button = QPushButton("Remove…", self)
        acts = self.account_actions  # their questions open over this page, not the window
        self.rename_button.clicked.connect(lambda: self._with_selected(
            lambda a: acts.rename(a, parent=self)))
        self.pause_button.clicked.connect(lambda: self._with_selected(
            lambda a: acts.set_paused(a, not a.paused)))
        self.locate_button.clicked.connect(lambda: self._with_selected(
            lambda a: acts.locate(a, parent=self)))
        self.remove_button.clicked.connect(lambda: self._with_selected(
            lambda a: acts.remove(a, parent=self)))
        self.detail = QLabel("", self)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        for button in (self.rename_button, self.pause_button, self.locate_button,
                       self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)
        actions.hub.changed.connect(self._changed)
        self._update_buttons()
        self.reload()

    def reload(self) -> None:
        self.account_actions.tasks.run(self.account_actions.api.accounts, self.set_accounts)

    def _changed(self, changes: Changes) -> None:
        if changes.accounts or any(e.state.is_final for e in changes.job_events):
            self.reload()

    def set_accounts(self, accounts: list[Account]) -> None:
        if not shiboken6.isValid(self):  # the dialog closed while the accounts were read
            return
        selected = self.selected()
        self._accounts = list(accounts)
        self.table.setRowCount(len(accounts))
        now = datetime.now(UTC)
        for row, account in enumerate(accounts):
            last = relative_time(account.last_scan_at, now) or "never"
            for column, text in ((NAME, account.label), (KIND, KINDS.get(account.kind, account.kind.value)),
                                 (STATE, state_text(account)), (CODES, str(account.code_count)),
                                 (LAST_SCAN, last)):
                item = QTableWidgetItem(text)
                item.setToolTip(account.address if column == NAME else account.status_message)
                self.table.setItem(row, column, item)
            if selected is not None and account.id == selected.id:
                self.table.selectRow(row)
        self._update_buttons()

    def selected(self) -> Account | None:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return self._accounts[min(rows)] if rows and min(rows) < len(self._accounts) else None

    def _with_selected(self, act: Callable[[Account], None]) -> None:
        account = self.selected()
        if account is not None:
            act(account)

    def _update_buttons(self) -> None:
        account = self.selected()
        for button in (self.rename_button, self.pause_button, self.remove_button):
            button.setEnabled(account is not None)
        self.pause_button.setText("Resume" if account is not None and account.paused else "Pause")
        self.locate_button.setEnabled(
            account is not None and account.kind in (AccountKind.MBOX, AccountKind.EML_DIR))
        self.locate_button.setDefault(account is not None and is_missing(account))
        if account is None:
            self.detail.setText("Choose an account to rename, pause, locate or remove it.")
        else:
            self.detail.setText("\n".join(filter(None, (account.address,
                                                         account.status_message))))
