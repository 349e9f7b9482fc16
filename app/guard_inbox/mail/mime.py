"""Raw RFC 5322 bytes -> MailMessage, for mail as it is sent rather than as the RFCs describe it.

Every step has a fallback, because one broken header or part must not cost us the rest of the
message: the modern parser (``policy.default``) first, the lenient ``compat32`` one if that
raises, and a crude header/body split if both do. ``parse_message`` never raises; what went
wrong is reported in ``MailMessage.defects`` instead.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import html
import re
from datetime import UTC, datetime
from email import policy as email_policy
from email import utils as email_utils
from email.message import Message
from email.parser import BytesParser
from email.policy import Policy

from guard_inbox.domain.models import MailMessage

MAX_DEPTH = 20
SNIPPET_CHARS = 200
_MAX_DEFECTS = 40
_HEADER_BLOCK_LIMIT = 256 * 1024
_TEXT_TYPES = ("text/plain", "text/html")

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(rb"^message-id[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_SURROGATES = re.compile("[\udc80-\udcff]+")
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]+")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)[ \t\r\n]+(=\?)")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_BOUNDARY_LINE = re.compile(rb"^--(-*[^\s\"-][^\s\"]{0,69}?)[ \t]*\r?$", re.MULTILINE)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w.:-]{1,40})""", re.I)
_HTML_SNIFF = re.compile(rb"<(?:!doctype\s+html|html|body|div|table|p|br)\b", re.IGNORECASE)
_HIDDEN_BLOCKS = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")
# Zero-width and filler characters that marketing mail pads its preheader with.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u2060-\u2064\ufeff]")
_HIGH_BYTES = bytes(range(128, 256))
# Labels that are often on UTF-8 text by mistake; and supersets that senders really used.
_OFTEN_REALLY_UTF8 = frozenset({"ascii", "iso8859-1", "iso8859-15", "cp1252"})
_SUPERSETS = {
    "ascii": "cp1252", "iso8859-1": "cp1252", "gb2312": "gb18030", "gbk": "gb18030",
    "shift_jis": "cp932", "euc_kr": "cp949", "big5": "big5hkscs",
}


class _Notes:
    """What was wrong with one message: ordered, de-duplicated and capped."""

    def __init__(self, first: tuple[str, ...] = ()) -> None:
        self.items: list[str] = []
        self._seen: set[str] = set()
        self._dropped = 0
        for note in first:
            self.add(note)

    def add(self, note: str) -> None:
        if note in self._seen:
            return
        self._seen.add(note)
        if len(self.items) < _MAX_DEFECTS:
            self.items.append(note)
        else:
            self._dropped += 1

    def result(self) -> tuple[str, ...]:
        if self._dropped:
            return (*self.items, f"{self._dropped} more problems not listed")
        return tuple(self.items)


def parse_message(raw: bytes, provider_id: str, *, max_part_bytes: int = 5_000_000) -> MailMessage:
    """Decode one message; never raises, whatever the bytes."""
    failures: list[str] = []
    try:
        data = _strip_leading(bytes(raw))
        for name, policy in (("strict", email_policy.default), ("lenient", email_policy.compat32)):
            try:
                return _parse_tree(data, provider_id, policy, max_part_bytes, tuple(failures))
            except Exception as exc:  # hostile input has crashed both stdlib parsers before
                failures.append(f"{name} MIME parser failed ({type(exc).__name__})")
        return _parse_crudely(data, provider_id, max_part_bytes, tuple(failures))
    except Exception as exc:
        failures.append(f"message could not be decoded at all ({type(exc).__name__})")
        return MailMessage(provider_id=provider_id, defects=tuple(failures))


