"""Run one scan job: list, fetch, extract, checkpoint, report — and decide what happens next.

Huey-free on purpose: the task in jobs/ only turns the returned ``Outcome``
into queue calls, so every rule here is testable without a broker.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import CancelledError, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from guard_inbox.domain.errors import (
    AccountBusy,
    KnownError,
    PermanentError,
    ReconnectNeeded,
    ScanCancelled,
    ScanInterrupted,
    ScanLost,
    SourceMissing,
    SourceUnavailable,
    StorageFull,
    TransientError,
)
from guard_inbox.domain.models import (
    AccountStatus,
    Extraction,
    Job,
    JobState,
    MailMessage,
    RawMail,
    UnreadableMessage,
)
from guard_inbox.domain.ports import Extractor, MailSource, RawMailSource, SourceFactory, StreamingSource
from guard_inbox.services.lifecycle import JobLifecycle
from guard_inbox.services.reading_child import ChunkResult, read_items
from guard_inbox.services.reading_pool import ReadingPool
from guard_inbox.storage.repository import Repository, ScanResult

log = logging.getLogger("guard_inbox.jobs")

FETCH_CHUNK = 50
PROGRESS_EVERY_MESSAGES = 50
PROGRESS_EVERY_SECONDS = 0.5
BUSY_RETRY_SECONDS = 2.0
# Reading processes: small chunks first, so the newest mail's codes are stored within moments
# of the start; then chunks big enough that a process spends its time reading, not waiting.
FIRST_CHUNKS = (8, 16)
POOL_CHUNK = 40
IN_FLIGHT_PER_PROCESS = 2
WAIT_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries after transient failures only: base, base*factor, base*factor^2 ..."""

    attempts: int = 3
    base_seconds: float = 5.0
    factor: float = 2.0

    def delay_after(self, attempt: int) -> float | None:
        """Delay before the next try after failed attempt number ``attempt`` (1-based)."""
        if attempt > self.attempts:
            return None
        return self.base_seconds * self.factor ** (attempt - 1)


