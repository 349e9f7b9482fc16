"""What a reading process does with a chunk of raw mail: parse, extract, return plain results.

Runs in the processes of ``reading_pool`` (started by spawn or forkserver, never fork: the app
has threads, Qt among them), and in the scan's own thread when no process can take a chunk.
Results are small picklable values: a message keeps what its checkpoint row stores (the bodies
are dropped before the trip back), with the codes found in it.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import select
import signal
import threading
import time
from collections.abc import Sequence

from guard_inbox.domain.models import Extraction, MailMessage, RawMail, UnreadableMessage
from guard_inbox.domain.ports import Extractor
from guard_inbox.mail.mbox import unwrap
from guard_inbox.mail.mime import read_message

log = logging.getLogger("guard_inbox.jobs")

ChunkResult = tuple[MailMessage | UnreadableMessage, Extraction]


def start_child(app_pid: int) -> None:
    """Initializer of each reading process: die with the app, and leave Ctrl+C to the app (a
    terminal sends it to the whole process group).

    The app is not our parent (the forkserver is), and the pool's queues keep both ends of
    their pipes in every process, so nothing here would notice a kill -9 of the app: a thread
    waits on the app's pidfd (or polls where there is none) and ends this process with it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(app_pid,), name="exit-with-app", daemon=True).start()
    _pipeline()  # compile the rules now, not on the first chunk


def _exit_with(app_pid: int) -> None:
    try:
        handle = os.pidfd_open(app_pid)
    except (AttributeError, OSError):  # not Linux >= 5.3: look every half second
        while _exists(app_pid):
            time.sleep(0.5)
        os._exit(1)
    select.select([handle], [], [])  # readable once the app has exited, however it ended
    os._exit(1)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
    raw = unwrap(item.data, whole=True) if item.mbox else item.data
    return read_message(raw, item.provider_id)


def _slim(message: MailMessage) -> MailMessage:
    """What the checkpoint keeps: the bodies and headers would only cross the pipe to be dropped."""
    return dataclasses.replace(message, text="", html="", headers=())