def message_id_of(raw: bytes) -> str | None:
    """The normalised Message-ID (no <>, no whitespace), read from the header block only.

    A regex over the header block rather than a header parser: list_ids runs this on every
    message of multi-gigabyte mailboxes, and it must not touch the body.
    """
    head = _strip_leading(raw[: _HEADER_BLOCK_LIMIT + 4096])[:_HEADER_BLOCK_LIMIT]
    end = _HEADER_END.search(head)
    match = _MESSAGE_ID.search(head, 0, end.start() if end else len(head))
    if match is None:
        return None
    value = b"".join(match.group(1).split()).decode("utf-8", errors="replace")
    if "<" in value:
        inner = value.split("<", 1)[1].split(">", 1)[0]
        value = inner or value
    value = value.strip("<>")
    return value if 0 < len(value) <= 900 else None


def provider_id_for(raw: bytes) -> str:
    """Message-ID when there is one, else a content hash, so re-scans recognise a message."""
    return message_id_of(raw) or "sha1:" + hashlib.sha1(raw).hexdigest()


def decode_text(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Bytes -> str by the declared charset when it fits, else the likeliest; plus a note."""
    label = (charset or "").strip().strip("\"'").lower()
    codec = _codec_for(label)
    note = f"unknown charset {label!r}" if label and codec is None else None
    if codec is not None:
        if codec in _OFTEN_REALLY_UTF8 and not data.isascii():
            try:
                return data.decode("utf-8"), f"text labelled {label} was really utf-8"
            except UnicodeDecodeError:
                pass
        try:
            return data.decode(_SUPERSETS.get(codec, codec)), None
        except UnicodeError:
            note = f"text did not match its charset {label!r}"
    try:
        return data.decode("utf-8"), note
    except UnicodeDecodeError:
        pass
    as_utf8 = data.decode("utf-8", errors="replace")
    invalid = as_utf8.count("\ufffd")
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    if high - invalid > invalid:  # mostly valid multi-byte sequences: UTF-8 with a few bad bytes
        return as_utf8, note or "invalid utf-8 replaced"
    try:
        return data.decode("cp1252"), note or "no usable charset; read as cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), note or "no usable charset; read as latin-1"


def _html_to_snippet_text(markup: str) -> str:
    """Crude visible text of html (tags and hidden blocks dropped), enough for a snippet."""
    return html.unescape(_TAG.sub(" ", _HIDDEN_BLOCKS.sub(" ", markup)))


# -- the three tiers ----------------------------------------------------------------------------


def _parse_tree(
    data: bytes, provider_id: str, policy: Policy, max_part_bytes: int, failures: tuple[str, ...]
) -> MailMessage:
    notes = _Notes(failures)
    msg = BytesParser(policy=policy).parsebytes(data)
    headers = tuple(
        (name.strip(), _decode_header(name.strip(), str(raw), notes))
        for name, raw in msg.raw_items()
    )
    reader = _Reader(policy, max_part_bytes, notes)
    reader.walk(msg, 0)
    return _assemble(provider_id, headers, reader.texts, reader.htmls, notes)


def _parse_crudely(
    data: bytes, provider_id: str, max_part_bytes: int, failures: tuple[str, ...]
) -> MailMessage:
    """Split at the first blank line and decode both halves as best we can."""
    notes = _Notes(failures)
    end = _HEADER_END.search(data)
    head, body = (data[: end.start()], data[end.end() :]) if end else (data, b"")
    headers: list[tuple[str, str]] = []
    for line in _FOLD.sub("", head.decode("ascii", errors="surrogateescape")).splitlines():
        name, colon, value = line.partition(":")
        if colon and name.strip() and " " not in name.strip():
            headers.append((name.strip(), _decode_header(name.strip(), value.strip(), notes)))
    if len(body) > max_part_bytes:
        body = _trim_partial_utf8(body[:max_part_bytes])
        notes.add(f"body larger than {max_part_bytes} bytes was truncated")
    text, note = decode_text(body, None)
    if note:
        notes.add(note)
    is_html = _HTML_SNIFF.search(body[:4096]) is not None
    texts, htmls = ([], [text]) if is_html else ([text], [])
    return _assemble(provider_id, tuple(headers), texts, htmls, notes)


def _assemble(
    provider_id: str,
    headers: tuple[tuple[str, str], ...],
    texts: list[str],
    htmls: list[str],
    notes: _Notes,
) -> MailMessage:
    def first(*names: str) -> str | None:
        for wanted in names:
            for name, value in headers:
                if name.lower() == wanted:
                    return value
        return None

    date_value = first("date")
    date = _parse_date(date_value)
    if date_value is None:
        notes.add("no Date header")
    elif date is None:
        notes.add("unreadable Date header")
    sender = first("from", "sender")
    if sender is None:
        notes.add("no From header")
    text = "\n".join(t for t in texts if t)
    markup = "\n".join(h for h in htmls if h)
    source = text if text.strip() else _html_to_snippet_text(markup[:300_000])
    snippet = " ".join(_INVISIBLE.sub("", source[:20_000]).split())[:SNIPPET_CHARS].rstrip()
    return MailMessage(
        provider_id=provider_id,
        subject=first("subject") or "",
        sender=sender or "",
        date=date,
        text=text,
        html=markup,
        snippet=snippet,
        headers=headers,
        defects=notes.result(),
    )


# -- the body -----------------------------------------------------------------------------------


class _Reader:
    """Walks one parsed tree and collects every text/plain and text/html part."""

    def __init__(self, policy: Policy, max_part_bytes: int, notes: _Notes) -> None:
        self.policy = policy
        self.max_part_bytes = max_part_bytes
        self.notes = notes
        self.texts: list[str] = []
        self.htmls: list[str] = []

    def walk(self, part: Message, depth: int) -> None:
        if depth > MAX_DEPTH:
            self.notes.add(f"parts nested deeper than {MAX_DEPTH} levels were skipped")
            return
        try:
            self._visit(part, depth)
        except Exception as exc:  # one unreadable part must not cost us its siblings
            self.notes.add(f"a part could not be read ({type(exc).__name__})")
        for defect in getattr(part, "defects", ()):
            self.notes.add(_describe(defect))

    def _visit(self, part: Message, depth: int) -> None:
        ctype = _content_type(part)
        if part.is_multipart():
            children = part.get_payload()
            for child in children if isinstance(children, list) else ():
                if isinstance(child, Message):
                    if ctype == "message/rfc822":
                        self._forward_header(child)
                    self.walk(child, depth + 1)
            return
        if ctype.startswith("multipart/"):
            recovered = self._recover_multipart(part, ctype)
            if recovered is not None:
                self.notes.add("multipart boundary was missing or wrong; guessed from the body")
                self.walk(recovered, depth + 1)
                return
            self.notes.add("multipart without usable boundary; body read as text")
            ctype = "text/plain"
        if ctype in _TEXT_TYPES:
            self._text_part(part, ctype)

    def _text_part(self, part: Message, ctype: str) -> None:
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            return
        if len(payload) > self.max_part_bytes:
            payload = _trim_partial_utf8(payload[: self.max_part_bytes])
            self.notes.add(f"{ctype} part larger than {self.max_part_bytes} bytes was truncated")
        charset = _safe_charset(part)
        if "content-type" not in part and _HTML_SNIFF.search(payload[:4096]):
            ctype = "text/html"
            self.notes.add("no Content-Type; body looked like html")
        if charset is None and ctype == "text/html":
            found = _META_CHARSET.search(payload[:8192])
            charset = found.group(1).decode("ascii", errors="replace") if found else None
        text, note = decode_text(payload, charset)
        if note:
            self.notes.add(note)
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").rstrip()
        (self.htmls if ctype == "text/html" else self.texts).append(text)

    def _forward_header(self, inner: Message) -> None:
        """Forwarded mail: keep who sent it and what it was about, as mail clients show it."""
        lines = ["---------- Forwarded message ----------"]
        for name, raw in inner.raw_items():
            if name.strip().lower() in ("from", "date", "subject", "to"):
                lines.append(f"{name.strip()}: {_decode_header(name.strip(), str(raw), self.notes)}")
        if len(lines) > 1:
            self.texts.append("\n".join(lines))

    def _recover_multipart(self, part: Message, ctype: str) -> Message | None:
        """A multipart whose boundary is missing or wrong: take it from the first --line."""
        body = part.get_payload(decode=True)
        if not isinstance(body, bytes):
            return None
        found = _BOUNDARY_LINE.search(body)
        if found is None:
            return None
        boundary = found.group(1)
        if boundary.endswith(b"--") and len(boundary) > 2:
            boundary = boundary[:-2]
        head = b"Content-Type: %s; boundary=\"%s\"\r\n\r\n" % (ctype.encode("ascii", "replace"),
                                                              boundary)
        recovered = BytesParser(policy=self.policy).parsebytes(head + body)
        return recovered if recovered.is_multipart() and recovered.get_payload() else None


# -- small helpers ------------------------------------------------------------------------------


def _decode_header(name: str, raw: str, notes: _Notes) -> str:
    """One header value -> display text; manual RFC 2047 decoding if the parser chokes."""
    value = raw if raw.isascii() else _unescape_8bit(raw)
    try:
        parsed = email_policy.default.header_fetch_parse(name, value)
        text = str(parsed)
        for defect in getattr(parsed, "defects", ()):
            notes.add(f"{name} header: {_describe(defect)}")
    except Exception as exc:  # the header parser has raised on hostile input before
        notes.add(f"{name} header could not be parsed ({type(exc).__name__})")
        text = _decode_words(value)
    if not text.isascii():
        text = _unescape_8bit(text)
    return _CONTROL.sub(" ", text).strip()


def _decode_words(value: str) -> str:
    """RFC 2047 by hand: tolerant of bad base64, unknown charsets and stray whitespace."""
    value = _BETWEEN_WORDS.sub(r"\1\2", _FOLD.sub("", value))
    return _ENCODED_WORD.sub(_decode_word, value)


def _decode_word(match: re.Match[str]) -> str:
    charset, encoding, payload = match.groups()
    data = payload.encode("utf-8", errors="surrogateescape")
    try:
        if encoding in "bB":
            raw = base64.b64decode(data + b"=" * (-len(data) % 4), validate=False)
        else:
            raw = binascii.a2b_qp(data, header=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    return decode_text(raw, charset.split("*", 1)[0])[0]


def _unescape_8bit(value: str) -> str:
    """Raw 8-bit bytes in headers arrive as surrogate escapes; decode each run as text."""
    return _SURROGATES.sub(
        lambda run: decode_text(run.group().encode("ascii", errors="surrogateescape"), None)[0],
        value,
    )


def _codec_for(label: str) -> str | None:
    """Python's codec name for a charset label, or None if unknown or not a text codec."""
    if not label:
        return None
    try:
        name = codecs.lookup(label).name
        b"".decode(name)  # rejects bytes-to-bytes codecs such as "base64" or "zlib"
    except (LookupError, ValueError):
        return None
    return name


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # a Content-Type the parser cannot read: RFC 2045 says assume text
        return "text/plain"


def _safe_charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:  # broken parameters are no worse than a missing charset
        return None


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email_utils.parsedate_to_datetime(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except Exception:  # parsedate has raised TypeError, ValueError, IndexError, OverflowError
        return None


def _describe(defect: object) -> str:
    """A stdlib defect as a few words: InvalidBase64PaddingDefect -> 'invalid base64 padding'."""
    words = _CAMEL.sub(" ", type(defect).__name__.removesuffix("Defect")).lower()
    detail = str(defect).strip().rstrip(".")
    return f"{words}: {detail}" if detail and len(detail) <= 80 else words


def _strip_leading(data: bytes) -> bytes:
    """A BOM or blank lines before the first header would make every header body text."""
    data = data.removeprefix(codecs.BOM_UTF8)
    return data.lstrip(b"\r\n\t ")


def _trim_partial_utf8(data: bytes) -> bytes:
    """Cutting at a byte limit can split a UTF-8 character; drop its orphaned start."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return data
        if byte >= 0xC0:
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data[:-back] if needed > back else data
    return data
