"""What a reading process does with a chunk of raw mail: parse, extract, return plain results.

Runs in the processes of ``reading_pool`` (started by spawn or forkserver, never fork: the app
has threads, Qt among them), and in the scan's own thread when no process can take a chunk.
Results are small picklable values: a message keeps what its checkpoint row stores (the bodies
are dropped before the trip back), with the codes found in it.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import functools
import logging
import os
import signal
import sys
from collections.abc import Sequence

from guard_inbox.domain.models import Extraction, MailMessage, RawMail, UnreadableMessage
from guard_inbox.domain.ports import Extractor
from guard_inbox.mail.mbox import unwrap
from guard_inbox.mail.mime import parse_message

log = logging.getLogger("guard_inbox.jobs")

ChunkResult = tuple[MailMessage | UnreadableMessage, Extraction]
_PR_SET_PDEATHSIG = 1


def start_child() -> None:
    """Initializer of each reading process: die with the process that started it, and leave
    Ctrl+C to the app (a terminal sends it to the whole process group)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() == 1:  # the parent died before the signal was armed
            os._exit(1)
    _pipeline()  # compile the rules now, not on the first chunk


@functools.lru_cache(maxsize=1)
def _pipeline() -> Extractor:
    """The rules pipeline, built once per process (markup + text rules; never the AI layer)."""
    from guard_inbox.extraction.pipeline import ExtractionPipeline

    return ExtractionPipeline()


def read_chunk(items: Sequence[RawMail]) -> list[ChunkResult]:
    """The reading process's task: one chunk in, one list of results out."""
    return read_items(items, _pipeline())


def ping() -> int:
    """A task that proves a process started and can import the app."""
    return os.getpid()


def read_items(items: Sequence[RawMail], extractor: Extractor) -> list[ChunkResult]:
    """Parse and extract each message; one bad message never costs the others."""
    results: list[ChunkResult] = []
    for item in items:
        message = parse_raw(item)
        if isinstance(message, UnreadableMessage):
            log.warning("Skipped unreadable message %s: %s", message.provider_id, message.reason)
            results.append((message, Extraction()))
            continue
        try:
            extraction = extractor.examine(message)
        except Exception:
            log.exception("Extraction failed on message %s; skipped", message.provider_id)
            extraction = Extraction()
        results.append((_slim(message), extraction))
    return results


def parse_raw(item: RawMail) -> MailMessage | UnreadableMessage:
    try:
        raw = unwrap(item.data, whole=True) if item.mbox else item.data
        return parse_message(raw, item.provider_id)
    except Exception as exc:  # parse_message promises not to raise; a bug must not stop a scan
        log.exception("parse_message raised on %s", item.provider_id)
        return UnreadableMessage(item.provider_id, f"Could not decode this message ({type(exc).__name__}).")


def _slim(message: MailMessage) -> MailMessage:
    """What the checkpoint keeps: the bodies and headers would only cross the pipe to be dropped."""
    return dataclasses.replace(message, text="", html="", headers=())
