"""Start the Qt application around the services interface (composition happens in bootstrap)."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from guard_inbox.logs import RingBufferHandler
from guard_inbox.services.api import AppApi
from guard_inbox.settings import Settings
from guard_inbox.ui import palette
from guard_inbox.ui.crash import install_crash_dialog
from guard_inbox.ui.dialogs.damaged_database import ask_to_start_afresh
from guard_inbox.ui.icons import icon
from guard_inbox.ui.main_window import MainWindow
from guard_inbox.ui.single_instance import InstanceServer, ask_running_instance_to_show

log = logging.getLogger(__name__)


def _choose_platform() -> None:
    """Without any display Qt aborts the process; fall back to offscreen and say so."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("QT_QPA_PLATFORM") or os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
    ):
        log.warning("No display found (DISPLAY/WAYLAND_DISPLAY unset): running offscreen.")
        print("guard-inbox: no display found; the window runs offscreen. Use the command line "
              "(guard-inbox --help) or start it from a desktop session.", file=sys.stderr)
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


GUI_SWITCH_INTERVAL = 0.001


def prefer_the_main_thread() -> None:
    """Hand the GIL over every 1 ms instead of 5 ms.

    Scans parse mail in Python on worker threads; with the default interval the main thread
    can queue for the GIL long enough to drop frames. A shorter interval costs the workers a
    little throughput and keeps the window responsive (benchmarks/ui.py measures it).
    """
    sys.setswitchinterval(GUI_SWITCH_INTERVAL)


def _quit_on_signals(app: QApplication) -> None:
    """Ctrl+C or SIGTERM quit cleanly (workers pause, the own broker stops) instead of dying mid-write.

    Python runs signal handlers only between bytecodes; a periodic no-op timer
    gives it the chance while Qt's C++ event loop runs.
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: app.quit())
    ticker = QTimer(app)
    ticker.timeout.connect(lambda: None)
    ticker.start(250)


def offer_fresh_start(message: str, argv: Sequence[str]) -> bool:
    """Before the window: ask whether a damaged database may be moved aside (True = yes)."""
    _choose_platform()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(list(argv))
    app.setApplicationName("Guard Inbox")
    return ask_to_start_afresh(message)


def run_gui(
    api: AppApi,
    settings: Settings,
    data_dir: Path,
    ring: RingBufferHandler,
    argv: Sequence[str],
    *,
    self_test: bool = False,
) -> int:
    _choose_platform()
    prefer_the_main_thread()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(list(argv))
    app.setApplicationName("Guard Inbox")
    app.setOrganizationName("Guard Inbox")
    app.setDesktopFileName("guard-inbox")
    app.setWindowIcon(icon("guard-inbox"))
    app.setQuitOnLastWindowClosed(False)  # closing the window keeps the tray app alive
    palette.apply_theme(str(settings.get("ui.theme")))
    if not self_test and ask_running_instance_to_show(data_dir):
        print("Guard Inbox is already running; its window was brought to the front.")
        return 0
    instance = InstanceServer(data_dir)
    _quit_on_signals(app)
    install_crash_dialog(ring)
    window = MainWindow(api, settings, data_dir / "window.ini")
    instance.show_requested.connect(window.bring_to_front)
    if not (settings.get("ui.start_minimised") and window.tray.available):
        window.show()
    window.start_background()
    if self_test:
        # Up, started, painted once, then closed: the packaged app's smoke test.
        QTimer.singleShot(1500, lambda: _end_self_test(app, window))
    code = app.exec()
    window.shutdown()
    instance.close()
    return int(code)


def _end_self_test(app: QApplication, window: MainWindow) -> None:
    """Says in the log whether the window really reached the screen (tests read it), then quits."""
    handle = window.windowHandle()
    exposed = window.isVisible() and handle is not None and handle.isExposed()
    log.info("Self-test: window %s on %s (%dx%d)", "shown" if exposed else "NOT shown",
             app.platformName(), window.width(), window.height())
    window.quit()
