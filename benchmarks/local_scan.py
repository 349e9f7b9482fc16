"""A local scan end to end: 10,000 real-size messages, with reading processes and without.

Issue 15's goals on a 2-core machine: the 10,000-message mailbox (~140 MB mbox) scanned end to
end in <= 20 s, the first code stored (and sent to the window) <= 1 s after the scan starts,
and a peak RSS of the whole process tree <= 300 MB.

    python benchmarks/local_scan.py [--count 10000] [--processes N]

Each run is a fresh process running the real app core (SQLite file, embedded Redis, the huey
queue and one worker thread): the scan is queued as the window queues it, and timed from the
call until its job completes; "first code" is the first progress event that counts a code,
timed from the call (the app idle for 3 s before, so its worker's slower polling of an idle
queue is included) and from the job's start (the worker claiming it).
Peak RSS sums the resident memory of the run's process and all its descendants (Redis, the
forkserver and the reading processes), sampled every 50 ms; PSS (shared pages split between
the processes sharing them) is printed beside it where the kernel reports it.

Baseline, in the same invocation on the same mailbox: ``scan.processes = 0``, today's path
before issue 15 (the mailbox indexed, then every message read and parsed in the scan's thread).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This folder's queue.py would shadow the stdlib's, which multiprocessing imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
# benchmarks/ is not a package and its queue.py shadows the stdlib's: load realsize by path.
_SPEC = importlib.util.spec_from_file_location("realsize", ROOT / "benchmarks" / "realsize.py")
assert _SPEC is not None and _SPEC.loader is not None
realsize = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(realsize)

GOAL_SECONDS = 20.0
GOAL_FIRST = 1.0
GOAL_RSS_MB = 300.0
IDLE_BEFORE = 3.0


def run_scan(mbox: Path, processes: int) -> dict[str, float]:
    """In the run's own process: one scan of ``mbox`` through the real core."""
    from guard_inbox.bootstrap.core import Core
    from guard_inbox.domain.models import AccountKind, JobEvent
    from guard_inbox.extraction.pipeline import ExtractionPipeline
    from guard_inbox.paths import AppPaths
    from guard_inbox.services.sources import LocalSourceFactory
    from guard_inbox.settings import Settings

    with tempfile.TemporaryDirectory(prefix="gi-local-scan-") as tmp:
        paths = AppPaths(Path(tmp) / "data").ensure()
        settings = Settings(paths.settings_file, env={})
        settings.override("scan.processes", processes)
        core = Core(paths, settings, LocalSourceFactory(), ExtractionPipeline())
        try:
            core.open_queue()
            account = core.repository.add_account(AccountKind.MBOX, str(mbox), mbox.name)
            core.start_workers(1)
            time.sleep(IDLE_BEFORE)  # an app that was idle: its worker polls the queue slowly now
            first: list[float] = []
            began: list[float] = []
            done = threading.Event()
            started = 0.0

            def listen(event: JobEvent) -> None:
                if event.state.value == "IN_PROGRESS" and not began:
                    began.append(time.perf_counter() - started)
                if event.codes_found and not first:
                    first.append(time.perf_counter() - started)
                if event.state.is_final:
                    done.set()

            core.events.add_listener(listen)
            started = time.perf_counter()
            job = core.control.start_scan(account.id)
            done.wait(600)
            seconds = time.perf_counter() - started
            final = core.job_repository.get(job.id)
            assert final is not None and final.state.value == "COMPLETED", final
            return {"seconds": seconds, "first": first[0] if first else float("nan"),
                    "began": began[0] if began else float("nan"),
                    "scanned": final.scanned, "codes": final.codes_found}
        finally:
            core.close()


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def _field(path: str, name: str) -> int:
    try:
        with open(path, encoding="ascii") as handle:
            for line in handle:
                if line.startswith(name):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    """User + system time of a running process (its finished children not included)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def measure(mbox: Path, processes: int) -> dict[str, float]:
    """Runs one scan in a fresh process and samples its tree's memory meanwhile."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (os.environ.get("PYTHONPATH", ""), str(ROOT / "app")) if p)}
    child = subprocess.Popen([sys.executable, __file__, "--run", str(mbox), "--processes",
                              str(processes)], stdout=subprocess.PIPE, text=True, env=env)
    peak_rss = peak_pss = 0
    cpu: dict[int, float] = {}  # pid -> CPU seconds when last seen (most live in no rusage of ours)
    while child.poll() is None:
        pids = _tree(child.pid)
        for pid in pids:
            cpu[pid] = max(cpu.get(pid, 0.0), _cpu_seconds(pid))
        peak_rss = max(peak_rss, sum(_field(f"/proc/{p}/status", "VmRSS:") for p in pids))
        peak_pss = max(peak_pss, sum(_field(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids))
        time.sleep(0.05)
    out, _ = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"the run with scan.processes={processes} failed")
    report: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    report |= {"rss": peak_rss / 1e6, "pss": peak_pss / 1e6, "cpu": sum(cpu.values())}
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_scan(Path(args.run), args.processes)))
        return 0
    with tempfile.TemporaryDirectory(prefix="gi-local-scan-") as tmp:
        mbox = Path(tmp) / "realsize.mbox"
        realsize.write_realsize_mbox(mbox, args.count)
        size = mbox.stat().st_size
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"local scan benchmark: {os.cpu_count()} cores (os.cpu_count()), load average "
              f"{load:.1f} at the start; {args.count:,} realsize messages, {size / 1e6:.0f} MB mbox")
        rows = [("baseline: in the scan's thread (scan.processes = 0)", measure(mbox, 0)),
                (f"ours: {args.processes} reading processes", measure(mbox, args.processes))]
    print(f"\n{'':<52}{'end to end s':>13}{'msg/s':>8}{'first code s':>14}{'(from start)':>13}"
          f"{'peak RSS MB':>13}{'PSS MB':>8}{'CPU s':>7}")
    for label, row in rows:
        print(f"{label:<52}{row['seconds']:>13.1f}{row['scanned'] / row['seconds']:>8.0f}"
              f"{row['first']:>14.2f}{row['first'] - row['began']:>13.2f}{row['rss']:>13.0f}"
              f"{row['pss']:>8.0f}{row['cpu']:>7.1f}")
    ours = rows[1][1]
    print(f"{'goals':<52}{f'<= {GOAL_SECONDS:g}':>13}{'':>8}{f'<= {GOAL_FIRST:g}':>14}{'':>13}"
          f"{f'<= {GOAL_RSS_MB:g}':>13}")
    print("(CPU s: user + system time of every process of the run's tree, sampled every 50 ms)")
    met = (ours["seconds"] <= GOAL_SECONDS, ours["first"] <= GOAL_FIRST, ours["rss"] <= GOAL_RSS_MB)
    print("met: " + ", ".join(f"{name} {'yes' if ok else 'NO'}" for name, ok in
                              zip(("end to end", "first code", "peak RSS"), met, strict=True)))
    print(f"(both scans stored {rows[0][1]['scanned']:.0f} / {ours['scanned']:.0f} messages, "
          f"{rows[0][1]['codes']:.0f} / {ours['codes']:.0f} codes; load average now "
          f"{os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
