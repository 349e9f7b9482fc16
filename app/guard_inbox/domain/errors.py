"""Expected failures carry a sentence a user can act on; anything else is a bug.

Borrowed from qutebrowser's KnownError/BugError split: a revoked token or a
missing mailbox is a ``KnownError``; the worker decides whether to retry from
the subclass, never from the message text.
"""

from __future__ import annotations


class KnownError(Exception):
    """An expected failure; ``str(err)`` is shown to the user as is."""


class TransientError(KnownError):
    """Worth retrying later: network, broker or a file that may come back."""


class PermanentError(KnownError):
    """Retrying cannot help until the user changes something."""


class StorageFull(PermanentError):
    """The disk holding the database is full; the user has to free space."""


class DatabaseDamaged(PermanentError):
    """The SQLite file is not a readable database (random bytes, truncated, zeroed pages).

    ``path`` is the file; the app offers to move it aside, and never changes it unasked.
    """

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


class SourceMissing(PermanentError):
    """The account's mailbox is not where it was (moved, renamed, deleted or on a drive that is
    not mounted). Retrying cannot find it: the user locates it again, so the job fails at once
    and the account shows the problem. ``path`` is where it used to be."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


class SourceUnavailable(PermanentError):
    """The account's mailbox is there but cannot be read as one (permission denied, or no
    longer a mailbox); the user has to change something before a scan can work."""


class ReconnectNeeded(PermanentError):
    """The account's authorisation was revoked or expired."""


class BrokerUnavailable(KnownError):
    """Redis cannot be started or reached."""


class ScanCancelled(Exception):
    """Raised inside a scan when the user asked to cancel it."""


class ScanInterrupted(Exception):
    """Raised inside a scan when its worker shuts down; the job resumes later."""


class ScanLost(Exception):
    """This worker no longer owns the job: it stalled (suspend, pause, network cut) past the
    heartbeat limit and another worker took the scan over. It stops without writing."""


class AccountBusy(Exception):
    """Another scan of the same account is running; try again shortly."""
