"""Start the Qt application around a Runtime (composition happens in bootstrap)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtWidgets import QApplication

from guard_inbox.jobs.runtime import Runtime
from guard_inbox.logs import RingBufferHandler
from guard_inbox.ui.main_window import MainWindow

log = logging.getLogger(__name__)


def run_gui(runtime: Runtime, ring: RingBufferHandler, argv: Sequence[str]) -> int:
    app = QApplication.instance() or QApplication(list(argv))
    app.setApplicationName("Guard Inbox")
    app.setOrganizationName("Guard Inbox")
    window = MainWindow(runtime)
    window.show()
    window.start_background()
    code = app.exec()
    window.shutdown()
    return int(code)
