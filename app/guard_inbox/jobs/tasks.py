"""The ``scan`` task: carries a job id only; all state lives in the database."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from huey import Huey

log = logging.getLogger("guard_inbox.jobs")

TASK_NAME = "scan"
Runner = Callable[[int], None]


class ScanQueue:
    """Registers the task with Huey; producers enqueue, consumers attach a runner."""

    def __init__(self, huey: Huey, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        """``now`` (aware UTC) dates delayed tasks; tests run huey on a clock they move."""
        self.huey = huey
        self.now = now
        self._runner: Runner | None = None
        self._task = huey.task(name=TASK_NAME)(self._execute)

    def attach_runner(self, runner: Runner) -> None:
        self._runner = runner

    def _execute(self, job_id: int) -> None:
        if self._runner is None:
            raise RuntimeError("this process has no scan runner attached")
        self._runner(job_id)

    def enqueue(self, job_id: int, priority: int, delay: float = 0.0) -> None:
        """Raises redis.ConnectionError when the broker is down (callers turn it into a sentence)."""
        if delay > 0:
            self._task.schedule((job_id,), eta=self.now() + timedelta(seconds=delay),
                                priority=priority)
        else:
            self._task(job_id, priority=priority)
        log.info("Job %s queued (priority %s%s)", job_id, priority,
                 f", in {delay:g} s" if delay else "")

    def queued_job_ids(self) -> set[int]:
        """Job ids waiting in the queue or the schedule (for reconciliation)."""
        ids: set[int] = set()
        for task in list(self.huey.pending()) + list(self.huey.scheduled()):
            args = getattr(task, "args", ()) or ()
            if getattr(task, "name", "") == TASK_NAME and args:
                ids.add(int(args[0]))
        return ids

    def waiting_count(self) -> int:
        return int(self.huey.pending_count())

    def delayed_count(self) -> int:
        return int(self.huey.scheduled_count())
