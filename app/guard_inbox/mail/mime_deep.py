"""MIME nested too deep for the standard library, read in one linear pass with a depth cap.

``email``'s parser recurses once per nesting level, so ~1,000 nested multiparts raise
RecursionError and the whole message used to be read as raw text: a base64 or HTML part
with the code in it was lost. Here delimiter lines are found with one regex scan and matched
against a stack of open boundaries; each leaf part (never multipart, so never recursive) is
handed to the ordinary parser. Parts nested deeper than the cap are skipped, and everything
found above them is kept.

The same pass reads very large messages (mime.py's BIG_MESSAGE_BYTES) in bounded memory: the
stdlib parser holds a body as text, as a list of its lines and joined again (~8x its size in
all), so a part too big to parse whole (``keep``) is not handed to it: a text part keeps only
as much of its start as decodes to the ``keep`` bytes mime.py reads of it, and any other part
(an attachment we never read) only its headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser

_PARSER = BytesParser(policy=email_policy.compat32)
_DELIMITER = re.compile(rb"^--([^\r\n]*?)[ \t]*\r?$", re.MULTILINE)
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)?")  # the parser's universal newlines
_HEADER_LINE = re.compile(rb"From |[\041-\071\073-\176]*:|[\t ]")  # email.feedparser.headerRE
_MAX_HEADER_BYTES = 1024 * 1024  # ~8 MB to parse at most; real header blocks are a few KB
_MAX_LINE_BYTES = 64 * 1024
# Parts up to this size are parsed whole even in a big message: exact, and at most ~8 MB.
WHOLE_PART_BYTES = 1_000_000
# Raw bytes per decoded byte at worst, by transfer encoding (base64 4:3 plus line breaks;
# quoted-printable 3:1 plus soft breaks); anything else is read as it is.
_EXPANSION = {"base64": 1.5, "quoted-printable": 4.0, "x-uuencode": 4.0, "uuencode": 4.0,
              "uue": 4.0, "x-uue": 4.0}


@dataclass
class DeepParts:
    """The leaf parts of a deeply nested message, in order, and what was skipped."""

    headers: Message
    leaves: list[Message] = field(default_factory=list)
    deepest_skipped: bool = False
    preamble: bytes = b""  # before the first delimiter (read with ``keep`` only, as mime.py does)


def read_deep(data: bytes, max_depth: int, keep: int | None = None) -> DeepParts:
    """The leaf parts of ``data`` down to ``max_depth``; with ``keep``, parts bigger than
    WHOLE_PART_BYTES are cut to what decodes to ``keep`` bytes (see the module docstring), and
    a message that is not multipart is its own single leaf."""
    top, body_start = _headers_at(data, 0)
    found = DeepParts(top)
    boundary = _boundary(top)
    if boundary is None:
        if keep is not None:
            found.leaves.append(_leaf(data, 0, len(data), keep))
        return found
    frames: list[tuple[bytes, int]] = [(boundary, 0)]  # open boundaries and their depth
    leaf_start: int | None = None
    delimited = False
    for match in _DELIMITER.finditer(data, body_start):
        index, closing = _open_frame(frames, match.group(1))
        if index is None:
            continue  # an ordinary line that starts with "--", or a skipped part's own delimiter
        if not delimited and keep is not None:
            cut = min(_before_newline(data, body_start, match.start()), body_start + 4 * keep)
            found.preamble = data[body_start:cut]
        delimited = True
        if leaf_start is not None:
            found.leaves.append(_leaf(data, leaf_start, _before_newline(data, leaf_start, match.start()),
                                      keep))
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
        found.leaves.append(_leaf(data, leaf_start, len(data), keep))
    if keep is not None and not delimited:  # no delimiter at all: the parser gives the body as text
        found.leaves.append(_leaf(data, 0, len(data), keep))
    return found


def _leaf(data: bytes, start: int, end: int, keep: int | None) -> Message:
    """``data[start:end]`` as a parsed part: whole, or (too big) its headers and the start of
    its body that decodes to at least ``keep`` bytes, cut at a line end."""
    if keep is None or end - start <= WHOLE_PART_BYTES:
        return _PARSER.parsebytes(data[start:end])
    headers, body_start = _headers_at(data, start, end)
    headers.set_payload("")
    try:
        maintype = headers.get_content_maintype() if "content-type" in headers else "text"
    except Exception:  # unreadable parameters: RFC 2045 says text/plain
        maintype = "text"
    if maintype not in ("text", "message", "multipart"):
        return headers  # an attachment: mime.py never reads its body
    cte = str(headers.get("content-transfer-encoding", "")).strip().lower()
    cut = body_start + int(keep * _EXPANSION.get(cte, 1.0)) + 1
    if cut < end:  # at the end of that line, unless the body is one endless line
        line_end = data.find(b"\n", cut, min(end, cut + _MAX_LINE_BYTES))
        end = cut if line_end < 0 else line_end + 1
    if maintype == "message":  # a forwarded message: parsed, so that mime.py reads its parts
        return _PARSER.parsebytes(data[start:end])
    headers.set_payload(data[body_start:end].decode("ascii", "surrogateescape"))
    return headers


def _open_frame(frames: list[tuple[bytes, int]], token: bytes) -> tuple[int | None, bool]:
    """Which open boundary a delimiter line belongs to (innermost first), and if it closes it."""
    for index in range(len(frames) - 1, -1, -1):
        boundary = frames[index][0]
        if token == boundary:
            return index, False
        if token == boundary + b"--":
            return index, True
    return None, False


def _headers_at(data: bytes, start: int, end: int | None = None) -> tuple[Message, int]:
    """The headers of the part at ``start`` and where its body starts, as the parser reads them:
    up to the first line that is not a header line, past it if it is blank (email.feedparser's
    rule; a missing blank line is a defect of the part, kept by parsing one byte of its body)."""
    end = len(data) if end is None else end
    body_start = _body_start(data, start, min(end, start + _MAX_HEADER_BYTES))
    return _PARSER.parsebytes(data[start:min(end, body_start + 1)], headersonly=True), body_start


def _boundary(headers: Message) -> bytes | None:
    try:
        if headers.get_content_maintype() != "multipart":
            return None
        boundary = headers.get_boundary()
    except Exception:  # unreadable parameters: not a multipart we can follow
        return None
    return boundary.encode("utf-8", "surrogateescape") if boundary else None


def _body_start(data: bytes, start: int, end: int) -> int:
    """Where the parser starts a part's body: after the first line that is not a header line
    (email.feedparser's rule), past it if it is blank, at it if not."""
    pos = start
    while pos < end:
        line = _LINE.match(data, pos, end)
        line_end = line.end() if line else end
        if not _HEADER_LINE.match(data, pos, line_end):
            return line_end if data[pos : pos + 1] in (b"\r", b"\n") else pos
        pos = line_end
    return end


def _before_newline(data: bytes, start: int, end: int) -> int:
    """Where a part ends: the CRLF before a delimiter line belongs to the delimiter (RFC 2046
    5.1.1)."""
    if end - start >= 2 and data[end - 2 : end] == b"\r\n":
        return end - 2
    return end - 1 if end > start and data[end - 1 : end] == b"\n" else end
