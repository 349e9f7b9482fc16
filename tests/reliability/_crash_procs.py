"""Helpers for the crash tests: worker processes, redis-servers of a data dir, the SQLite state.

Nothing here starts a Redis of its own: the job state is read straight from the data dir's
SQLite file with our storage classes, so the worker process stays the only Redis owner.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from guard_inbox.domain.models import Job, JobState
from guard_inbox.paths import AppPaths
from guard_inbox.storage import migrations
from guard_inbox.storage.db import Database, open_database
from guard_inbox.storage.job_repository import JobRepository
from guard_inbox.storage.repository import Repository


def clean_env() -> dict[str, str]:
    """The data dir's own SQLite and embedded Redis, whatever the caller's shell exports."""
    return {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}


def guard_inbox(data_dir: Path, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """One CLI command to completion (``python -m guard_inbox --data-dir D ...``)."""
    return subprocess.run(
        [sys.executable, "-m", "guard_inbox", "--data-dir", str(data_dir), *args],
        env=clean_env(), capture_output=True, text=True, timeout=timeout, check=False,
    )


@dataclass
class WorkerProcess:
    """``guard-inbox worker`` as a child process, its stderr kept in a file."""

    process: subprocess.Popen[bytes]
    stderr_file: Path
    started_at: float

    @classmethod
    def start(cls, data_dir: Path, log_name: str, concurrency: int = 2) -> WorkerProcess:
        data_dir.mkdir(parents=True, exist_ok=True)
        stderr_file = data_dir.parent / log_name
        with stderr_file.open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "guard_inbox", "--data-dir", str(data_dir), "worker",
                 "--concurrency", str(concurrency)],
                env=clean_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
            )
        return cls(process, stderr_file, time.monotonic())

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.stderr_file.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> None:
        """The worker prints its banner once its broker, database and threads are up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "Ctrl+C stops it." in self.output():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.output()}")
            time.sleep(0.05)
        raise AssertionError(f"worker not ready after {timeout} s:\n{self.output()}")

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=15)

    def terminate(self, timeout: float = 60.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError(f"worker ignored SIGTERM for {timeout} s:\n{self.output()}") from None


def _proc_state(pid: str) -> str:
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
        return handle.read().rsplit(")", 1)[1].split()[0]


def redis_servers_of(data_dir: Path) -> list[int]:
    """Live redis-server processes that belong to ``data_dir``.

    redis-server rewrites its command line (``redis-server unixsocket:…``) and chdirs to its
    ``dir``, so either the working directory or an argument inside the data dir identifies it.
    Zombies are dead and not counted.
    """
    root = str(data_dir.resolve())
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            raw = Path(f"/proc/{entry}/cmdline").read_bytes()
            args = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
            if not args or "redis-server" not in args[0].split()[0].rsplit("/", 1)[-1]:
                continue
            if _proc_state(entry) == "Z":
                continue
            cwd = ""
            with contextlib.suppress(OSError):
                cwd = os.readlink(f"/proc/{entry}/cwd")
            mentions = any(root in a for a in args)
            if mentions or cwd == root or cwd.startswith(root + os.sep):
                found.append(int(entry))
    return found


def wait_no_redis_servers(data_dir: Path, timeout: float) -> list[int]:
    """Polls until no redis-server of ``data_dir`` is alive; returns the ones still alive."""
    deadline = time.monotonic() + timeout
    alive = redis_servers_of(data_dir)
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = redis_servers_of(data_dir)
    return alive


def kill_leftovers(pids: list[int]) -> None:
    """Orphans we caused (children of our workers) are removed by pid after recording them."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


class DataDirState:
    """Reads jobs and codes from a data dir's SQLite file (no Redis; the worker migrated it).

    The tables live behind one process-wide peewee proxy, so one state is open at a time.
    """

    def __init__(self, data_dir: Path) -> None:
        self.database: Database = open_database("", AppPaths(data_dir).database_file)
        migrations.bind(self.database)
        self.jobs = JobRepository(self.database)
        self.codes = Repository(self.database)

    def close(self) -> None:
        self.database.close()

    def all_jobs(self) -> list[Job]:
        return self.jobs.list_jobs(limit=10_000)

    def job(self, job_id: int) -> Job:
        job = self.jobs.get(job_id)
        assert job is not None, f"job {job_id} is not in the database"
        return job

    def code_pairs(self) -> list[tuple[str, str]]:
        """Every stored (merchant, code) row, duplicates included."""
        return [(c.merchant, c.code) for c in self.codes.list_codes()]

    def wait_for(self, job_id: int, predicate: Callable[[Job], bool], timeout: float,
                 what: str = "the condition") -> Job:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if predicate(job):
                return job
            time.sleep(0.02)
        raise AssertionError(f"job {job_id} never reached {what} in {timeout} s: {self.job(job_id)}")


@contextlib.contextmanager
def state_of(data_dir: Path) -> Iterator[DataDirState]:
    state = DataDirState(data_dir)
    try:
        yield state
    finally:
        state.close()


def is_final(job: Job) -> bool:
    return job.state.is_final


def stuck(jobs: list[Job]) -> list[Job]:
    return [j for j in jobs if j.state is JobState.IN_PROGRESS]
