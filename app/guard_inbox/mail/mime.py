"""Raw RFC 5322 bytes -> MailMessage, for mail as it is sent rather than as the RFCs describe it.

Every step has a fallback, because one broken header or part must not cost us the rest of the
message: each part and header is decoded on its own, and a crude header/body split takes over
if the parser itself gives up. ``parse_message`` never raises; what went wrong is reported in
``MailMessage.defects`` instead.

The tree is parsed with the ``compat32`` policy and headers are decoded by hand (charsets.py),
not with ``policy.default``: same feedparser, same payload decoding and the same decoded text
on our corpus, but ``policy.default`` parses every header it is asked for (Content-Type about
seven times per part) and was 10x slower (~1 ms per small message), it can raise on hostile
headers, and it rewrites addresses instead of showing them as sent.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from email import policy as email_policy
from email import utils as email_utils
from email.message import Message
from email.parser import BytesParser

from guard_inbox.domain.models import MailMessage, UnreadableMessage
from guard_inbox.mail.charsets import (
    decode_text,
    decode_words,
    lenient_qp,
    trim_partial_utf8,
    unescape_8bit,
    without_lone_surrogates,
)
from guard_inbox.mail.message_id import MAX_MESSAGE_ID, message_id_of, provider_id_for, strip_leading
from guard_inbox.mail.mime_deep import read_deep
from guard_inbox.mail.snippet import html_to_snippet_text

_log = logging.getLogger(__name__)

__all__ = ["MAX_DEPTH", "MAX_MESSAGE_ID", "SNIPPET_CHARS", "message_id_of", "parse_message",
           "provider_id_for", "read_message"]

MAX_DEPTH = 20
SNIPPET_CHARS = 200
# Bigger messages are read part by part (mime_deep.py): the stdlib parser holds ~8x a body's
# size while it splits and joins its lines, and a 50 MB message must stay within 3x.
BIG_MESSAGE_BYTES = 4_000_000
_MAX_DEFECTS = 40
_TEXT_TYPES = ("text/plain", "text/html")
_PARSER = BytesParser(policy=email_policy.compat32)

_SURROGATE = re.compile("[\udc80-\udcff]")
_CONTROL = re.compile("[\x00-\x1f\x7f]+")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_QP_ESCAPE = re.compile(rb"=[0-9A-F]{2}")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_BOUNDARY_LINE = re.compile(rb"^--(-*[^\s\"-][^\s\"]{0,69}?)[ \t]*\r?$", re.MULTILINE)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w.:-]{1,40})""", re.I)
_HTML_SNIFF = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|meta|style|div|table|tr|td|p|br|img|span|a)\b", re.I
)
# Zero-width and filler characters that marketing mail pads its preheader with.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u2060-\u2064\ufeff]")


class _Notes:
    """What was wrong with one message: ordered, de-duplicated and capped."""

    def __init__(self, first: tuple[str, ...] = ()) -> None:
        self.items: list[str] = []
        self._seen: set[str] = set()
        self._dropped = 0
        for note in first:
            self.add(note)

    def add(self, note: str) -> None:
        note = without_lone_surrogates(note)  # notes are stored too
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


def read_message(raw: bytes, provider_id: str) -> MailMessage | UnreadableMessage:
    """What every mail source hands on: ``parse_message``, and should it ever break its promise
    not to raise, an unreadable message in its place, so a parser bug cannot stop a scan."""
    try:
        return parse_message(raw, provider_id)
    except Exception as exc:
        _log.exception("parse_message raised on %s", provider_id)
        return UnreadableMessage(provider_id, f"Could not decode this message ({type(exc).__name__}).")


def parse_message(raw: bytes, provider_id: str, *, max_part_bytes: int = 5_000_000) -> MailMessage:
    """Decode one message; never raises, whatever the bytes."""
    failures: tuple[str, ...] = ()
    try:
        data = strip_leading(bytes(raw))
        try:
            if len(data) > BIG_MESSAGE_BYTES:
                return _parse_deep(data, provider_id, max_part_bytes, big=True)
            try:
                return _parse_tree(data, provider_id, max_part_bytes)
            except RecursionError:  # ~1,000 nested multiparts: the stdlib parser recurses
                return _parse_deep(data, provider_id, max_part_bytes)
        except Exception as exc:
            failures = (f"MIME structure unreadable ({type(exc).__name__}); read as plain text",)
        return _parse_crudely(data, provider_id, max_part_bytes, failures)
    except Exception as exc:
        failures += (f"message could not be decoded at all ({type(exc).__name__})",)
        return MailMessage(provider_id=provider_id, defects=failures)


