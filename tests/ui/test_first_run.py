"""A new user's first minutes: the welcome view, dropping a mailbox on the window, Add mailbox.

A real window over a real Core (own SQLite, embedded Redis, workers); only Qt's own modal file
dialogs are replaced, by answers, because a test cannot click in them.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from guard_inbox.bootstrap.app_api import CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind, JobState
from guard_inbox.ui.main_window import MainWindow
from mailgen import write_mbox


def welcome_shown(window: MainWindow) -> bool:
    return window.pages.currentWidget() is window.welcome


def codes_shown(window: MainWindow) -> bool:
    return window.pages.currentWidget() is window.tabs


def drop(window: MainWindow, *paths: Path) -> bool:
    """What a file manager's drag does: enter (accepted or not), then the drop if accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    where = window.rect().center()
    enter = QDragEnterEvent(where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    dropped = QDropEvent(QPointF(where), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, dropped)
    return dropped.isAccepted()


def message_box(window: MainWindow) -> QMessageBox | None:
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    return boxes[-1] if boxes else None


def test_the_welcome_view_shows_until_there_is_an_account(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: welcome_shown(window), timeout=5000)
    assert window.welcome.isVisible() and not window.codes.isVisible()
    qtbot.mouseClick(window.welcome.demo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: codes_shown(window), timeout=15000)
    assert window.codes.isVisible() and not window.welcome.isVisible()
    qtbot.waitUntil(lambda: window.codes.model.total > 10, timeout=30000)


def test_a_window_with_accounts_opens_on_the_codes_list(
    qtbot: QtBot, api: CoreApi, core: Core, tmp_path: Path
) -> None:
    mbox = tmp_path / "old.mbox"
    write_mbox(mbox, 2)
    core.repository.add_account(AccountKind.MBOX, str(mbox), "old.mbox")
    window = MainWindow(api, core.settings, tmp_path / "window.ini")
    qtbot.addWidget(window)
    window.show()
    window.start_background()
    qtbot.waitUntil(lambda: window.accounts.list.count() == 1, timeout=15000)
    assert codes_shown(window)
    qtbot.waitUntil(window.scan_action.isEnabled, timeout=15000)
    window.shutdown()


def test_dropping_an_mbox_adds_and_scans_it(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    mbox = tmp_path / "shop.mbox"
    codes = write_mbox(mbox, 12)
    assert drop(window, mbox)
    qtbot.waitUntil(lambda: window.accounts.list.count() == 1, timeout=15000)
    assert window.accounts.list.item(0).text().startswith("shop.mbox")
    qtbot.waitUntil(lambda: [window.jobs_model.job_at(r).state
                             for r in range(window.jobs_model.rowCount())] == [JobState.COMPLETED],
                    timeout=30000)
    qtbot.waitUntil(lambda: window.codes.model.total == len(codes), timeout=10000)
    assert codes_shown(window)


def test_something_that_is_not_a_mailbox_is_refused_with_a_reason(
    qtbot: QtBot, window: MainWindow, core: Core, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list: milk, eggs\n")
    assert drop(window, notes)
    qtbot.waitUntil(lambda: message_box(window) is not None, timeout=15000)
    box = message_box(window)
    assert box is not None
    assert f"{notes} is not an mbox file or a folder of .eml files." in box.text()
    assert "Takeout" in box.informativeText()
    box.close()
    assert core.queries.accounts() == []
    assert welcome_shown(window)


def test_a_drag_without_local_files_is_not_accepted(window: MainWindow) -> None:
    text, link = QMimeData(), QMimeData()
    text.setText("SAVE20")
    link.setUrls([QUrl("https://shop.example/mail.mbox")])
    for mime in (text, link):
        enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                                Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(window, enter)
        assert not enter.isAccepted()


def test_an_unzipped_takeout_folder_adds_its_mbox_and_an_archive_says_unzip(
    qtbot: QtBot, window: MainWindow, core: Core, tmp_path: Path
) -> None:
    mail = tmp_path / "Takeout" / "Mail"
    mail.mkdir(parents=True)
    write_mbox(mail / "All mail Including Spam and Trash.mbox", 3)
    (tmp_path / "Takeout" / "archive_browser.html").write_text("<html></html>")
    archive = tmp_path / "takeout-20261102T101010Z-001.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("Takeout/Mail/Inbox.mbox", "")
    assert drop(window, tmp_path / "Takeout", archive)
    qtbot.waitUntil(lambda: window.accounts.list.count() == 1, timeout=15000)
    [account] = core.queries.accounts()
    assert account.kind is AccountKind.MBOX
    assert account.label == "All mail Including Spam and Trash.mbox"
    qtbot.waitUntil(lambda: message_box(window) is not None, timeout=15000)
    box = message_box(window)
    assert box is not None and "is a compressed archive: unzip it first" in box.text()
    box.close()


def test_add_mailbox_is_one_chooser_whose_dialogs_start_at_home_then_the_last_folder(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    exports = tmp_path / "exports"
    exports.mkdir()
    mbox = exports / "shop.mbox"
    write_mbox(mbox, 2)
    eml = tmp_path / "saved"
    eml.mkdir()
    (eml / "one.eml").write_bytes(b"From: a@b.example\nSubject: hi\n\nUse code HELLO10 today.\n")
    asked: list[tuple[str, str]] = []

    def open_file(parent: object, title: str, folder: str, filters: str = "") -> tuple[str, str]:
        asked.append((title, folder))
        return str(mbox), ""

    def open_folder(parent: object, title: str, folder: str) -> str:
        asked.append((title, folder))
        return str(eml)

    monkeypatch.setattr(QFileDialog, "getOpenFileName", open_file)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", open_folder)

    qtbot.mouseClick(window.welcome.mailbox_button, Qt.MouseButton.LeftButton)
    chooser = window.account_actions.mailbox_dialog
    assert chooser is not None and chooser.isVisible()
    assert chooser.windowTitle() == "Add a mailbox"
    qtbot.mouseClick(chooser.mbox_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.accounts.list.count() == 1, timeout=15000)
    assert not chooser.isVisible()

    window.local_action.trigger()  # the toolbar's "Add local mailbox…": the same chooser
    assert chooser.isVisible()
    qtbot.mouseClick(chooser.folder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.accounts.list.count() == 2, timeout=15000)
    assert asked == [("Choose an mbox file", str(home)),
                     ("Choose a folder of .eml files", str(exports))]
