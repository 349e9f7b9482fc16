"""Mailboxes on a network share that stops answering, then comes back.

While the share is down, opening a mailbox fails the way a dropped SMB/NFS mount does: an
``OSError`` with ``EHOSTDOWN``, which may pass and so is retried. Once ``back()`` is called the
real mailbox file is read by the real ``LocalSourceFactory``. A mailbox that is simply not
there (moved, deleted) needs no fake: tests move the real file, and the scan fails for good.
"""

from __future__ import annotations

import errno
import os
import threading

from guard_inbox.domain.models import Account
from guard_inbox.domain.ports import MailSource
from guard_inbox.services.sources import LocalSourceFactory


class FlakyShare:
    """A SourceFactory whose share is down until ``back()``; counts the opens it refused."""

    def __init__(self, down: bool = True) -> None:
        self._down = down
        self._lock = threading.Lock()
        self.refused = 0
        self._local = LocalSourceFactory()

    def back(self) -> None:
        with self._lock:
            self._down = False

    def drop(self) -> None:
        with self._lock:
            self._down = True

    def open(self, account: Account) -> MailSource:
        with self._lock:
            if self._down:
                self.refused += 1
                raise OSError(errno.EHOSTDOWN, os.strerror(errno.EHOSTDOWN), account.address)
        return self._local.open(account)
