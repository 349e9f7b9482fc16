"""Accounts sidebar: Gmail accounts and local mailboxes with status, last scan and codes.

Each account's own actions (scan it, rename, pause, locate a moved mailbox, remove) are in its
context menu; the panel only asks for them through signals, the window's account actions do
them. "scanned N min ago" is rewritten every half minute, so it never goes stale.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from guard_inbox.domain.models import Account, AccountKind, AccountStatus, JobState
from guard_inbox.services.api import Changes
from guard_inbox.ui.icons import icon
from guard_inbox.ui.palette import muted

TICK_MS = 30_000
LOCATE_HINT = "Right-click it and choose Locate mailbox… to show Guard Inbox where it is now."


def ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never scanned"
    minutes = int((now - when).total_seconds() // 60)
    if minutes < 1:
        return "scanned just now"
    if minutes < 60:
        return f"scanned {minutes} min ago"
    if minutes < 48 * 60:
        return f"scanned {minutes // 60} h ago"
    return f"scanned {minutes // 1440} days ago"


def is_missing(account: Account) -> bool:
    """A local mailbox that is not where it was (or cannot be read): it needs locating."""
    local = account.kind in (AccountKind.MBOX, AccountKind.EML_DIR)
    return account.status is AccountStatus.UNAVAILABLE and local


class AccountsPanel(QWidget):
    connect_gmail = Signal()
    add_local = Signal()
    add_imap = Signal()
    reconnect = Signal(int)
    selection_changed = Signal()
    scan_requested = Signal(object)  # list[int]: these accounts, now
    rename_requested = Signal(int)
    pause_requested = Signal(int, bool)  # account id, paused
    locate_requested = Signal(int)
    remove_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__(parent)
        self.now = now
        self.list = QListWidget(self)
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.list.itemSelectionChanged.connect(self._selection_changed)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._show_menu)
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
        self.locate_button = QPushButton(icon("warning"), "Locate mailbox…", self)
        self.locate_button.setToolTip("The mailbox is not where it was: show Guard Inbox where "
                                      "it is now (its codes and progress are kept)")
        self.locate_button.setVisible(False)
        self.connect_button.clicked.connect(self.connect_gmail.emit)
        self.local_button.clicked.connect(self.add_local.emit)
        self.reconnect_button.clicked.connect(self._reconnect)
        self.locate_button.clicked.connect(self._locate)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Accounts</b>", self))
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.reconnect_button)
        layout.addWidget(self.locate_button)
        layout.addWidget(self.connect_button)
        layout.addWidget(self.imap_button)
        layout.addWidget(self.local_button)
        self._accounts: dict[int, Account] = {}
        self._scanning: set[int] = set()
        self.ticker = QTimer(self)  # "scanned N min ago" moves on by itself
        self.ticker.timeout.connect(self.refresh_texts)
        self.ticker.start(TICK_MS)
        self.set_accounts([])

    def set_accounts(self, accounts: list[Account]) -> None:
        selected = set(self.selected_ids())
        self._accounts = {a.id: a for a in accounts}
        self.list.clear()
        for account in accounts:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, account.id)
            self.list.addItem(item)
            self._fill(item, account)
            item.setSelected(account.id in selected)
        self.list.setVisible(bool(accounts))
        self.empty.setVisible(not accounts)
        self._selection_changed()

    def refresh_texts(self) -> None:
        """Rewrites each row in place (the time since its last scan moves on)."""
        for row in range(self.list.count()):
            item = self.list.item(row)
            account = self._accounts.get(int(item.data(Qt.ItemDataRole.UserRole)))
            if account is not None:
                self._fill(item, account)

    def apply_changes(self, changes: Changes) -> None:
        """Subscribed to the change hub: a spinner while an account's scan runs."""
        for event in changes.job_events:
            self.set_scanning(event.account_id, event.state is JobState.IN_PROGRESS)

    def set_scanning(self, account_id: int, scanning: bool) -> None:
        changed = (account_id in self._scanning) != scanning
        (self._scanning.add if scanning else self._scanning.discard)(account_id)
        if changed:
            self.refresh_texts()

    def _fill(self, item: QListWidgetItem, account: Account) -> None:
        item.setIcon(self._icon(account))
        item.setText(self._text(account))
        item.setToolTip(self._tooltip(account))
        item.setForeground(muted() if account.paused else self.list.palette().text())

    def _icon(self, account: Account) -> QIcon:
        if account.status in (AccountStatus.NEEDS_RECONNECT, AccountStatus.UNAVAILABLE):
            return icon("warning")
        if account.kind is AccountKind.IMAP:
            return icon("account-imap")
        return icon("account-gmail" if account.kind is AccountKind.GMAIL else "account-local")

    def _text(self, account: Account) -> str:
        if account.status is AccountStatus.NEEDS_RECONNECT:
            status = "needs reconnect"
        elif account.status is AccountStatus.UNAVAILABLE:
            status = "mailbox not found" if is_missing(account) else "unavailable"
        elif account.id in self._scanning:
            status = "scanning…"
        else:
            status = ago(account.last_scan_at, self.now())
            if account.paused:
                status = f"paused · {status}"
        noun = "code" if account.code_count == 1 else "codes"
        return f"{account.label}\n{account.code_count} {noun} · {status}"

    @staticmethod
    def _tooltip(account: Account) -> str:
        lines = [account.address]
        if account.status_message:
            lines.append(account.status_message)
        if is_missing(account):
            lines.append(LOCATE_HINT)
        if account.paused:
            lines.append("Paused: scheduled scans and Scan all leave it out.")
        return "\n".join(lines)

    def selected_ids(self) -> list[int]:
        return [int(i.data(Qt.ItemDataRole.UserRole)) for i in self.list.selectedItems()]

    def account(self, account_id: int) -> Account | None:
        return self._accounts.get(account_id)

    def accounts(self) -> list[Account]:
        return list(self._accounts.values())

    # -- the context menu ---------------------------------------------------------------------
    def menu_for(self, account_id: int) -> QMenu:
        """The account's actions, each one emitting its request."""
        account = self._accounts[account_id]
        menu = QMenu(self)
        scan = menu.addAction(icon("scan"), "Scan this account now")
        scan.triggered.connect(lambda: self.scan_requested.emit([account_id]))
        if is_missing(account):
            scan.setToolTip("Back where it was (a drive plugged in again)? Scan it to check.")
            menu.addAction(icon("warning"), "Locate mailbox…").triggered.connect(
                lambda: self.locate_requested.emit(account_id))
        if account.status is AccountStatus.NEEDS_RECONNECT:
            menu.addAction(icon("warning"), "Reconnect…").triggered.connect(
                lambda: self.reconnect.emit(account_id))
        menu.addSeparator()
        menu.addAction("Rename…").triggered.connect(lambda: self.rename_requested.emit(account_id))
        pause = "Resume scheduled scans" if account.paused else "Pause (skip scheduled scans)"
        menu.addAction(pause).triggered.connect(
            lambda: self.pause_requested.emit(account_id, not account.paused))
        menu.addSeparator()
        menu.addAction("Remove…").triggered.connect(lambda: self.remove_requested.emit(account_id))
        return menu

    def _show_menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        menu = self.menu_for(int(item.data(Qt.ItemDataRole.UserRole)))
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(self.list.viewport().mapToGlobal(pos))

    # -- fixes for the selected accounts ----------------------------------------------------------
    def _selection_changed(self) -> None:
        chosen = [self._accounts[i] for i in self.selected_ids()]
        self.reconnect_button.setVisible(
            any(a.status is AccountStatus.NEEDS_RECONNECT for a in chosen))
        self.locate_button.setVisible(any(is_missing(a) for a in chosen))
        self.selection_changed.emit()

    def _reconnect(self) -> None:
        for account_id in self.selected_ids():
            account = self._accounts[account_id]
            if account.status is AccountStatus.NEEDS_RECONNECT:
                self.reconnect.emit(account_id)

    def _locate(self) -> None:
        for account_id in self.selected_ids():
            if is_missing(self._accounts[account_id]):
                self.locate_requested.emit(account_id)
                return  # one file dialog at a time
