"""Accounts from the window: adding a local mailbox (chosen or dropped), the demo, or Gmail;
renaming, pausing, locating a moved mailbox and removing one (asking whether to keep its codes).

The dialogs run here on the main thread; the use cases run on the task manager's threads, and
what they changed goes to the change hub, which refreshes the views that show it. The Gmail
sign-in runs on its own thread (ui/gmail_signin.py) and there is only ever one: its dialog is
reused while it runs, and the window cancels it first when it shuts down.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QInputDialog, QMessageBox, QWidget

from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.models import Account, AccountKind, Job
from guard_inbox.services.api import AppApi, Changes
from guard_inbox.settings import Settings
from guard_inbox.ui.changes import ChangeHub
from guard_inbox.ui.dialogs.add_imap import AddImapDialog
from guard_inbox.ui.dialogs.add_mailbox import MBOX_FILTER, AddMailboxDialog, FolderMemory
from guard_inbox.ui.dialogs.connect_gmail import ConnectGmailDialog, open_in_browser
from guard_inbox.ui.gmail_signin import GmailSignIn
from guard_inbox.ui.icons import demo_mailbox
from guard_inbox.ui.taskman import TaskManager
from guard_inbox.ui.views.accounts_panel import AccountsPanel

START_WAIT_SECONDS = 60.0
ARCHIVES = (".zip", ".tgz", ".tar.gz", ".tar", ".7z")
NOT_A_MAILBOX_HELP = ("Guard Inbox reads an mbox file (Google Takeout exports one per label, in "
                      "Takeout/Mail) or a folder of .eml files.")


class AccountActions:
    def __init__(self, api: AppApi, tasks: TaskManager, hub: ChangeHub, window: QWidget,
                 report: Callable[[Exception], None], say: Callable[[str], None], *,
                 settings: Settings, state_file: Path | None = None) -> None:
        self._api = api
        self._tasks = tasks
        self._hub = hub
        self._window = window
        self._report = report
        self._say = say
        self._settings = settings
        state = QSettings(str(state_file), QSettings.Format.IniFormat) if state_file else None
        self.folders = FolderMemory(state)
        self.signin = GmailSignIn(api, window)
        self.open_browser: Callable[[str], bool] = open_in_browser  # tests play the browser
        self.gmail_dialog: ConnectGmailDialog | None = None
        self.mailbox_dialog: AddMailboxDialog | None = None
        self.rename_dialog: QInputDialog | None = None
        self.remove_box: QMessageBox | None = None
        self.imap_dialog: AddImapDialog | None = None

    @property
    def api(self) -> AppApi:
        return self._api

    @property
    def tasks(self) -> TaskManager:
        return self._tasks

    @property
    def hub(self) -> ChangeHub:
        return self._hub

    def _change(self, use_case: Callable[[], Changes], done: str) -> None:
        """Runs a use case off the main thread; its changes go to the hub, then ``done`` is said."""
        def finished(changes: Changes) -> None:
            self._hub.publish(changes)
            self._say(done)

        self._tasks.run(use_case, finished, self._report)

    # -- changing an account -------------------------------------------------------------------
    def attach(self, panel: AccountsPanel) -> None:
        """The sidebar's context menu and fix buttons ask by account id; we act on the account."""
        def on(act: Callable[[Account], None]) -> Callable[[int], None]:
            def run(account_id: int) -> None:
                account = panel.account(account_id)
                if account is not None:
                    act(account)
            return run

        panel.rename_requested.connect(on(self.rename))
        panel.locate_requested.connect(on(self.locate))
        panel.remove_requested.connect(on(self.remove))
        panel.pause_requested.connect(
            lambda account_id, paused: on(lambda a: self.set_paused(a, paused))(account_id))

    def rename(self, account: Account, parent: QWidget | None = None) -> None:
        """``parent``: the widget asking (the settings page), so the question is not blocked by
        the settings dialog's modality."""
        dialog = QInputDialog(parent or self._window)
        dialog.setWindowTitle("Rename account")
        dialog.setLabelText(f"Name for {account.address}\n(leave it empty to show the address):")
        dialog.setTextValue(account.display_name if account.display_name != account.address
                            else "")
        api = self._api

        def renamed(name: str) -> None:
            shown = " ".join(name.split()) or account.address
            self._change(lambda: api.rename_account(account.id, name), f"Renamed to {shown}.")

        dialog.textValueSelected.connect(renamed)
        dialog.finished.connect(dialog.deleteLater)
        self.rename_dialog = dialog
        dialog.open()

    def set_paused(self, account: Account, paused: bool) -> None:
        api = self._api
        done = (f"Paused {account.label}: scheduled scans and Scan all leave it out." if paused
                else f"{account.label} is scanned again with the others.")
        self._change(lambda: api.pause_account(account.id, paused), done)

    def remove(self, account: Account, parent: QWidget | None = None) -> None:
        """Asks first, and whether its codes stay in the list (the demo's usually should not)."""
        noun = "code" if account.code_count == 1 else "codes"
        box = QMessageBox(QMessageBox.Icon.Question, "Remove account",
                          f"Remove {account.label}?", QMessageBox.StandardButton.NoButton,
                          parent or self._window)
        more = {AccountKind.GMAIL: " Its Gmail sign-in is deleted as well.",
                AccountKind.IMAP: " Its saved password is deleted as well."}.get(account.kind, "")
        box.setInformativeText(f"It has {account.code_count} {noun}. Keep them in the codes list, "
                               f"or delete them with the account?{more}")
        keep = box.addButton("Remove, keep its codes", QMessageBox.ButtonRole.AcceptRole)
        drop = box.addButton("Remove with its codes", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        api = self._api

        def chosen(button: QAbstractButton) -> None:
            if button not in (keep, drop):
                return
            kept = button is keep
            said = (f"Removed {account.label}; its codes stay in the list." if kept
                    else f"Removed {account.label} and its {account.code_count} {noun}.")
            self._change(lambda: api.remove_account(account.id, keep_codes=kept)[1], said)

        box.buttonClicked.connect(chosen)
        box.finished.connect(box.deleteLater)
        self.remove_box = box
        box.open()

    def locate(self, account: Account, parent: QWidget | None = None) -> None:
        """The fix for a moved mailbox: choose where it is now; its codes and progress stay."""
        title = f"Where is {account.label} now?"
        folder, owner = str(self.folders.folder()), parent or self._window
        if account.kind is AccountKind.EML_DIR:
            path = QFileDialog.getExistingDirectory(owner, title, folder)
        else:
            path, _ = QFileDialog.getOpenFileName(owner, title, folder, MBOX_FILTER)
        if not path:
            return
        chosen = Path(path)
        self.folders.remember(chosen)
        api = self._api

        def relocate() -> Changes:
            api.wait_started(START_WAIT_SECONDS)  # its scan needs the queue
            return api.locate_account(account.id, chosen)[1]

        self._change(relocate, f"{account.label} is read from {chosen} now. Scanning…")

    # -- local mailboxes ---------------------------------------------------------------------
    def add_local_mailbox(self) -> None:
        """One chooser (an mbox file or a folder of .eml files), then one file dialog."""
        if self.mailbox_dialog is None:
            self.mailbox_dialog = AddMailboxDialog(self.folders, self._window)
            self.mailbox_dialog.chosen.connect(lambda path: self.add_paths([path]))
        self.mailbox_dialog.open()

    def add_path(self, path: Path, scan: bool) -> None:
        api = self._api

        def add() -> Changes:
            api.wait_started(START_WAIT_SECONDS)  # a scan needs the queue, maybe still starting
            return api.add_local_mailbox(path, scan=scan)[1]

        self._tasks.run(add, self._hub.publish, self._report)

    def add_paths(self, paths: Sequence[Path]) -> None:
        """Chosen or dropped files and folders: each mailbox is added and scanned; the rest are
        named in one message that says what Guard Inbox can read."""
        api, wanted = self._api, list(paths)

        def add_all() -> tuple[list[Account], Changes, list[str]]:
            api.wait_started(START_WAIT_SECONDS)
            added: list[Account] = []
            jobs: list[Job] = []
            problems: list[str] = []
            for path in wanted:
                try:
                    for mailbox in mailboxes_in(path):
                        account, changes = api.add_local_mailbox(mailbox, scan=True)
                        added.append(account)
                        jobs.extend(changes.jobs)
                except KnownError as exc:
                    problems.append(str(exc))
            return added, Changes(accounts=bool(added), jobs=tuple(jobs)), problems

        self._tasks.run(add_all, self._paths_added, self._report)

    def _paths_added(self, result: tuple[list[Account], Changes, list[str]]) -> None:
        added, changes, problems = result
        self._hub.publish(changes)
        if added:
            names = ", ".join(a.label for a in added)
            self._say(f"Added {names}. Scanning…")
        if problems:
            box = QMessageBox(QMessageBox.Icon.Warning, "Not a mailbox", "\n\n".join(problems),
                              QMessageBox.StandardButton.Ok, self._window)
            box.setInformativeText(NOT_A_MAILBOX_HELP)
            box.open()  # not exec(): the window keeps running while the message is read

    def try_demo(self) -> None:
        self.add_path(demo_mailbox(), scan=True)
        self._say("Scanning the demo mailbox…")

    # -- Gmail ---------------------------------------------------------------------------------
    def connect_gmail(self) -> None:
        """Opens the guided dialog, or brings back the one whose sign-in is running."""
        if self.gmail_dialog is None:
            self.gmail_dialog = ConnectGmailDialog(self._api, self._tasks, self._settings,
                                                   self.signin, self._window,
                                                   open_browser=self._open_browser)
            self.gmail_dialog.connected.connect(self._gmail_connected)
        self.gmail_dialog.refresh()
        self.gmail_dialog.show()
        self.gmail_dialog.raise_()
        self.gmail_dialog.activateWindow()

    def _open_browser(self, url: str) -> bool:
        return self.open_browser(url)

    def _gmail_connected(self, result: tuple[Account, Changes]) -> None:
        account, changes = result
        self._say(f"Connected {account.address}. Scanning…")
        self._hub.publish(changes)

    # -- IMAP (Yahoo, iCloud, Fastmail, Outlook, Gmail with an app password, any server) -------
    def add_imap(self, provider: str = "") -> None:
        """A fresh add-account dialog (a half-filled one is replaced: it may hold a password)."""
        dialog = self._new_imap_dialog()
        if provider:
            dialog.choose_provider(provider)
        dialog.open()

    def fix_imap(self, address: str, reason: str = "") -> None:
        """The dialog prefilled with the account's saved settings (read off the main thread)."""
        api = self._api

        def opened(settings: object) -> None:
            from guard_inbox.domain.imap import ImapSettings

            if isinstance(settings, ImapSettings):
                dialog = self._new_imap_dialog()
                dialog.fix(settings, reason)
                dialog.open()

        self._tasks.run(lambda: api.imap_settings(address), opened, self._report)

    def _new_imap_dialog(self) -> AddImapDialog:
        if self.imap_dialog is not None:
            self.imap_dialog.close()
            self.imap_dialog.deleteLater()
        self.imap_dialog = AddImapDialog(self._api, self._tasks, self._window)
        self.imap_dialog.added.connect(self._imap_added)
        return self.imap_dialog

    def _imap_added(self, result: tuple[Account, Changes]) -> None:
        account, changes = result
        self._say(f"Added {account.address}. Scanning…")
        self._hub.publish(changes)

    def shutdown(self) -> None:
        """At quit, before the task manager is waited for: no sign-in may hold the exit up."""
        self.signin.stop()
        for dialog in (self.gmail_dialog, self.mailbox_dialog, self.imap_dialog):
            if dialog is not None:
                dialog.close()


def mailboxes_in(path: Path) -> list[Path]:
    """What to add for a chosen or dropped path.

    An unzipped Google Takeout export is a folder with .mbox files a level or two down (no .eml
    files): those are the mailboxes. An archive is named as such, so the user knows to unzip
    it. Anything else goes to the mailbox check, which says what is wrong with it.
    """
    if path.is_file() and path.name.lower().endswith(ARCHIVES):
        raise KnownError(f"{path.name} is a compressed archive: unzip it first, then add the "
                         ".mbox file inside (a Google Takeout export has them in Takeout/Mail).")
    if path.is_dir():
        shallow = [p for pattern in ("*", "*/*", "*/*/*") for p in path.glob(pattern)]
        if not any(p.suffix.lower() == ".eml" for p in shallow):
            mboxes = sorted(p for p in shallow if p.suffix.lower() == ".mbox" and p.is_file())
            if mboxes:
                return mboxes
    return [path]
