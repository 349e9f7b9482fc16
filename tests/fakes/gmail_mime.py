"""RFC 822 bytes -> the Gmail API's `MessagePart` tree, snippet and searchable text."""

from __future__ import annotations

import base64
import contextlib
import email
import hashlib
import html
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.policy import compat32
from typing import Any

SNIPPET_CHARS = 200


def b64url(data: bytes) -> str:
    """Gmail's base64url: URL-safe alphabet, padded."""
    return base64.urlsafe_b64encode(data).decode("ascii")


def header_value(raw: str) -> str:
    """Unfolds a header and decodes RFC 2047 encoded words, as the Gmail API shows them."""
    value = re.sub(r"\r?\n(?=[ \t])", "", raw)
    if "=?" in value:
        with contextlib.suppress(UnicodeError, LookupError, ValueError):
            value = str(make_header(decode_header(value)))
    return value


@dataclass
class ParsedMessage:
    """What the mailbox needs from a message's bytes, computed once at insert time."""

    raw: bytes
    headers: list[tuple[str, str]]
    payload: dict[str, Any]
    attachments: dict[str, bytes] = field(default_factory=dict)
    text: str = ""
    snippet: str = ""

    def header(self, name: str) -> str:
        lower = name.lower()
        return next((v for k, v in self.headers if k.lower() == lower), "")


def _decoded_text(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("latin-1")


def _html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", " ", markup)
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", markup))


def _make_snippet(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) > SNIPPET_CHARS:
        flat = flat[:SNIPPET_CHARS].rsplit(" ", 1)[0]
    # Gmail HTML-escapes snippets and writes the apostrophe as &#39;.
    return html.escape(flat, quote=True).replace("&#x27;", "&#39;")


def parse_message(raw: bytes, message_id: str) -> ParsedMessage:
    msg = email.message_from_bytes(raw, policy=compat32)
    attachments: dict[str, bytes] = {}
    plain: list[str] = []
    markup: list[str] = []

    def part_json(part: Message, part_id: str) -> dict[str, Any]:
        headers = [{"name": k, "value": header_value(str(v))} for k, v in part.items()]
        filename = part.get_filename() or ""
        if filename:
            filename = header_value(filename)
        node: dict[str, Any] = {"partId": part_id, "mimeType": part.get_content_type(),
                                "filename": filename, "headers": headers}
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            node["body"] = {"size": 0}
            children = part.get_payload()
            assert isinstance(children, list)
            prefix = f"{part_id}." if part_id else ""
            node["parts"] = [part_json(child, f"{prefix}{i}") for i, child in enumerate(children)]
            return node
        if part.get_content_type() == "message/rfc822" and part.is_multipart():
            inner = part.get_payload(0)
            data = inner.as_bytes() if isinstance(inner, Message) else b""
        else:
            decoded = part.get_payload(decode=True)
            data = decoded if isinstance(decoded, bytes) else b""
        disposition = (part.get_content_disposition() or "").lower()
        if filename or disposition == "attachment":
            attachment_id = "ANGjdJ" + hashlib.sha256(f"{message_id}/{part_id}".encode()).hexdigest()
            attachments[attachment_id] = data
            node["body"] = {"attachmentId": attachment_id, "size": len(data)}
        else:
            node["body"] = {"size": len(data), "data": b64url(data)} if data else {"size": 0}
            if part.get_content_type() == "text/plain":
                plain.append(_decoded_text(part))
            elif part.get_content_type() == "text/html":
                markup.append(_html_to_text(_decoded_text(part)))
        return node

    payload = part_json(msg, "")
    text = "\n".join(plain) if plain else "\n".join(markup)
    headers = [(k, header_value(str(v))) for k, v in msg.items()]
    return ParsedMessage(raw=raw, headers=headers, payload=payload, attachments=attachments,
                         text=text, snippet=_make_snippet(text))


def metadata_payload(payload: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
    """format=metadata: top-level mimeType and headers (only `metadataHeaders` when given)."""
    lowered = {name.lower() for name in wanted}
    headers = [h for h in payload["headers"] if not lowered or h["name"].lower() in lowered]
    return {"mimeType": payload["mimeType"], "headers": headers}
