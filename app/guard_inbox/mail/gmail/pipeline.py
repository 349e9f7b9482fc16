"""Several Gmail batches in flight at once, their results handed back in order.

Google serves the parts of a batch one after another (a 50-part messages.get batch takes
seconds), while the quota is a rate. A client that pays for a batch, waits for it to be served
and only then pays for the next leaves the quota idle for the whole serving time: 1.6x the
quota floor measured on the fake that serves parts as Google does. Here each worker thread pays
for its batch from the account's shared limiter and sends it on a connection of its own
(service objects are not thread-safe), so the next batch is paid for and on its way while the
last one is still being served; the limiter alone sets the pace.

The consumer reads results in batch order. Workers stay at most ``ahead`` batches in front of
it (a bound on memory, raw messages can be large), and stop at once when it goes away: one
waiting for quota gives its units back, one waiting for an answer drops it when it comes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import Generic, TypeVar

_log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class Stopped(Exception):
    """Raised inside a worker whose consumer has gone: nothing to do but leave."""


class OrderedPipeline(Generic[T, R]):
    """Runs ``work(chunk, stop)`` on ``workers`` threads; iterating yields each chunk's results in order.

    ``chunks`` is read lazily, one chunk at a time by the worker that needs it, so it may be a
    listing still in progress (Gmail's pages of ids): the first batches are fetched while the
    rest of the mailbox is being listed. An exception from ``chunks`` or from ``work`` is raised
    to the consumer when it reaches that chunk.
    ``work`` gets the pipeline's stop event to pass to anything that waits (the quota limiter);
    ``on_exit`` runs on each worker thread as it ends (to close that thread's connection).
    """

    def __init__(
        self,
        chunks: Iterable[T],
        work: Callable[[T, threading.Event], list[R]],
        *,
        workers: int,
        ahead: int,
        on_exit: Callable[[], None] = lambda: None,
        name: str = "gmail-fetch",
    ) -> None:
        self._chunks = iter(chunks)
        self._work = work
        self._ahead = max(1, ahead)
        self._on_exit = on_exit
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._feed = threading.Lock()  # one worker at a time reads ``chunks`` (it may be slow)
        self._next = 0  # index of the next chunk read from ``chunks``
        self._total: int | None = None  # chunks there are, once ``chunks`` is exhausted
        self._consumed = 0  # chunks handed to the consumer
        self._done: dict[int, list[R] | BaseException] = {}
        self._error: BaseException | None = None
        if isinstance(chunks, Sized):
            workers = min(workers, len(chunks))
        self._threads = [
            threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True)
            for i in range(max(1, workers))
        ]
        self._started = False

    def __iter__(self) -> Iterator[R]:
        if not self._started:
            self._started = True
            for thread in self._threads:
                thread.start()
        try:
            index = 0
            while True:
                with self._cond:
                    # A chunk no worker will finish (they stopped after another one failed)
                    # ends the iteration with that failure.
                    while index not in self._done and not self._past_end(index):
                        self._cond.wait()
                    result = self._done.pop(index, None)
                    self._consumed = index + 1
                    self._cond.notify_all()
                if result is None or isinstance(result, Stopped):
                    if self._error is not None:
                        raise self._error
                    return
                if isinstance(result, BaseException):
                    raise result
                yield from result
                index += 1
        finally:
            self.stop()

    def _past_end(self, index: int) -> bool:
        """No worker will ever deliver chunk ``index`` (called with the condition held)."""
        if self._total is not None and index >= self._total:
            return True
        return self._stop.is_set() and index >= self._next

    def stop(self) -> None:
        """Workers leave after what they are doing; a worker waiting for quota leaves now."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    def join(self, timeout: float | None = None) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def _take(self) -> tuple[int, T] | None:
        """The next chunk and its index, once the consumer is close enough; None when done."""
        with self._feed:
            with self._cond:
                while not self._stop.is_set() and self._next >= self._consumed + self._ahead:
                    self._cond.wait()
                if self._stop.is_set() or self._total is not None:
                    return None
            try:  # outside the condition: reading a listing's next page must not stall the consumer
                chunk = next(self._chunks)
            except StopIteration:
                with self._cond:
                    self._total = self._next
                    self._cond.notify_all()
                return None
            except BaseException as exc:  # the listing failed: the consumer raises it in its place
                with self._cond:
                    self._fail(self._next, exc)
                    self._next += 1
                    self._total = self._next
                return None
            with self._cond:
                index = self._next
                self._next += 1
            return index, chunk

    def _fail(self, index: int, exc: BaseException) -> None:
        """Record a failure (with the condition held): the others stop."""
        self._done[index] = exc
        if not isinstance(exc, Stopped):
            self._error = self._error or exc
            self._stop.set()
        self._cond.notify_all()

    def _run(self) -> None:
        try:
            while (taken := self._take()) is not None:
                index, chunk = taken
                try:
                    result: list[R] | BaseException = self._work(chunk, self._stop)
                except BaseException as exc:  # handed to the consumer, who raises it in order
                    result = exc
                with self._cond:
                    if isinstance(result, BaseException):
                        self._fail(index, result)
                    else:
                        self._done[index] = result
                        self._cond.notify_all()
                if isinstance(result, BaseException):
                    return
        finally:
            try:
                self._on_exit()
            except Exception:
                _log.debug("Closing a Gmail fetch thread's connection failed", exc_info=True)
