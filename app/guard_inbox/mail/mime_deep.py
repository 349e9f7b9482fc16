"""MIME nested too deep for the standard library, read in one linear pass with a depth cap.

``email``'s parser recurses once per nesting level, so ~1,000 nested multiparts raise
RecursionError and the whole message used to be read as raw text: a base64 or HTML part
with the code in it was lost. Here delimiter lines are found with one regex scan and matched
against a stack of open boundaries; each leaf part (never multipart, so never recursive) is
handed to the ordinary parser. Parts nested deeper than the cap are skipped, and everything
found above them is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser

_PARSER = BytesParser(policy=email_policy.compat32)
_DELIMITER = re.compile(rb"^--([^\r\n]*?)[ \t]*\r?$", re.MULTILINE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MAX_HEADER_BYTES = 64 * 1024


@dataclass
class DeepParts:
    """The leaf parts of a deeply nested message, in order, and what was skipped."""

    headers: Message
    leaves: list[Message] = field(default_factory=list)
    deepest_skipped: bool = False


def read_deep(data: bytes, max_depth: int) -> DeepParts:
    top, body_start = _headers_at(data, 0)
    found = DeepParts(top)
    boundary = _boundary(top)
    if boundary is None:
        return found
    frames: list[tuple[bytes, int]] = [(boundary, 0)]  # open boundaries and their depth
    leaf_start: int | None = None
    for match in _DELIMITER.finditer(data, body_start):
        index, closing = _open_frame(frames, match.group(1))
        if index is None:
            continue  # an ordinary line that starts with "--", or a skipped part's own delimiter
        if leaf_start is not None:
            found.leaves.append(_PARSER.parsebytes(_without_final_newline(data[leaf_start:match.start()])))
            leaf_start = None
        depth = frames[index][1]
        del frames[index + (0 if closing else 1):]
        if closing:
            if not frames:
                break
            continue
        part_start = match.end() + (2 if data[match.end():match.end() + 2] == b"\r\n" else 1)
        headers, _ = _headers_at(data, part_start)
        child = _boundary(headers)
        if child is None:
            leaf_start = part_start
        elif depth + 1 > max_depth:
            found.deepest_skipped = True  # its delimiters stay unknown, so its content is passed over
        else:
            frames.append((child, depth + 1))
    if leaf_start is not None:  # the last part was never closed (a trimmed message)
        found.leaves.append(_PARSER.parsebytes(data[leaf_start:]))
    return found


def _open_frame(frames: list[tuple[bytes, int]], token: bytes) -> tuple[int | None, bool]:
    """Which open boundary a delimiter line belongs to (innermost first), and if it closes it."""
    for index in range(len(frames) - 1, -1, -1):
        boundary = frames[index][0]
        if token == boundary:
            return index, False
        if token == boundary + b"--":
            return index, True
    return None, False


def _headers_at(data: bytes, start: int) -> tuple[Message, int]:
    end = _HEADER_END.search(data, start, start + _MAX_HEADER_BYTES)
    if data[start:start + 2] in (b"\r\n", b"\n\r") or data[start:start + 1] == b"\n":
        return Message(), start  # no headers at all: RFC 2045's default, text/plain
    stop = end.end() if end else min(len(data), start + _MAX_HEADER_BYTES)
    return _PARSER.parsebytes(data[start:stop], headersonly=True), stop


def _boundary(headers: Message) -> bytes | None:
    try:
        if headers.get_content_maintype() != "multipart":
            return None
        boundary = headers.get_boundary()
    except Exception:  # unreadable parameters: not a multipart we can follow
        return None
    return boundary.encode("utf-8", "surrogateescape") if boundary else None


def _without_final_newline(part: bytes) -> bytes:
    """The CRLF before a delimiter line belongs to the delimiter (RFC 2046 5.1.1)."""
    if part.endswith(b"\r\n"):
        return part[:-2]
    return part[:-1] if part.endswith(b"\n") else part
