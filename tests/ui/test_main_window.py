"""The first window: starts its worker pool off the main thread and shows a scan live."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from guard_inbox.domain.models import AccountKind
from guard_inbox.jobs.runtime import Runtime
from guard_inbox.ui.main_window import MainWindow
from mailgen import write_mbox


def test_scan_now_shows_the_job_until_completed(qtbot: QtBot, runtime: Runtime, tmp_path: Path) -> None:
    mbox = tmp_path / "demo.mbox"
    codes = write_mbox(mbox, 40)
    runtime.repository.add_account(AccountKind.MBOX, str(mbox), "demo.mbox")
    window = MainWindow(runtime)
    qtbot.addWidget(window)
    window.show()
    window.start_background()
    qtbot.waitUntil(window.scan_action.isEnabled, timeout=15000)
    assert window.accounts.count() == 1

    window.scan_action.trigger()

    def completed() -> bool:
        item = window.jobs.item(0, 2)
        return window.jobs.rowCount() == 1 and item is not None and item.text() == "COMPLETED"

    qtbot.waitUntil(completed, timeout=30000)
    assert window.jobs.item(0, 3).text() == "40 / 40"
    assert window.jobs.item(0, 4).text() == str(len(codes))
    window.shutdown()
