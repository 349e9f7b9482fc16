"""The read side for UI and CLI: plain domain objects, no ORM, no queue."""

from __future__ import annotations

from collections.abc import Sequence

from guard_inbox.domain.models import Account, CodeQuery, Job, JobState, StoredCode
from guard_inbox.storage.job_repository import JobRepository
from guard_inbox.storage.repository import Repository


class Queries:
    def __init__(self, repository: Repository, jobs: JobRepository) -> None:
        self.repository = repository
        self.jobs = jobs

    def accounts(self) -> list[Account]:
        return self.repository.list_accounts()

    def account(self, account_id: int) -> Account | None:
        return self.repository.get_account(account_id)

    def job(self, job_id: int) -> Job | None:
        return self.jobs.get(job_id)

    def recent_jobs(self, limit: int = 200, states: Sequence[JobState] = ()) -> list[Job]:
        return self.jobs.list_jobs(limit, states)

    def job_counts(self) -> dict[str, int]:
        return self.jobs.counts()

    def code_ids(self, query: CodeQuery) -> list[int]:
        return self.repository.code_ids(query)

    def codes_by_ids(self, ids: Sequence[int]) -> list[StoredCode]:
        return self.repository.codes_by_ids(ids)

    def codes(self, query: CodeQuery | None = None, limit: int | None = None) -> list[StoredCode]:
        return self.repository.list_codes(query, limit)

    def code_count(self) -> int:
        return self.repository.count_codes()
