"""What a UI or CLI asks of the queue: start, cancel and retry scans, and count them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import redis

from guard_inbox.domain.errors import BrokerUnavailable
from guard_inbox.domain.models import Job, JobState, Priority, QueueStats
from guard_inbox.jobs.registry import WorkerRegistry
from guard_inbox.jobs.tasks import ScanQueue
from guard_inbox.services.lifecycle import JobLifecycle

log = logging.getLogger("guard_inbox.jobs")

QUEUE_DOWN = (
    "The job queue (Redis) is not reachable right now. The scan is saved and starts by itself "
    "once the queue is back; if it does not, check that Redis is running (or restart Guard "
    "Inbox to restart its own)."
)


class JobControl:
    def __init__(
        self, lifecycle: JobLifecycle, queue: ScanQueue, workers: WorkerRegistry,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``now`` (aware UTC) times the delays of retries that reconciliation queues again."""
        self.lifecycle = lifecycle
        self.queue = queue
        self.workers = workers
        self.now = now

    def start_scan(
        self, account_id: int, priority: int = Priority.HIGH, trigger: str = "manual"
    ) -> Job:
        """Write PENDING and enqueue; returns at once. The job fails visibly if Redis is down."""
        job = self.lifecycle.create(account_id, int(priority), trigger)
        self._enqueue(job)
        return job

    def _enqueue(self, job: Job, delay: float = 0.0) -> None:
        """For a user's request: on a broker outage the job stays PENDING (never enqueued, so
        ``reconcile`` queues it once Redis is back) and the caller gets a sentence to show."""
        try:
            self.queue.enqueue(job.id, job.priority, delay)
        except (redis.RedisError, OSError) as exc:
            log.warning("Could not queue job %s yet; it waits for the queue: %s", job.id, exc)
            raise BrokerUnavailable(QUEUE_DOWN) from exc
        self.lifecycle.jobs.mark_enqueued(job.id)

    def requeue(self, job_id: int, delay: float = 0.0) -> bool:
        """For workers and reconciliation: on an outage the job stays PENDING for later."""
        job = self.lifecycle.jobs.get(job_id)
        if job is None or job.state is not JobState.PENDING:
            return False
        try:
            self.queue.enqueue(job.id, job.priority, delay)
        except (redis.RedisError, OSError) as exc:
            log.warning("Job %s stays pending until the queue is back: %s", job.id, exc)
            return False
        self.lifecycle.jobs.mark_enqueued(job.id)
        return True

    def cancel(self, job_id: int) -> Job | None:
        return self.lifecycle.request_cancel(job_id)

    def retry(self, job_id: int) -> Job | None:
        job = self.lifecycle.reset_for_retry(job_id)
        if job is not None and job.state is JobState.PENDING:
            self._enqueue(job)
        return job

    def reconcile(self) -> list[int]:
        """Re-queue jobs the queue lost: orphans of dead workers and PENDING jobs not queued.

        Huey has no acknowledgements, so a worker killed mid-task loses its
        message; the jobs table remembers, and checkpoints make the rerun resume.
        """
        requeued: list[int] = []
        for job in self.lifecycle.orphans():
            if self.requeue(job.id):
                requeued.append(job.id)
        queued = self.queue.queued_job_ids()
        now = self.now()
        for job in self.lifecycle.jobs.pending(older_than=5.0):
            if job.id in queued or job.id in requeued:
                continue
            delay = 0.0
            if job.next_attempt_at is not None and job.next_attempt_at > now:
                delay = (job.next_attempt_at - now).total_seconds()
            log.warning("Job %s was not in the queue; queued again", job.id)
            if self.requeue(job.id, delay):
                requeued.append(job.id)
        return requeued

    def stats(self) -> QueueStats:
        counts = self.lifecycle.jobs.counts()
        failures = tuple(self.lifecycle.jobs.list_jobs(limit=10, states=[JobState.FAILED]))
        try:
            alive = self.workers.alive_count()
        except (redis.RedisError, OSError):
            alive = 0
        return QueueStats(
            waiting=counts[JobState.PENDING.value] - counts["delayed"],
            active=counts[JobState.IN_PROGRESS.value],
            completed=counts[JobState.COMPLETED.value],
            failed=counts[JobState.FAILED.value],
            delayed=counts["delayed"],
            cancelled=counts[JobState.CANCELLED.value],
            workers_alive=alive,
            recent_failures=failures,
        )
