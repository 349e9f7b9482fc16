"""The composition root's order: stages open in a fixed order on request and close in reverse.

A real Core on a real SQLite file and the project's own embedded Redis; the order is read from
the log lines bootstrap writes for each stage (the same lines a user's log file shows).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from guard_inbox.bootstrap import open_for_command
from guard_inbox.bootstrap.app_api import BackgroundStart, CoreApi
from guard_inbox.bootstrap.core import Core, StageNotRun
from guard_inbox.domain.models import JobEvent, JobState
from guard_inbox.services.api import Changes
from mailgen import write_mbox

BOOT_LOG = "guard_inbox.bootstrap"


def stage_lines(caplog: pytest.LogCaptureFixture, prefix: str) -> list[str]:
    return [r.getMessage().removeprefix(prefix).split(" ready")[0]
            for r in caplog.records if r.name == BOOT_LOG and r.getMessage().startswith(prefix)]


def test_asking_for_workers_opens_database_then_queue_then_workers_and_closes_in_reverse(
    make_core: Callable[..., Core], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=BOOT_LOG)
    core = make_core(stages="none")
    core.start_workers(1)
    assert stage_lines(caplog, "Start-up: ") == ["storage", "queue", "workers"]
    embedded = core.embedded_broker
    assert embedded is not None and embedded.pid is not None

    core.close()

    assert stage_lines(caplog, "Shut down: ") == [
        "workers (1 threads)", "reading processes", "events", "queue", "broker client",
        "embedded broker", "database",
    ]
    with pytest.raises(ProcessLookupError):
        os.kill(embedded.pid, 0)  # the Redis we started is gone with us


def test_a_part_used_before_its_stage_is_a_wiring_error_not_a_silent_start(
    make_core: Callable[..., Core],
) -> None:
    core = make_core(stages="database")
    with pytest.raises(StageNotRun, match="queue"):
        core.control  # noqa: B018
    assert core.embedded_broker is None  # touching it started nothing


def test_reading_commands_open_the_database_alone(make_core: Callable[..., Core]) -> None:
    for command in ("codes", "jobs", "export", "accounts"):
        core = make_core(stages="none")
        open_for_command(core, argparse.Namespace(command=command))
        assert core.queries.codes() == []
        with pytest.raises(StageNotRun):
            core.queue  # noqa: B018
        core.close()


def test_nothing_opens_once_closing_began(make_core: Callable[..., Core]) -> None:
    """A quit while the window's start-up thread runs: the thread stops instead of starting
    workers on a closed database."""
    core = make_core(stages="none")
    core.close()
    start = BackgroundStart(core.open_queue)
    with pytest.raises(StageNotRun, match="shutting down"):
        start.wait(10)
    assert core.embedded_broker is None


def test_each_use_case_says_what_it_changed(make_core: Callable[..., Core], tmp_path: Path) -> None:
    core = make_core()
    api = CoreApi(core)
    mbox = tmp_path / "shop.mbox"
    write_mbox(mbox, 3)

    account, added = api.add_local_mailbox(mbox, scan=True)
    (job,) = added.jobs
    assert added.accounts and not added.codes
    assert (job.account_id, job.state) == (account.id, JobState.PENDING)

    cancelled = api.cancel(job.id)
    assert [j.id for j in cancelled.jobs] == [job.id] and not cancelled.codes
    assert cancelled.jobs[0].state is JobState.CANCELLED  # never started: cancelled at once

    assert api.mark_used(1, True) == Changes(codes=True)
    assert api.scan([]).jobs[0].account_id == account.id  # no ids: every account
    assert not api.cancel(999_999).anything  # an unknown job changes nothing


def test_events_of_other_processes_reach_this_processs_listeners_once(
    make_core: Callable[..., Core],
) -> None:
    """The window shows scans run by a separate `guard-inbox worker`: Core forwards them."""
    here, there = make_core(), make_core()  # same data dir: the second shares the broker
    assert here.process_id != there.process_id
    here.follow_other_processes()
    seen: list[JobEvent] = []
    here.events.add_listener(seen.append)
    event = JobEvent(job_id=7, account_id=1, state=JobState.IN_PROGRESS, scanned=3, total=9)

    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:  # the subscription may still be starting
        there.events.publish(event)
        time.sleep(0.05)

    assert seen and seen[0] == event
    here.events.publish(dataclasses.replace(event, scanned=4))  # our own: delivered once, locally
    time.sleep(0.3)
    assert [e.scanned for e in seen].count(4) == 1
