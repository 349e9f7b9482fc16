"""Many `guard-inbox worker` processes, one Redis, one PostgreSQL: the multi-machine set-up.

Each worker process stands in for another machine: its own data dir (so it neither starts nor
reuses the test's embedded Redis), ``REDIS_URL`` and ``DATABASE_URL`` from its environment and,
where the kernel allows a UTS namespace, its own host name, so that whether a worker is alive
rests on heartbeats, as it does across machines, and not on a local pid check. The test process
only enqueues and watches; it runs no worker threads.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import CodeQuery, Job, JobState
from guard_inbox.jobs.broker import BrokerInfo
from job_kit import final, mbox_account, wait_for
from mailgen import write_mbox

psycopg2 = pytest.importorskip("psycopg2")

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

WORKER_STARTED = re.compile(r"Worker (\S+) running (\d+) threads")
JOB_CLAIMED = re.compile(r"Job (\d+) processing \(attempt (\d+)\) on (\S+)")
SET_HOSTNAME = 'echo "$0" > /proc/sys/kernel/hostname && exec "$@"'
RECOVERY_LIMIT = 60.0  # seconds from kill -9 to the job running again elsewhere
DUPLICATE_CODES = """
    SELECT account_id, merchant_key, lower(code), count(*) FROM promo_code
    GROUP BY account_id, merchant_key, lower(code) HAVING count(*) > 1
"""
DUPLICATE_MESSAGES = """
    SELECT account_id, provider_id, count(*) FROM scanned_message
    GROUP BY account_id, provider_id HAVING count(*) > 1
"""


def shared_redis_url(broker: BrokerInfo) -> str:
    """The REDIS_URL with which another process reaches this process's embedded Redis."""
    assert broker.embedded and broker.socket_path and broker.password
    return f"unix://:{quote(broker.password, safe='')}@{broker.socket_path}"


