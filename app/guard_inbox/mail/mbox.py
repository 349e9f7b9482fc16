"""The mbox format: finding messages in a file, their ids, and reading them newest first.

Our own block scanner instead of ``mailbox.mbox``: the stdlib reads the file line by line in
Python to build its table of contents (slow on a 10 GB Takeout), splits on every "From "
line, and does not undo ">From " quoting. Here the separators are found by a regex over 8 MB
blocks, a From_ line must look like one (see SEPARATOR), and one level of ">From " quoting
is undone on read: right for mboxrd, and for mboxo it only touches quoted "From" lines.

``newest_first`` reads the file once, from its end backwards in large blocks, and hands each
message out as soon as its block is read: mail clients append, so the end of an mbox holds the
newest mail, and the first codes of a scan come from the first block instead of after a pass
over the whole file. How many messages there are is known only when the start is reached.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from io import FileIO
from pathlib import Path
from typing import BinaryIO

from guard_inbox.domain.errors import TransientError
from guard_inbox.domain.models import RawMail, UnreadableMessage
from guard_inbox.mail.message_id import message_id_of, provider_id_for

__all__ = [
    "BLOCK", "HEAD", "MAX_MESSAGE_BYTES", "id_if_whole_header", "mbox_entry", "message_starts",
    "newest_first", "read_exactly", "too_big", "unwrap",
]

BLOCK = 8 * 1024 * 1024
HEAD = 16 * 1024
MAX_MESSAGE_BYTES = 200 * 1024 * 1024
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_CANDIDATE = re.compile(rb"^From [^\n]*", re.MULTILINE)
# A From_ line carries an asctime-like date; requiring month, time and year keeps an unescaped
# "From here on..." body line from splitting a message in two.
_FROM_LINE = (
    rb"From \S+[^\n]*?\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
    rb"[^\n]*?\b\d{1,2}:\d{2}\b[^\n]*?\b\d{4}\b"
)
SEPARATOR = re.compile(b"^" + _FROM_LINE)
_SEPARATOR_AT = re.compile(_FROM_LINE)  # for match(buf, pos), where "^" would never match
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)


def message_starts(handle: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(offset, first bytes) of every message, scanning the file forwards in large blocks."""
    offset, carry, first = 0, b"", True
    while True:
        block = handle.read(BLOCK)
        buf = carry + block
        cut = buf.rfind(b"\n") + 1 if block else len(buf)
        if block and cut == 0:  # one line longer than a block: keep reading
            carry = buf
            continue
        for match in _CANDIDATE.finditer(buf, 0, cut):
            if first or SEPARATOR.match(match.group()):
                first = False
                start = match.start()
                stop = buf.find(b"\nFrom ", start + 1, start + HEAD)
                yield offset + start, buf[start : stop + 1 if stop >= 0 else start + HEAD]
        offset += cut
        carry = buf[cut:]
        if not block:
            return


def read_exactly(handle: BinaryIO | FileIO, size: int) -> bytes:
    """Unbuffered reads may come back short (network drives); stop only at end of file."""
    parts: list[bytes] = []
    while size > 0 and (part := handle.read(size)):
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def unwrap(chunk: bytes, *, whole: bool) -> bytes:
    """An mbox entry -> the message: drop the From_ line and undo one level of >From quoting."""
    newline = chunk.find(b"\n")
    body = _ESCAPED_FROM.sub(rb"\1", chunk[newline + 1 :] if newline >= 0 else b"")
    if whole:  # the blank line before the next From_ belongs to the mbox, not the message
        if body.endswith(b"\r\n\r\n"):
            body = body[:-2]
        elif body.endswith(b"\n\n"):
            body = body[:-1]
    return body


def mbox_entry(reader: BinaryIO, start: int, head: bytes, end: int) -> tuple[str, tuple[int, int]]:
    """(id, span) of one mbox entry, reading it whole only if its first bytes do not tell."""
    if len(head) >= end - start:
        return provider_id_for(unwrap(head[: end - start], whole=True)), (start, end)
    pid = id_if_whole_header(unwrap(head, whole=False))
    if pid is not None:
        return pid, (start, end)
    reader.seek(start)
    if end - start <= MAX_MESSAGE_BYTES:
        return provider_id_for(unwrap(reader.read(end - start), whole=True)), (start, end)
    digest = hashlib.sha1()  # too big to ever be parsed; any stable id will do
    for _ in range(0, end - start, BLOCK):
        digest.update(reader.read(min(BLOCK, end - reader.tell())))
    return "sha1:" + digest.hexdigest(), (start, end)