class Next(enum.Enum):
    """What becomes of a scan task after a run."""

    DONE = "done"  # finished, failed or cancelled: nothing more to queue
    RETRY = "retry"  # a transient failure: queue it again after the delay
    REQUEUE = "requeue"  # not run to the end through no fault (busy account, shutdown): queue again


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the queue should do with the task after a run."""

    action: Next
    delay: float = 0.0
    job: Job | None = None


DONE = Outcome(Next.DONE)


class ScanService:
    def __init__(
        self,
        repository: Repository,
        lifecycle: JobLifecycle,
        sources: SourceFactory,
        extractor: Extractor,
        retry: RetryPolicy,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        pool: ReadingPool | None = None,
    ) -> None:
        """``now`` (aware UTC) dates retries; ``monotonic`` paces checkpoints. Tests move both.
        ``pool``: processes that read local mail (raw sources); without it, or when it cannot
        start, every message is read in the scan's own thread."""
        self.pool = pool
        self.repository = repository
        self.lifecycle = lifecycle
        self.sources = sources
        self.extractor = extractor
        self.retry = retry
        self.now = now
        self.monotonic = monotonic

    def run(self, job_id: int, worker_id: str, shutting_down: threading.Event) -> Outcome:
        try:
            job = self.lifecycle.claim(job_id, worker_id)
        except AccountBusy as busy:
            log.info("Job %s waits: %s", job_id, busy)
            return Outcome(Next.REQUEUE, BUSY_RETRY_SECONDS)
        if job is None:
            return DONE  # cancelled, finished or claimed elsewhere meanwhile
        owner = job.worker_id
        try:
            self._scan(job, shutting_down)
        except ScanLost:
            log.warning("Job %s was taken over by another worker while this one (%s) stalled; "
                        "it stops here without writing", job.id, owner)
            return DONE
        except ScanCancelled:
            latest = self.lifecycle.jobs.get(job.id)
            done = (f"{latest.scanned} of {latest.total}" if latest and latest.total
                    else f"{latest.scanned}" if latest else "some")
            self.lifecycle.cancelled(job.id, f"Cancelled by you after {done} messages.", owner)
            return DONE
        except ScanInterrupted:
            released = self.lifecycle.release(job.id, "Paused while Guard Inbox shut down.", owner=owner)
            return Outcome(Next.REQUEUE, 0.0, released)
        except ReconnectNeeded as exc:
            self.repository.set_account_status(job.account_id, AccountStatus.NEEDS_RECONNECT, str(exc))
            self.lifecycle.fail(job.id, str(exc), owner)
            return DONE
        except (SourceMissing, SourceUnavailable) as exc:
            # Final at once: retrying cannot bring a moved mailbox back. The account says so
            # (and offers to locate it) until a scan reads it again.
            self.repository.set_account_status(job.account_id, AccountStatus.UNAVAILABLE, str(exc))
            self.lifecycle.fail(job.id, str(exc), owner)
            return DONE
        except StorageFull as exc:
            try:
                self.lifecycle.fail(job.id, str(exc), owner)
            except StorageFull:
                # Not even the failure fits on the disk: tell followers anyway. The row stays
                # IN_PROGRESS and is released like any orphan once this worker has gone.
                log.error("Job %s failed and the full disk could not record it: %s", job.id, exc)
                self.lifecycle.unrecorded(job, JobState.FAILED, str(exc))
            return DONE
        except PermanentError as exc:
            self.lifecycle.fail(job.id, str(exc), owner)
            return DONE
        except (TransientError, OSError, ConnectionError, TimeoutError) as exc:
            if self._taken_over(job.id, owner):
                return DONE
            return self._retry_or_fail(job, _sentence(exc))
        except KnownError as exc:
            self.lifecycle.fail(job.id, str(exc), owner)
            return DONE
        except Exception as exc:
            log.exception("Job %s hit an unexpected error", job.id)
            self.lifecycle.fail(
                job.id, f"Unexpected error: {type(exc).__name__}: {exc}. Details are in the log.", owner
            )
            return DONE
        self.lifecycle.complete(job.id, owner)
        return DONE

    def _taken_over(self, job_id: int, owner: str) -> bool:
        """After an error that may have come from being frozen (a lost database session): if
        another worker runs or finished the job meanwhile, this one stops without writing."""
        latest = self.lifecycle.jobs.get(job_id)
        if latest is None or (latest.worker_id == owner and latest.state is JobState.IN_PROGRESS):
            return False
        log.warning("Job %s was taken over by another worker while this one (%s) stalled; "
                    "it stops here without writing", job_id, owner)
        return True

    def _retry_or_fail(self, job: Job, reason: str) -> Outcome:
        delay = self.retry.delay_after(job.attempts)
        if delay is None:
            tries = "attempt" if job.attempts == 1 else "attempts"
            self.lifecycle.fail(job.id, f"{reason} (gave up after {job.attempts} {tries}).", job.worker_id)
            return DONE
        retry_at = self.now() + timedelta(seconds=delay)
        log.warning("Job %s will retry in %.0f s: %s", job.id, delay, reason)
        released = self.lifecycle.release(job.id, f"Retrying in {delay:g} s: {reason}", retry_at,
                                          owner=job.worker_id)
        return Outcome(Next.RETRY, delay, released)

    def _scan(self, job: Job, shutting_down: threading.Event) -> None:
        account = self.repository.get_account(job.account_id)
        if account is None or account.removed:
            raise PermanentError("The account of this scan was removed.")
        source = self.sources.open(account)
        if isinstance(source, RawMailSource) and self.pool is not None:
            self._read_raw(job, source, shutting_down, self.pool)
        elif isinstance(source, StreamingSource):
            self._read_streamed(job, source, shutting_down)
        else:
            self._read_in_thread(job, source, shutting_down)
        self.repository.finish_account_scan(account.id, source.sync_state() or None)
        if account.status is not AccountStatus.OK:
            self.repository.set_account_status(account.id, AccountStatus.OK)

    def _read_in_thread(self, job: Job, source: MailSource, shutting_down: threading.Event) -> None:
        ids = source.list_ids(self.repository.scanned_ids(job.account_id))
        items = (item for start in range(0, len(ids), FETCH_CHUNK)
                 for item in source.fetch(ids[start : start + FETCH_CHUNK]))
        self._store_all(job, items, lambda: len(ids), shutting_down, first_at_once=False)

    def _read_streamed(self, job: Job, source: StreamingSource, shutting_down: threading.Event) -> None:
        """Fetched while the source still lists (Gmail's pages of ids): the first message's
        codes are stored at once. The total is unknown (0) until the listing has ended."""
        items = source.stream_newest_first(self.repository.scanned_ids(job.account_id))
        self._store_all(job, items, source.listed_total, shutting_down, first_at_once=True)

    def _store_all(
        self, job: Job, items: Iterator[MailMessage | UnreadableMessage],
        listed_total: Callable[[], int | None], shutting_down: threading.Event, *, first_at_once: bool,
    ) -> None:
        """Extract and store ``items`` here, a checkpoint every 50 messages or 0.5 s;
        ``listed_total``: how many there are in all, None while the source still lists."""
        listed = listed_total()
        progress = _Progress(job, self.repository, self.lifecycle,
                             total=job.scanned + listed if listed is not None else 0,
                             monotonic=self.monotonic, first_at_once=first_at_once)
        progress.flush(force=True)
        try:
            for item in items:
                if shutting_down.is_set():
                    progress.flush(force=True)
                    raise ScanInterrupted()
                progress.add(item, self._extract(item))
                if progress.due():
                    if (listed := listed_total()) is not None:
                        progress.total = job.scanned + listed
                    progress.flush()
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a scan that stops early stops the source's fetch threads now
        listed = listed_total()
        done = progress.scanned + len(progress.pending)
        progress.total = job.scanned + listed if listed is not None else done
        progress.flush(force=True)

    def _read_raw(self, job: Job, source: RawMailSource, shutting_down: threading.Event,
                  pool: ReadingPool) -> None:
        """In the reading processes, or in this thread when they cannot start."""
        try:
            if pool.acquire():
                self._read_in_processes(job, source, shutting_down)
                return
        finally:
            pool.release()
        self._read_in_thread(job, source, shutting_down)

    def _read_in_processes(
        self, job: Job, source: RawMailSource, shutting_down: threading.Event
    ) -> None:
        """Newest first, chunks parsed and extracted in the pool; results stored in the order
        the chunks were read, the first chunk's at once, then a checkpoint (one transaction)
        every 50 messages or 0.5 s as in the thread. The total is unknown (0) until the source
        has been read to its end."""
        assert self.pool is not None
        progress = _Progress(job, self.repository, self.lifecycle, total=0, monotonic=self.monotonic,
                             first_at_once=True)
        progress.flush(force=True)
        chunks = _chunks(source.raw_newest_first(self.repository.scanned_ids(job.account_id)))
        in_flight: deque[tuple[Future[list[ChunkResult]], list[RawMail | UnreadableMessage]]] = deque()
        limit = max(2, self.pool.processes * IN_FLIGHT_PER_PROCESS)
        read = 0
        try:
            while True:
                while len(in_flight) < limit and (chunk := next(chunks, None)) is not None:
                    read += len(chunk)
                    in_flight.append((self._submit(chunk), chunk))
                if not in_flight:
                    break
                if len(in_flight) < limit:  # the whole source is read: the total is known
                    progress.total = job.scanned + read
                wait([in_flight[0][0]], timeout=WAIT_SECONDS)
                while in_flight and in_flight[0][0].done():
                    future, chunk = in_flight.popleft()
                    for item, result in self._results(future, chunk):
                        progress.add(item, result)
                    if progress.due():
                        progress.flush()  # the first chunk at once, then the usual checkpoints
                if shutting_down.is_set():
                    progress.flush(force=True)
                    raise ScanInterrupted()
                if progress.due():
                    progress.flush(force=True)  # results, the heartbeat, and a cancel seen
        finally:
            for future, _ in in_flight:
                future.cancel()
        progress.total = progress.scanned + len(progress.pending)
        progress.flush(force=True)

    def _submit(self, chunk: list[RawMail | UnreadableMessage]) -> Future[list[ChunkResult]]:
        assert self.pool is not None
        raws = [item for item in chunk if isinstance(item, RawMail)]
        try:
            return self.pool.submit(raws)
        except (BrokenProcessPool, RuntimeError):
            failed: Future[list[ChunkResult]] = Future()
            failed.set_exception(BrokenProcessPool("the reading processes are gone"))
            return failed

    def _results(
        self, future: Future[list[ChunkResult]], chunk: list[RawMail | UnreadableMessage]
    ) -> Iterator[tuple[MailMessage | UnreadableMessage, Extraction]]:
        """The chunk's results, read here in the thread if its process died under it."""
        try:
            parsed = iter(future.result())
        except (BrokenProcessPool, CancelledError):
            log.warning("A reading process stopped; %d messages are read in the scan's thread "
                        "and the processes restarted", len(chunk))
            assert self.pool is not None
            self.pool.restart()
            raws = [item for item in chunk if isinstance(item, RawMail)]
            parsed = iter(read_items(raws, self.extractor))
        for item in chunk:
            if isinstance(item, UnreadableMessage):
                yield item, self._extract(item)
            else:
                yield next(parsed)

    def _extract(self, item: MailMessage | UnreadableMessage) -> Extraction:
        if isinstance(item, UnreadableMessage):
            log.warning("Skipped unreadable message %s: %s", item.provider_id, item.reason)
            return Extraction()
        try:
            return self.extractor.examine(item)
        except Exception:  # one bad email never kills the scan
            log.exception("Extraction failed on message %s; skipped", item.provider_id)
            return Extraction()