# -- the two tiers -----------------------------------------------------------------------------


def _parse_tree(data: bytes, provider_id: str, max_part_bytes: int) -> MailMessage:
    notes = _Notes()
    msg = _PARSER.parsebytes(data)
    headers = _decoded_headers(msg, notes)
    reader = _Reader(max_part_bytes, notes)
    reader.walk(msg, 0)
    return _assemble(provider_id, headers, reader.texts, reader.htmls, notes)


def _parse_deep(data: bytes, provider_id: str, max_part_bytes: int, *, big: bool = False) -> MailMessage:
    """Too deep or too big for the stdlib parser: each leaf part on its own, keeping what lies
    above the depth cap (and, for a big message, no more of a part than we read)."""
    notes = _Notes(() if big else ("MIME nested too deep for the standard parser; read part by part",))
    parts = read_deep(data, MAX_DEPTH, max_part_bytes if big else None)
    headers = _decoded_headers(parts.headers, notes)
    reader = _Reader(max_part_bytes, notes)
    reader.preamble(parts.preamble)
    for leaf in parts.leaves:
        reader.walk(leaf, 1)
    if parts.deepest_skipped:
        notes.add(f"parts nested deeper than {MAX_DEPTH} levels were skipped")
    return _assemble(provider_id, headers, reader.texts, reader.htmls, notes)


def _decoded_headers(msg: Message, notes: _Notes) -> tuple[tuple[str, str], ...]:
    raw_headers = [(name.strip(), str(raw)) for name, raw in msg.raw_items()]
    return tuple((name, _decode_header(name, raw, notes)) for name, raw in raw_headers)


