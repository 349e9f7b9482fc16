"""Connect Gmail, guided: the Google Cloud steps, the client file, then the sign-in.

A new user used to meet a message box naming a setting, an address that could not be clicked,
and a sign-in whose only fallback URL went to a terminal. Here every step links to its page,
the client file is checked the moment it is chosen (and stored only when it is good), and the
sign-in shows its URL with Copy, a progress bar and Cancel. The dialog does not block the
window; it is reused while a sign-in runs, and closing it cancels the sign-in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.models import Account
from guard_inbox.services.api import AppApi, Changes
from guard_inbox.settings import Settings
from guard_inbox.ui.dialogs.gmail_setup_steps import SetupSteps, step_label
from guard_inbox.ui.gmail_signin import GmailSignIn
from guard_inbox.ui.palette import danger, success
from guard_inbox.ui.taskman import TaskManager

CLIENT_SETTING = "gmail.client_secrets"
ACCESS_HINT = ("Google says <i>Access blocked</i> or <i>access_denied</i>? Add your address as a "
               "test user (step 3), then sign in again.")


def open_in_browser(url: str) -> bool:
    return bool(QDesktopServices.openUrl(QUrl(url)))


class ConnectGmailDialog(QDialog):
    connected = Signal(object)  # (Account, Changes)

    def __init__(self, api: AppApi, tasks: TaskManager, settings: Settings, signin: GmailSignIn,
                 parent: QWidget | None = None, *,
                 open_browser: Callable[[str], bool] = open_in_browser) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect Gmail")
        self.setMinimumWidth(600)
        self._api, self._tasks, self._settings, self.signin = api, tasks, settings, signin
        self.open_browser = open_browser
        self.client_file: Path | None = None  # set only once the file checked out
        self._checking = 0  # numbers the checks: a slow one must not overwrite a newer one
        self.url = ""
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        intro = QLabel("<b style='font-size:large'>Connect Gmail</b><br>Guard Inbox signs in "
                       "with an OAuth client of your own, made once in a Google Cloud project "
                       "(free, about five minutes). It asks only to read your mail.", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.steps_toggle = QToolButton(self)
        self.steps_toggle.setText("Set up a Google Cloud client (once)")
        self.steps_toggle.setCheckable(True)
        self.steps_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.steps_toggle.toggled.connect(self._show_steps)
        self.steps_toggle.setAutoRaise(True)
        layout.addWidget(self.steps_toggle)
        self.steps = SetupSteps(self)
        layout.addWidget(self.steps)
        layout.addWidget(_line(self))
        layout.addWidget(step_label(5, "Choose the downloaded file",
                                    "It is named like <i>client_secret_….json</i>.", self))
        self._build_file_row(layout)
        layout.addWidget(step_label(6, "Sign in", "Google asks which account to connect and "
                                    "whether Guard Inbox may read its mail.", self))
        self._build_sign_in(layout)
        layout.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        signin.url_ready.connect(self._url_ready)
        signin.succeeded.connect(self._succeeded)
        signin.failed.connect(self._failed)
        signin.cancelled.connect(self._cancelled)
        signin.running_changed.connect(self._running_changed)
        self._running_changed(signin.running)
        self._start_with(str(settings.get(CLIENT_SETTING) or ""))

    # -- construction ----------------------------------------------------------------------
    def _build_file_row(self, layout: QVBoxLayout) -> None:
        row = QHBoxLayout()
        self.file_edit = QLineEdit(self)
        self.file_edit.setReadOnly(True)
        self.file_edit.setPlaceholderText("No client file chosen")
        self.choose_button = QPushButton("Choose file…", self)
        self.choose_button.clicked.connect(self.choose_file)
        row.addWidget(self.file_edit, 1)
        row.addWidget(self.choose_button)
        layout.addLayout(row)
        self.file_status = QLabel(self)
        self.file_status.setWordWrap(True)
        self.file_status.setVisible(False)
        layout.addWidget(self.file_status)

    def _build_sign_in(self, layout: QVBoxLayout) -> None:
        self.sign_in_button = QPushButton("Sign in with Google", self)
        self.sign_in_button.setDefault(True)
        self.sign_in_button.clicked.connect(self.sign_in)
        layout.addWidget(self.sign_in_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.waiting = QFrame(self)
        self.waiting.setFrameShape(QFrame.Shape.StyledPanel)
        box = QVBoxLayout(self.waiting)
        self.waiting_label = QLabel("Starting the sign-in…", self.waiting)
        self.waiting_label.setWordWrap(True)
        box.addWidget(self.waiting_label)
        url_row = QHBoxLayout()
        self.url_edit = QLineEdit(self.waiting)
        self.url_edit.setReadOnly(True)
        self.copy_button = QPushButton("Copy", self.waiting)
        self.copy_button.clicked.connect(self.copy_url)
        self.open_button = QPushButton("Open", self.waiting)
        self.open_button.clicked.connect(lambda: self.open_browser(self.url))
        for widget in (self.url_edit, self.copy_button, self.open_button):
            url_row.addWidget(widget, 1 if widget is self.url_edit else 0)
        box.addLayout(url_row)
        progress_row = QHBoxLayout()
        self.progress = QProgressBar(self.waiting)
        self.progress.setRange(0, 0)  # indeterminate: the user is in the browser
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel sign-in", self.waiting)
        self.cancel_button.clicked.connect(self.signin.cancel)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        box.addLayout(progress_row)
        hint = QLabel(ACCESS_HINT, self.waiting)
        hint.setWordWrap(True)
        box.addWidget(hint)
        layout.addWidget(self.waiting)
        self.outcome = QLabel(self)
        self.outcome.setWordWrap(True)
        self.outcome.setVisible(False)
        layout.addWidget(self.outcome)

    # -- the client file -------------------------------------------------------------------
    def _start_with(self, path: str) -> None:
        """A file set before (or on the command line) is checked again; none: steps open."""
        if path:
            self.check_file(Path(path), remember=False)
        else:
            self.steps_toggle.setChecked(True)
            self._show_steps(True)

    def refresh(self) -> None:
        """Opened again: the client file setting may have changed meanwhile, and an old
        outcome is no news. A dialog whose sign-in runs is left exactly as it is."""
        if self.signin.running or self.isVisible():
            return
        self.outcome.setVisible(False)
        path = str(self._settings.get(CLIENT_SETTING) or "")
        if self.client_file is None or path != self.file_edit.text():
            self._start_with(path)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the OAuth client file",
                                              str(self._start_folder()),
                                              "OAuth client files (*.json);;All files (*)")
        if path:
            self.check_file(Path(path), remember=True)

    def _start_folder(self) -> Path:
        if self.file_edit.text():
            folder = Path(self.file_edit.text()).expanduser().parent
            if folder.is_dir():
                return folder
        downloads = Path.home() / "Downloads"
        return downloads if downloads.is_dir() else Path.home()

    def check_file(self, path: Path, *, remember: bool) -> None:
        """Checks the file off the main thread; stores it in the settings only when it is good."""
        self._checking += 1
        number, api = self._checking, self._api
        self.file_edit.setText(str(path))
        self.client_file = None
        self._file_message("Checking the file…", None)
        self._update_buttons()
        self._tasks.run(lambda: api.check_gmail_client(path),
                        lambda client_id: self._file_ok(number, path, client_id, remember),
                        lambda exc: self._file_bad(number, exc))

    def _file_ok(self, number: int, path: Path, client_id: str, remember: bool) -> None:
        if number != self._checking:
            return
        self.client_file = path
        message = f"✓ Desktop app client {client_id}"
        if remember:
            self._settings.set(CLIENT_SETTING, str(path))
            try:
                self._settings.save()
            except OSError as exc:  # the sign-in can still use it; only next time must ask again
                message += f" (not remembered for next time: {exc.strerror or exc})"
        self._file_message(message, True)
        self.steps_toggle.setChecked(False)
        self._update_buttons()

    def _file_bad(self, number: int, exc: Exception) -> None:
        if number != self._checking:
            return
        text = str(exc) if isinstance(exc, KnownError) else f"The file could not be checked: {exc}"
        self._file_message(text, False)
        self.steps_toggle.setChecked(True)
        self._refit()

    def _file_message(self, text: str, good: bool | None) -> None:
        colour = "" if good is None else (success() if good else danger()).name()
        self.file_status.setStyleSheet(f"color: {colour}" if colour else "")
        self.file_status.setText(text)
        self.file_status.setVisible(True)

    # -- the sign-in -----------------------------------------------------------------------
    def sign_in(self) -> None:
        if self.client_file is None or self.signin.running:
            return
        self.url = ""
        self.url_edit.clear()
        self.waiting_label.setText("Starting the sign-in…")
        self.outcome.setVisible(False)
        self.signin.start(self.client_file)

    def _url_ready(self, url: str) -> None:
        self.url = url
        self.url_edit.setText(url)
        self.url_edit.setCursorPosition(0)
        opened = self.open_browser(url)
        self.waiting_label.setText(
            "Google's sign-in page is open in your browser: finish there. If it did not open, "
            "copy this link into a browser on this computer:" if opened else
            "No browser could be opened from here. Copy this link into a browser on this computer:"
        )
        self._update_buttons()
        self._refit()

    def copy_url(self) -> None:
        QGuiApplication.clipboard().setText(self.url)
        self.copy_button.setText("Copied")

    def _running_changed(self, running: bool) -> None:
        self.waiting.setVisible(running)
        self.copy_button.setText("Copy")
        self._update_buttons()
        self._refit()

    def _update_buttons(self) -> None:
        running = self.signin.running
        self.sign_in_button.setEnabled(self.client_file is not None and not running)
        self.choose_button.setEnabled(not running)
        self.copy_button.setEnabled(bool(self.url))
        self.open_button.setEnabled(bool(self.url))

    def _succeeded(self, result: tuple[Account, Changes]) -> None:
        self.connected.emit(result)
        self.accept()

    def _failed(self, exc: Exception) -> None:
        text = str(exc) if isinstance(exc, KnownError) else f"The sign-in failed: {exc}"
        self._say(text, good=False)

    def _cancelled(self) -> None:
        self._say("Sign-in cancelled; nothing was connected.")

    def _say(self, text: str, good: bool | None = None) -> None:
        self.outcome.setStyleSheet(f"color: {danger().name()}" if good is False else "")
        self.outcome.setText(text)
        self.outcome.setVisible(True)
        self._refit()

    def _show_steps(self, shown: bool) -> None:
        self.steps.setVisible(shown)
        self.steps_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self._refit()

    def _refit(self) -> None:
        """Height for the current width, once the layout has taken in what was shown or hidden
        (steps and the sign-in panel come and go; wrapped text makes ``adjustSize`` size for a
        narrow width instead)."""
        QTimer.singleShot(0, self._fit)

    def _fit(self) -> None:
        layout = self.layout()
        width = max(self.width(), self.minimumWidth())
        if layout is not None:
            self.resize(width, layout.totalHeightForWidth(width))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._refit()

    # -- closing cancels ---------------------------------------------------------------------
    def reject(self) -> None:
        if self.signin.running:
            self.signin.cancel()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.signin.running:
            self.signin.cancel()
        super().closeEvent(event)


def _line(parent: QWidget) -> QFrame:
    line = QFrame(parent)
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line
