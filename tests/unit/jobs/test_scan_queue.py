"""ScanQueue on the app's huey (priorities, JSON messages) kept in memory, on explicit time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from guard_inbox.domain.models import Priority
from guard_inbox.jobs.tasks import ScanQueue
from job_core_kit import Clock, memory_huey


class Queue:
    """A ScanQueue whose runner records the job ids it is handed."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.huey = memory_huey()
        self.queue = ScanQueue(self.huey, now=self.clock.now)
        self.ran: list[int] = []
        self.queue.attach_runner(self.ran.append)

    def run_due(self) -> list[int]:
        at = self.clock.naive()
        for task in self.huey.read_schedule(at):
            self.huey.enqueue(task)
        start = len(self.ran)
        while self.huey.pending_count():
            task = self.huey.dequeue()
            if task is not None:
                self.huey.execute(task, at)
        return self.ran[start:]


@pytest.fixture
def q() -> Queue:
    return Queue()


def test_higher_priority_runs_first_and_equal_priorities_in_order(q: Queue) -> None:
    for job_id in (1, 2, 3):
        q.queue.enqueue(job_id, Priority.LOW)
    q.queue.enqueue(4, Priority.HIGH)
    q.queue.enqueue(5, Priority.NORMAL)
    assert q.run_due() == [4, 5, 1, 2, 3]


def test_a_delayed_job_waits_its_exact_delay(q: Queue) -> None:
    q.queue.enqueue(7, Priority.HIGH, delay=4.0)
    q.queue.enqueue(8, Priority.LOW)
    assert q.run_due() == [8]  # 7 went to the schedule
    assert [(t.args[0], t.eta) for t in q.huey.scheduled()] == [
        (7, q.clock.naive() + timedelta(seconds=4))]
    q.clock.advance(3.999)
    assert q.run_due() == []
    q.clock.advance(0.001)
    assert q.run_due() == [7]
    assert q.huey.scheduled_count() == 0


def test_due_delayed_jobs_keep_their_priority(q: Queue) -> None:
    q.queue.enqueue(1, Priority.LOW, delay=1.0)
    q.queue.enqueue(2, Priority.HIGH, delay=2.0)
    assert q.run_due() == []
    q.clock.advance(2.0)
    assert q.run_due() == [2, 1]


def test_queued_ids_cover_the_queue_and_the_schedule(q: Queue) -> None:
    q.queue.enqueue(1, Priority.HIGH)
    q.queue.enqueue(2, Priority.LOW, delay=10.0)
    assert q.queue.queued_job_ids() == {1, 2}
    assert (q.queue.waiting_count(), q.queue.delayed_count()) == (2, 0)  # huey: delayed wait too
    q.run_due()  # 1 runs, 2 moves to the schedule
    assert q.queue.queued_job_ids() == {2}
    assert (q.queue.waiting_count(), q.queue.delayed_count()) == (0, 1)


def test_a_foreign_entry_on_the_queue_is_dropped_and_the_next_job_runs(
    q: Queue, caplog: pytest.LogCaptureFixture
) -> None:
    q.huey.storage.enqueue(b"\x80\x04\x95 a pickle, not ours", 0)
    q.queue.enqueue(3, Priority.LOW)
    assert q.run_due() == [3]
    assert "Refused an entry on the task queue and dropped it" in caplog.text


def test_a_process_without_a_runner_does_not_run_a_scan_silently() -> None:
    huey = memory_huey()
    queue = ScanQueue(huey)
    queue.enqueue(1, Priority.HIGH)
    errors: list[BaseException] = []
    huey.signal("error")(lambda _signal, _task, exc: errors.append(exc))
    huey.execute(huey.dequeue())
    assert [str(e) for e in errors] == ["this process has no scan runner attached"]
