"""Idle workers stop at once: a `scan --wait` command does not wait out their queue reads at exit."""

from __future__ import annotations

import time
from collections.abc import Callable

from guard_inbox.bootstrap.core import Core


def test_idle_workers_stop_without_waiting_out_their_read_timeout(make_core: Callable[..., Core]) -> None:
    core = make_core()
    pool = core.start_workers(threads=4)
    time.sleep(0.3)  # every worker is now blocked in its queue read (1 s timeout)
    started = time.monotonic()
    pool.stop()
    assert time.monotonic() - started < 0.5
    assert not pool.running


def test_work_queued_after_a_stop_waits_for_the_next_worker(make_core: Callable[..., Core]) -> None:
    core = make_core()
    pool = core.start_workers(threads=2)
    time.sleep(0.2)
    pool.stop()
    # The wake-up entries are the stopping process's own: the queue itself holds nothing extra.
    assert core.huey.pending_count() == 0
    core.queue.enqueue(12345, priority=1)
    assert core.queue.queued_job_ids() == {12345}
