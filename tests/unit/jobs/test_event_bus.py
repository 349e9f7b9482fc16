"""EventBus: every listener in this process hears every event, in order, on the publishing
thread; a failing listener or a Redis that is away never stops the others."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from guard_inbox.domain.models import JobEvent, JobState
from guard_inbox.jobs.events import EventBus
from job_core_kit import job_core, unreachable_redis
from mailgen import write_mbox


def _event(job_id: int, state: JobState = JobState.IN_PROGRESS, scanned: int = 0) -> JobEvent:
    return JobEvent(job_id=job_id, account_id=1, state=state, total=10, scanned=scanned)


def test_each_listener_hears_each_event_in_order_on_the_publishing_thread() -> None:
    bus = EventBus(None, "me")
    heard: dict[str, list[tuple[int, str]]] = {"a": [], "b": []}
    bus.add_listener(lambda e: heard["a"].append((e.scanned, threading.current_thread().name)))
    bus.add_listener(lambda e: heard["b"].append((e.scanned, threading.current_thread().name)))

    publisher = threading.Thread(
        target=lambda: [bus.publish(_event(1, scanned=n)) for n in (1, 2, 3)], name="worker-1")
    publisher.start()
    publisher.join()

    assert heard["a"] == heard["b"] == [(1, "worker-1"), (2, "worker-1"), (3, "worker-1")]


def test_a_failing_listener_is_logged_and_the_others_still_hear(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus(None, "me")
    heard: list[JobEvent] = []

    def broken(_event: JobEvent) -> None:
        raise ValueError("listener bug")

    bus.add_listener(broken)
    bus.add_listener(heard.append)
    event = _event(1)
    bus.publish(event)
    assert heard == [event]
    assert "Job event listener failed" in caplog.text and "listener bug" in caplog.text


def test_a_removed_listener_hears_nothing_more() -> None:
    bus = EventBus(None, "me")
    heard: list[JobEvent] = []
    bus.add_listener(heard.append)
    bus.publish(_event(1))
    bus.remove_listener(heard.append)
    bus.remove_listener(heard.append)  # twice: harmless
    bus.publish(_event(2))
    assert [e.job_id for e in heard] == [1]


def test_a_listener_may_remove_itself_while_hearing() -> None:
    bus = EventBus(None, "me")
    heard: list[int] = []

    def once(event: JobEvent) -> None:
        heard.append(event.job_id)
        bus.remove_listener(once)

    bus.add_listener(once)
    bus.publish(_event(1))
    bus.publish(_event(2))
    assert heard == [1]


def test_redis_being_away_stops_nothing_in_this_process(tmp_path: Path) -> None:
    bus = EventBus(unreachable_redis(tmp_path), "me")
    heard: list[JobEvent] = []
    bus.add_listener(heard.append)
    for n in range(20):
        bus.publish(_event(1, scanned=n))  # never raises: the database holds the truth
    assert [e.scanned for e in heard] == list(range(20))
    bus.close()


def test_a_scan_tells_listeners_each_state_it_goes_through(tmp_path: Path) -> None:
    write_mbox(tmp_path / "m.mbox", 60)
    with job_core(tmp_path) as core:
        job = core.control.start_scan(core.mbox_account(tmp_path / "m.mbox"))
        core.run_due()
        events = core.log.for_job(job.id)
        assert core.log.states(job.id) == [JobState.PENDING, JobState.IN_PROGRESS,
                                            JobState.COMPLETED]
        assert [e.scanned for e in events if e.state is JobState.IN_PROGRESS] == [0, 0, 50, 60]
        last = events[-1]
        assert (last.total, last.scanned, last.codes_found, last.error) == (60, 60, 60, "")
