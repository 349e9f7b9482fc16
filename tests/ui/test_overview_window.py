"""The Overview tab in the main window: a scan that ends while it is shown redraws it."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from guard_inbox.bootstrap.app_api import CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.ui.main_window import MainWindow


def overview_tab(window: MainWindow) -> int:
    return next(i for i in range(window.tabs.count()) if window.tabs.tabText(i) == "Overview")


def test_the_demo_scan_fills_the_overview_tab_while_it_is_shown(
        qtbot: QtBot, api: CoreApi, core: Core, tmp_path: Path) -> None:
    window = MainWindow(api, core.settings, tmp_path / "window.ini")
    qtbot.addWidget(window)
    window.show()
    window.start_background()
    qtbot.waitUntil(window.scan_action.isEnabled, timeout=15000)
    try:
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
    finally:
        window.shutdown()
