"""Drop an mbox file or a folder of .eml files anywhere on the window to add and scan it.

An event filter rather than drag-and-drop handlers in the window class, which stays thin: the
window only installs it. It accepts a drag that carries local files or folders; whether they
are mailboxes is checked when they are added (off the main thread), and said if not.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QObject
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QWidget


def local_paths(mime: QMimeData | None) -> list[Path]:
    """The local files and folders a drag carries (web links and text are not mailboxes)."""
    if mime is None or not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class MailboxDrop(QObject):
    def __init__(self, window: QWidget, add: Callable[[list[Path]], None]) -> None:
        super().__init__(window)
        self._add = add
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QDragEnterEvent | QDragMoveEvent):
            if local_paths(event.mimeData()):
                event.acceptProposedAction()
                return True
            return False
        if isinstance(event, QDropEvent):
            paths = local_paths(event.mimeData())
            if paths:
                event.acceptProposedAction()
                self._add(paths)
                return True
        return False
