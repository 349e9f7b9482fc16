"""The main window as a user meets it: shown, its queue and workers started, Scan enabled."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from guard_inbox.services.api import AppApi
from guard_inbox.settings import Settings
from guard_inbox.ui.main_window import MainWindow


def open_window(qtbot: QtBot, api: AppApi, settings: Settings, state_dir: Path) -> MainWindow:
    """The caller shuts it down (``window.shutdown()``), as run_gui does after the event loop."""
    window = MainWindow(api, settings, state_dir / "window.ini")
    qtbot.addWidget(window)
    window.show()
    window.start_background()
    qtbot.waitUntil(window.scan_action.isEnabled, timeout=15000)
    return window
