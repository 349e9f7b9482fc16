"""Every job state change is written to the database first, then published as an event."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from guard_inbox.domain.models import Job, JobEvent, JobState
from guard_inbox.domain.ports import EventSink
from guard_inbox.services.workers import is_certainly_dead
from guard_inbox.storage.job_repository import JobRepository

log = logging.getLogger("guard_inbox.jobs")


def event_for(job: Job) -> JobEvent:
    return JobEvent(
        job_id=job.id, account_id=job.account_id, state=job.state, total=job.total,
        scanned=job.scanned, codes_found=job.codes_found, error=job.error, at=time.time(),
        codes_new=job.codes_new,
    )


class JobLifecycle:
    def __init__(self, jobs: JobRepository, events: EventSink, stale_after: float = 20.0) -> None:
        self.jobs = jobs
        self.events = events
        self.stale_after = stale_after

    def _emit(self, job: Job | None) -> Job | None:
        if job is not None:
            try:
                self.events.publish(event_for(job))
            except Exception:  # an event is a hint; the database already holds the truth
                log.warning("Could not publish event for job %s", job.id, exc_info=True)
        return job

    def create(self, account_id: int, priority: int, trigger: str) -> Job:
        job = self.jobs.create(account_id, priority, trigger)
        self._emit(job)
        return job

    def claim(self, job_id: int, worker_id: str) -> Job | None:
        job = self.jobs.claim(job_id, worker_id, self.stale_after, is_certainly_dead)
        if job is not None:
            log.info("Job %s processing (attempt %s) on %s", job.id, job.attempts, worker_id)
        return self._emit(job)

    def progress(self, job: Job, total: int, scanned: int, found: int, new: int) -> bool:
        """Write progress (also the heartbeat); True when the user asked to cancel.

        Raises ScanLost when ``job.worker_id`` no longer runs the job.
        """
        cancel = self.jobs.progress(job.id, total, scanned, found, new, owner=job.worker_id)
        try:
            self.events.publish(
                JobEvent(job.id, job.account_id, JobState.IN_PROGRESS, total, scanned, found,
                         at=time.time(), codes_new=new)
            )
        except Exception:
            log.warning("Could not publish progress of job %s", job.id, exc_info=True)
        return cancel

    def complete(self, job_id: int, owner: str = "") -> Job | None:
        job = self.jobs.finish(job_id, JobState.COMPLETED, owner=owner)
        if job is not None and job.state is JobState.COMPLETED:
            log.info(
                "Job %s completed: %s messages scanned, %s codes found (%s new)",
                job.id, job.scanned, job.codes_found, job.codes_new,
            )
        return self._emit(self._note_if_not(job, JobState.COMPLETED, owner))

    def fail(self, job_id: int, reason: str, owner: str = "") -> Job | None:
        job = self.jobs.finish(job_id, JobState.FAILED, reason, owner=owner)
        if job is None or job.state is JobState.FAILED:
            log.warning("Job %s failed: %s", job_id, reason)
        return self._emit(self._note_if_not(job, JobState.FAILED, owner))

    def cancelled(self, job_id: int, reason: str, owner: str = "") -> Job | None:
        job = self.jobs.finish(job_id, JobState.CANCELLED, reason, owner=owner)
        if job is None or job.state is JobState.CANCELLED:
            log.info("Job %s cancelled: %s", job_id, reason)
        return self._emit(self._note_if_not(job, JobState.CANCELLED, owner))

    def unrecorded(self, job: Job, state: JobState, reason: str) -> None:
        """A final state the database could not take (a full disk): followers still hear it."""
        try:
            self.events.publish(JobEvent(job.id, job.account_id, state, job.total, job.scanned,
                                         job.codes_found, error=reason, at=time.time(),
                                         codes_new=job.codes_new))
        except Exception:
            log.warning("Could not publish the end of job %s", job.id, exc_info=True)

    def release(
        self, job_id: int, error: str = "", retry_at: datetime | None = None, owner: str = ""
    ) -> Job | None:
        return self._emit(self.jobs.release(job_id, error=error, retry_at=retry_at, owner=owner))

    @staticmethod
    def _note_if_not(job: Job | None, wanted: JobState, owner: str) -> Job | None:
        """The log says what the job really became, not what this worker hoped for."""
        if job is not None and job.state is not wanted:
            log.info("Job %s is %s; %s from worker %s not recorded", job.id, job.state.value,
                     wanted.value, owner or "-")
        return job

    def request_cancel(self, job_id: int) -> Job | None:
        return self._emit(self.jobs.request_cancel(job_id))

    def reset_for_retry(self, job_id: int) -> Job | None:
        return self._emit(self.jobs.reset_for_retry(job_id))

    def orphans(self) -> list[Job]:
        released = self.jobs.orphans(self.stale_after, is_certainly_dead)
        for job in released:
            log.warning("Job %s lost its worker; it will resume from its checkpoint", job.id)
            self._emit(job)
        return released
