"""Who a worker is, and whether one is certainly gone (heartbeats cover other machines)."""

from __future__ import annotations

import os
import socket
import uuid


def new_worker_id() -> str:
    """host:pid:random, so a dead local process is recognised at once after a crash."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def is_certainly_dead(worker_id: str) -> bool:
    """True only for a worker of this host whose process no longer exists."""
    host, _, rest = worker_id.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False
