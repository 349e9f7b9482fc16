"""Bugs reach the user as a dialog with the recent log, not as a silent exit."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox

from guard_inbox.logs import RingBufferHandler

log = logging.getLogger("guard_inbox.crash")


def install_crash_dialog(ring: RingBufferHandler) -> None:
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, value, tb)
            return
        log.error("Unhandled exception", exc_info=(kind, value, tb))
        if QApplication.instance() is None:
            return
        box = QMessageBox(QMessageBox.Icon.Critical, "Guard Inbox hit a bug",
                          f"{kind.__name__}: {value}\n\nYour codes are safe. The details below "
                          "help us fix it.")
        box.setDetailedText("".join(traceback.format_exception(kind, value, tb))
                            + "\n--- recent log ---\n" + ring.text()[-20000:])
        box.exec()

    sys.excepthook = hook
