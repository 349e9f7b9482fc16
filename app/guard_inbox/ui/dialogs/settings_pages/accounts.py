"""Accounts: each mailbox with its kind, state and codes (read-only until account actions land)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from guard_inbox.domain.models import Account, AccountKind, AccountStatus
from guard_inbox.services.api import Changes
from guard_inbox.ui.dialogs.settings_pages.services import PageServices, while_alive
from guard_inbox.ui.icons import icon


def describe(account: Account) -> str:
    kind = "Gmail" if account.kind is AccountKind.GMAIL else "Local mailbox"
    state = "" if account.status is AccountStatus.OK else f" — {account.status_message or 'needs attention'}"
    codes = f"{account.code_count} code" + ("" if account.code_count == 1 else "s")
    return f"{account.label}\n{kind} · {codes}{state}"


class AccountsPage(QWidget):
    """Loads the list off the main thread; reloads when an account changes elsewhere."""

    def __init__(self, services: PageServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.list = QListWidget(self)
        self.list.setObjectName("settings-accounts")
        self.list.setSpacing(4)
        self.empty = QLabel("No accounts yet: connect Gmail or add a local mailbox from the "
                            "File menu.", self)
        self.empty.setWordWrap(True)
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("The mailboxes Guard Inbox scans:", self))
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        self.reload()

    def reload(self) -> None:
        self.services.tasks.run(self.services.api.accounts,
                                while_alive(self, self.show_accounts), self.services.report)

    def show_accounts(self, accounts: list[Account]) -> None:
        self.list.clear()
        for account in accounts:
            name = "account-gmail" if account.kind is AccountKind.GMAIL else "account-local"
            item = QListWidgetItem(icon(name), describe(account))
            item.setToolTip(account.address)
            self.list.addItem(item)
        self.empty.setVisible(not accounts)

    def apply_changes(self, changes: Changes) -> None:
        if changes.accounts:
            self.reload()
