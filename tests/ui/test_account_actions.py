"""Renaming, pausing, removing and locating accounts in a real window over a real Core (own
SQLite, embedded Redis, workers). Only Qt's own modal file dialog is replaced by an answer,
as in test_first_run; our own dialogs open without blocking and are answered as a user would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import Account, AccountStatus, JobState
from guard_inbox.ui.dialogs.settings_accounts_page import AccountsPage
from guard_inbox.ui.main_window import MainWindow
from mailgen import write_mbox


def states(window: MainWindow) -> list[JobState]:
    model = window.jobs_model
    return [model.job_at(r).state for r in range(model.rowCount())]


def added(qtbot: QtBot, window: MainWindow, *paths: Path) -> list[Account]:
    """Adds and scans the mailboxes, as dropping them does, until every scan completed."""
    window.account_actions.add_paths(list(paths))
    qtbot.waitUntil(lambda: window.accounts.list.count() == len(paths), timeout=15000)
    qtbot.waitUntil(lambda: states(window) == [JobState.COMPLETED] * len(paths), timeout=30000)
    qtbot.waitUntil(lambda: all(a.code_count and a.last_scan_at
                                for a in window.accounts.accounts()), timeout=5000)
    return window.accounts.accounts()


def row_texts(window: MainWindow) -> list[str]:
    return [window.accounts.list.item(r).text() for r in range(window.accounts.list.count())]


def button(box: QMessageBox, text: str) -> QMessageBox.StandardButton:
    [found] = [b for b in box.buttons() if b.text() == text]
    return found  # type: ignore[return-value]


def test_rename_pause_and_scan_all_leave_paused_accounts_out(
    qtbot: QtBot, window: MainWindow, core: Core, tmp_path: Path
) -> None:
    write_mbox(tmp_path / "demo.mbox", 4)
    write_mbox(tmp_path / "real.mbox", 6, start=50)
    demo, real = added(qtbot, window, tmp_path / "demo.mbox", tmp_path / "real.mbox")

    window.account_actions.rename(real)
    dialog = window.account_actions.rename_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue("  My   Takeout ")
    dialog.accept()
    qtbot.waitUntil(lambda: row_texts(window)[1].startswith("My Takeout\n"), timeout=5000)
    model = window.jobs_model
    qtbot.waitUntil(lambda: model.account_name(model.job_at(0)) == "My Takeout", timeout=5000)

    window.account_actions.set_paused(demo, True)
    qtbot.waitUntil(lambda: "paused" in row_texts(window)[0], timeout=5000)
    assert window.scan_action.text() == "Scan All"
    assert window.scan_action.toolTip() == (
        "Scan all 1 active account now (Ctrl+R); 1 paused left out.")
    window.scan_action.trigger()
    qtbot.waitUntil(lambda: len(states(window)) == 3, timeout=10000)
    newest = model.job_at(0)
    assert newest.account_id == real.id and model.account_name(newest) == "My Takeout"
    assert "Scanning all 1 active account: My Takeout." in window.statusBar().currentMessage()

    window.accounts.list.item(0).setSelected(True)  # a paused account scanned on purpose
    assert window.scan_action.text() == "Scan demo.mbox"
    window.scan_action.trigger()
    qtbot.waitUntil(lambda: len(states(window)) == 4, timeout=10000)
    assert model.job_at(0).account_id == demo.id


def test_remove_asks_whether_to_keep_the_codes(
    qtbot: QtBot, window: MainWindow, core: Core, tmp_path: Path
) -> None:
    demo_codes = write_mbox(tmp_path / "demo.mbox", 4)
    real_codes = write_mbox(tmp_path / "real.mbox", 6, start=50)
    demo, real = added(qtbot, window, tmp_path / "demo.mbox", tmp_path / "real.mbox")

    window.account_actions.remove(real)
    box = window.account_actions.remove_box
    assert box is not None and box.text() == "Remove real.mbox?"
    assert f"It has {len(real_codes)} codes." in box.informativeText()
    button(box, "Remove, keep its codes").click()
    qtbot.waitUntil(lambda: window.accounts.list.count() == 1, timeout=5000)
    assert {c.code for c in core.queries.codes()} == demo_codes | real_codes
    assert [window.jobs_model.job_at(0).account_id] == [demo.id]  # its jobs left with it

    window.account_actions.remove(demo)
    box = window.account_actions.remove_box
    assert box is not None
    button(box, "Remove with its codes").click()
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.welcome, timeout=5000)
    assert {c.code for c in core.queries.codes()} == real_codes  # the demo's codes are gone


def test_a_moved_mailbox_fails_at_once_and_is_located_again(
    qtbot: QtBot, window: MainWindow, core: Core, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "usb").mkdir()
    codes = write_mbox(tmp_path / "usb" / "mail.mbox", 5)
    [account] = added(qtbot, window, tmp_path / "usb" / "mail.mbox")
    moved = tmp_path / "home" / "mail.mbox"
    moved.parent.mkdir()
    (tmp_path / "usb" / "mail.mbox").rename(moved)

    window.scan_action.trigger()
    qtbot.waitUntil(lambda: states(window)[0] is JobState.FAILED, timeout=15000)
    failed = core.queries.job(window.jobs_model.job_at(0).id)
    assert failed is not None and failed.attempts == 1  # not retried
    assert "is not available" in window.jobs_model.job_at(0).error
    qtbot.waitUntil(lambda: "mailbox not found" in row_texts(window)[0], timeout=5000)
    window.accounts.list.item(0).setSelected(True)
    assert window.accounts.locate_button.isVisible()

    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *args, **kwargs: (str(moved), "Mailbox files (*.mbox *.mbx)"))
    window.accounts.locate_button.click()
    qtbot.waitUntil(lambda: states(window)[0] is JobState.COMPLETED
                    and len(states(window)) == 3, timeout=15000)
    healed = core.repository.get_account(account.id)
    assert healed is not None and (healed.address, healed.status) == (str(moved), AccountStatus.OK)
    assert {c.code for c in core.queries.codes()} == codes  # same account, same codes
    qtbot.waitUntil(lambda: "mailbox not found" not in row_texts(window)[0], timeout=5000)
    assert not window.accounts.locate_button.isVisible()


def test_the_settings_accounts_page_pauses_and_removes(
    qtbot: QtBot, window: MainWindow, core: Core, tmp_path: Path
) -> None:
    write_mbox(tmp_path / "demo.mbox", 3)
    [demo] = added(qtbot, window, tmp_path / "demo.mbox")
    dialog = window.open_settings("Accounts")  # the window's own dialog, with the acting page
    page = dialog.accounts
    assert isinstance(page, AccountsPage) and dialog.current_page() is page
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=5000)
    assert not page.pause_button.isEnabled()
    page.table.selectRow(0)
    assert page.pause_button.text() == "Pause" and page.table.item(0, 2).text() == "Active"

    page.pause_button.click()
    qtbot.waitUntil(lambda: page.table.item(0, 2).text() == "Paused", timeout=5000)
    assert page.pause_button.text() == "Resume"  # the selection survives the reload
    stored = core.repository.get_account(demo.id)
    assert stored is not None and stored.paused
    qtbot.waitUntil(lambda: "paused" in row_texts(window)[0], timeout=5000)  # the sidebar too

    page.remove_button.click()
    box = window.account_actions.remove_box
    assert box is not None and box.isVisible() and box.parent() is page  # over the dialog
    button(box, "Remove with its codes").click()
    qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=5000)
    assert core.queries.accounts() == [] and core.queries.codes() == []
