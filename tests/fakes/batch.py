"""Google's HTTP batch format (the Gmail "Batching Requests" guide).

Request: `multipart/mixed` whose parts are `Content-Type: application/http` (optional
`Content-ID`), each holding a request line, headers, a blank line and an optional body. Headers
of the outer request other than Content-* apply to every part unless the part sets them itself.
Response: `multipart/mixed; boundary=batch_…`, one `application/http` part per call, in order,
with `Content-ID: <response-ORIGINAL>`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit, urlunsplit

from ._http import HTTPReply, HTTPRequest
from .errors import bad_request

MAX_PARTS = 100


@dataclass
class BatchPart:
    content_id: str | None
    request: HTTPRequest | None  # None: the part could not be parsed
    problem: str = ""


def _split_head(block: bytes) -> tuple[list[bytes], bytes]:
    """Header lines and the rest, for CRLF or bare-LF text."""
    found = [(at, size) for at, size in ((block.find(b"\r\n\r\n"), 4), (block.find(b"\n\n"), 2)) if at >= 0]
    if not found:
        return block.splitlines(), b""
    at, size = min(found)
    return block[:at].splitlines(), block[at + size:]


def _headers(lines: list[bytes]) -> dict[str, str]:
    headers: dict[str, str] = {}
    last = ""
    for raw in lines:
        line = raw.decode("utf-8", errors="replace")
        if line[:1] in (" ", "\t") and last:
            headers[last] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        if colon:
            last = name.strip().lower()
            headers[last] = value.strip()
    return headers


def _boundary(content_type: str) -> str | None:
    msg = Message()
    msg["Content-Type"] = content_type
    if msg.get_content_type() != "multipart/mixed":
        return None
    boundary = msg.get_param("boundary")
    return boundary if isinstance(boundary, str) and boundary else None


def _inner_request(block: bytes, outer: dict[str, str]) -> HTTPRequest:
    lines, body = _split_head(block.lstrip(b"\r\n"))
    if not lines:
        raise ValueError("empty part")
    words = lines[0].decode("utf-8", errors="replace").split()
    if len(words) not in (2, 3) or not words[1].startswith(("/", "http://", "https://")):
        raise ValueError(f"bad request line {lines[0]!r}")
    target = urlsplit(words[1])
    inherited = {k: v for k, v in outer.items()
                 if not k.startswith("content-") and k not in ("host", "transfer-encoding")}
    headers = {**inherited, **_headers(lines[1:])}
    length = headers.get("content-length")
    if length is not None and length.isdigit():
        body = body[:int(length)]
    elif body.endswith(b"\r\n"):
        body = body[:-2]
    return HTTPRequest(words[0].upper(), urlunsplit(("", "", target.path, target.query, "")), headers, body)


def parse_batch(request: HTTPRequest) -> list[BatchPart]:
    boundary = _boundary(request.headers.get("content-type", ""))
    if boundary is None:
        raise ValueError("a batch request must be multipart/mixed with a boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    segments = request.body.split(delimiter)
    parts: list[BatchPart] = []
    for raw_segment in segments[1:]:
        if raw_segment.startswith(b"--"):
            break
        segment = raw_segment.removeprefix(b"\r\n").removeprefix(b"\n")
        segment = segment.removesuffix(b"\n").removesuffix(b"\r")
        head_lines, inner = _split_head(segment)
        part_headers = _headers(head_lines)
        content_id = part_headers.get("content-id")
        if part_headers.get("content-type", "").split(";")[0].strip().lower() != "application/http":
            parts.append(BatchPart(content_id, None, "each part must be Content-Type: application/http"))
            continue
        try:
            parts.append(BatchPart(content_id, _inner_request(inner, request.headers)))
        except ValueError as exc:
            parts.append(BatchPart(content_id, None, str(exc)))
    return parts


def _response_id(content_id: str) -> str:
    if content_id.startswith("<") and content_id.endswith(">"):
        return f"<response-{content_id[1:-1]}>"
    return f"response-{content_id}"


def handle_batch(request: HTTPRequest, call: Callable[[HTTPRequest], HTTPReply]) -> tuple[HTTPReply, int]:
    """Runs each part through `call`; returns the multipart reply and the number of parts."""
    if request.method != "POST":
        return bad_request("Batch requests must be POSTed."), 0
    try:
        parts = parse_batch(request)
    except ValueError as exc:
        return bad_request(str(exc)), 0
    if not parts:
        return bad_request("The batch request contains no parts."), 0
    if len(parts) > MAX_PARTS:
        message = f"Too many requests in batch: {len(parts)} (the limit is {MAX_PARTS})."
        return bad_request(message), len(parts)
    boundary = "batch_" + secrets.token_hex(12)
    out: list[bytes] = []
    for part in parts:
        if part.request is None:
            reply = bad_request(part.problem)
        elif part.request.path.startswith("/batch"):
            reply = bad_request("Nested batch requests are not allowed.")
        else:
            reply = call(part.request)
        head = [f"--{boundary}", "Content-Type: application/http"]
        if part.content_id:
            head.append(f"Content-ID: {_response_id(part.content_id)}")
        head += ["", f"HTTP/1.1 {reply.status} {reply.reason}"]
        head += [f"{name}: {value}" for name, value in reply.headers]
        head += [f"Content-Length: {len(reply.body)}", "", ""]
        out.append("\r\n".join(head).encode("utf-8") + reply.body + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    reply = HTTPReply(200, b"".join(out), [("Content-Type", f"multipart/mixed; boundary={boundary}"),
                                          ("Vary", "Origin, X-Origin, Referer")])
    return reply, len(parts)
