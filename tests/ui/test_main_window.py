"""The main window end to end: demo mailbox, live jobs, codes, copy, cancel, export, tray."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from guard_inbox.bootstrap.app_api import CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind, JobState
from guard_inbox.services.api import Changes
from guard_inbox.ui.main_window import MainWindow
from guard_inbox.ui.models.jobs_model import STATUS
from mailgen import write_mbox


def job_states(window: MainWindow) -> list[JobState]:
    model = window.jobs_model
    return [model.job_at(r).state for r in range(model.rowCount())]


def test_try_the_demo_mailbox_shows_codes(qtbot: QtBot, window: MainWindow) -> None:
    assert window.codes.model.rowCount() == 0
    window.try_demo()
    qtbot.waitUntil(lambda: job_states(window) == [JobState.COMPLETED], timeout=30000)
    qtbot.waitUntil(lambda: window.codes.model.total > 10, timeout=10000)
    assert window.accounts.list.count() == 1
    assert window.jobs_model.index(0, STATUS).data() == "Completed"


def test_scan_now_appears_pending_at_once_then_completes(
    qtbot: QtBot, window: MainWindow, core: Core, tmp_path: Path
) -> None:
    mbox = tmp_path / "shop.mbox"
    codes = write_mbox(mbox, 60)
    core.repository.add_account(AccountKind.MBOX, str(mbox), "shop.mbox")
    window.refresh_accounts()
    qtbot.waitUntil(lambda: window.accounts.list.count() == 1)
    window.scan_action.trigger()
    qtbot.waitUntil(lambda: window.jobs_model.rowCount() == 1, timeout=5000)
    qtbot.waitUntil(lambda: job_states(window) == [JobState.COMPLETED], timeout=30000)
    job = window.jobs_model.job_at(0)
    assert (job.scanned, job.total, job.codes_found) == (60, 60, len(codes))
    qtbot.waitUntil(lambda: window.codes.model.total == len(codes), timeout=10000)


def test_cancel_a_running_scan_from_the_jobs_view(
    qtbot: QtBot, window: MainWindow, core: Core, tmp_path: Path
) -> None:
    mbox = tmp_path / "big.mbox"
    write_mbox(mbox, 5000)
    account = core.repository.add_account(AccountKind.MBOX, str(mbox), "big.mbox")
    window._scan([account.id], 100, "manual")
    qtbot.waitUntil(lambda: job_states(window) == [JobState.IN_PROGRESS], timeout=15000)
    window.jobs.table.selectRow(0)
    assert window.jobs.cancel_button.isEnabled()
    window.jobs.cancel_button.click()
    qtbot.waitUntil(lambda: job_states(window) == [JobState.CANCELLED], timeout=15000)
    qtbot.waitUntil(window.jobs.retry_button.isEnabled)


def test_export_through_the_dialog(
    qtbot: QtBot, window: MainWindow, core: Core, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mbox = tmp_path / "m.mbox"
    codes = write_mbox(mbox, 8)
    account = core.repository.add_account(AccountKind.MBOX, str(mbox), "m.mbox")
    window._scan([account.id], 100, "manual")
    qtbot.waitUntil(lambda: job_states(window) == [JobState.COMPLETED], timeout=30000)
    target = tmp_path / "out.csv"
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "CSV"))
    window.export_csv()
    qtbot.waitUntil(target.exists, timeout=10000)
    with target.open(encoding="utf-8-sig") as handle:
        assert {row["code"] for row in csv.DictReader(handle)} == codes
    qtbot.waitUntil(lambda: "Exported 8 codes" in window.statusBar().currentMessage())


def test_tray_menu_actions(qtbot: QtBot, window: MainWindow, core: Core, tmp_path: Path) -> None:
    mbox = tmp_path / "t.mbox"
    write_mbox(mbox, 3)
    core.repository.add_account(AccountKind.MBOX, str(mbox), "t.mbox")
    window.tray.scan_action.trigger()
    qtbot.waitUntil(lambda: job_states(window) == [JobState.COMPLETED], timeout=30000)
    window.hide()
    window.tray.open_action.trigger()
    assert window.isVisible()
    window.tray.pause_action.trigger()
    assert window.tray.pause_action.isChecked() and not window.tray.timer.isActive()
    window.tray.pause_action.trigger()
    assert window.tray.timer.isActive()


def test_layout_and_view_state_come_back_next_run(qtbot: QtBot, api: CoreApi, core: Core,
                                                  tmp_path: Path) -> None:
    state = tmp_path / "window.ini"
    first = MainWindow(api, core.settings, state)
    qtbot.addWidget(first)
    first.resize(700, 500)  # inside the offscreen screen (800 x 600): restoring clamps to it
    first.tabs.setCurrentIndex(1)
    first.codes.filter.setCurrentIndex(2)
    first.codes.table.horizontalHeader().resizeSection(1, 217)
    first.shutdown()

    second = MainWindow(api, core.settings, state)
    qtbot.addWidget(second)
    assert second.tabs.currentIndex() == 1
    assert second.codes.filter.currentIndex() == 2
    assert second.codes.table.horizontalHeader().sectionSize(1) == 217
    assert (second.width(), second.height()) == (700, 500)
    second.shutdown()


def test_views_reload_only_for_changes_to_what_they_show(
    qtbot: QtBot, window: MainWindow, api: CoreApi, core: Core, tmp_path: Path
) -> None:
    mbox = tmp_path / "quiet.mbox"
    write_mbox(mbox, 2)
    account = core.repository.add_account(AccountKind.MBOX, str(mbox), "quiet.mbox")
    job = core.job_repository.create(account.id, 100, "manual")  # not queued: nothing runs it
    qtbot.waitUntil(lambda: not window.codes.model.loading, timeout=5000)  # start-up's own read
    qtbot.wait(100)
    reloads: list[int] = []
    window.codes.model.loaded.connect(lambda *_: reloads.append(1))

    window.hub.publish(Changes(jobs=(job,)))
    assert window.jobs_model.job(job.id) == job
    qtbot.wait(200)
    assert reloads == []  # a job row changed: the codes list has nothing to re-read

    with qtbot.waitSignal(window.codes.model.loaded, timeout=5000):
        window.hub.publish(Changes(codes=True))
    window.hub.publish(Changes(accounts=True))  # the window re-reads the account list
    qtbot.waitUntil(lambda: window.accounts.list.count() == 1, timeout=5000)
