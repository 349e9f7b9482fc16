"""A Gmail mailbox as a MailSource: a full listing once, then only what Gmail's history says is new.

The cursor (``sync_state``) is the mailbox's historyId, read *before* listing: mail that arrives
while a long scan runs is after that point in the history, so the next scan picks it up instead
of losing it between "listed" and "saved the cursor".

History reports every added message, whatever the query (sent mail, chats, other categories).
New ids are therefore checked against the query with a listing that stops as soon as it reaches
mail already scanned (listings are newest first), usually one page. A rescan with no new mail
costs a single history.list request.

Ids come newest first, as Gmail lists them, so the codes a user most likely still can use are
found (and shown) first. The first ``fetch`` starts one stream over every listed id (several
batches in flight, client.py); later calls take their messages from that stream, so the
quota stays busy across the scan's chunks instead of idling between them.

The saved state also names the query it was taken under: after the user changes the query
(say, from the last year to all promotions), history would only ever show new mail, so the
next scan lists the whole new query once instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from guard_inbox.domain.models import MailMessage, UnreadableMessage
from guard_inbox.mail.gmail.client import GmailClient
from guard_inbox.mail.gmail.errors import HistoryExpired
from guard_inbox.mail.mime import read_message

_log = logging.getLogger(__name__)


class GmailSource:
    """MailSource over one GmailClient; ``stored_history_id`` is the last saved sync_state ('' if none)."""

    def __init__(self, client: GmailClient, query: str, stored_history_id: str = "") -> None:
        self._client = client
        self._query = query
        history_id, _, stored_query = stored_history_id.strip().partition("\n")
        if stored_query and stored_query != query:
            _log.info("The Gmail query changed (%r -> %r); listing the whole new query once",
                      stored_query, query)
            history_id = ""
        self._stored = history_id
        self._state = ""
        self._unfetched: set[str] = set()
        self._listed: list[str] = []
        self._stream: Iterator[tuple[str, bytes | Exception]] | None = None
        self._ready: dict[str, bytes | Exception] = {}

    @property
    def client(self) -> GmailClient:
        return self._client

    def list_ids(self, already_scanned: frozenset[str]) -> Sequence[str]:
        """Ids still to scan, newest first: incremental through history when we have a cursor."""
        try:
            ids = self._list(already_scanned)
        except BaseException:
            self._client.release()
            raise
        self._close_stream()
        self._listed = list(ids)
        self._unfetched = set(ids)
        if not ids:
            self._client.release()  # nothing will be fetched: leave no connection open
        return ids

    def _list(self, already_scanned: frozenset[str]) -> list[str]:
        if self._stored:
            try:
                added, current = self._client.history_ids(self._stored)
            except HistoryExpired:
                _log.info(
                    "Gmail history of %s no longer reaches back to %s; listing the whole query",
                    self._client.address, self._stored,
                )
            else:
                self._state = current
                fresh = [mid for mid in added if mid not in already_scanned]
                return self._matching_query(fresh, already_scanned) if fresh else []
        return self._full_listing(already_scanned)

    def fetch(self, ids: Sequence[str]) -> Iterator[MailMessage | UnreadableMessage]:
        """Decoded messages; one Gmail would not give or we could not decode is UnreadableMessage.

        The connection is kept between calls while listed ids remain, and closed once the last
        one is fetched or the scan stops early (error, cancel): MailSource has no close().
        """
        finished = False
        try:
            for mid, item in self._raw(ids):
                self._unfetched.discard(mid)
                if isinstance(item, bytes):
                    yield read_message(item, mid)
                else:
                    yield UnreadableMessage(mid, str(item) or type(item).__name__)
            finished = True
        finally:
            if not finished or not self._unfetched:
                if self._client.backoff_seconds:
                    _log.info("Gmail asked %s to slow down: %.1f s spent backing off in this scan",
                              self._client.address, self._client.backoff_seconds)
                self._close_stream()
                self._client.release()

    def _raw(self, ids: Sequence[str]) -> Iterator[tuple[str, bytes | Exception]]:
        """(id, raw bytes or the reason it is missing) for ``ids``, in that order.

        Listed ids come from the one stream over the listing (started at the first call);
        an id that was not listed, or one asked again, is fetched on its own.
        """
        if self._stream is None and self._listed:
            self._stream = self._client.get_raw_many(self._listed)
            self._listed = []
        stray: list[str] = []
        for mid in ids:
            while mid not in self._ready and self._stream is not None and mid in self._unfetched:
                got = next(self._stream, None)
                if got is None:
                    self._stream = None
                else:
                    self._ready[got[0]] = got[1]
            if mid in self._ready:
                yield mid, self._ready.pop(mid)
            else:
                stray.append(mid)
        if stray:
            yield from self._client.get_raw_many(stray)

    def _close_stream(self) -> None:
        """Stop the stream's fetch threads (a scan that ended early) and drop what it holds."""
        stream, self._stream = self._stream, None
        self._ready.clear()
        if stream is not None and hasattr(stream, "close"):
            stream.close()

    def close(self) -> None:
        """Close the client's connections now (fetch and list_ids also do when a scan ends)."""
        self._close_stream()
        self._client.close()

    def sync_state(self) -> str:
        """The historyId read before this scan's listing (the stored one if nothing was listed),
        then a newline and the query it belongs to."""
        history_id = self._state or self._stored
        return f"{history_id}\n{self._query}" if history_id else ""

    def _full_listing(self, already_scanned: frozenset[str]) -> list[str]:
        self._state = str(self._client.profile().get("historyId") or "")
        listed = self._client.list_ids(self._query)
        return [mid for mid in listed if mid not in already_scanned]

    def _matching_query(self, fresh: list[str], already_scanned: frozenset[str]) -> list[str]:
        """The new ids that the query selects, newest first."""
        wanted = set(fresh)
        found: set[str] = set()

        def enough(page: list[str]) -> bool:
            found.update(mid for mid in page if mid in wanted)
            return found >= wanted or any(mid in already_scanned for mid in page)

        listed = self._client.list_ids(self._query, stop=enough)
        return [mid for mid in listed if mid in wanted]

