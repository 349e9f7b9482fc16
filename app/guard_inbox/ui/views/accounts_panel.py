"""Accounts sidebar: Gmail accounts and local mailboxes with status, last scan and codes."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from guard_inbox.domain.models import Account, AccountKind, AccountStatus, JobState
from guard_inbox.services.api import Changes
from guard_inbox.ui.icons import icon


def _ago(when: datetime | None) -> str:
    if when is None:
        return "never scanned"
    minutes = int((datetime.now(UTC) - when).total_seconds() // 60)
    if minutes < 1:
        return "scanned just now"
    if minutes < 60:
        return f"scanned {minutes} min ago"
    if minutes < 48 * 60:
        return f"scanned {minutes // 60} h ago"
    return f"scanned {minutes // 1440} days ago"


class AccountsPanel(QWidget):
    connect_gmail = Signal()
    add_local = Signal()
    add_imap = Signal()
    reconnect = Signal(int)
    selection_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.list.itemSelectionChanged.connect(self._selection_changed)
        self.empty = QLabel("No accounts yet.\nConnect Gmail or add a local mailbox\n"
                            "(an mbox file such as a Google Takeout export).", self)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.connect_button = QPushButton(icon("account-gmail"), "Connect Gmail…", self)
        self.local_button = QPushButton(icon("account-local"), "Add local mailbox…", self)
        self.imap_button = QPushButton(icon("account-imap"), "Add IMAP account…", self)
        self.imap_button.setToolTip("Yahoo, iCloud, Fastmail, Outlook, Gmail with an app password, "
                                    "or any IMAP server")
        self.imap_button.clicked.connect(self.add_imap.emit)
        self.reconnect_button = QPushButton(icon("warning"), "Reconnect", self)
        self.reconnect_button.setVisible(False)
        self.connect_button.clicked.connect(self.connect_gmail.emit)
        self.local_button.clicked.connect(self.add_local.emit)
        self.reconnect_button.clicked.connect(self._reconnect)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Accounts</b>", self))
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.reconnect_button)
        layout.addWidget(self.connect_button)
        layout.addWidget(self.imap_button)
        layout.addWidget(self.local_button)
        self._accounts: dict[int, Account] = {}
        self._scanning: set[int] = set()
        self.set_accounts([])

    def set_accounts(self, accounts: list[Account]) -> None:
        selected = set(self.selected_ids())
        self._accounts = {a.id: a for a in accounts}
        self.list.clear()
        for account in accounts:
            item = QListWidgetItem(self._icon(account), self._text(account))
            item.setData(Qt.ItemDataRole.UserRole, account.id)
            item.setToolTip(account.status_message or account.address)
            self.list.addItem(item)
            item.setSelected(account.id in selected)
        self.list.setVisible(bool(accounts))
        self.empty.setVisible(not accounts)
        self._selection_changed()

    def apply_changes(self, changes: Changes) -> None:
        """Subscribed to the change hub: a spinner while an account's scan runs."""
        for event in changes.job_events:
            self.set_scanning(event.account_id, event.state is JobState.IN_PROGRESS)

    def set_scanning(self, account_id: int, scanning: bool) -> None:
        changed = (account_id in self._scanning) != scanning
        (self._scanning.add if scanning else self._scanning.discard)(account_id)
        if changed:
            self.set_accounts(list(self._accounts.values()))

    def _icon(self, account: Account):  # type: ignore[no-untyped-def]
        if account.status is AccountStatus.NEEDS_RECONNECT:
            return icon("warning")
        if account.kind is AccountKind.IMAP:
            return icon("account-imap")
        return icon("account-gmail" if account.kind is AccountKind.GMAIL else "account-local")

    def _text(self, account: Account) -> str:
        if account.status is AccountStatus.NEEDS_RECONNECT:
            status = "needs reconnect"
        elif account.id in self._scanning:
            status = "scanning…"
        else:
            status = _ago(account.last_scan_at)
        return f"{account.label}\n{account.code_count} codes · {status}"

    def selected_ids(self) -> list[int]:
        return [int(i.data(Qt.ItemDataRole.UserRole)) for i in self.list.selectedItems()]

    def account(self, account_id: int) -> Account | None:
        return self._accounts.get(account_id)

    def _selection_changed(self) -> None:
        needs = [
            i for i in self.selected_ids()
            if self._accounts[i].status is AccountStatus.NEEDS_RECONNECT
        ]
        self.reconnect_button.setVisible(bool(needs))
        self.selection_changed.emit()

    def _reconnect(self) -> None:
        for account_id in self.selected_ids():
            account = self._accounts[account_id]
            if account.status is AccountStatus.NEEDS_RECONNECT:
                self.reconnect.emit(account_id)
