"""Waiting on jobs and adding mailboxes: shared by the integration and reliability tests.

Here, not in a test module, so each folder's tests run on their own (``make soak`` collects
only tests/reliability).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind, Job


def wait_for(core: Core, job_id: int, predicate: Callable[[Job], bool],
             timeout: float = 60.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = core.queries.job(job_id)
        assert job is not None
        if predicate(job):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never got there: {core.queries.job(job_id)}")


def final(core: Core, job_id: int, timeout: float = 60.0) -> Job:
    return wait_for(core, job_id, lambda j: j.state.is_final, timeout)


def mbox_account(core: Core, path: Path) -> int:
    return core.repository.add_account(AccountKind.MBOX, str(path), path.name).id