class _Progress:
    """Buffers results and their AI tokens; writes checkpoint + progress every 50 messages or 0.5 s
    (and, ``first_at_once``, as soon as the scan's first results are in: newest mail first)."""

    def __init__(
        self, job: Job, repository: Repository, lifecycle: JobLifecycle, total: int,
        monotonic: Callable[[], float] = time.monotonic, *, first_at_once: bool = False,
    ) -> None:
        self.job = job
        self.first_at_once = first_at_once
        self.monotonic = monotonic
        self.repository = repository
        self.lifecycle = lifecycle
        self.total = total
        self.scanned = job.scanned
        self.found = job.codes_found
        self.new = job.codes_new
        self.pending: list[ScanResult] = []
        self.ai_tokens = 0  # spent on the pending messages
        self.last_flush = self.monotonic()

    def add(self, item: MailMessage | UnreadableMessage, result: Extraction) -> None:
        self.pending.append((item, result.codes))
        self.ai_tokens += result.ai_tokens

    def due(self) -> bool:
        return (
            (self.first_at_once and self.scanned == self.job.scanned and bool(self.pending))
            or len(self.pending) >= PROGRESS_EVERY_MESSAGES
            or self.monotonic() - self.last_flush >= PROGRESS_EVERY_SECONDS
        )

    def flush(self, force: bool = False) -> None:
        if not self.pending and not force:
            return
        if self.pending:
            found, new = self.repository.record_scan_results(
                self.job.account_id, self.job.id, self.pending, owner=self.job.worker_id
            )
            self.scanned += len(self.pending)
            self.found += found
            self.new += new
            self.pending = []
        self.last_flush = self.monotonic()
        if self.ai_tokens:
            self.lifecycle.jobs.add_tokens(self.job.id, self.ai_tokens)
            self.ai_tokens = 0
        if self.lifecycle.progress(self.job, self.total, self.scanned, self.found, self.new):
            raise ScanCancelled()


def _chunks(items: Iterator[RawMail | UnreadableMessage]) -> Iterator[list[RawMail | UnreadableMessage]]:
    sizes = iter(FIRST_CHUNKS)
    size = next(sizes)
    chunk: list[RawMail | UnreadableMessage] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk, size = [], next(sizes, POOL_CHUNK)
    if chunk:
        yield chunk


def _sentence(exc: BaseException) -> str:
    if isinstance(exc, KnownError):
        return str(exc).rstrip(".")
    if isinstance(exc, ConnectionError | TimeoutError):
        return f"A connection failed ({exc})"
    if isinstance(exc, OSError):
        return f"A file or network operation failed ({exc.strerror or exc})"
    return str(exc)
