"""The worker pool: Huey's consumer on threads, embedded in the app or run standalone.

Huey's ``Consumer.start()`` installs SIGINT/SIGTERM/SIGHUP handlers (and
fails off the main thread); inside a GUI that would steal the app's signals,
so ``_QuietConsumer`` installs none and we stop it ourselves.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

import redis
from huey.consumer import Consumer

from guard_inbox.domain.errors import KnownError
from guard_inbox.jobs.control import JobControl
from guard_inbox.jobs.registry import WorkerRegistry
from guard_inbox.jobs.tasks import ScanQueue
from guard_inbox.services.scan import Next, ScanService

log = logging.getLogger("guard_inbox.jobs")

HEARTBEAT_SECONDS = 2.0
RECONCILE_SECONDS = 10.0


class _QuietConsumer(Consumer):  # type: ignore[misc]
    def _set_signal_handlers(self) -> None:
        """The owner of the process decides what signals do."""


class WorkerPool:
    def __init__(
        self,
        queue: ScanQueue,
        scans: ScanService,
        control: JobControl,
        registry: WorkerRegistry,
        worker_id: str,
        threads: int,
        on_thread_exit: Callable[[], None] = lambda: None,
    ) -> None:
        self.queue = queue
        self.scans = scans
        self.control = control
        self.registry = registry
        self.worker_id = worker_id
        self.threads = threads
        self._on_thread_exit = on_thread_exit
        self._running: set[int] = set()
        self._running_lock = threading.Lock()
        self._shutting_down = threading.Event()
        self._stop_maintenance = threading.Event()
        self._maintenance: threading.Thread | None = None
        self._consumer: _QuietConsumer | None = None

    @property
    def busy(self) -> int:
        with self._running_lock:
            return len(self._running)

    @property
    def running(self) -> bool:
        return self._consumer is not None

    def start(self) -> None:
        huey = self.queue.huey
        self.queue.attach_runner(self.run_job)
        huey.on_shutdown(name="close-db")(self._on_thread_exit)
        self._consumer = _QuietConsumer(
            huey, workers=self.threads, periodic=False, scheduler_interval=1,
            check_worker_health=False, initial_delay=0.05, max_delay=1.0,
        )
        self._consumer.start()
        self._maintenance = threading.Thread(
            target=self._maintain, name="worker-maintenance", daemon=True
        )
        self._maintenance.start()
        log.info("Worker %s started with %d threads", self.worker_id, self.threads)

    def run_job(self, job_id: int) -> None:
        """The scan task's body on a worker thread: run the job, then queue it again if the
        outcome asks (a retry, a busy account, a pause at shutdown)."""
        with self._running_lock:
            self._running.add(job_id)
        try:
            outcome = self.scans.run(job_id, self.worker_id, self._shutting_down)
        finally:
            with self._running_lock:
                self._running.discard(job_id)
        if outcome.action in (Next.RETRY, Next.REQUEUE):
            self.control.requeue(job_id, outcome.delay)

    def _maintain(self) -> None:
        """Heartbeats for running jobs and reconciliation of lost ones."""
        beats_per_reconcile = max(1, int(RECONCILE_SECONDS / HEARTBEAT_SECONDS))
        tick = 0
        while not self._stop_maintenance.is_set():
            try:
                with self._running_lock:
                    running = list(self._running)
                self.control.lifecycle.jobs.heartbeat(running, self.worker_id)
                self.registry.announce(self.worker_id, self.threads, len(running))
                if tick % beats_per_reconcile == 0:
                    requeued = self.control.reconcile()
                    if requeued:
                        log.info("Re-queued jobs %s", requeued)
            except (redis.RedisError, OSError, KnownError) as exc:  # e.g. a full disk
                log.warning("Worker maintenance skipped a beat: %s", exc)
            except Exception:
                log.exception("Worker maintenance failed")
            tick += 1
            self._stop_maintenance.wait(HEARTBEAT_SECONDS)

    def stop(self, timeout: float = 30.0) -> None:
        """Running scans pause at their next message and go back to the queue."""
        if self._consumer is None:
            return
        self._shutting_down.set()
        self._consumer.shutdown_timeout = timeout
        self._consumer.stop_flag.set()  # before waking them, or idle workers would wait again
        with contextlib.suppress(redis.RedisError, OSError, AttributeError):
            self.queue.huey.storage.wake(self.threads)
        self._consumer.stop(graceful=True)
        self._stop_maintenance.set()
        if self._maintenance is not None:
            self._maintenance.join(timeout=5)
        with contextlib.suppress(redis.RedisError, OSError):
            self.registry.withdraw(self.worker_id)
        self._consumer = None
        log.info("Worker %s stopped", self.worker_id)
