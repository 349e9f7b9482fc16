"""The mailbox behind FakeGmail: messages, threads, labels and the history log.

Every method takes the lock, so the HTTP threads and the test thread can use it together.
Errors are raised as `GmailError` and turned into Google's error JSON by the server.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import gmail_query
from .gmail_mime import ParsedMessage, b64url, metadata_payload, parse_message

SYSTEM_LABELS = ("CHAT", "SENT", "INBOX", "IMPORTANT", "TRASH", "DRAFT", "SPAM", "CATEGORY_FORUMS",
                 "CATEGORY_UPDATES", "CATEGORY_PERSONAL", "CATEGORY_PROMOTIONS", "CATEGORY_SOCIAL",
                 "STARRED", "UNREAD")
FORMATS = ("minimal", "full", "raw", "metadata")
HISTORY_TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")
_TYPE_KEYS = {"messageAdded": "messagesAdded", "messageDeleted": "messagesDeleted",
              "labelAdded": "labelsAdded", "labelRemoved": "labelsRemoved"}
MAX_RESULTS = 500
DEFAULT_RESULTS = 100


class GmailError(Exception):
    def __init__(self, code: int, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.reason = code, message, reason


@dataclass
class StoredMessage:
    id: str
    thread_id: str
    label_ids: list[str]
    internal_date: int
    seq: int
    parsed: ParsedMessage
    history_id: int = 0

    def header(self, name: str) -> str:
        return self.parsed.header(name)

    @property
    def text(self) -> str:
        return self.parsed.text

    @property
    def size(self) -> int:
        return len(self.parsed.raw)

    @property
    def filenames(self) -> list[str]:
        found: list[str] = []

        def walk(part: dict[str, Any]) -> None:
            if part.get("filename"):
                found.append(part["filename"])
            for child in part.get("parts", ()):
                walk(child)

        walk(self.parsed.payload)
        return found

    def ref(self) -> dict[str, Any]:
        return {"id": self.id, "threadId": self.thread_id}

    def ref_with_labels(self) -> dict[str, Any]:
        return {"id": self.id, "threadId": self.thread_id, "labelIds": list(self.label_ids)}


def _clamp_results(max_results: int | None) -> int:
    if max_results is None or max_results <= 0:
        return DEFAULT_RESULTS
    return min(max_results, MAX_RESULTS)


class Mailbox:
    def __init__(self, email_address: str = "me@example.org", *, clock: Callable[[], float] = time.time,
                 seed: int = 0, start_history_id: int = 1000, history_step_max: int = 1) -> None:
        self.email_address = email_address
        self.clock = clock
        self.lock = threading.RLock()
        self._rng = random.Random(seed)
        self._messages: dict[str, StoredMessage] = {}
        self._by_rfc822_id: dict[str, str] = {}  # Message-ID header -> threadId
        self._user_labels: dict[str, str] = {}  # id -> name
        self._history: list[dict[str, Any]] = []
        self._history_id = start_history_id
        self._step_max = max(1, history_step_max)
        self._seq = 0
        self.history_floor = 0  # startHistoryId below this -> 404 (history expired)

    # ----- changes (test side) -------------------------------------------------------------
    @property
    def history_id(self) -> int:
        with self.lock:
            return self._history_id

    def _record(self, messages: list[StoredMessage], key: str, entries: list[dict[str, Any]]) -> int:
        self._history_id += self._rng.randint(1, self._step_max)
        record = {"id": str(self._history_id), "messages": [m.ref() for m in messages], key: entries}
        self._history.append(record)
        for m in messages:
            m.history_id = self._history_id
        return self._history_id

    def add_label(self, name: str, label_id: str | None = None) -> str:
        with self.lock:
            label_id = label_id or f"Label_{len(self._user_labels) + 1}"
            self._user_labels[label_id] = name
            return label_id

    def _known_label(self, label_id: str) -> bool:
        return label_id in SYSTEM_LABELS or label_id in self._user_labels

    def add_message(self, raw: bytes, label_ids: Iterable[str] = ("INBOX", "CATEGORY_PROMOTIONS"),
                    internal_date_ms: int | None = None, thread_id: str | None = None) -> str:
        with self.lock:
            self._seq += 1
            date = int(self.clock() * 1000) if internal_date_ms is None else int(internal_date_ms)
            msg_id = f"{date & 0xFFF_FFFF_FFFF:011x}{self._seq & 0xFFFFF:05x}"
            parsed = parse_message(raw, msg_id)
            refs = re.findall(r"<[^>]+>", parsed.header("References") + " " + parsed.header("In-Reply-To"))
            if thread_id is None:
                thread_id = next((self._by_rfc822_id[r] for r in refs if r in self._by_rfc822_id), msg_id)
            labels = list(dict.fromkeys(label_ids))
            for label in labels:
                if not self._known_label(label):
                    self._user_labels[label] = label
            stored = StoredMessage(msg_id, thread_id, labels, date, self._seq, parsed)
            self._messages[msg_id] = stored
            own_id = parsed.header("Message-ID").strip()
            if own_id:
                self._by_rfc822_id.setdefault(own_id, thread_id)
            self._record([stored], "messagesAdded", [{"message": stored.ref_with_labels()}])
            return msg_id

    def _get(self, msg_id: str) -> StoredMessage:
        stored = self._messages.get(msg_id)
        if stored is None:
            raise GmailError(404, "Requested entity was not found.", "notFound")
        return stored

    def modify_labels(self, msg_id: str, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        with self.lock:
            stored = self._get(msg_id)
            added = [label for label in dict.fromkeys(add) if label not in stored.label_ids]
            removed = [label for label in dict.fromkeys(remove) if label in stored.label_ids]
            stored.label_ids.extend(added)
            stored.label_ids[:] = [label for label in stored.label_ids if label not in removed]
            if added:
                self._record([stored], "labelsAdded",
                             [{"message": stored.ref_with_labels(), "labelIds": added}])
            if removed:
                self._record([stored], "labelsRemoved",
                             [{"message": stored.ref_with_labels(), "labelIds": removed}])

    def delete_message(self, msg_id: str) -> None:
        with self.lock:
            stored = self._messages.pop(msg_id, None)
            if stored is None:
                raise GmailError(404, "Requested entity was not found.", "notFound")
            self._record([stored], "messagesDeleted", [{"message": stored.ref()}])

    def expire_history(self) -> None:
        """Every startHistoryId older than the current one now answers 404."""
        with self.lock:
            self.history_floor = self._history_id

    def message_ids(self) -> list[str]:
        with self.lock:
            return [m.id for m in self._sorted()]

    # ----- API ------------------------------------------------------------------------------
    def _sorted(self) -> list[StoredMessage]:
        return sorted(self._messages.values(), key=lambda m: (m.internal_date, m.seq), reverse=True)

    def profile(self) -> dict[str, Any]:
        with self.lock:
            return {"emailAddress": self.email_address, "messagesTotal": len(self._messages),
                    "threadsTotal": len({m.thread_id for m in self._messages.values()}),
                    "historyId": str(self._history_id)}

    def list_labels(self) -> dict[str, Any]:
        with self.lock:
            labels: list[dict[str, Any]] = [{"id": lid, "name": lid, "type": "system"}
                                            for lid in SYSTEM_LABELS]
            labels += [{"id": lid, "name": name, "type": "user"} for lid, name in self._user_labels.items()]
            return {"labels": labels}

    def list_messages(self, *, q: str = "", label_ids: list[str] | None = None,
                      max_results: int | None = None, page_token: str | None = None,
                      include_spam_trash: bool = False) -> dict[str, Any]:
        clauses = gmail_query.parse(q)
        include_spam_trash = include_spam_trash or gmail_query.mentions_spam_or_trash(clauses)
        now_ms = int(self.clock() * 1000)
        with self.lock:
            for label in label_ids or ():
                if not self._known_label(label):
                    raise GmailError(400, f"Invalid label: {label}", "invalidArgument")
            hits = [m for m in self._sorted()
                    if (include_spam_trash or not {"SPAM", "TRASH"} & set(m.label_ids))
                    and all(label in m.label_ids for label in label_ids or ())
                    and gmail_query.matches(clauses, m, now_ms, self._user_labels)]
        start = 0
        if page_token:
            match = re.fullmatch(r"(\d{13})(\d{7})", page_token)
            if not match:
                raise GmailError(400, "Invalid pageToken", "invalidArgument")
            after = (int(match.group(1)), int(match.group(2)))
            start = next((i for i, m in enumerate(hits) if (m.internal_date, m.seq) < after), len(hits))
        limit = _clamp_results(max_results)
        page = hits[start:start + limit]
        result: dict[str, Any] = {}
        if page:
            result["messages"] = [m.ref() for m in page]
        if start + limit < len(hits):
            last = page[-1]
            result["nextPageToken"] = f"{last.internal_date:013d}{last.seq:07d}"
        result["resultSizeEstimate"] = len(hits)
        return result

    def get_message(self, msg_id: str, fmt: str = "full", metadata_headers: list[str] | None = None
                    ) -> dict[str, Any]:
        with self.lock:
            stored = self._get(msg_id)
            result: dict[str, Any] = {"id": stored.id, "threadId": stored.thread_id,
                                      "labelIds": list(stored.label_ids), "snippet": stored.parsed.snippet}
            if fmt == "full":
                result["payload"] = stored.parsed.payload
            elif fmt == "metadata":
                result["payload"] = metadata_payload(stored.parsed.payload, metadata_headers or [])
            result["sizeEstimate"] = stored.size
            if fmt == "raw":
                result["raw"] = b64url(stored.parsed.raw)
            result["historyId"] = str(stored.history_id)
            result["internalDate"] = str(stored.internal_date)
            return result

    def get_attachment(self, msg_id: str, attachment_id: str) -> dict[str, Any]:
        with self.lock:
            data = self._get(msg_id).parsed.attachments.get(attachment_id)
        if data is None:
            raise GmailError(400, "Invalid attachment token", "invalidArgument")
        return {"attachmentId": attachment_id, "size": len(data), "data": b64url(data)}

    def list_history(self, *, start_history_id: str | None, history_types: list[str] | None = None,
                     label_id: str | None = None, max_results: int | None = None,
                     page_token: str | None = None) -> dict[str, Any]:
        if not start_history_id or not start_history_id.isdigit():
            raise GmailError(400, "Invalid startHistoryId", "invalidArgument")
        start = int(start_history_id)
        wanted = [_TYPE_KEYS[t] for t in history_types or HISTORY_TYPES]
        with self.lock:
            if start < self.history_floor:
                raise GmailError(404, "Requested entity was not found.", "notFound")
            after = start
            if page_token:
                if not page_token.isdigit():
                    raise GmailError(400, "Invalid pageToken", "invalidArgument")
                after = max(after, int(page_token))
            records = []
            for record in self._history:
                if int(record["id"]) <= after:
                    continue
                kept = {key: record[key] for key in wanted if key in record}
                if not kept:
                    continue
                if label_id and not any(label_id in entry["message"].get("labelIds", ())
                                        or label_id in entry.get("labelIds", ())
                                        for entries in kept.values() for entry in entries):
                    continue
                records.append({"id": record["id"], "messages": record["messages"], **kept})
            current = str(self._history_id)
        limit = _clamp_results(max_results)
        result: dict[str, Any] = {}
        if records[:limit]:
            result["history"] = records[:limit]
        if len(records) > limit:
            result["nextPageToken"] = records[limit - 1]["id"]
        result["historyId"] = current
        return result
