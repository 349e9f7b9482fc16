"""Queue benchmark: enqueue -> pick-up latency and jobs/s through the real embedded Redis.

Baseline in the same run: a bare Redis LPUSH -> BRPOP hand-off between two
threads on the same socket, the floor any queue on this Redis can reach.

    python benchmarks/queue.py [--jobs 200] [--threads 5]
"""

# ruff: noqa: E402  (the sys.path fix below must run before any import that needs stdlib queue)
from __future__ import annotations

import os
import sys

# Run as `python benchmarks/queue.py`, this file's folder comes first on sys.path and this
# module would shadow the standard library's `queue` (which redis-py imports).
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind, JobEvent, JobState
from guard_inbox.extraction.pipeline import ExtractionPipeline
from guard_inbox.paths import AppPaths
from guard_inbox.services.sources import LocalSourceFactory
from guard_inbox.settings import Settings


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def baseline(core: Core, rounds: int) -> list[float]:
    client = core.broker.client()
    consumer = core.broker.client()
    latencies: list[float] = []

    def consume() -> None:
        for _ in range(rounds):
            _, raw = consumer.brpop(["bench:baseline"], timeout=5)
            latencies.append(time.perf_counter() - float(raw))

    thread = threading.Thread(target=consume)
    thread.start()
    for _ in range(rounds):
        client.lpush("bench:baseline", repr(time.perf_counter()))
        time.sleep(0.002)
    thread.join()
    return latencies


def run(jobs: int, threads: int) -> None:
    with tempfile.TemporaryDirectory(prefix="gi-bench-") as tmp:
        root = Path(tmp)
        paths = AppPaths(root / "data").ensure()
        core = Core(paths, Settings(None, env={}), LocalSourceFactory(), ExtractionPipeline())
        try:
            core.open_queue()
            accounts = []
            for i in range(jobs):
                mbox = root / f"empty-{i}.mbox"
                mbox.write_bytes(b"")
                accounts.append(core.repository.add_account(AccountKind.MBOX, str(mbox)).id)
            floor = baseline(core, 200)

            picked: dict[int, float] = {}
            done: dict[int, float] = {}
            all_done = threading.Event()

            def listen(event: JobEvent) -> None:
                now = time.perf_counter()
                if event.state is JobState.IN_PROGRESS:
                    picked.setdefault(event.job_id, now)
                elif event.state.is_final:
                    done[event.job_id] = now
                    if len(done) == jobs:
                        all_done.set()

            core.events.add_listener(listen)
            core.start_workers(threads)
            time.sleep(0.5)  # let the pool reach its blocking read

            # Latency: one job at a time, so nothing waits behind another.
            latency: list[float] = []
            for account in accounts[:50]:
                start = time.perf_counter()
                job = core.control.start_scan(account)
                while job.id not in done:
                    time.sleep(0.0005)
                latency.append(picked[job.id] - start)
            # Throughput: the rest at once.
            rest = accounts[50:]
            done.clear()
            all_done.clear()
            target = len(rest)
            start = time.perf_counter()
            for account in rest:
                core.control.start_scan(account)
            while len(done) < target:
                time.sleep(0.001)
            elapsed = time.perf_counter() - start
        finally:
            core.close()

    ms = 1000.0
    print(f"{'measure':<42}{'p50':>10}{'p95':>10}{'max':>10}")
    print(f"{'baseline: bare LPUSH->BRPOP hand-off (ms)':<42}"
          f"{statistics.median(floor) * ms:>10.2f}{pct(floor, 0.95) * ms:>10.2f}"
          f"{max(floor) * ms:>10.2f}")
    print(f"{'scan job: enqueue -> IN_PROGRESS (ms)':<42}"
          f"{statistics.median(latency) * ms:>10.2f}{pct(latency, 0.95) * ms:>10.2f}"
          f"{max(latency) * ms:>10.2f}")
    print(f"throughput: {target} empty-mailbox jobs on {threads} threads: "
          f"{target / elapsed:.1f} jobs/s ({elapsed:.2f} s, each job = DB claim, list, "
          "progress, completion and their events)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=250)
    parser.add_argument("--threads", type=int, default=5)
    args = parser.parse_args()
    run(max(args.jobs, 60), args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
