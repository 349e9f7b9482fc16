"""The event bridge wakes the main thread only while events are pending, and coalesces bursts."""

from __future__ import annotations

import threading

from pytestqt.qtbot import QtBot

from guard_inbox.domain.models import JobEvent, JobState
from guard_inbox.jobs.events import EventBus
from guard_inbox.ui.bridge import FLUSH_MS, EventBridge


def _event(job_id: int, scanned: int) -> JobEvent:
    return JobEvent(job_id=job_id, account_id=1, state=JobState.IN_PROGRESS, total=100,
                    scanned=scanned)


def test_idle_bridge_has_no_timer_running(qtbot: QtBot) -> None:
    bridge = EventBridge(EventBus(None, "test"))
    qtbot.wait(3 * FLUSH_MS)
    assert not bridge.waiting
    bridge.close()


def test_a_burst_from_a_worker_thread_arrives_once_per_job_then_the_timer_stops(qtbot: QtBot) -> None:
    bus = EventBus(None, "test")
    bridge = EventBridge(bus)
    received: list[JobEvent] = []
    bridge.job_changed.connect(received.append)

    def burst() -> None:
        for scanned in range(50):
            bus.publish(_event(1, scanned))
            bus.publish(_event(2, scanned))

    worker = threading.Thread(target=burst)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(received) >= 2, timeout=2000)
    qtbot.wait(2 * FLUSH_MS)
    assert sorted((e.job_id, e.scanned) for e in received) == [(1, 49), (2, 49)]
    assert not bridge.waiting
    bus.publish(_event(1, 50))  # a later event wakes it again
    qtbot.waitUntil(lambda: len(received) == 3, timeout=2000)
    assert received[-1].scanned == 50
    bridge.close()
