"""The read side for UI and CLI: plain domain objects, no ORM, no queue."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from guard_inbox.domain.models import (
    DEFAULT_EXPIRING_DAYS,
    Account,
    CodeQuery,
    Job,
    JobState,
    StoredCode,
)
from guard_inbox.storage.job_repository import JobRepository
from guard_inbox.storage.repository import Repository


def _default_days() -> int:
    return DEFAULT_EXPIRING_DAYS


class Queries:
    def __init__(self, repository: Repository, jobs: JobRepository,
                 expiring_days: Callable[[], int] = _default_days) -> None:
        self.repository = repository
        self.jobs = jobs
        self._expiring_days = expiring_days  # the notification setting, read on each question

    def _resolved(self, query: CodeQuery | None) -> CodeQuery:
        """A query without its own "Expiring soon" window uses the notifications' one."""
        query = query or CodeQuery()
        if query.expiring_days is None:
            return replace(query, expiring_days=self._expiring_days())
        return query

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
        return self.repository.code_ids(self._resolved(query))

    def code_shops(self, query: CodeQuery) -> list[tuple[int, str, str]]:
        return self.repository.code_shops(self._resolved(query))

    def codes_by_ids(self, ids: Sequence[int]) -> list[StoredCode]:
        return self.repository.codes_by_ids(ids)

    def codes(self, query: CodeQuery | None = None, limit: int | None = None) -> list[StoredCode]:
        return self.repository.list_codes(self._resolved(query), limit)

    def code_count(self) -> int:
        return self.repository.count_codes()
