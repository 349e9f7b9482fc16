"""An IMAP mailbox as a MailSource: per folder, only the UIDs above the highest one seen.

The cursor (``sync_state``) is JSON: for each folder its UIDVALIDITY, the UIDNEXT seen when it
was listed, and HIGHESTMODSEQ where the server has CONDSTORE. A rescan asks STATUS per folder and
stops there when nothing moved (one command per folder); otherwise it EXAMINEs the folder and
searches ``UID n:*``. A changed UIDVALIDITY means every UID now names another message: the folder
is listed whole again. Message ids carry the UIDVALIDITY, so the rescan reads every message once
more, and the codes table (unique per account, merchant and code) keeps codes from doubling.

Messages are fetched with ``BODY.PEEK[]`` in the scan's chunks, newest first, over one
connection kept while listed messages remain. A connection dropped mid-scan is reopened once and
the chunk goes on; if that fails too, the job retries later and skips what its checkpoints hold.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.imap import ImapSettings
from guard_inbox.domain.models import MailMessage, UnreadableMessage
from guard_inbox.mail.imap.connection import ConnectionDropped, Connector, ImapConnection
from guard_inbox.mail.mime import read_message

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FolderMark:
    uidvalidity: int
    uidnext: int
    modseq: int = 0


def message_id(folder: str, uidvalidity: int, uid: int) -> str:
    return f"{uidvalidity}:{uid}:{folder}"


def parse_message_id(provider_id: str) -> tuple[str, int, int] | None:
    uidvalidity, _, rest = provider_id.partition(":")
    uid, _, folder = rest.partition(":")
    if not (uidvalidity.isdigit() and uid.isdigit() and folder):
        return None
    return folder, int(uidvalidity), int(uid)


def load_marks(state: str) -> dict[str, FolderMark]:
    try:
        data = json.loads(state) if state.strip() else {}
        return {str(k): FolderMark(int(v[0]), int(v[1]), int(v[2]) if len(v) > 2 else 0)
                for k, v in dict(data).items()}
    except (ValueError, TypeError, IndexError):
        _log.warning("The saved IMAP position is unreadable; listing every folder again")
        return {}


def dump_marks(marks: dict[str, FolderMark]) -> str:
    return json.dumps({k: [m.uidvalidity, m.uidnext, m.modseq] for k, m in marks.items()},
                      separators=(",", ":"))


class ImapSource:
    """MailSource over IMAP; ``connector`` opens a logged-in connection (the factory's)."""

    def __init__(self, connector: Connector, settings: ImapSettings, stored_state: str = "") -> None:
        self._connector = connector
        self._settings = settings
        self._stored = load_marks(stored_state)
        self._marks = dict(self._stored)
        self._conn: ImapConnection | None = None
        self._unfetched: set[str] = set()
        self.commands_after_login = 0  # IMAP commands sent after login by this source (benchmarks)
        self.connections_opened = 0

    # -- MailSource --------------------------------------------------------------------------
    def list_ids(self, already_scanned: frozenset[str]) -> Sequence[str]:
        """New message ids, newest first, folder by folder in the settings' order."""
        try:
            ids = self._list(already_scanned)
        except BaseException:
            self.close()
            raise
        self._unfetched = set(ids)
        if not ids:
            self.close()  # nothing will be fetched: leave no connection open
        return ids

    def fetch(self, ids: Sequence[str]) -> Iterator[MailMessage | UnreadableMessage]:
        """Decoded messages in the order asked; one the server cannot give is UnreadableMessage."""
        finished = False
        try:
            for group in _groups(ids):
                yield from self._fetch_group(group)
            finished = True
        finally:
            if not finished or not self._unfetched:
                self.close()

    def sync_state(self) -> str:
        return dump_marks(self._marks) if self._marks else ""

    def close(self) -> None:
        if self._conn is not None:
            self.commands_after_login += self._conn.commands_sent + 1  # + LOGOUT
            self._conn.close()
            self._conn = None

    # -- listing -----------------------------------------------------------------------------
    def _list(self, already_scanned: frozenset[str]) -> list[str]:
        conn = self._connection()
        ids: list[str] = []
        for folder in self._settings.folders:
            status = conn.status(folder)
            old = self._stored.get(folder)
            if old is not None and old.uidvalidity == status.uidvalidity and (
                    status.uidnext <= old.uidnext
                    or (status.highestmodseq and status.highestmodseq == old.modseq)):
                continue  # nothing arrived since the last scan
            first = 1
            if old is not None and old.uidvalidity == status.uidvalidity:
                first = old.uidnext
            elif old is not None:
                _log.info("%s folder %s was rebuilt on the server (UIDVALIDITY %d -> %d); "
                          "reading it whole again", self._settings.user, folder, old.uidvalidity,
                          status.uidvalidity)
            uidvalidity = conn.examine(folder)
            promotions = (self._settings.gmail_promotions and folder.upper() == "INBOX"
                          and conn.is_gmail)
            uids = conn.uids_from(first, promotions=promotions)
            self._marks[folder] = FolderMark(uidvalidity, max(status.uidnext, (uids[-1] + 1) if uids else 0),
                                             status.highestmodseq)
            for uid in reversed(uids):
                mid = message_id(folder, uidvalidity, uid)
                if mid not in already_scanned:
                    ids.append(mid)
        return ids

    # -- fetching ----------------------------------------------------------------------------
    def _fetch_group(self, group: list[tuple[str, str, int, int]]
                     ) -> Iterator[MailMessage | UnreadableMessage]:
        folder, uidvalidity = group[0][1], group[0][2]
        try:
            bodies = self._bodies(folder, uidvalidity, [uid for _, _, _, uid in group])
        except ConnectionDropped as exc:
            _log.info("%s; reconnecting once to %s", exc, self._settings.host)
            self.close()
            bodies = self._bodies(folder, uidvalidity, [uid for _, _, _, uid in group])
        for mid, _, _, uid in group:
            self._unfetched.discard(mid)
            if bodies is None:
                yield UnreadableMessage(mid, f"The folder {folder} was rebuilt on the server; "
                                             "its mail is read again at the next scan.")
                continue
            raw = bodies.get(uid)
            if raw is None:
                yield UnreadableMessage(mid, "The server did not give this message (deleted or "
                                             "moved since it was listed?).")
            else:
                yield read_message(raw, mid)

    def _bodies(self, folder: str, uidvalidity: int, uids: list[int]) -> dict[int, bytes] | None:
        conn = self._connection()
        if conn.selected != (folder, uidvalidity) and conn.examine(folder) != uidvalidity:
            self._marks.pop(folder, None)  # list it whole next time
            return None
        return conn.fetch_bodies(uids)

    def _connection(self) -> ImapConnection:
        if self._conn is None:
            self._conn = self._connector()
            self.connections_opened += 1
        return self._conn


def _groups(ids: Sequence[str]) -> Iterator[list[tuple[str, str, int, int]]]:
    """Consecutive ids of one folder and UIDVALIDITY, so each group is one UID FETCH."""
    group: list[tuple[str, str, int, int]] = []
    for mid in ids:
        parsed = parse_message_id(mid)
        if parsed is None:
            raise KnownError(f"{mid!r} is not a message of an IMAP mailbox.")
        item = (mid, *parsed)
        if group and group[-1][1:3] != item[1:3]:
            yield group
            group = []
        group.append(item)
    if group:
        yield group

