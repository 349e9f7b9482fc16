"""Protocols (ports) that outer layers implement; the core depends only on these."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from guard_inbox.domain.models import (
    Account,
    Extraction,
    FoundCode,
    JobEvent,
    MailMessage,
    RawMail,
    UnreadableMessage,
)


class MailSource(Protocol):
    """A mailbox we can list and read; local files now, Gmail next."""

    def list_ids(self, already_scanned: frozenset[str]) -> Sequence[str]:
        """Provider ids still to scan, newest first where the source knows (the first codes a
        user sees are the freshest)."""
        ...

    def fetch(self, ids: Sequence[str]) -> Iterator[MailMessage | UnreadableMessage]:
        """Decoded messages for ``ids``; bad ones come back as UnreadableMessage."""
        ...

    def sync_state(self) -> str:
        """Opaque cursor to store after a full scan (Gmail's historyId); '' if none."""
        ...


@runtime_checkable
class RawMailSource(MailSource, Protocol):
    """A source that can hand out its messages unparsed, so parsing can run in other processes
    (local files: the bytes are here; a Gmail message has to be fetched first)."""

    def raw_newest_first(self, already_scanned: frozenset[str]) -> Iterator[RawMail | UnreadableMessage]:
        """Messages not in ``already_scanned``, newest first, each id once."""
        ...


@runtime_checkable
class StreamingSource(MailSource, Protocol):
    """A source whose listing is slow (pages over the network, as Gmail's): fetching starts
    with the first page of ids, so the first codes do not wait for the whole listing."""

    def stream_newest_first(
        self, already_scanned: frozenset[str]
    ) -> Iterator[MailMessage | UnreadableMessage]:
        """Messages not in ``already_scanned``, newest first, each id once."""
        ...

    def listed_total(self) -> int | None:
        """How many messages the stream yields in all; None until the listing has ended."""
        ...


class SourceFactory(Protocol):
    def open(self, account: Account) -> MailSource: ...


class Extractor(Protocol):
    def examine(self, message: MailMessage) -> Extraction:
        """The codes in ``message`` and the AI tokens spent on it (what a scan records)."""
        ...

    def extract(self, message: MailMessage) -> list[FoundCode]:
        """The codes alone, for callers that do not count the cost (``extract`` command, tests)."""
        ...


class EventSink(Protocol):
    def publish(self, event: JobEvent) -> None: ...


class CancelCheck(Protocol):
    def __call__(self) -> None:
        """Raise ScanCancelled or ScanInterrupted when the scan must stop."""
        ...
