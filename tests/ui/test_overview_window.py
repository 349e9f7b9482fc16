"""The Overview tab in the main window: a scan that ends while it is shown redraws it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from guard_inbox.ui.main_window import MainWindow


def overview_tab(window: MainWindow) -> int:
    return next(i for i in range(window.tabs.count()) if window.tabs.tabText(i) == "Overview")


def test_the_demo_scan_fills_the_overview_tab_while_it_is_shown(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    window.resize(640, 420)
    window.try_demo()  # adds the account: the tabs replace the welcome page
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.tabs, timeout=10000)
    window.tabs.setCurrentIndex(overview_tab(window))
    view = window.overview
    qtbot.waitUntil(lambda: view.overview is not None and view.overview.total_codes > 10
                    and len(view.overview.scans) == 1, timeout=30000)
    assert view.overview is not None
    assert view.overview.scans[0].found >= view.overview.total_codes
    assert len(view.shops.bars) == min(8, view.overview.shop_count)
    view.grab().save(str(tmp_path / "overview-640x420.png"))


def test_a_day_clicked_on_the_timeline_opens_the_codes_expiring_that_day(
        qtbot: QtBot, window: MainWindow) -> None:
    window.try_demo()
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.tabs, timeout=10000)
    window.tabs.setCurrentIndex(overview_tab(window))
    view = window.overview
    qtbot.waitUntil(lambda: view.overview is not None and len(view.overview.scans) == 1
                    and view.overview.scans[0].state.is_final, timeout=30000)
    assert view.overview is not None
    busy = [i for i, day in enumerate(view.overview.expiring) if day.count]
    assert busy, "the demo mailbox has codes expiring within 30 days"
    index = busy[-1]
    day = view.overview.expiring[index]
    qtbot.mouseClick(view.timeline, Qt.MouseButton.LeftButton,
                     pos=view.timeline.bar_rect(index).center().toPoint())

    codes = window.codes
    assert window.tabs.currentWidget() is codes and codes.day_bar.isVisible()
    qtbot.waitUntil(lambda: codes.model.rowCount() == day.count, timeout=5000)
    shown = [codes.model.code_at(row) for row in range(day.count)]
    assert all(c is not None and c.expires is not None and not c.used
               and c.expires.astimezone().date() == day.day for c in shown)

    codes.day_clear.click()  # every date again
    assert not codes.day_bar.isVisible()
    qtbot.waitUntil(lambda: codes.model.rowCount() > day.count, timeout=5000)
