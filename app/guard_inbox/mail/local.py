"""Local mail: an mbox file (Google Takeout, Thunderbird, mutt) or a folder of .eml files.

Only where each message lives is kept in memory (byte offsets or file paths), never the
messages themselves, so a multi-gigabyte Takeout export is listed in constant memory and
each message is read again only when it is fetched.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from guard_inbox.domain.errors import (
    KnownError,
    SourceMissing,
    SourceUnavailable,
    TransientError,
)
from guard_inbox.domain.models import AccountKind, MailMessage, RawMail, UnreadableMessage
from guard_inbox.mail.mbox import HEAD as _HEAD
from guard_inbox.mail.mbox import MAX_MESSAGE_BYTES as _MAX_MESSAGE_BYTES
from guard_inbox.mail.mbox import id_if_whole_header as _id_if_whole_header
from guard_inbox.mail.mbox import mbox_entry as _mbox_entry
from guard_inbox.mail.mbox import message_starts as _message_starts
from guard_inbox.mail.mbox import newest_first
from guard_inbox.mail.mbox import read_exactly as _read_exactly
from guard_inbox.mail.mbox import too_big as _too_big
from guard_inbox.mail.mbox import unwrap as _unwrap
from guard_inbox.mail.mime import provider_id_for, read_message

_log = logging.getLogger(__name__)

class LocalMailbox:
    """The MailSource for an mbox file or a folder of .eml files (found recursively)."""

    def __init__(self, path: Path) -> None:
        self._path = Path(path).expanduser()
        self._kind = self.detect_kind(self._path)
        self._spans: dict[str, tuple[int, int]] = {}
        self._files: dict[str, Path] = {}
        self._indexed_stamp: tuple[int, int] | None = None
        self._indexed = False

    @property
    def kind(self) -> AccountKind:
        return self._kind

    @property
    def path(self) -> Path:
        return self._path

    @staticmethod
    def detect_kind(path: Path) -> AccountKind:
        """MBOX or EML_DIR; raises a KnownError with a sentence the user can act on."""
        path = Path(path).expanduser()
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            raise _open_error(path, exc) from exc
        if stat.S_ISDIR(mode):
            if next(_eml_files(path), None) is None:
                raise SourceUnavailable(f"The folder {path} contains no .eml files.")
            return AccountKind.EML_DIR
        if stat.S_ISREG(mode):
            try:
                start = _first_bytes(path)
            except OSError as exc:
                raise _open_error(path, exc) from exc
            if not start or start.startswith(b"From "):
                return AccountKind.MBOX
        raise SourceUnavailable(f"{path} is not an mbox file or a folder of .eml files.")

    def list_ids(self, already_scanned: frozenset[str]) -> Sequence[str]:
        """Ids in file order, each once, without those already scanned."""
        order = self._index()
        return [pid for pid in order if pid not in already_scanned]

    def fetch(self, ids: Sequence[str]) -> Iterator[MailMessage | UnreadableMessage]:
        """Decoded messages; a bad one comes back as UnreadableMessage.

        Only the mailbox as a whole raises: gone (SourceMissing, final) or rewritten mid-scan
        (TransientError, retried), instead of marking every message unreadable.
        """
        if not self._indexed or self._changed_since_index():
            self._index()
        if self._kind is AccountKind.MBOX:
            yield from self._fetch_mbox(ids)
        else:
            yield from self._fetch_files(ids)

    def sync_state(self) -> str:
        return ""

    def raw_newest_first(self, already_scanned: frozenset[str]) -> Iterator[RawMail | UnreadableMessage]:
        """Messages not yet scanned as raw bytes, newest first, for parsing elsewhere (the
        reading processes). An mbox is read once, from its end; a folder by file age."""
        self.detect_kind(self._path)
        try:
            if self._kind is AccountKind.MBOX:
                yield from newest_first(self._path, already_scanned)
            else:
                yield from self._raw_files(already_scanned)
        except OSError as exc:
            raise _open_error(self._path, exc) from exc

    def _raw_files(self, already_scanned: frozenset[str]) -> Iterator[RawMail | UnreadableMessage]:
        found: dict[str, tuple[float, Path]] = {}
        for pid, file in self._scan_files():
            if pid not in already_scanned and pid not in found:
                try:
                    found[pid] = (file.stat().st_mtime, file)
                except OSError:
                    found[pid] = (0.0, file)
        self._files = {pid: file for pid, (_, file) in found.items()}
        self._indexed = True
        for pid in sorted(found, key=lambda p: found[p][0], reverse=True):
            raw = self._read_file(pid)
            yield raw if isinstance(raw, UnreadableMessage) else RawMail(pid, raw)

    # -- listing --------------------------------------------------------------------------------

    def _index(self) -> list[str]:
        self.detect_kind(self._path)  # the drive may have gone since we were opened
        self._spans, self._files = {}, {}
        order: list[str] = []
        try:
            if self._kind is AccountKind.MBOX:
                self._indexed_stamp = self._stamp()
                entries: Iterator[tuple[str, tuple[int, int] | Path]] = self._scan_mbox()
            else:
                entries = self._scan_files()
            for pid, where in entries:
                if pid in self._spans or pid in self._files:
                    continue  # the same message twice, e.g. two exports concatenated
                if isinstance(where, Path):
                    self._files[pid] = where
                else:
                    self._spans[pid] = where
                order.append(pid)
        except OSError as exc:
            raise _open_error(self._path, exc) from exc
        self._indexed = True
        return order

    def _scan_mbox(self) -> Iterator[tuple[str, tuple[int, int]]]:
        # Two handles: one streams through the file, the other fetches the few messages whose
        # Message-ID is not in their first bytes. Only one message's head is held at a time.
        with self._path.open("rb") as scanner, self._path.open("rb") as reader:
            previous: tuple[int, bytes] | None = None
            for current in _message_starts(scanner):
                if previous is not None:
                    yield _mbox_entry(reader, *previous, current[0])
                previous = current
            if previous is not None:
                yield _mbox_entry(reader, *previous, os.fstat(scanner.fileno()).st_size)

    def _scan_files(self) -> Iterator[tuple[str, Path]]:
        """One id per file; a file that cannot be a message (a pipe, a device, a 4 GB file, an
        unreadable one) still gets an id, so the scan records it as unreadable with its reason."""
        for file in _eml_files(self._path):
            try:
                with _open_regular(file) as handle:
                    if os.fstat(handle.fileno()).st_size > _MAX_MESSAGE_BYTES:
                        pid = _file_id(self._path, file)
                    else:
                        head = handle.read(_HEAD)
                        from_head = _id_if_whole_header(head) if len(head) == _HEAD else None
                        pid = from_head or provider_id_for(head + handle.read(_MAX_MESSAGE_BYTES))
            except OSError as exc:
                if not self._path.is_dir():
                    raise
                _log.warning("Unreadable file %s: %s", file, exc)
                pid = _file_id(self._path, file)
            yield pid, file

    # -- reading --------------------------------------------------------------------------------

    def _fetch_mbox(self, ids: Sequence[str]) -> Iterator[MailMessage | UnreadableMessage]:
        try:  # unbuffered: a stale read-ahead buffer would hide a file rewritten in place
            handle = self._path.open("rb", buffering=0)
        except OSError as exc:
            raise _open_error(self._path, exc) from exc
        with handle:
            for pid in ids:
                span = self._spans.get(pid)
                if span is None:
                    yield UnreadableMessage(pid, "This message is no longer in the mailbox.")
                    continue
                start, end = span
                if end - start > _MAX_MESSAGE_BYTES:
                    yield UnreadableMessage(pid, _too_big(end - start))
                    continue
                try:
                    handle.seek(start)
                    chunk = _read_exactly(handle, end - start)
                except OSError as exc:
                    self._check_still_there()
                    yield UnreadableMessage(pid, f"Could not read this message: {exc}")
                    continue
                if len(chunk) != end - start or not chunk.startswith(b"From "):
                    raise TransientError(
                        f"The mailbox {self._path} changed while it was being scanned; "
                        "the scan will be retried."
                    )
                yield read_message(_unwrap(chunk, whole=True), pid)

    def _fetch_files(self, ids: Sequence[str]) -> Iterator[MailMessage | UnreadableMessage]:
        for pid in ids:
            raw = self._read_file(pid)
            yield raw if isinstance(raw, UnreadableMessage) else read_message(raw, pid)

    def _read_file(self, pid: str) -> bytes | UnreadableMessage:
        file = self._files.get(pid)
        if file is None:
            return UnreadableMessage(pid, "This message is no longer in the folder.")
        try:
            with _open_regular(file) as handle:
                raw = handle.read(_MAX_MESSAGE_BYTES + 1)  # the cap holds if it grew since
            if len(raw) > _MAX_MESSAGE_BYTES:
                return UnreadableMessage(pid, _too_big(file.stat().st_size))
        except NotAFile as exc:
            return UnreadableMessage(pid, f"{file} is {exc.strerror}, not a mail file; skipped.")
        except OSError as exc:
            self._check_still_there()
            return UnreadableMessage(pid, f"Could not read {file}: {exc.strerror or exc}")
        return raw

    def _check_still_there(self) -> None:
        """A vanished mailbox is worth a retry later; one unreadable message is not."""
        if not self._path.exists():
            raise _open_error(self._path, FileNotFoundError(errno.ENOENT, "gone"))

    def _stamp(self) -> tuple[int, int]:
        info = self._path.stat()
        return info.st_size, info.st_mtime_ns

    def _changed_since_index(self) -> bool:
        if self._kind is not AccountKind.MBOX:
            return False
        try:
            return self._stamp() != self._indexed_stamp
        except OSError as exc:
            raise _open_error(self._path, exc) from exc


# -- helpers ------------------------------------------------------------------------------------


def _eml_files(root: Path) -> Iterator[Path]:
    """*.eml below root in any letter case, in a stable order; skips macOS ._ resource forks."""
    for folder, subfolders, names in os.walk(root):
        subfolders.sort()
        for name in sorted(names):
            if name.lower().endswith(".eml") and not name.startswith("._"):
                yield Path(folder, name)


class NotAFile(OSError):
    """A path in a mail folder that is a pipe, a device or a socket (after resolving links)."""


def _open_regular(path: Path) -> BinaryIO:
    """Opens a regular file for reading, following links; never blocks on a FIFO.

    O_NONBLOCK makes opening a pipe with no writer return at once; fstat on the open
    descriptor then tells what the path really is, with no window for a swap in between.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = "a pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
            raise NotAFile(errno.EINVAL, what, str(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _file_id(root: Path, file: Path) -> str:
    """A stable id for a file whose content gives none (too big to read, or not readable)."""
    return "file:" + file.relative_to(root).as_posix()


def _first_bytes(path: Path) -> bytes:
    """The start of the first non-blank line (b'' for an empty or all-blank file)."""
    with path.open("rb") as handle:
        while block := handle.read(64 * 1024):
            start = block.lstrip()
            if start:
                return start[:5] + handle.read(max(0, 5 - len(start)))
    return b""




def _open_error(path: Path, exc: OSError) -> KnownError:
    """A mailbox that is not there fails for good (the user locates it); other read errors
    (a share that stops answering) may pass, so they are retried."""
    if isinstance(exc, PermissionError):
        return SourceUnavailable(f"The mailbox {path} cannot be read: permission denied.")
    if isinstance(exc, FileNotFoundError | NotADirectoryError) or exc.errno in (
        errno.ENOENT,
        errno.ENOTDIR,
    ):
        question = "was it moved, renamed or on a drive that is not mounted?"
        return SourceMissing(f"The mailbox {path} is not available — {question}", str(path))
    return TransientError(f"The mailbox {path} could not be read ({exc.strerror or exc}).")
