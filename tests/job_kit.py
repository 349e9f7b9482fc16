"""Waiting on jobs and adding mailboxes: shared by the integration and reliability tests.

Here, not in a test module, so each folder's tests run on their own (``make soak`` collects
only tests/reliability).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from guard_inbox.domain.models import AccountKind, Job
from guard_inbox.jobs.runtime import Runtime


def wait_for(runtime: Runtime, job_id: int, predicate: Callable[[Job], bool],
             timeout: float = 60.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = runtime.queries.job(job_id)
        assert job is not None
        if predicate(job):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never got there: {runtime.queries.job(job_id)}")


def final(runtime: Runtime, job_id: int, timeout: float = 60.0) -> Job:
    return wait_for(runtime, job_id, lambda j: j.state.is_final, timeout)


def mbox_account(runtime: Runtime, path: Path) -> int:
    return runtime.repository.add_account(AccountKind.MBOX, str(path), path.name).id
