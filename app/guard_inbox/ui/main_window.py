"""Main window: accounts, codes and jobs. Thin: actions call services off the main thread."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
)

from guard_inbox.autostart import for_platform, launch_command
from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.models import Account, AccountKind, Job, JobState, Priority, StoredCode
from guard_inbox.services.api import AppApi, Changes, Started
from guard_inbox.settings import Settings
from guard_inbox.ui import menus, notifier, palette, scan_scope
from guard_inbox.ui.account_actions import AccountActions
from guard_inbox.ui.bridge import EventBridge
from guard_inbox.ui.changes import ChangeHub
from guard_inbox.ui.dialogs.settings_accounts_page import AccountsPage
from guard_inbox.ui.dialogs.settings_dialog import PageServices, SettingsDialog
from guard_inbox.ui.dialogs.source_viewer import SourceViewer
from guard_inbox.ui.icons import icon
from guard_inbox.ui.live_codes import LiveCodes
from guard_inbox.ui.mailbox_drop import MailboxDrop
from guard_inbox.ui.models.jobs_model import JobsModel
from guard_inbox.ui.taskman import TaskManager
from guard_inbox.ui.tray import Tray
from guard_inbox.ui.views.accounts_panel import AccountsPanel
from guard_inbox.ui.views.codes_view import VIEW_OPTIONS, CodesView
from guard_inbox.ui.views.jobs_view import JobsView
from guard_inbox.ui.views.overview_view import OverviewView
from guard_inbox.ui.views.status_line import StatusLine
from guard_inbox.ui.views.welcome import WelcomeView
from guard_inbox.ui.window_state import WindowState

log = logging.getLogger(__name__)

CODES_TAB, JOBS_TAB = range(2)
STATUS_REFRESH_MS = 1000
EXPIRY_CHECK_MS = 60 * 60 * 1000


class MainWindow(QMainWindow):
    def __init__(self, api: AppApi, settings: Settings, state_file: Path) -> None:
        super().__init__()
        self.api = api
        self.settings = settings
        self.tasks = TaskManager(self)
        self.hub = ChangeHub(self)
        self.bridge: EventBridge | None = None
        self._kinds: dict[int, AccountKind] = {}
        self._quitting = False
        self._window_state = WindowState(state_file)
        self.autostart = for_platform(launch_command(state_file.parent))  # start at login
        self.settings_dialog: SettingsDialog | None = None
        self.account_actions = AccountActions(api, self.tasks, self.hub, self, self._report,
                                              lambda text: self.show_message(text, 8000),
                                              settings=settings, state_file=state_file)
        self.setWindowTitle("Guard Inbox")
        self.setWindowIcon(icon("guard-inbox"))
        self.resize(1100, 680)
        self._build_views()
        self._build_actions()
        self._build_status_bar()
        self.tray = Tray(int(self.settings.get("scan.interval_minutes")), self)
        self.tray.scan_requested.connect(self.scan_all)  # the tray shows no selection
        self.tray.open_requested.connect(self.bring_to_front)
        self.tray.quit_requested.connect(self.quit)
        self.tray.background_scan_due.connect(self.background_scan)
        self.tray.message_clicked.connect(self.notification_clicked)
        self.tray.schedule_changed.connect(self._show_schedule)
        self.status_line.schedule.pause_requested.connect(self.tray.set_paused)
        self._show_schedule()
        self._restore_state()

    # -- construction ----------------------------------------------------------------------
    def _build_views(self) -> None:
        self.accounts = AccountsPanel(self)
        actions = self.account_actions
        self.accounts.connect_gmail.connect(actions.connect_gmail)
        self.accounts.add_local.connect(actions.add_local_mailbox)
        self.accounts.reconnect.connect(self._reconnect)
        self.accounts.add_imap.connect(actions.add_imap)
        self.accounts.selection_changed.connect(self._account_selection_changed)
        self.accounts.scan_requested.connect(lambda ids: self._scan(ids, Priority.HIGH, "manual"))
        actions.attach(self.accounts)
        self.codes = CodesView(
            self.api, self.tasks, self.api.mark_used,
            is_gmail=lambda aid: self._kinds.get(aid) is AccountKind.GMAIL, parent=self,
            expiring_days=int(self.settings.get("notify.expiring_days")),
        )
        self.codes.status_message.connect(self.show_message)
        self.codes.show_source.connect(self.show_source)
        self.codes.demo_requested.connect(self.try_demo)
        self.overview = OverviewView(self.api, self.tasks, self)
        self.overview.day_activated.connect(self.show_codes_expiring_on)
        self.overview.status_message.connect(self.show_message)
        self.jobs_model = JobsModel(self)
        for subscriber in (self.codes.apply_changes, self.jobs_model.apply_changes,
                           self.accounts.apply_changes, self.overview.apply_changes,
                           self._on_changes):
            self.hub.changed.connect(subscriber)
        self.jobs_model.unknown_job.connect(self._load_job)
        self.jobs = JobsView(self.jobs_model, self)
        self.jobs.cancel_requested.connect(self.cancel_job)
        self.jobs.retry_requested.connect(self.retry_job)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.codes, "Codes")
        self.tabs.addTab(self.jobs, "Jobs")
        self.tabs.addTab(self.overview, "Overview")
        self.welcome = WelcomeView(self)  # instead of the tabs while there is no account
        self.welcome.connect_gmail.connect(actions.connect_gmail)
        self.welcome.add_mailbox.connect(actions.add_local_mailbox)
        self.welcome.add_imap.connect(actions.add_imap)
        self.welcome.try_demo.connect(self.try_demo)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.tabs)
        self.pages.addWidget(self.welcome)
        self.drop = MailboxDrop(self, actions.add_paths)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.accounts)
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([270, 830])
        self.setCentralWidget(self.splitter)

    def _action(self, text: str, slot: Callable[[], Any], shortcut: str | None = None,
                icon_name: str | None = None) -> QAction:
        return menus.make_action(self, text, slot, shortcut, icon_name)

    def _build_actions(self) -> None:
        self.scan_action = self._action("Scan All", self.scan_now, "Ctrl+R", "scan")
        self.scan_action.setEnabled(False)
        self._describe_scan()
        self.connect_action = self._action("Connect Gmail…", self.account_actions.connect_gmail,
                                           None, "account-gmail")
        self.local_action = self._action("Add local mailbox…",
                                         self.account_actions.add_local_mailbox, None,
                                         "account-local")
        self.imap_action = self._action("Add IMAP account…", self.account_actions.add_imap, None,
                                        "account-imap")
        self.export_action = self._action("Export CSV…", self.export_csv, "Ctrl+E")
        self.settings_action = self._action("Settings…", self.open_settings, "Ctrl+,")
        self.quit_action = self._action("Quit", self.quit, "Ctrl+Q")
        menus.install(
            self, quit_action=self.quit_action,
            toolbar=(self.scan_action, self.connect_action, self.local_action, self.export_action),
            file=(self.connect_action, self.imap_action, self.local_action, self.export_action,
                  self.settings_action),
            scan=(self.scan_action, self.codes.find_action),
            help_=(self._action("Try the demo mailbox", self.try_demo),
                   self._action("About Guard Inbox", self._about)),
        )

    def _reconnect(self, account_id: int) -> None:
        """An IMAP account is fixed in its own dialog (its password), a Gmail one by signing in."""
        account = self.accounts.account(account_id)
        if account is not None and account.kind is AccountKind.IMAP:
            self.account_actions.fix_imap(account.address, account.status_message)
        else:
            self.account_actions.connect_gmail()

    def _build_status_bar(self) -> None:
        self.status_line = StatusLine(self.statusBar())
        self.status_timer = QTimer(self)
        self.status_timer.timeout.connect(self._update_workers_label)
        self.expiry_timer = QTimer(self)
        self.expiry_timer.timeout.connect(self.check_expiring)

    # -- start-up: everything slow happens off the main thread ----------------------------------
    def start_background(self) -> None:
        """Waits, off the main thread, for bootstrap's start of the queue and the workers."""
        self.refresh_accounts()  # the database is open already: welcome or codes list at once
        self.tasks.run(self.api.wait_started, self._on_started, self._on_start_failed)

    def _on_started(self, started: Started) -> None:
        self.bridge = EventBridge(self.api.events(), self)
        live = LiveCodes()  # codes show while a scan finds them, not only at its end
        self.bridge.job_changed.connect(lambda event: self.hub.publish(live.changes(event)))
        self._show_accounts(started.accounts)
        self.jobs_model.set_jobs(started.jobs)
        self.codes.refresh()
        self.scan_action.setEnabled(True)
        self.status_line.show_broker(started.broker.name, started.broker.display)
        self.status_timer.start(STATUS_REFRESH_MS)
        self.expiry_timer.start(EXPIRY_CHECK_MS)
        self.check_expiring()
        if not self.tray.available:
            self.show_message("No system tray here: Guard Inbox runs as a normal window.", 8000)

    def _on_start_failed(self, exc: Exception) -> None:
        self.status_line.show_broker_failed()
        QMessageBox.critical(self, "Guard Inbox could not start its job queue", str(exc))

    # -- actions ----------------------------------------------------------------------------------
    def show_message(self, text: str, msecs: int = 5000) -> None:
        self.statusBar().showMessage(text, msecs)

    def _report(self, exc: Exception) -> None:
        text = str(exc) if isinstance(exc, KnownError) else f"Something went wrong: {exc}"
        self.show_message(text, 10000)
        if not isinstance(exc, KnownError):
            log.error("Action failed", exc_info=exc)

    def scan_now(self) -> None:
        """What the button says: the selected accounts, or every active one."""
        self._scan(self.accounts.selected_ids(), Priority.HIGH, "manual")

    def scan_all(self) -> None:
        self._scan([], Priority.HIGH, "manual")

    def _describe_scan(self) -> None:
        chosen = [a for a in map(self.accounts.account, self.accounts.selected_ids()) if a]
        text, tip = scan_scope.describe(chosen, self.accounts.accounts())
        self.scan_action.setText(text)
        self.scan_action.setToolTip(tip)

    def background_scan(self) -> None:
        self._scan([], Priority.LOW, "scheduled")

    def _scan(self, account_ids: list[int], priority: Priority, trigger: str) -> None:
        api = self.api

        def queued(changes: Changes) -> None:
            self.hub.publish(changes)
            if trigger == "manual":
                self.show_message(scan_scope.queued_message(changes, bool(account_ids),
                                                            bool(self.accounts.accounts())))

        self.tasks.run(lambda: api.scan(account_ids, priority, trigger), queued, self._report)

    def cancel_job(self, job_id: int) -> None:
        self.tasks.run(lambda: self.api.cancel(job_id), self.hub.publish, self._report)

    def retry_job(self, job_id: int) -> None:
        self.tasks.run(lambda: self.api.retry(job_id), self.hub.publish, self._report)

    def _load_job(self, job_id: int) -> None:
        self.tasks.run(lambda: self.api.job(job_id), self._job_loaded)

    def _job_loaded(self, job: Job | None) -> None:
        if job is not None:
            self.jobs_model.upsert(job)

    def try_demo(self) -> None:
        self.account_actions.try_demo()

    def export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export codes", "guard-inbox-codes.csv",
                                              "CSV files (*.csv)")
        if not path:
            return
        query, api = self.codes.current_query(), self.api
        self.tasks.run(lambda: api.export_csv(Path(path), query),
                       lambda n: self.show_message(f"Exported {n} codes to {path}", 8000),
                       self._report)

    def show_source(self, code: StoredCode) -> None:
        api = self.api
        self.tasks.run(lambda: api.load_message(code),
                       lambda message: SourceViewer(message, code.code, self).show(), self._report)

    def open_settings(self, page: str = "General") -> SettingsDialog:
        """Window-modal, not exec(): the window keeps painting and the pages load off-thread."""
        api = self.api

        def store_key(key: str) -> None:  # the keyring may block on D-Bus: not on this thread
            if key:
                self.tasks.run(lambda: api.save_ai_key(key), None, self._report)

        if self.settings_dialog is not None:
            self.settings_dialog.deleteLater()
        services = PageServices(api, self.tasks, self.hub.publish, self._report)
        dialog = SettingsDialog(self.settings, broker_embedded=self._embedded(),
                                save_api_key=store_key, services=services,
                                autostart=self.autostart,
                                accounts_page=AccountsPage(self.account_actions), parent=self)
        dialog.accepted.connect(self._settings_saved)
        dialog.show_page(page)
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    def _settings_saved(self) -> None:
        self.tray.set_interval(int(self.settings.get("scan.interval_minutes")))
        self.codes.set_expiring_days(int(self.settings.get("notify.expiring_days")))
        palette.apply_theme(str(self.settings.get("ui.theme")))
        self.show_message("Settings saved. Worker threads change on the next start.")

    def _show_schedule(self) -> None:
        self.status_line.show_schedule(self.tray.next_scan(), paused=self.tray.paused,
                                       interval_minutes=self.tray.interval_minutes)
        plain = self.status_line.schedule.plain
        self.tray.icon.setToolTip(f"Guard Inbox — {plain}" if plain else "Guard Inbox")

    def _embedded(self) -> bool:
        return not self.settings.get("broker.url")

    def _about(self) -> None:
        from guard_inbox import __version__

        QMessageBox.about(self, "About Guard Inbox",
                          f"Guard Inbox {__version__}\nFinds promo codes in your mail and tells "
                          "you before they expire.")

    # -- live updates -----------------------------------------------------------------------------
    def _on_changes(self, changes: Changes) -> None:
        """The window's own subscriptions: the account list, and a toast for a finished scan."""
        if changes.accounts:
            self.refresh_accounts()
        for event in changes.job_events:
            if event.state is JobState.COMPLETED:
                self.tasks.run(functools.partial(self.api.job, event.job_id), self._completed)

    def _completed(self, job: Job | None) -> None:
        if job is None:
            return
        self.jobs_model.upsert(job)
        self.status_line.show_last_scan(job.account_label)
        message = notifier.new_codes_message(job)
        if message and self.settings.get("notify.enabled"):
            self.tray.notify(*message)

    def check_expiring(self) -> None:
        if not self.settings.get("notify.enabled"):
            return
        api, days = self.api, int(self.settings.get("notify.expiring_days"))
        self.tasks.run(
            lambda: notifier.expiring_message(api.expiring_to_announce(days)),
            self._notify_expiring,
        )

    def _notify_expiring(self, message: tuple[str, str] | None) -> None:
        if message is not None:
            self.tray.notify(message[0], message[1], kind="expiring")

    def notification_clicked(self, kind: str) -> None:
        """A click on a notification opens the codes list; on an expiry one, that list."""
        self.bring_to_front()
        self.pages.setCurrentWidget(self.tabs)
        self.tabs.setCurrentIndex(CODES_TAB)
        if kind == "expiring":
            for account_list in self.accounts.findChildren(QAbstractItemView):
                account_list.clearSelection()  # the notification covers every account
            self.codes.show_expiring()

    def show_codes_expiring_on(self, day: date) -> None:
        """A day clicked on the Overview's timeline: the codes list, limited to that day."""
        self.tabs.setCurrentIndex(CODES_TAB)
        for account_list in self.accounts.findChildren(QAbstractItemView):
            account_list.clearSelection()  # the timeline counts every account's codes
        self.codes.show_expiring_on(day)

    def refresh_accounts(self) -> None:
        self.tasks.run(self.api.accounts, self._show_accounts)

    def _show_accounts(self, accounts: list[Account]) -> None:
        self._kinds = {a.id: a.kind for a in accounts}
        self.accounts.set_accounts(accounts)
        self.jobs_model.set_account_labels({a.id: a.label for a in accounts})
        self._describe_scan()
        self.pages.setCurrentWidget(self.tabs if accounts else self.welcome)

    def _account_selection_changed(self) -> None:
        selected = self.accounts.selected_ids()
        self.codes.set_account(selected[0] if len(selected) == 1 else None)
        self._describe_scan()

    def _update_workers_label(self) -> None:
        load = self.api.worker_load()  # in-process counters: no I/O
        self.status_line.show_workers(load.busy, load.threads)

    # -- window life -------------------------------------------------------------------------------
    def bring_to_front(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing keeps the app in the tray (said once); without a tray it quits."""
        self._save_state()
        if self._quitting or not self.tray.available:
            self._quitting = True
            event.accept()
            return
        event.ignore()
        self.hide()
        if self._window_state.once("tray_hint_shown"):
            self.tray.notify("Guard Inbox is still running",
                             "It keeps scanning in the background. Quit from the tray menu.")

    def quit(self) -> None:
        self._quitting = True
        self.close()
        from PySide6.QtWidgets import QApplication

        QApplication.quit()

    def _save_state(self) -> None:
        self._window_state.save(self, self.splitter, self.tabs, self.codes.filter.currentIndex(),
                                self.codes.table.horizontalHeader())
        self._window_state.set_flags("codes_view", self.codes.view_options())

    def _restore_state(self) -> None:
        codes_filter = self._window_state.restore(self, self.splitter, self.tabs,
                                                  self.codes.table.horizontalHeader(), CODES_TAB)
        self.codes.filter.setCurrentIndex(codes_filter)
        self.codes.set_view_options(self._window_state.flags("codes_view", list(VIEW_OPTIONS)))

    def shutdown(self) -> None:
        self._save_state()
        for timer in (self.status_timer, self.expiry_timer):
            timer.stop()
        self.tray.hide()
        if self.bridge is not None:
            self.bridge.close()
        self.account_actions.shutdown()  # a pending Gmail sign-in must not hold the exit up
        self.tasks.wait()
