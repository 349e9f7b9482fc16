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
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

_log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class Stopped(Exception):
    """Raised inside a worker whose consumer has gone: nothing to do but leave."""


class OrderedPipeline(Generic[T, R]):
    """Runs ``work(chunk, stop)`` on ``workers`` threads; iterating yields each chunk's results in order.

    ``work`` gets the pipeline's stop event to pass to anything that waits (the quota limiter);
    ``on_exit`` runs on each worker thread as it ends (to close that thread's connection).
    An exception from ``work`` is raised to the consumer when it reaches that chunk.
    """

    def __init__(
        self,
        chunks: Sequence[T],
        work: Callable[[T, threading.Event], list[R]],
        *,
        workers: int,
        ahead: int,
        on_exit: Callable[[], None] = lambda: None,
        name: str = "gmail-fetch",
    ) -> None:
        self._chunks = list(chunks)
        self._work = work
        self._ahead = max(1, ahead)
        self._on_exit = on_exit
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._next = 0  # next chunk a worker takes
        self._consumed = 0  # chunks handed to the consumer
        self._done: dict[int, list[R] | BaseException] = {}
        self._error: BaseException | None = None
        count = max(1, min(workers, len(self._chunks)))
        self._threads = [
            threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True) for i in range(count)
        ]
        self._started = False

    def __iter__(self) -> Iterator[R]:
        if not self._started:
            self._started = True
            for thread in self._threads:
                thread.start()
        try:
            for index in range(len(self._chunks)):
                with self._cond:
                    # A chunk no worker will finish (they stopped after another one failed)
                    # ends the iteration with that failure.
                    while index not in self._done and not (self._stop.is_set() and index >= self._next):
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
        finally:
            self.stop()

    def stop(self) -> None:
        """Workers leave after what they are doing; a worker waiting for quota leaves now."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    def join(self, timeout: float | None = None) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def _take(self) -> int | None:
        with self._cond:
            while not self._stop.is_set():
                if self._next >= len(self._chunks):
                    return None
                if self._next < self._consumed + self._ahead:
                    index = self._next
                    self._next += 1
                    return index
                self._cond.wait()
            return None

    def _run(self) -> None:
        try:
            while (index := self._take()) is not None:
                try:
                    result: list[R] | BaseException = self._work(self._chunks[index], self._stop)
                except BaseException as exc:  # handed to the consumer, who raises it in order
                    result = exc
                with self._cond:
                    self._done[index] = result
                    if isinstance(result, BaseException) and not isinstance(result, Stopped):
                        self._error = self._error or result
                        self._stop.set()
                    self._cond.notify_all()
                if isinstance(result, BaseException):
                    return
        finally:
            try:
                self._on_exit()
            except Exception:
                _log.debug("Closing a Gmail fetch thread's connection failed", exc_info=True)