def own_hostnames_possible() -> bool:
    """A UTS namespace gives a worker process a host name of its own (needs CAP_SYS_ADMIN)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    probe = subprocess.run([unshare, "--uts", "sh", "-c", SET_HOSTNAME, "gi-probe", "true"],
                           capture_output=True, check=False)
    return probe.returncode == 0


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    worker_id: str = ""

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def claims(self) -> list[tuple[int, int, str]]:
        """(job id, attempt, worker id) of every claim this process logged."""
        return [(int(j), int(a), w) for j, a, w in JOB_CLAIMED.findall(self.output())]


@dataclass
class Cluster:
    """The test's core (embedded Redis, PostgreSQL) and worker processes on 'other machines'."""

    core: Core
    database_url: str
    tmp_path: Path
    workers: list[Worker] = field(default_factory=list)

    def start(self, name: str, hostname: str | None = None) -> Worker:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
        env["REDIS_URL"] = shared_redis_url(self.core.broker)
        env["DATABASE_URL"] = self.database_url
        command = [sys.executable, "-m", "guard_inbox", "--data-dir",
                   str(self.tmp_path / f"machine-{name}"), "worker", "--concurrency", "2"]
        if hostname is not None:  # sh sets the name, then execs: the pid stays the worker's
            command = ["unshare", "--uts", "sh", "-c", SET_HOSTNAME, hostname, *command]
        log = self.tmp_path / f"worker-{name}.log"
        with log.open("wb") as handle:
            process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL,
                                       stdout=handle, stderr=subprocess.STDOUT)
        worker = Worker(name, process, log)
        self.workers.append(worker)
        return worker

    def wait_running(self, *workers: Worker, timeout: float = 60.0) -> None:
        """Until each worker printed its id and announced itself in the shared registry."""
        for worker in workers:
            def started(w: Worker = worker) -> bool:
                assert w.process.poll() is None, f"worker {w.name} exited early"
                return WORKER_STARTED.search(w.output()) is not None
            wait_until(started, timeout, f"worker {worker.name} to start")
            match = WORKER_STARTED.search(worker.output())
            assert match is not None and match.group(2) == "2"
            worker.worker_id = match.group(1)
            assert worker.worker_id.split(":")[1] == str(worker.process.pid)
        ids = {w.worker_id for w in workers}
        wait_until(lambda: ids <= set(self.core.workers.alive()), timeout,
                   f"workers {sorted(ids)} in the registry")

    def scan_under_way(self, messages: int, host_a: str | None, host_b: str | None,
                       ) -> tuple[int, Job, set[str], Worker, Worker]:
        """Two workers and one big mailbox, once a worker is 100 messages into its scan:
        (account, job, the codes it holds, the worker scanning, the other worker)."""
        a, b = self.start("a", host_a), self.start("b", host_b)
        self.wait_running(a, b)
        mbox = self.tmp_path / "large.mbox"
        expected = write_mbox(mbox, messages, every_nth_without_code=7)
        account = mbox_account(self.core, mbox)
        job = self.core.control.start_scan(account)
        running = wait_for(self.core, job.id, lambda j: j.state.is_final or j.scanned >= 100,
                           timeout=120)
        assert running.state is JobState.IN_PROGRESS, running
        scanning = self.by_id(running.worker_id)
        return account, job, expected, scanning, (b if scanning is a else a)

    def by_id(self, worker_id: str) -> Worker:
        return next(w for w in self.workers if w.worker_id == worker_id)

    def stop(self, worker: Worker, timeout: float = 60.0) -> int | None:
        """SIGTERM: running scans pause, the worker withdraws, the process exits."""
        worker.process.send_signal(signal.SIGTERM)
        return worker.process.wait(timeout=timeout)

    def duplicates(self) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        connection = psycopg2.connect(self.database_url)
        try:
            with connection.cursor() as cursor:
                cursor.execute(DUPLICATE_CODES)
                codes = cursor.fetchall()
                cursor.execute(DUPLICATE_MESSAGES)
                messages = cursor.fetchall()
        finally:
            connection.close()
        return codes, messages

    def codes_of(self, account_id: int) -> list[str]:
        return [c.code for c in self.core.queries.codes(CodeQuery(account_id=account_id))]

    @contextlib.contextmanager
    def logs_on_failure(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            for worker in self.workers:
                print(f"----- worker {worker.name} ({worker.worker_id or 'no id'}, "
                      f"exit {worker.process.poll()}) {worker.log} -----")
                print(worker.output()[-20_000:])
            raise

    def close(self) -> None:
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()


@pytest.fixture
def cluster(make_core: Callable[..., Core], postgres_url: str,
            tmp_path: Path) -> Iterator[Cluster]:
    core = make_core(database__url=postgres_url)
    assert not core.database.is_sqlite
    assert core.broker.embedded  # ours; the workers reach it only through REDIS_URL
    made = Cluster(core, postgres_url, tmp_path)
    try:
        yield made
    finally:
        made.close()  # before the core stops its Redis and the database is dropped


@dataclass
class Mailbox:
    path: Path
    next_index: int
    expected: set[str]
    messages: int


# (first message index, count): neighbours share codes, which stay per account.
MAILBOXES = ((0, 500), (300, 600), (700, 700), (1200, 800))
NEW_MAIL = 60


def test_two_worker_processes_share_one_redis_and_one_postgresql(
    cluster: Cluster, tmp_path: Path
) -> None:
    core = cluster.core
    hostnames = own_hostnames_possible()
    with cluster.logs_on_failure():
        a = cluster.start("a", "gi-machine-a" if hostnames else None)
        b = cluster.start("b", "gi-machine-b" if hostnames else None)
        cluster.wait_running(a, b)

        boxes: dict[int, Mailbox] = {}
        for n, (start, count) in enumerate(MAILBOXES):
            path = tmp_path / f"box{n}.mbox"
            codes = write_mbox(path, count, start=start, every_nth_without_code=9)
            boxes[mbox_account(core, path)] = Mailbox(path, start + count, codes, count)

        # Two scans per account at once: the second must wait for the first, on any machine.
        first_round = [core.control.start_scan(acc) for acc in boxes for _ in range(2)]
        jobs = [final(core, j.id, timeout=300) for j in first_round]
        # New mail, then one more scan per account: it reads exactly the new messages.
        for box in boxes.values():
            box.expected |= write_mbox(box.path, NEW_MAIL, start=box.next_index)
            box.messages += NEW_MAIL
        second_round = [core.control.start_scan(acc) for acc in boxes]
        jobs += [final(core, j.id, timeout=120) for j in second_round]

        assert [j for j in jobs if j.state is not JobState.COMPLETED] == []
        assert [j for j in jobs if j.attempts != 1] == []  # each ran exactly once
        assert {j.worker_id for j in jobs} == {a.worker_id, b.worker_id}  # both did work
        claims = sorted(a.claims() + b.claims())
        assert claims == sorted((j.id, 1, j.worker_id) for j in jobs)  # logs agree

        for account, box in boxes.items():
            mine = sorted((j for j in jobs if j.account_id == account), key=lambda j: j.id)
            spans = sorted(_span(j) for j in mine)
            for (_, earlier_end), (later_start, _) in zip(spans, spans[1:], strict=False):
                assert later_start >= earlier_end, spans  # never overlapped
            assert sum(j.scanned for j in mine) == box.messages  # each message read once
            assert mine[-1].scanned == NEW_MAIL
            codes = cluster.codes_of(account)
            assert len(codes) == len(set(codes)) and set(codes) == box.expected
        assert cluster.duplicates() == ([], [])

        for worker in (a, b):
            assert cluster.stop(worker) == 0, f"worker {worker.name} did not exit cleanly"
        assert not {a.worker_id, b.worker_id} & set(core.workers.alive())


def _span(job: Job) -> tuple[datetime, datetime]:
    assert job.started_at is not None and job.finished_at is not None, job
    return job.started_at, job.finished_at


CRASH_MESSAGES = 2000


@pytest.mark.parametrize("hosts", ["one host", "two hosts"])
def test_kill_9_of_one_worker_the_other_resumes_its_scan(
    cluster: Cluster, hosts: str
) -> None:
    """No restart of the killed worker: the survivor finds the orphan and finishes it exactly.

    On one host the survivor sees the dead pid at once; across hosts it can only notice
    the heartbeats stopped (scan.stale_after_seconds), so that path gets its own run.
    """
    if hosts == "two hosts" and not own_hostnames_possible():
        pytest.skip("needs `unshare --uts` (CAP_SYS_ADMIN) to give each worker its own host name")
    core = cluster.core
    with cluster.logs_on_failure():
        named = hosts == "two hosts"
        account, job, expected, victim, survivor = cluster.scan_under_way(
            CRASH_MESSAGES, "gi-machine-a" if named else None, "gi-machine-b" if named else None)
        victim.process.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        assert victim.process.wait(timeout=10) == -signal.SIGKILL
        orphan = core.queries.job(job.id)
        assert orphan is not None and orphan.scanned < CRASH_MESSAGES, orphan
        # Still the victim's, unless the survivor's reconcile already saw the dead pid (same
        # host: it can, in the few ms since the kill) and released or took over the job.
        released = orphan.state is JobState.PENDING or orphan.attempts >= 2
        assert released or (orphan.state is JobState.IN_PROGRESS
                            and orphan.worker_id == victim.worker_id), orphan

        resumed = wait_for(core, job.id, lambda j: j.attempts >= 2 or j.state.is_final,
                           timeout=RECOVERY_LIMIT + 60)
        took = time.monotonic() - killed
        assert took < RECOVERY_LIMIT, f"the orphan waited {took:.0f} s for the other worker"
        assert resumed.worker_id == survivor.worker_id
        done = final(core, job.id, timeout=300)

        assert done.state is JobState.COMPLETED, done.error
        assert done.attempts == 2 and done.worker_id == survivor.worker_id
        assert done.scanned == CRASH_MESSAGES
        codes = cluster.codes_of(account)
        assert len(codes) == len(set(codes)) and set(codes) == expected
        assert cluster.duplicates() == ([], [])
        assert (job.id, 1, victim.worker_id) in victim.claims()
        assert survivor.claims() == [(job.id, 2, survivor.worker_id)]
        # The dead worker's registry entry lapses with its TTL; the survivor's stays.
        wait_until(lambda: victim.worker_id not in core.workers.alive(), 60,
                   "the killed worker to drop out of the registry")
        assert survivor.worker_id in core.workers.alive()
        assert cluster.stop(survivor) == 0
        print(f"{hosts}: job resumed {took:.1f} s after kill -9 (orphan at {orphan.scanned})")



def test_a_stalled_worker_that_comes_back_stops_without_writing(
    cluster: Cluster
) -> None:
    """A laptop suspend or VM pause past the heartbeat limit: the job moves to the other
    worker; when the stalled one wakes up it must not go on scanning the same account, write
    checkpoints twice, or mark the job FAILED or COMPLETED under the new owner."""
    if not own_hostnames_possible():
        pytest.skip("needs `unshare --uts` (CAP_SYS_ADMIN) to give each worker its own host name")
    core = cluster.core
    with cluster.logs_on_failure():
        account, job, expected, stalled, survivor = cluster.scan_under_way(
            3000, "gi-machine-a", "gi-machine-b")
        stalled.process.send_signal(signal.SIGSTOP)
        try:
            wait_for(core, job.id, lambda j: j.attempts >= 2 or j.state.is_final,
                     timeout=RECOVERY_LIMIT + 60)
        finally:
            stalled.process.send_signal(signal.SIGCONT)
        done = final(core, job.id, timeout=300)

        assert done.state is JobState.COMPLETED, done.error
        assert done.attempts == 2 and done.worker_id == survivor.worker_id
        codes = cluster.codes_of(account)
        assert len(codes) == len(set(codes)) and set(codes) == expected
        assert cluster.duplicates() == ([], [])
        wait_until(lambda: "was taken over by another worker" in stalled.output(), 60,
                   "the stalled worker to notice it lost the job")
        assert f"Job {job.id} completed" not in stalled.output()
        assert stalled.process.poll() is None  # it lost a job, not its life
        for worker in (stalled, survivor):
            assert cluster.stop(worker) == 0
