"""The window without plumbing: no Queue tab (it is in Settings → Diagnostics), and the status
bar saying when the next background scan runs, or that background scanning is paused."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from pytestqt.qtbot import QtBot

from guard_inbox.autostart import XdgAutostart
from guard_inbox.ui.dialogs.settings_accounts_page import AccountsPage
from guard_inbox.ui.main_window import MainWindow
from guard_inbox.ui.views.status_line import PAUSE_LINK, RESUME_LINK, schedule_text


def test_the_window_has_no_queue_tab(window: MainWindow) -> None:
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert "Queue" not in tabs and tabs[:2] == ["Codes", "Jobs"]


def test_settings_open_window_modal_with_the_queue_under_diagnostics(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window.autostart = XdgAutostart(tmp_path / "xdg", ["/usr/bin/guard-inbox-gui"])
    dialog = window.open_settings("Diagnostics")
    assert dialog.isVisible()
    assert dialog.page_titles() == ["General", "Accounts", "Advanced", "Diagnostics"]
    assert isinstance(dialog.accounts, AccountsPage)  # the page that renames, pauses, removes
    assert dialog.diagnostics is not None
    qtbot.waitUntil(lambda: dialog.diagnostics is not None
                    and dialog.diagnostics.queue.values["workers_alive"].text() != "–",
                    timeout=10000)
    interval = dialog.editors["scan.interval_minutes"]
    interval.setValue(15)  # type: ignore[union-attr]
    dialog.general.start_at_login.setChecked(True)
    dialog.accept()
    assert window.tray.interval_minutes == 15
    assert (tmp_path / "xdg" / "autostart" / "guard-inbox.desktop").is_file()
    assert window.status_line.schedule.plain.startswith("Next scan")


def test_the_status_bar_says_when_the_next_scan_runs_and_when_paused(
    qtbot: QtBot, window: MainWindow
) -> None:
    label = window.status_line.schedule
    window.tray.set_interval(30)
    due = datetime.now().astimezone() + timedelta(minutes=30)
    assert label.plain in {f"Next scan at {due:%H:%M}",
                           f"Next scan at {due - timedelta(minutes=1):%H:%M}",
                           f"Next scan tomorrow at {due:%H:%M}"}
    assert f'href="{PAUSE_LINK}"' in label.text()
    label.linkActivated.emit(PAUSE_LINK)  # the link the user clicks: the tray's own pause
    assert window.tray.pause_action.isChecked() and not window.tray.timer.isActive()
    assert label.plain == "Background scanning paused"
    assert f'href="{RESUME_LINK}"' in label.text()
    assert window.tray.icon.toolTip() == "Guard Inbox — Background scanning paused"
    label.linkActivated.emit(RESUME_LINK)
    assert not window.tray.paused and window.tray.timer.isActive()
    assert label.plain.startswith("Next scan")
    window.tray.pause_action.setChecked(True)  # paused from the tray menu: the window says so
    assert label.plain == "Background scanning paused"
    window.tray.set_interval(0)
    window.tray.pause_action.setChecked(False)
    assert label.plain == "Background scans off"


def test_schedule_wording_names_the_day_when_it_is_not_today() -> None:
    now = datetime(2026, 3, 10, 23, 50).astimezone()
    assert schedule_text(now + timedelta(minutes=5), paused=False, interval_minutes=60,
                         now=now) == f"Next scan at {now + timedelta(minutes=5):%H:%M}"
    assert schedule_text(now + timedelta(minutes=20), paused=False, interval_minutes=60,
                         now=now) == f"Next scan tomorrow at {now + timedelta(minutes=20):%H:%M}"
    later = now + timedelta(days=3)
    assert schedule_text(later, paused=False, interval_minutes=7 * 24 * 60,
                         now=now) == f"Next scan {later.day} {later:%b} at {later:%H:%M}"
    assert schedule_text(None, paused=True, interval_minutes=60) == "Background scanning paused"
    assert schedule_text(None, paused=False, interval_minutes=0) == "Background scans off"


def test_the_status_bar_speaks_of_scans_not_workers_and_brokers(
    qtbot: QtBot, window: MainWindow
) -> None:
    line = window.status_line
    assert line.broker.isHidden()  # started: where the queue lives is Diagnostics' business
    line.show_workers(0, 5)
    assert line.workers.isHidden()
    line.show_workers(2, 5)
    assert line.workers.text() == "Scanning 2 mailboxes" and not line.workers.isHidden()
    assert line.workers.toolTip() == "2 of 5 worker threads busy"
    line.show_workers(1, 5)
    assert line.workers.text() == "Scanning 1 mailbox"
    line.show_broker_failed()
    assert line.broker.text() == "Job queue unavailable" and not line.broker.isHidden()
