"""kill -9 of a worker process at a random point of a large scan, many times over.

Each trial: a fresh data dir; ``guard-inbox worker`` starts first, so it owns the embedded
redis-server; ``guard-inbox scan --mbox`` queues the scan from another process; at a seeded
random point between 5 % and 90 % of the messages the worker gets SIGKILL. Then:

- the redis-server that worker owned dies with it (PR_SET_PDEATHSIG), no orphan left;
- a restarted worker finishes the job by itself (reconciliation re-queues the orphan);
- the codes equal those of one uninterrupted scan of the same mailbox: none lost, none twice;
- no job is left IN_PROGRESS, and after SIGTERM of the last worker no redis-server remains.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from _crash_procs import (
    WorkerProcess,
    guard_inbox,
    is_final,
    kill_leftovers,
    redis_servers_of,
    state_of,
    stuck,
    wait_no_redis_servers,
)

from guard_inbox.domain.models import JobState
from mailgen import write_mbox

if TYPE_CHECKING:  # annotations only: `conftest` names more than one module here
    from conftest import Figures, Scale

pytestmark = [pytest.mark.area("kill -9"), pytest.mark.timeout(3600)]

SEED = 20260109
# With reading processes a 300-message scan ended within half a second, its last stretch
# unseen, so a late kill point was never met while the scan ran. 1,000 messages give enough
# checkpoints that every kill point (5-90 %) is passed mid-scan; the quick run stays ~20 s.
QUICK_MESSAGES, SOAK_MESSAGES = 1000, 2000
REDIS_GONE_TIMEOUT = 10.0  # PDEATHSIG is immediate; redis-server's SHUTDOWN takes milliseconds


@dataclass(frozen=True)
class CleanRun:
    mbox: Path
    messages: int
    expected_codes: frozenset[str]
    pairs: frozenset[tuple[str, str]]
    count: int


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory, scale: Scale) -> CleanRun:
    """One uninterrupted scan of the mailbox every trial scans, in its own data dir."""
    root = tmp_path_factory.mktemp("kill9-clean")
    messages = scale.pick(QUICK_MESSAGES, SOAK_MESSAGES)
    mbox = root / "large.mbox"
    expected = write_mbox(mbox, messages, every_nth_without_code=7)
    data_dir = root / "data"
    done = guard_inbox(data_dir, "scan", "--mbox", str(mbox), "--wait", timeout=600)
    assert done.returncode == 0, done.stderr
    leftovers = wait_no_redis_servers(data_dir, REDIS_GONE_TIMEOUT)
    kill_leftovers(leftovers)
    assert not leftovers, f"the clean run left redis-server {leftovers}"
    with state_of(data_dir) as state:
        (job,) = state.all_jobs()
        assert job.state is JobState.COMPLETED and job.scanned == messages, job
        pairs = state.code_pairs()
    assert {code for _, code in pairs} == expected  # the clean run itself is right
    return CleanRun(mbox, messages, frozenset(expected), frozenset(pairs), len(pairs))


@dataclass
class Trial:
    killed_at: int = 0
    orphans_after_kill: int = 0
    orphans_after_stop: int = 0
    lost: int = 0
    duplicated: int = 0
    stuck: int = 0
    restart_to_completed: float = 0.0
    problems: tuple[str, ...] = ()


def run_trial(root: Path, clean: CleanRun, rng: random.Random, index: int) -> Trial:
    data_dir = root / f"trial{index}" / "data"
    target = int(clean.messages * rng.uniform(0.05, 0.90))
    trial = Trial()
    problems: list[str] = []
    workers: list[WorkerProcess] = []
    try:
        first = WorkerProcess.start(data_dir, "worker1.log")
        workers.append(first)
        first.wait_ready()
        owned = redis_servers_of(data_dir)
        assert len(owned) == 1, f"trial {index}: the first worker should own one redis-server: {owned}"

        queued = guard_inbox(data_dir, "scan", "--mbox", str(clean.mbox))
        assert queued.returncode == 0, queued.stderr
        with state_of(data_dir) as state:
            (job,) = state.all_jobs()
            running = state.wait_for(
                job.id, lambda j: j.scanned >= target or j.state.is_final, timeout=300,
                what=f"{target} messages scanned",
            )
            assert running.state is JobState.IN_PROGRESS, (
                f"trial {index}: the scan ended before the kill point {target}: {running}")
            first.kill9()
            trial.killed_at = state.job(job.id).scanned

            alive = wait_no_redis_servers(data_dir, REDIS_GONE_TIMEOUT)
            trial.orphans_after_kill = len(alive)
            if alive:
                problems.append(f"redis-server {alive} outlived its SIGKILLed owner")
                kill_leftovers(alive)  # the next worker must own a fresh one, as after a reboot
                wait_no_redis_servers(data_dir, REDIS_GONE_TIMEOUT)

            second = WorkerProcess.start(data_dir, "worker2.log")
            workers.append(second)
            done = state.wait_for(job.id, is_final, timeout=300, what="a final state")
            trial.restart_to_completed = time.monotonic() - second.started_at
            if done.state is not JobState.COMPLETED:
                problems.append(f"job ended {done.state.value}: {done.error}")
            if done.scanned != clean.messages:
                problems.append(f"scanned {done.scanned} of {clean.messages}")

            pairs = state.code_pairs()
            trial.lost = len(clean.pairs - set(pairs))
            trial.duplicated = len(pairs) - len(set(pairs))
            extra = set(pairs) - clean.pairs
            if extra:
                problems.append(f"{len(extra)} codes the clean run did not find: {sorted(extra)[:5]}")
            trial.stuck = len(stuck(state.all_jobs()))

        code = second.terminate()
        if code != 0:
            problems.append(f"the restarted worker exited {code} on SIGTERM")
        alive = wait_no_redis_servers(data_dir, REDIS_GONE_TIMEOUT)
        trial.orphans_after_stop = len(alive)
        if alive:
            problems.append(f"redis-server {alive} outlived its SIGTERMed owner")
            kill_leftovers(alive)
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait(timeout=10)
        kill_leftovers(redis_servers_of(data_dir))
    trial.problems = tuple(problems)
    return trial


def test_kill_9_at_random_points_loses_and_duplicates_nothing(
    clean_run: CleanRun, tmp_path: Path, scale: Scale, figures: Figures
) -> None:
    trials = scale.pick(5, 20)
    rng = random.Random(SEED)
    results = [run_trial(tmp_path, clean_run, rng, i) for i in range(trials)]

    restart = [t.restart_to_completed for t in results]
    figures.record("trials", f"{trials} x {clean_run.messages} messages "
                   f"(killed at {sorted(t.killed_at for t in results)})")
    figures.record("codes lost (total)", sum(t.lost for t in results), "0")
    figures.record("codes duplicated (total)", sum(t.duplicated for t in results), "0")
    figures.record("jobs stuck IN_PROGRESS", sum(t.stuck for t in results), "0")
    figures.record("orphan redis-servers",
                   sum(t.orphans_after_kill + t.orphans_after_stop for t in results), "0")
    figures.record("restart -> COMPLETED, median s", round(statistics.median(restart), 2))
    figures.record("restart -> COMPLETED, max s", round(max(restart), 2))

    problems = [f"trial {i}: {p}" for i, t in enumerate(results) for p in t.problems]
    assert not problems, "\n".join(problems)
    for i, t in enumerate(results):
        assert (t.lost, t.duplicated, t.stuck) == (0, 0, 0), f"trial {i}: {t}"
        assert (t.orphans_after_kill, t.orphans_after_stop) == (0, 0), f"trial {i}: {t}"
    assert all(0 < t.killed_at < clean_run.messages for t in results)
