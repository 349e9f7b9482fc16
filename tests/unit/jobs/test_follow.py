"""JobFollower: it yields each change of the job to its end, and waits without spinning."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind, JobEvent, JobState
from guard_inbox.jobs.follow import JobFollower

WORKER = "test-host:1:aaaaaaaa"


def test_a_follower_waiting_on_a_quiet_job_does_not_spin(core: Core, tmp_path: Path) -> None:
    account = core.repository.add_account(AccountKind.MBOX, str(tmp_path / "m.mbox"), "m.mbox")
    job = core.lifecycle.create(account.id, 100, "manual")
    claimed = core.lifecycle.claim(job.id, WORKER)
    assert claimed is not None
    follower = JobFollower(core.job_repository, core.events, core.redis)
    changes = follower.follow(job.id)
    assert next(changes).state is JobState.IN_PROGRESS
    # An event of this process that changes nothing in the row, then a quiet second.
    core.events.publish(JobEvent(job.id, account.id, JobState.IN_PROGRESS, total=0, scanned=0))
    finish = threading.Timer(1.0, lambda: core.lifecycle.complete(job.id, claimed.worker_id))
    finish.start()
    cpu_before = time.thread_time()
    rest = list(changes)
    cpu = time.thread_time() - cpu_before
    finish.join()
    assert rest[-1].state is JobState.COMPLETED
    # Spinning re-read the row a thousand times a second: about a second of CPU here.
    assert cpu < 0.3
