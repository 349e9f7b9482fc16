"""A Gmail mailbox as a MailSource: a full listing once, then only what Gmail's history says is new.

The cursor (``sync_state``) is the mailbox's historyId, read *before* listing: mail that arrives
while a long scan runs is after that point in the history, so the next scan picks it up instead
of losing it between "listed" and "saved the cursor".

History reports every added message, whatever the query (sent mail, chats, other categories).
New ids are therefore checked against the query with a listing that stops as soon as it reaches
mail already scanned (listings are newest first), usually one page. A rescan with no new mail
costs a single history.list request.

Ids come newest first, as Gmail lists them, so the codes a user most likely still can use are
found (and shown) first. A scan reads ``stream_newest_first``: one stream over the listing
(several batches in flight, client.py) that starts fetching after the first page of ids, so
the first codes of a large mailbox do not wait for its ten or more listing pages, and the
quota stays busy from the first batch to the last.

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
        self._total: int | None = None

    @property
    def client(self) -> GmailClient:
        return self._client

    def list_ids(self, already_scanned: frozenset[str]) -> Sequence[str]:
        """Ids still to scan, newest first: incremental through history when we have a cursor."""
        try:
            ids = self._incremental(already_scanned)
            return ids if ids is not None else list(self._full_listing(already_scanned))
        finally:
            self._client.release()  # fetch opens what it needs

    def fetch(self, ids: Sequence[str]) -> Iterator[MailMessage | UnreadableMessage]:
        """Decoded messages; one Gmail would not give or we could not decode is UnreadableMessage."""
        yield from self._decoded(self._client.get_raw_many(ids))

    def stream_newest_first(
        self, already_scanned: frozenset[str]
    ) -> Iterator[MailMessage | UnreadableMessage]:
        """Every message still to scan, newest first, fetched while the listing goes on.

        A full listing is read page by page as the fetch needs ids: the first messages arrive
        after one page, not after every page of a large mailbox. ``listed_total`` tells how
        many there are once the last page is in.
        """
        self._total = None
        ids = self._incremental(already_scanned)
        if ids is not None:
            self._total = len(ids)
        yield from self._decoded(self._client.get_raw_many(
            ids if ids is not None else self._full_listing(already_scanned)))

    def listed_total(self) -> int | None:
        """Messages ``stream_newest_first`` yields in all; None while the listing runs."""
        return self._total

    def _decoded(
        self, raw: Iterator[tuple[str, bytes | Exception]]
    ) -> Iterator[MailMessage | UnreadableMessage]:
        """Parsed messages; the connections close when the stream ends or is dropped (an error,
        a cancel): a MailSource is never closed by the scan."""
        try:
            for mid, item in raw:
                if isinstance(item, bytes):
                    yield read_message(item, mid)
                else:
                    yield UnreadableMessage(mid, str(item) or type(item).__name__)
        finally:
            if hasattr(raw, "close"):
                raw.close()  # stops the fetch threads of a stream left early
            if self._client.backoff_seconds:
                _log.info("Gmail asked %s to slow down: %.1f s spent backing off in this scan",
                          self._client.address, self._client.backoff_seconds)
            self._client.release()

    def close(self) -> None:
        """Close the client's connections now (fetch and list_ids also do when they end)."""
        self._client.close()

    def sync_state(self) -> str:
        """The historyId read before this scan's listing (the stored one if nothing was listed),
        then a newline and the query it belongs to."""
        history_id = self._state or self._stored
        return f"{history_id}\n{self._query}" if history_id else ""

    def _incremental(self, already_scanned: frozenset[str]) -> list[str] | None:
        """The new ids through history, or None when a full listing is needed (no cursor, or
        Google no longer keeps history that far back)."""
        if not self._stored:
            return None
        try:
            added, current = self._client.history_ids(self._stored)
        except HistoryExpired:
            _log.info("Gmail history of %s no longer reaches back to %s; listing the whole query",
                      self._client.address, self._stored)
            return None
        self._state = current
        fresh = [mid for mid in added if mid not in already_scanned]
        return self._matching_query(fresh, already_scanned) if fresh else []

    def _full_listing(self, already_scanned: frozenset[str]) -> Iterator[str]:
        """The query's ids not yet scanned, page by page; the cursor is read before the first."""
        self._state = str(self._client.profile().get("historyId") or "")
        seen: set[str] = set()
        for page in self._client.list_pages(self._query):
            for mid in page:
                if mid not in already_scanned and mid not in seen:
                    seen.add(mid)
                    yield mid
        self._total = len(seen)

    def _matching_query(self, fresh: list[str], already_scanned: frozenset[str]) -> list[str]:
        """The new ids that the query selects, newest first."""
        wanted = set(fresh)
        found: set[str] = set()

        def enough(page: list[str]) -> bool:
            found.update(mid for mid in page if mid in wanted)
            return found >= wanted or any(mid in already_scanned for mid in page)

        listed = self._client.list_ids(self._query, stop=enough)
        return [mid for mid in listed if mid in wanted]
