"""Add (or fix) an IMAP account: a provider preset, the address and app password, Test connection.

The preset fills in the server, port and security and says where that provider makes app
passwords; Outlook's says why a password cannot work there. Test connection logs in as a scan
would and offers the server's folders (INBOX ticked); Add account tests again, saves the
password in the keyring and queues the first scan. Network calls run on the task manager's
threads: the window never waits on a server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.imap import PRESETS, ImapAuth, ImapPreset, ImapSettings, Security, preset
from guard_inbox.services.api import AppApi
from guard_inbox.ui.dialogs.connect_gmail import open_in_browser
from guard_inbox.ui.palette import danger, muted, success
from guard_inbox.ui.taskman import TaskManager

SECURITY_NAMES = {Security.SSL: "SSL/TLS (port 993)", Security.STARTTLS: "STARTTLS (port 143)",
                  Security.NONE: "None (this computer only)"}


class AddImapDialog(QDialog):
    added = Signal(object)  # (Account, Changes)
    url_ready = Signal(str)  # the sign-in address, from the sign-in's thread

    def __init__(self, api: AppApi, tasks: TaskManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a mail account (IMAP)")
        self.setMinimumWidth(560)
        self._api, self._tasks = api, tasks
        self._busy = False
        self._fixing = ""
        self._cancel: threading.Event | None = None
        self.open_browser: Callable[[str], bool] = open_in_browser  # tests play the browser
        self.url_ready.connect(self._open_sign_in)

        self.provider = QComboBox(self)
        for p in PRESETS:
            self.provider.addItem(p.name, p.key)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setOpenExternalLinks(True)
        self.note.setTextFormat(Qt.TextFormat.RichText)
        self.user = QLineEdit(self)
        self.user.setPlaceholderText("you@example.com")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("app password")
        self.client_id = QLineEdit(self)
        self.client_id.setPlaceholderText("00000000-0000-0000-0000-000000000000")
        self.host = QLineEdit(self)
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.security = QComboBox(self)
        for value, name in SECURITY_NAMES.items():
            self.security.addItem(name, value.value)
        self.promotions = QCheckBox("Only mail in Gmail's Promotions category", self)
        self.folders = QListWidget(self)
        self.folders.setMaximumHeight(110)
        self.folders_hint = QLabel("Test connection to choose folders; INBOX is scanned by default.",
                                   self)
        self.folders_hint.setWordWrap(True)
        self.folders_hint.setStyleSheet(f"color: {muted().name()}")
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow("Provider:", self.provider)
        form.addRow("", self.note)
        form.addRow("Email address:", self.user)
        form.addRow("Password:", self.password)
        form.addRow("App (client) ID:", self.client_id)
        self._form = form
        form.addRow("IMAP server:", self.host)
        server_row = QHBoxLayout()
        server_row.addWidget(self.port)
        server_row.addWidget(self.security, 1)
        form.addRow("Port, security:", server_row)
        form.addRow("", self.promotions)
        form.addRow("Folders:", self.folders)
        form.addRow("", self.folders_hint)

        self.test_button = QPushButton("Test connection", self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.add_button = self.buttons.addButton("Add account", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        self.add_button.clicked.connect(self.add)
        self.test_button.clicked.connect(self.test)
        self.provider.currentIndexChanged.connect(lambda _i: self._apply_preset())
        self.security.currentIndexChanged.connect(self._security_changed)
        for edit in (self.user, self.password, self.host, self.client_id):
            edit.textChanged.connect(self._update_buttons)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._set_folders(["INBOX"], ("INBOX",))
        self._apply_preset()

    # -- presets and fields ----------------------------------------------------------------
    def current_preset(self) -> ImapPreset:
        return preset(str(self.provider.currentData()))

    def choose_provider(self, key: str) -> None:
        index = self.provider.findData(key)
        self.provider.setCurrentIndex(max(index, 0))

    def _apply_preset(self) -> None:
        p = self.current_preset()
        self.host.setText(p.host)
        self.port.setValue(p.port)
        self.security.setCurrentIndex(self.security.findData(p.security.value))
        self.promotions.setVisible(p.key == "gmail")
        self.promotions.setChecked(p.gmail_promotions)
        where = "Where to make it" if p.auth is ImapAuth.PASSWORD else "App registrations"
        link = f" <a href='{p.app_password_url}'>{where}</a>" if p.app_password_url else ""
        color = muted().name()
        self.note.setText(f"<span style='color:{color}'>{p.note}</span>{link}")
        oauth = p.auth is ImapAuth.XOAUTH2
        self._form.setRowVisible(self.password, not oauth)
        self._form.setRowVisible(self.client_id, oauth)
        self.test_button.setVisible(not oauth)
        self.add_button.setText("Sign in with Microsoft…" if oauth else
                                ("Save and scan" if self._fixing else "Add account"))
        self._show("", None)
        self._update_buttons()

    def _security_changed(self, _index: int) -> None:
        security = Security(str(self.security.currentData()))
        if self.port.value() in (993, 143):
            self.port.setValue(security.default_port)

    def settings(self) -> ImapSettings:
        p = self.current_preset()
        return ImapSettings(
            host=self.host.text().strip(), user=self.user.text().strip(), port=self.port.value(),
            security=Security(str(self.security.currentData())), auth=p.auth,
            folders=self.chosen_folders(), provider=p.key,
            gmail_promotions=p.key == "gmail" and self.promotions.isChecked(),
        )

    def chosen_folders(self) -> tuple[str, ...]:
        names = [self.folders.item(i).text() for i in range(self.folders.count())
                 if self.folders.item(i).checkState() == Qt.CheckState.Checked]
        return tuple(names) or ("INBOX",)

    def _set_folders(self, names: list[str], chosen: tuple[str, ...]) -> None:
        self.folders.clear()
        for name in names:
            item = QListWidgetItem(name, self.folders)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)

    def _update_buttons(self) -> None:
        p = self.current_preset()
        secret = self.password.text() if p.auth is ImapAuth.PASSWORD else self.client_id.text().strip()
        ready = bool(self.user.text().strip() and self.host.text().strip() and secret)
        self.test_button.setEnabled(ready and not self._busy)
        self.add_button.setEnabled(ready and not self._busy)

    def _show(self, text: str, ok: bool | None) -> None:
        color = "" if ok is None else (success() if ok else danger()).name()
        self.status.setStyleSheet(f"color: {color}" if color else "")
        self.status.setText(text)

    # -- fixing an existing account ----------------------------------------------------------
    def fix(self, settings: ImapSettings, reason: str = "") -> None:
        """Prefilled from the saved settings; the password must be typed again."""
        self._fixing = settings.user
        self.setWindowTitle(f"Fix {settings.user}")
        self.choose_provider(settings.provider)
        self.user.setText(settings.user)
        self.user.setReadOnly(True)
        self.host.setText(settings.host)
        self.port.setValue(settings.port)
        self.security.setCurrentIndex(self.security.findData(settings.security.value))
        self.promotions.setChecked(settings.gmail_promotions)
        self._set_folders(list(dict.fromkeys(("INBOX", *settings.folders))), settings.folders)
        self.password.clear()
        self.password.setFocus()
        self.add_button.setText("Save and scan")
        self._show(reason or "Type the password or app password again.", None if not reason else False)

    # -- actions -------------------------------------------------------------------------------
    def test(self) -> None:
        settings, password = self.settings(), self.password.text()
        self._start("Connecting…")
        self._tasks.run(lambda: self._api.test_imap(settings, password), self._tested, self._failed)

    def _tested(self, folders: list[str]) -> None:
        self._busy = False
        chosen = self.chosen_folders()
        names = ["INBOX", *sorted(f for f in folders if f.upper() != "INBOX")]
        self._set_folders(names, chosen)
        self.folders_hint.setText(f"{len(names)} folders on the server; tick the ones to scan.")
        self._show("Connected: the server accepted the login.", True)
        self._update_buttons()

    def add(self) -> None:
        settings, password = self.settings(), self.password.text()
        if settings.auth is ImapAuth.XOAUTH2:
            self._sign_in(settings)
            return
        self._start("Testing the login, then adding the account…")
        self._tasks.run(lambda: self._api.add_imap(settings, password), self._added, self._failed)

    def _added(self, result: object) -> None:
        self._busy = False
        self.password.clear()
        self._update_buttons()
        self.added.emit(result)
        self.accept()

    def _failed(self, exc: Exception) -> None:
        self._busy = False
        text = str(exc) if isinstance(exc, KnownError) else f"Unexpected error: {exc}"
        self._show(text, False)
        self._update_buttons()

    def _sign_in(self, settings: ImapSettings) -> None:
        """The browser sign-in runs on a task thread; its address comes back through url_ready."""
        cancel = self._cancel = threading.Event()
        client_id, api = self.client_id.text().strip(), self._api
        self._start("Waiting for the sign-in in your browser…")
        self._tasks.run(lambda: api.sign_in_imap(settings, client_id, show_url=self.url_ready.emit,
                                                 cancel=cancel), self._added, self._failed)

    def _open_sign_in(self, url: str) -> None:
        if not self.open_browser(url):
            self._show(f"Open this address to sign in: {url}", None)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.cancel_sign_in()
        super().closeEvent(event)

    def reject(self) -> None:
        self.cancel_sign_in()
        super().reject()

    def cancel_sign_in(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self._cancel = None

    def _start(self, text: str) -> None:
        self._busy = True
        self._show(text, None)
        self._update_buttons()
