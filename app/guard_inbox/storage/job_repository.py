"""Scan jobs: the database, not the queue, is the truth about every job."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import peewee

from guard_inbox.domain.errors import AccountBusy, ScanLost
from guard_inbox.domain.models import Job, JobState
from guard_inbox.storage.clock import from_db, to_db, utcnow
from guard_inbox.storage.db import Database
from guard_inbox.storage.tables import AccountRow, JobRow

WorkerIsDead = Callable[[str], bool]


def _job(row: JobRow, label: str = "") -> Job:
    return Job(
        id=row.id,
        account_id=row.account_id,
        state=JobState(row.state),
        priority=row.priority,
        trigger=row.trigger,
        created_at=from_db(row.created_at),
        started_at=from_db(row.started_at),
        finished_at=from_db(row.finished_at),
        total=row.total,
        scanned=row.scanned,
        codes_found=row.codes_found,
        codes_new=row.codes_new,
        attempts=row.attempts,
        error=row.error,
        next_attempt_at=from_db(row.next_attempt_at),
        worker_id=row.worker_id,
        cancel_requested=bool(row.cancel_requested),
        account_label=label,
        tokens_used=row.tokens_used,
    )


class JobRepository:
    def __init__(self, database: Database, now: Callable[[], datetime] = utcnow) -> None:
        """``now`` gives naive UTC, as the database stores it; tests pass a clock they move."""
        self.database = database
        self.now = now

    def _locked(self, job_id: int) -> JobRow | None:
        query = JobRow.select().where(JobRow.id == job_id)
        if not self.database.is_sqlite:
            query = query.for_update()
        return query.first()

    @staticmethod
    def owns(row: JobRow | None, owner: str) -> bool:
        """Whether ``owner`` (a worker id; "" for "anyone", e.g. the user) may change the job."""
        if not owner:
            return True
        return row is not None and row.worker_id == owner and row.state == JobState.IN_PROGRESS.value

    def check_owner(self, job_id: int, owner: str) -> None:
        """Inside a write transaction: raise ScanLost unless ``owner`` still runs the job.

        Locks the job row (PostgreSQL), so a worker that took the job over and the stale one
        that used to run it never write checkpoints at the same time.
        """
        if owner and not self.owns(self._locked(job_id), owner):
            raise ScanLost(f"job {job_id} was taken over by another worker")

    def create(self, account_id: int, priority: int, trigger: str) -> Job:
        with self.database.write():
            row = JobRow.create(
                account=account_id, state=JobState.PENDING.value, priority=priority,
                trigger=trigger, created_at=self.now(),
            )
        return self.get(row.id) or _job(row)  # named: a new row never says "Account 4"

    def get(self, job_id: int) -> Job | None:
        row = (
            JobRow.select(JobRow, AccountRow)
            .join(AccountRow)
            .where(JobRow.id == job_id)
            .first()
        )
        return None if row is None else _job(row, row.account.display_name or row.account.address)

    def list_jobs(self, limit: int = 200, states: Sequence[JobState] = ()) -> list[Job]:
        # A removed account's jobs leave the lists with it (its codes may stay).
        query = JobRow.select(JobRow, AccountRow).join(AccountRow).where(
            AccountRow.removed_at.is_null())
        if states:
            query = query.where(JobRow.state.in_([s.value for s in states]))
        query = query.order_by(JobRow.id.desc()).limit(limit)
        return [_job(r, r.account.display_name or r.account.address) for r in query]

    def mark_enqueued(self, job_id: int) -> None:
        with self.database.write():
            JobRow.update(enqueued_at=self.now()).where(JobRow.id == job_id).execute()

    def claim(
        self, job_id: int, worker_id: str, stale_after: float, is_dead: WorkerIsDead
    ) -> Job | None:
        """PENDING -> IN_PROGRESS for this worker, or None when there is nothing to run.

        Raises AccountBusy while another live worker scans the same account,
        so scans of one account never overlap, on one machine or many.
        """
        now = self.now()
        with self.database.write():
            row = self._locked(job_id)
            if row is None or row.state != JobState.PENDING.value:
                return None
            if row.next_attempt_at is not None and row.next_attempt_at > now + timedelta(seconds=0.5):
                return None  # a duplicate message; the scheduled retry will come
            account_lock = AccountRow.select().where(AccountRow.id == row.account_id)
            if not self.database.is_sqlite:
                account_lock.for_update().first()  # serialise claims per account
            running = JobRow.select().where(
                (JobRow.account == row.account_id)
                & (JobRow.state == JobState.IN_PROGRESS.value)
                & (JobRow.id != job_id)
            )
            for other in running:
                if self._is_alive(other, now, stale_after, is_dead):
                    raise AccountBusy(f"account {row.account_id} is being scanned by job {other.id}")
            row.state = JobState.IN_PROGRESS.value
            row.worker_id = worker_id
            row.heartbeat_at = now
            row.started_at = row.started_at or now
            row.attempts += 1
            row.next_attempt_at = None
            row.error = ""
            row.save()
        return _job(row)

    @staticmethod
    def _is_alive(row: JobRow, now: datetime, stale_after: float, is_dead: WorkerIsDead) -> bool:
        if not row.worker_id or is_dead(row.worker_id):
            return False
        beat = row.heartbeat_at or row.started_at
        return beat is not None and (now - beat).total_seconds() < stale_after

    def progress(
        self, job_id: int, total: int, scanned: int, codes_found: int, codes_new: int,
        owner: str = "",
    ) -> bool:
        """Write progress and a heartbeat; returns True when the user asked to cancel.

        With ``owner``, raises ScanLost when that worker no longer runs the job.
        """
        with self.database.write():
            self.check_owner(job_id, owner)
            JobRow.update(
                total=total, scanned=scanned, codes_found=codes_found, codes_new=codes_new,
                heartbeat_at=self.now(),
            ).where(JobRow.id == job_id).execute()
            flag = JobRow.select(JobRow.cancel_requested).where(JobRow.id == job_id).scalar()
        return bool(flag)

    def add_counts(self, job_id: int, scanned: int, codes_found: int, codes_new: int) -> None:
        """Inside the transaction that checkpoints those messages: a worker killed before its
        next progress write leaves counts that match what is stored, so the scan that resumes
        (skipping the stored messages) ends with the same totals as one that never stopped."""
        JobRow.update(
            scanned=JobRow.scanned + scanned, codes_found=JobRow.codes_found + codes_found,
            codes_new=JobRow.codes_new + codes_new,
        ).where(JobRow.id == job_id).execute()

    def heartbeat(self, job_ids: Sequence[int], worker_id: str) -> None:
        if not job_ids:
            return
        with self.database.write():
            JobRow.update(heartbeat_at=self.now()).where(
                JobRow.id.in_(list(job_ids))
                & (JobRow.worker_id == worker_id)
                & (JobRow.state == JobState.IN_PROGRESS.value)
            ).execute()

    def finish(self, job_id: int, state: JobState, error: str = "", owner: str = "") -> Job | None:
        """Final state; a job already final (cancelled meanwhile) keeps its state, and so does
        one that ``owner`` no longer runs (another worker took it over)."""
        with self.database.write():
            row = self._locked(job_id)
            if row is None:
                return None
            if not JobState(row.state).is_final and self.owns(row, owner):
                row.state = state.value
                row.error = error
                row.finished_at = self.now()
                row.next_attempt_at = None
                row.save()
        return _job(row)

    def release(
        self, job_id: int, *, error: str = "", retry_at: datetime | None = None, owner: str = ""
    ) -> Job | None:
        """IN_PROGRESS -> PENDING: a retry after a transient error, or a shutdown mid-scan."""
        with self.database.write():
            row = self._locked(job_id)
            if row is None or JobState(row.state).is_final or not self.owns(row, owner):
                return None if row is None else _job(row)
            row.state = JobState.PENDING.value
            row.worker_id = ""
            row.error = error
            row.next_attempt_at = to_db(retry_at)
            row.save()
        return _job(row)

    def request_cancel(self, job_id: int) -> Job | None:
        """PENDING jobs cancel at once; running ones stop at their next checkpoint."""
        with self.database.write():
            row = self._locked(job_id)
            if row is None:
                return None
            if row.state == JobState.PENDING.value:
                row.state = JobState.CANCELLED.value
                row.finished_at = self.now()
                row.error = "Cancelled before it started."
            elif row.state == JobState.IN_PROGRESS.value:
                row.cancel_requested = True
            row.save()
        return _job(row)

    def reset_for_retry(self, job_id: int) -> Job | None:
        """A failed or cancelled job runs again on user request (same checkpoints)."""
        with self.database.write():
            row = self._locked(job_id)
            if row is None or not JobState(row.state).is_final:
                return None if row is None else _job(row)
            row.state = JobState.PENDING.value
            row.error = ""
            row.finished_at = None
            row.cancel_requested = False
            row.attempts = 0
            row.save()
        return _job(row)

    def orphans(self, stale_after: float, is_dead: WorkerIsDead) -> list[Job]:
        """IN_PROGRESS jobs whose worker is gone are put back to PENDING and returned."""
        now = self.now()
        released: list[Job] = []
        with self.database.write():
            query = JobRow.select().where(JobRow.state == JobState.IN_PROGRESS.value)
            if not self.database.is_sqlite:
                # Two workers reconciling at once must not both release (and so overwrite a
                # fresh claim of) the same job; locked rows are someone else's business now.
                query = query.for_update(skip_locked=True)
            for row in query:
                if self._is_alive(row, now, stale_after, is_dead):
                    continue
                row.state = JobState.PENDING.value
                row.error = f"Resumed after its worker ({row.worker_id or 'unknown'}) stopped."
                row.worker_id = ""
                row.save()
                released.append(_job(row))
        return released

    def pending(self, older_than: float = 0.0) -> list[Job]:
        cutoff = self.now() - timedelta(seconds=older_than)
        query = JobRow.select().where(
            (JobRow.state == JobState.PENDING.value)
            & (JobRow.created_at <= cutoff)
            & (JobRow.enqueued_at.is_null() | (JobRow.enqueued_at <= cutoff))
        )
        return [_job(r) for r in query]

    def counts(self) -> dict[str, int]:
        now = self.now()
        counts = {state.value: 0 for state in JobState}
        for state, count in (
            JobRow.select(JobRow.state, peewee.fn.COUNT(JobRow.id)).group_by(JobRow.state).tuples()
        ):
            counts[state] = count
        delayed = (
            JobRow.select()
            .where((JobRow.state == JobState.PENDING.value) & (JobRow.next_attempt_at > now))
            .count()
        )
        counts["delayed"] = int(delayed)
        return counts

    def add_tokens(self, job_id: int, tokens: int) -> None:
        with self.database.write():
            JobRow.update(tokens_used=JobRow.tokens_used + tokens).where(
                JobRow.id == job_id
            ).execute()