def _parse_crudely(
    data: bytes, provider_id: str, max_part_bytes: int, failures: tuple[str, ...]
) -> MailMessage:
    """Split at the first blank line and decode both halves as best we can."""
    notes = _Notes(failures)
    end = _HEADER_END.search(data)
    head, body = data, b""
    if end:  # no more of the body than is read: a big message must not be copied whole
        head, body = data[: end.start()], data[end.end() : end.end() + max_part_bytes + 1]
    headers: list[tuple[str, str]] = []
    for line in _FOLD.sub("", head.decode("ascii", errors="surrogateescape")).splitlines():
        name, colon, value = line.partition(":")
        if colon and name.strip() and " " not in name.strip():
            headers.append((name.strip(), _decode_header(name.strip(), value.strip(), notes)))
    if len(body) > max_part_bytes:
        body = trim_partial_utf8(body[:max_part_bytes])
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
    source = text if text.strip() else html_to_snippet_text(markup[:300_000])
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

    def __init__(self, max_part_bytes: int, notes: _Notes) -> None:
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
            self.preamble(_to_bytes(getattr(part, "preamble", None) or ""))
            children = part.get_payload()
            for child in children if isinstance(children, list) else ():
                if isinstance(child, Message):
                    if ctype == "message/rfc822":
                        self._forward_header(child)
                    self.walk(child, depth + 1)
            return
        bare = "content-type" not in part
        if ctype.startswith("multipart/") or bare:
            recovered = self._recover_multipart(part, "multipart/mixed" if bare else ctype, bare)
            if recovered is not None:
                self.notes.add("multipart boundary was missing or wrong; guessed from the body")
                self.walk(recovered, depth + 1)
                return
            ctype = "text/plain"
        if ctype in _TEXT_TYPES:
            self._text_part(part, ctype, bare)

    def preamble(self, preamble: bytes) -> None:
        """Trimmed mail: html before any MIME boundary is read as the html part."""
        if _HTML_SNIFF.search(preamble[:4096]):
            self.notes.add("html found before the first MIME boundary")
            self._add_text(self._unmarked_qp(preamble, None), "text/html", None, None)

    def _text_part(self, part: Message, ctype: str, bare: bool) -> None:
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload.strip():
            return
        if bare and _HTML_SNIFF.search(payload[:4096]):
            ctype = "text/html"
            self.notes.add("no Content-Type; body looked like html")
        charset = _safe_charset(part)
        cte = str(part.get("content-transfer-encoding", "")).strip().lower()
        qp = _to_bytes(part.get_payload()) if cte == "quoted-printable" else None
        if cte in ("", "7bit", "8bit"):
            payload = self._unmarked_qp(payload, charset)
        self._add_text(payload, ctype, charset, qp)

    def _unmarked_qp(self, data: bytes, charset: str | None) -> bytes:
        """Quoted-printable that never said so (=3D everywhere, lines ending in =): decode it."""
        soft_breaks = data.count(b"=\n") + data.count(b"=\r\n")
        if data.count(b"=3D") < 2 and (soft_breaks < 3 or not _QP_ESCAPE.search(data)):
            return data  # "=====" rules in plain text end lines with "=" too
        self.notes.add("body was quoted-printable without saying so")
        return lenient_qp(data, charset)

    def _add_text(self, data: bytes, ctype: str, charset: str | None, qp: bytes | None) -> None:
        if charset is None and ctype == "text/html":
            found = _META_CHARSET.search(data[:8192])
            charset = found.group(1).decode("ascii", errors="replace") if found else None
        text, note = self._decode(data, ctype, charset)
        if note and qp is not None:  # often a bare '=' the sender forgot to encode as =3D
            text, note = self._decode(lenient_qp(qp, charset), ctype, charset)
            note = note or "stray '=' in quoted-printable text kept as written"
        if note:
            self.notes.add(note)
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").rstrip()
        (self.htmls if ctype == "text/html" else self.texts).append(text)

    def _decode(self, data: bytes, ctype: str, charset: str | None) -> tuple[str, str | None]:
        if len(data) > self.max_part_bytes:
            data = trim_partial_utf8(data[: self.max_part_bytes])
            self.notes.add(f"{ctype} part larger than {self.max_part_bytes} bytes was truncated")
        return decode_text(data, charset)

    def _forward_header(self, inner: Message) -> None:
        """Forwarded mail: keep who sent it and what it was about, as mail clients show it."""
        lines = ["---------- Forwarded message ----------"]
        for key, raw in inner.raw_items():
            name = key.strip()
            if name.lower() in ("from", "date", "subject", "to"):
                lines.append(f"{name}: {_decode_header(name, str(raw), self.notes)}")
        if len(lines) > 1:
            self.texts.append("\n".join(lines))

    def _recover_multipart(self, part: Message, ctype: str, at_start: bool) -> Message | None:
        """A multipart whose boundary is missing or wrong: take it from the first --line."""
        body = part.get_payload(decode=True)
        if not isinstance(body, bytes):
            return None
        body = body.lstrip(b"\r\n")
        found = _BOUNDARY_LINE.match(body) if at_start else _BOUNDARY_LINE.search(body)
        if found is None:
            return None
        boundary = found.group(1)
        if boundary.endswith(b"--") and len(boundary) > 2:
            boundary = boundary[:-2]
        head = b'Content-Type: %s; boundary="%s"\r\n\r\n' % (
            ctype.encode("ascii", "replace"),
            boundary,
        )
        recovered = _PARSER.parsebytes(head + body)
        return recovered if recovered.is_multipart() and recovered.get_payload() else None


# -- small helpers ------------------------------------------------------------------------------


def _decode_header(name: str, raw: str, notes: _Notes) -> str:
    """One header value as sent -> display text (RFC 2047 words and raw 8-bit bytes decoded)."""
    if not raw.isascii():
        if _SURROGATE.search(raw):
            notes.add(f"{name} header has unencoded 8-bit text")
        raw = unescape_8bit(raw)
    value = decode_words(raw)
    return (value if value.isprintable() else _CONTROL.sub(" ", value)).strip()


def _to_bytes(value: object) -> bytes:
    """A payload string from BytesParser back to its bytes (8-bit ones are surrogate escapes)."""
    return str(value).encode("utf-8", errors="surrogateescape")


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
    detail = _CONTROL.sub(" ", unescape_8bit(str(defect))).strip().rstrip(".")
    return f"{words}: {detail}" if detail and len(detail) <= 80 else words
