"""One app per data dir: a second launch asks the running one to show itself, then exits."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)


def _name(data_dir: Path) -> str:
    digest = hashlib.sha1(os.fsencode(data_dir)).hexdigest()[:12]
    return f"guard-inbox-{os.getuid() if hasattr(os, 'getuid') else 0}-{digest}"


def ask_running_instance_to_show(data_dir: Path, timeout_ms: int = 500) -> bool:
    """True when another instance answered (it raises its window)."""
    socket = QLocalSocket()
    socket.connectToServer(_name(data_dir))
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(b"show\n")
    socket.flush()
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    show_requested = Signal()

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.server = QLocalServer(self)
        name = _name(data_dir)
        QLocalServer.removeServer(name)  # a crashed instance leaves a stale socket
        if not self.server.listen(name):
            log.warning("Single-instance server not listening: %s", self.server.errorString())
        self.server.newConnection.connect(self._connection)

    def _connection(self) -> None:
        socket = self.server.nextPendingConnection()
        if socket is None:
            return
        socket.readyRead.connect(lambda: self._read(socket))
        socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).strip() == b"show":
            self.show_requested.emit()

    def close(self) -> None:
        self.server.close()