def entry_id(entry: bytes) -> str:
    """The id ``mbox_entry`` gives the same entry, from the entry held whole."""
    if len(entry) > MAX_MESSAGE_BYTES:
        return "sha1:" + hashlib.sha1(entry).hexdigest()
    if len(entry) > HEAD:
        head = entry[:HEAD]
        cut = head.find(b"\nFrom ", 1)  # where the forward scanner's head stops
        head = head[: cut + 1] if cut >= 0 else head
        # unwrap's >From substitution changes nothing when there is no ">From " to undo
        pid = id_if_whole_header(unwrap(head, whole=False) if b">From " in head
                                 else head[head.find(b"\n") + 1 :] if b"\n" in head else b"")
        if pid is not None:
            return pid
    return provider_id_for(unwrap(entry, whole=True))


def id_if_whole_header(start: bytes) -> str | None:
    """Message-ID from a message's first bytes; None if absent or the header goes on further."""
    if _HEADER_END.search(start.lstrip()) is None:
        return None
    return message_id_of(start)


def too_big(size: int) -> str:
    return f"This message is {size // (1024 * 1024)} MB, too large to read."


def newest_first(
    path: Path, already_scanned: frozenset[str], block: int = BLOCK
) -> Iterator[RawMail | UnreadableMessage]:
    """Every message not yet scanned, from the end of the file to its start, each id once.

    The file is read once, backwards, one block at a time; only the block and the message
    that runs into it from before are held. A file that changes meanwhile (rewritten,
    truncated, appended to) raises TransientError: the scan is retried and resumes from its
    checkpoint.
    """
    seen: set[str] = set()
    with path.open("rb", buffering=0) as handle:
        stamp = _stamp(handle)
        position, carry = stamp[0], b""
        while position > 0:
            start = max(0, position - block)
            handle.seek(start)
            data = read_exactly(handle, position - start)
            if len(data) != position - start or _stamp(handle) != stamp:
                raise TransientError(
                    f"The mailbox {path} changed while it was being scanned; the scan will be retried."
                )
            position = start
            buf = data + carry
            starts = _separators(buf, at_file_start=start == 0)
            ends = [*starts[1:], len(buf)] if starts else []
            for begin, end in zip(reversed(starts), reversed(ends), strict=True):
                item = _item(buf[begin:end], seen, already_scanned)
                if item is not None:
                    yield item
            carry = buf[: starts[0]] if starts else buf


def _separators(buf: bytes, *, at_file_start: bool) -> list[int]:
    """Offsets of the From_ lines in ``buf``. One at offset 0 counts only at the file's start:
    elsewhere the byte before it is unknown, and the next (earlier) block will tell."""
    found: list[int] = []
    if at_file_start:  # the first From_ of the file counts whatever follows it
        first = _CANDIDATE.search(buf)
        if first is None:
            return found
        found.append(first.start())
    at = buf.find(b"\nFrom ", found[0] if found else 0)
    while at >= 0:  # bytes.find, not a regex: this runs over every byte of the file
        if _SEPARATOR_AT.match(buf, at + 1):
            found.append(at + 1)
        at = buf.find(b"\nFrom ", at + 1)
    return found


def _item(
    entry: bytes, seen: set[str], already_scanned: frozenset[str]
) -> RawMail | UnreadableMessage | None:
    pid = entry_id(entry)
    if pid in seen or pid in already_scanned:
        return None  # the same message twice (two exports concatenated), or done before
    seen.add(pid)
    if len(entry) > MAX_MESSAGE_BYTES:
        return UnreadableMessage(pid, too_big(len(entry)))
    return RawMail(pid, entry, mbox=True)


def _stamp(handle: FileIO) -> tuple[int, int]:
    info = os.fstat(handle.fileno())
    return info.st_size, info.st_mtime_ns
