"""A subset of Gmail's search syntax (the `q` parameter of messages.list).

Supported: plain words and "quoted phrases" (whole-word match in subject, from, to and body text),
`-` negation, `OR` between terms, `category:`, `label:`, `in:`, `is:`, `from:`, `to:`, `cc:`,
`subject:`, `has:attachment`, `filename:`, `rfc822msgid:`, `newer_than:`/`older_than:` (Nh, Nd,
Nm, Ny), `after:`/`before:` (YYYY/MM/DD or epoch seconds), `larger:`/`smaller:`. Unknown operators
are ignored, as the task asks (Gmail itself would treat them as words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

_TOKEN = re.compile(r'-?(?:[A-Za-z_]+:)?(?:"[^"]*"|[^\s"]+)')
_CATEGORIES = {"primary": "CATEGORY_PERSONAL", "personal": "CATEGORY_PERSONAL",
               "social": "CATEGORY_SOCIAL", "promotions": "CATEGORY_PROMOTIONS",
               "updates": "CATEGORY_UPDATES", "forums": "CATEGORY_FORUMS"}
_IN = {"inbox": "INBOX", "spam": "SPAM", "trash": "TRASH", "sent": "SENT", "draft": "DRAFT",
       "drafts": "DRAFT", "starred": "STARRED", "important": "IMPORTANT", "unread": "UNREAD",
       "chats": "CHAT", "chat": "CHAT"}
_IS = {"unread": "UNREAD", "starred": "STARRED", "important": "IMPORTANT"}
_UNIT_MS = {"h": 3_600_000, "d": 86_400_000, "m": 30 * 86_400_000, "y": 365 * 86_400_000}
_SIZE_UNIT = {"": 1, "k": 1024, "m": 1024 * 1024}
_ADDRESS_KEYS = {"from": "From", "to": "To", "cc": "Cc", "bcc": "Bcc", "subject": "Subject",
                 "deliveredto": "Delivered-To", "list": "List-Id"}


class Searchable(Protocol):
    label_ids: list[str]
    internal_date: int

    def header(self, name: str) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def filenames(self) -> list[str]: ...


@dataclass(frozen=True)
class Term:
    key: str  # "" for a plain word or phrase
    value: str
    negate: bool = False


def _norm_label(name: str) -> str:
    return re.sub(r"[\s/_-]+", "-", name.strip().lower())


def parse(q: str) -> list[list[Term]]:
    """Clauses joined by AND; each clause is a list of alternatives joined by OR."""
    clauses: list[list[Term]] = []
    pending_or = False
    for token in _TOKEN.findall(q.replace("(", " ").replace(")", " ").replace("{", " ").replace("}", " ")):
        if token == "OR":
            pending_or = bool(clauses)
            continue
        if token == "AND":
            continue
        negate = token.startswith("-") and len(token) > 1
        body = token[1:] if negate else token
        key, value = "", body
        match = re.match(r"([A-Za-z_]+):(.*)", body)
        if match and match.group(2):
            key, value = match.group(1).lower(), match.group(2)
        term = Term(key, value.strip('"'), negate)
        if pending_or:
            clauses[-1].append(term)
        else:
            clauses.append([term])
        pending_or = False
    return clauses


def mentions_spam_or_trash(clauses: list[list[Term]]) -> bool:
    return any(t.key == "in" and t.value.lower() in ("spam", "trash", "anywhere") and not t.negate
               for clause in clauses for t in clause)


def _word_in(value: str, haystack: str) -> bool:
    if not value:
        return True
    return re.search(r"(?<!\w)" + re.escape(value) + r"(?!\w)", haystack, re.IGNORECASE) is not None


def _parse_date_ms(value: str) -> int | None:
    if value.isdigit():
        return int(value) * 1000
    match = re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", value)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    return int(datetime(year, month, day, tzinfo=UTC).timestamp() * 1000)


def _term_matches(term: Term, msg: Searchable, now_ms: int, label_names: dict[str, str]) -> bool | None:
    """True/False, or None when the operator is unknown (ignored)."""
    key, value = term.key, term.value
    lowered = value.lower()
    labels = set(msg.label_ids)
    if key == "":
        haystack = "\n".join((msg.header("Subject"), msg.header("From"), msg.header("To"), msg.text))
        return _word_in(value, haystack)
    if key == "category":
        return _CATEGORIES.get(lowered, "CATEGORY_" + value.upper()) in labels
    if key == "label":
        wanted = _norm_label(value)
        return any(_norm_label(lid) == wanted or _norm_label(label_names.get(lid, lid)) == wanted
                   for lid in labels)
    if key == "in":
        return True if lowered == "anywhere" else _IN.get(lowered, value.upper()) in labels
    if key == "is":
        if lowered == "read":
            return "UNREAD" not in labels
        return _IS.get(lowered, value.upper()) in labels
    if key in _ADDRESS_KEYS:
        return lowered in msg.header(_ADDRESS_KEYS[key]).lower()
    if key == "has":
        return bool(msg.filenames) if lowered == "attachment" else None
    if key == "filename":
        return any(lowered in name.lower() for name in msg.filenames)
    if key == "rfc822msgid":
        return msg.header("Message-ID").strip().strip("<>").lower() == lowered.strip("<>")
    if key in ("newer_than", "older_than"):
        match = re.fullmatch(r"(\d+)([hdmy])", lowered)
        if not match:
            return None
        cutoff = now_ms - int(match.group(1)) * _UNIT_MS[match.group(2)]
        return msg.internal_date > cutoff if key == "newer_than" else msg.internal_date < cutoff
    if key in ("after", "before", "newer", "older"):
        stamp = _parse_date_ms(value)
        if stamp is None:
            return None
        return msg.internal_date >= stamp if key in ("after", "newer") else msg.internal_date < stamp
    if key in ("larger", "smaller", "size"):
        match = re.fullmatch(r"(\d+)([km]?)", lowered)
        if not match:
            return None
        limit = int(match.group(1)) * _SIZE_UNIT[match.group(2)]
        return msg.size < limit if key == "smaller" else msg.size > limit
    return None


def matches(clauses: list[list[Term]], msg: Searchable, now_ms: int,
            label_names: dict[str, str] | None = None) -> bool:
    names = label_names or {}
    for clause in clauses:
        outcomes = []
        for term in clause:
            result = _term_matches(term, msg, now_ms, names)
            if result is None:
                continue  # unknown operator: ignored
            outcomes.append(result != term.negate)
        if outcomes and not any(outcomes):
            return False
    return True
