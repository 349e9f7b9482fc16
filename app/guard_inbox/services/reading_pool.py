"""Processes that parse and extract local mail beside the scan, so a scan uses every core.

Threads cannot: parsing and the rules are Python, and the GIL runs one thread at a time. The
pool is shared by every scan of the process and started at the first chunk; its processes
come from forkserver (spawn where there is none), never fork, which would copy the app's
threads' locks mid-use. They die with the app (see reading_child.start_child), and the
forkserver once they have. If no process can start, ``start`` says so and scans read
in their own thread as before.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from guard_inbox.domain.models import RawMail
from guard_inbox.services import reading_child
from guard_inbox.services.reading_child import ChunkResult

log = logging.getLogger("guard_inbox.jobs")

START_TIMEOUT_SECONDS = 20.0
IDLE_SECONDS = 60.0  # processes kept this long after the last scan, then their memory is freed


class ReadingPool:
    """A lazily started process pool; ``processes`` 0 means read in the scan's thread."""

    def __init__(self, processes: int, idle_seconds: float = IDLE_SECONDS) -> None:
        self.processes = processes
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._failed = processes <= 0
        self._closed = False
        self._users = 0
        self._idle: threading.Timer | None = None

    def acquire(self) -> bool:
        """For a scan about to read: ``start``, and keep the processes until ``release``."""
        with self._lock:
            self._users += 1
            if self._idle is not None:
                self._idle.cancel()
                self._idle = None
        return self.start()

    def release(self) -> None:
        """A scan is done with the pool: once none uses it for ``idle_seconds``, it stops (an
        idle tray app should not hold two processes' memory); the next scan starts it again."""
        with self._lock:
            self._users = max(0, self._users - 1)
            if self._users or self._executor is None or self._closed:
                return
            self._idle = threading.Timer(self.idle_seconds, self._stop_if_idle)
            self._idle.daemon = True
            self._idle.start()

    def _stop_if_idle(self) -> None:
        with self._lock:
            if self._users == 0:
                self._shutdown_locked()
                log.info("Reading processes stopped after %g s without a local scan", self.idle_seconds)

    def start(self) -> bool:
        """True once processes are up; False when they cannot be (then scans read in-thread)."""
        with self._lock:
            if self._executor is not None:
                return True
            if self._failed or self._closed:
                return False
            try:
                self._executor = self._new_executor()
                self._executor.submit(reading_child.ping).result(timeout=START_TIMEOUT_SECONDS)
            except Exception as exc:  # no semaphores, a frozen app without support, a sandbox ...
                log.warning("Local mail is read in the scan's own thread: the reading processes "
                            "could not start (%s: %s)", type(exc).__name__, exc)
                self._shutdown_locked()
                self._failed = True
                return False
            log.info("Reading processes started: %d", self.processes)
            return True

    def _new_executor(self) -> ProcessPoolExecutor:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if context.get_start_method() == "forkserver":
            # Imported once in the server; each process forked from it starts with the app loaded.
            context.set_forkserver_preload(["guard_inbox.services.reading_child"])
        return ProcessPoolExecutor(self.processes, mp_context=context,
                                   initializer=reading_child.start_child, initargs=(os.getpid(),))

    def submit(self, items: Sequence[RawMail]) -> Future[list[ChunkResult]]:
        """Raises BrokenProcessPool if the pool is gone (``restart`` brings it back)."""
        with self._lock:
            executor = self._executor
        if executor is None:
            raise BrokenProcessPool("the reading processes are not running")
        return executor.submit(reading_child.read_chunk, list(items))

    def process_ids(self) -> list[int]:
        """The running reading processes (for the log and the tests that kill one)."""
        with self._lock:
            executor = self._executor
        processes = (getattr(executor, "_processes", None) or {}) if executor else {}
        return [pid for pid, process in list(processes.items()) if process.is_alive()]

    def restart(self) -> bool:
        """After a process died (the kernel's OOM killer, a crash in a C parser): a fresh pool,
        once, however many chunks (of however many scans) the broken one failed."""
        with self._lock:
            if self._executor is not None and getattr(self._executor, "_broken", False):
                self._shutdown_locked()
        return self.start()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._idle is not None:
                self._idle.cancel()
            self._shutdown_locked()

    def _shutdown_locked(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
            for process in list((getattr(executor, "_processes", None) or {}).values()):
                process.kill()  # a chunk in progress is of no use to anyone now
