"""Redis goes away for ~3 s in the middle of a scan, then comes back.

Three ways it happens, all on an in-process Core with real worker threads:

- ``embedded-stall``: the embedded redis-server is frozen (SIGSTOP) and thawed (SIGCONT);
- ``embedded-killed``: the embedded redis-server crashes (SIGKILL); nobody but the app itself
  can bring it back, so the app must notice and restart it (same socket, same AOF);
- ``external``: a redis-server of the user's own (REDIS_URL, TCP, password, AOF) is stopped
  (SIGTERM) and started again on the same folder, as ``docker compose restart`` would.

Each checks that the running scan completes, that a scan requested during the outage gets a
clear KnownError (not a traceback) and still runs once Redis is back, and that no code is lost.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from _crash_redis import ExternalRedis, answers, wait_answers

from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.models import AccountKind, Job, JobState
from guard_inbox.jobs.broker import BrokerInfo
from mailgen import write_mbox

if TYPE_CHECKING:  # annotations only: `conftest` names more than one module here
    from conftest import Figures, Scale

pytestmark = [pytest.mark.area("Redis outage"), pytest.mark.timeout(900)]

OUTAGE_SECONDS = 3.0
RECOVERY_TIMEOUT = 20.0  # the embedded server must answer again within this after the crash
PICKUP_TIMEOUT = 60.0  # a scan requested during the outage runs within this once Redis is back
SCAN_TIMEOUT = 300.0


@dataclass
class Outage:
    """Takes Redis away in a background thread and brings it back after OUTAGE_SECONDS."""

    take_down: Callable[[], None]
    bring_back: Callable[[], None] | None  # None: only the app itself can bring it back
    down: threading.Event = field(default_factory=threading.Event)
    back_at: float | None = None
    error: BaseException | None = None
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="outage", daemon=True)
        self.thread.start()
        assert self.down.wait(15), "could not take Redis down"

    def _run(self) -> None:
        try:
            self.take_down()
            self.down.set()
            time.sleep(OUTAGE_SECONDS)  # the length of the outage, not a wait for a result
            if self.bring_back is not None:
                self.bring_back()
                self.back_at = time.monotonic()
        except BaseException as exc:  # reported by join()
            self.error = exc
            self.down.set()

    def join(self) -> None:
        assert self.thread is not None
        self.thread.join(timeout=60)
        if self.error is not None:
            raise self.error


@dataclass
class Result:
    scan: Job | None = None
    scan_done_at: float = 0.0
    enqueue: str = ""
    enqueue_error: BaseException | None = None
    requested: Job | None = None
    back_at: float | None = None
    lost: int = 0
    lost_from_before: int = 0
    duplicated: int = 0
    scanned_during_outage: int = 0


def poll_job(core: Core, job_id: int, predicate: Callable[[Job], bool],
             timeout: float) -> Job:
    deadline = time.monotonic() + timeout
    job = core.queries.job(job_id)
    assert job is not None
    while not predicate(job) and time.monotonic() < deadline:
        time.sleep(0.02)
        job = core.queries.job(job_id)
        assert job is not None
    return job


def newest_job_of(core: Core, account_id: int) -> Job:
    jobs = [j for j in core.queries.recent_jobs() if j.account_id == account_id]
    assert jobs, f"no job was created for account {account_id}"
    return max(jobs, key=lambda j: j.id)


def pairs_of(core: Core) -> list[tuple[str, str]]:
    return [(c.merchant, c.code) for c in core.queries.codes()]


def ride_out(core: Core, outage: Outage, tmp_path: Path, messages: int,
             app_restarts: BrokerInfo | None = None) -> tuple[Result, set[str]]:
    """Scan a large mailbox, take Redis away at 25 %, ask for another scan meanwhile."""
    big, small = tmp_path / "large.mbox", tmp_path / "requested.mbox"
    expected = write_mbox(big, messages, every_nth_without_code=7)
    expected |= write_mbox(small, 40, start=100_000)
    repo = core.repository
    big_id = repo.add_account(AccountKind.MBOX, str(big), big.name).id
    small_id = repo.add_account(AccountKind.MBOX, str(small), small.name).id
    core.start_workers(2)
    result = Result()

    scan = core.control.start_scan(big_id)
    at = poll_job(core, scan.id, lambda j: j.scanned >= messages // 4 or j.state.is_final,
                  SCAN_TIMEOUT)
    assert at.state is JobState.IN_PROGRESS, f"the scan ended before the outage: {at}"
    before = set(pairs_of(core))
    scanned_at_down = core.queries.job(scan.id).scanned  # type: ignore[union-attr]

    outage.start()
    started = time.monotonic()
    try:
        job = core.control.start_scan(small_id)
        result.enqueue = f"queued without error after {time.monotonic() - started:.1f} s"
        result.requested = job
    except KnownError as exc:
        result.enqueue = f"{type(exc).__name__} after {time.monotonic() - started:.1f} s: {exc}"
        result.enqueue_error = exc
    except Exception as exc:  # a bug: recorded, then asserted on below
        result.enqueue = f"unexpected {type(exc).__name__}: {exc}"
        result.enqueue_error = exc
    outage.join()

    if outage.bring_back is not None:
        result.back_at = outage.back_at
    elif app_restarts is not None and wait_answers(app_restarts, RECOVERY_TIMEOUT):
        result.back_at = time.monotonic()
    result.scanned_during_outage = (
        core.queries.job(scan.id).scanned - scanned_at_down  # type: ignore[union-attr]
    )
    if result.back_at is None:
        # Redis stays down: the rest would only measure how slowly a scan crawls without it.
        result.scan = core.queries.job(scan.id)
        result.requested = newest_job_of(core, small_id)
        return result, expected

    result.scan = poll_job(core, scan.id, lambda j: j.state.is_final, SCAN_TIMEOUT)
    result.scan_done_at = time.monotonic()
    requested = newest_job_of(core, small_id)
    result.requested = poll_job(core, requested.id, lambda j: j.state.is_final, PICKUP_TIMEOUT)

    after = pairs_of(core)
    got = {code for _, code in after}
    result.lost = len(expected - got)
    result.lost_from_before = len(before - set(after))
    result.duplicated = len(after) - len(set(after))
    return result, expected


def report(figures: Figures, mode: str, result: Result) -> None:
    scan = result.scan
    outcome = "?" if scan is None else f"{scan.state.value} ({scan.scanned} scanned, " \
        f"{scan.attempts} attempt(s)){': ' + scan.error if scan.error else ''}"
    figures.record(f"{mode}: scan outcome", outcome, "COMPLETED")
    if result.back_at is None:
        back = "Redis never came back"
    else:
        back = round(max(0.0, result.scan_done_at - result.back_at), 2)
    figures.record(f"{mode}: s from Redis back to scan finished", back)
    figures.record(f"{mode}: messages scanned during the outage", result.scanned_during_outage)
    figures.record(f"{mode}: enqueue during outage", result.enqueue, "a KnownError sentence")
    requested = result.requested
    figures.record(f"{mode}: scan requested during outage ended",
                   "?" if requested is None else f"{requested.state.value} {requested.error}".strip(),
                   "COMPLETED")
    figures.record(f"{mode}: codes lost (incl. the scan requested during it)", result.lost, "0")


def check(result: Result) -> None:
    """The correct behaviour, asserted after the figures are recorded."""
    assert result.back_at is not None, (
        f"Redis never came back within {RECOVERY_TIMEOUT:g} s: the app did not restart its own "
        f"redis-server (scan left at {result.scan})")
    assert result.scan is not None and result.scan.state is JobState.COMPLETED, result.scan
    assert (result.lost, result.lost_from_before, result.duplicated) == (0, 0, 0), result
    error = result.enqueue_error
    if error is not None:
        assert isinstance(error, KnownError), f"enqueue during the outage crashed: {result.enqueue}"
        assert "Redis" in str(error), result.enqueue
    requested = result.requested
    assert requested is not None and requested.state is JobState.COMPLETED, (
        f"the scan requested during the outage was lost instead of running once Redis was "
        f"back: {requested}")


def owned_redis_pid(core: Core) -> int:
    server = core.embedded_broker if core.broker.embedded else None
    assert server is not None and server.pid is not None, "this core should own its Redis"
    return server.pid


def test_embedded_redis_stalls_for_3_s(
    make_core: Callable[..., Core], tmp_path: Path, scale: Scale, figures: Figures
) -> None:
    core = make_core()
    pid = owned_redis_pid(core)
    outage = Outage(lambda: os.kill(pid, signal.SIGSTOP), lambda: os.kill(pid, signal.SIGCONT))
    try:
        result, _ = ride_out(core, outage, tmp_path, scale.pick(700, 4000))
    finally:
        os.kill(pid, signal.SIGCONT)  # never leave a frozen server behind
    report(figures, "embedded-stall", result)
    check(result)


def test_embedded_redis_crashes_and_the_app_restarts_it(
    make_core: Callable[..., Core], tmp_path: Path, scale: Scale, figures: Figures
) -> None:
    core = make_core()
    pid = owned_redis_pid(core)
    outage = Outage(lambda: os.kill(pid, signal.SIGKILL), None)
    result, _ = ride_out(core, outage, tmp_path, scale.pick(700, 4000),
                         app_restarts=core.broker)
    report(figures, "embedded-killed", result)
    figures.record("embedded-killed: app restarted its redis-server",
                   "yes" if answers(core.broker) else "no", "yes")
    check(result)


@pytest.fixture
def external_redis(tmp_path: Path) -> Iterator[ExternalRedis]:
    server = ExternalRedis(tmp_path / "external-redis")
    server.start()
    try:
        yield server
    finally:
        server.kill()


def test_external_redis_restarts(
    make_core: Callable[..., Core], external_redis: ExternalRedis, tmp_path: Path,
    scale: Scale, figures: Figures,
) -> None:
    core = make_core(broker__url=external_redis.url)
    assert not core.broker.embedded and core.embedded_broker is None
    outage = Outage(external_redis.stop, external_redis.start)
    result, _ = ride_out(core, outage, tmp_path, scale.pick(700, 4000))
    report(figures, "external", result)
    check(result)
