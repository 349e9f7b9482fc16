"""Start-up benchmark: wall time of the quick CLI commands, as a user runs them (issue 11).

A temp data dir gets 1,000 codes (a generated mbox scanned with `guard-inbox scan --wait`), then
each command runs --runs times in a fresh process, the commands taking turns so a busy moment
of the machine falls on all of them alike, after one untimed round. Baseline in the same run:
`python -c pass`, the interpreter's own start-up, which no command can beat.

Timed as a user's second launch: with bytecode cached (in a temp PYTHONPYCACHEPREFIX, even when
PYTHONDONTWRITEBYTECODE is set, which would make every run compile every module again).
REDIS_URL is ignored: `stats` starts (and stops) the data dir's embedded redis-server, as it
does on a desktop.

    python benchmarks/startup.py [--runs 5] [--codes 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This folder holds queue.py, which would shadow the standard library's queue module.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from mailgen import write_mbox  # noqa: E402

QUICK, READING = 0.3, 0.6  # seconds: the targets of issue 11 (median on a 2-core machine)


def guard_inbox() -> list[str]:
    """The installed console script, as a user types it; `python -m guard_inbox` without one."""
    script = shutil.which("guard-inbox", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "guard_inbox"]


def seconds(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    took = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return took


def seed(app: list[str], data: Path, folder: Path, codes: int, env: dict[str, str]) -> None:
    mbox = folder / "takeout.mbox"
    expected = write_mbox(mbox, codes)
    subprocess.run([*app, "--data-dir", str(data), "scan", "--mbox", str(mbox), "--wait"],
                   env=env, capture_output=True, text=True, timeout=600, check=True)
    listed = subprocess.run([*app, "--data-dir", str(data), "codes", "--json"],
                            env=env, capture_output=True, text=True, timeout=120, check=True)
    stored = {c["code"] for c in json.loads(listed.stdout)}
    if stored != expected:
        raise SystemExit(f"the seeding scan stored {len(stored)} codes, expected {len(expected)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--codes", type=int, default=1000)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in (
        "REDIS_URL", "DATABASE_URL", "GUARD_INBOX_DATA_DIR", "PYTHONDONTWRITEBYTECODE")}
    app = guard_inbox()
    with tempfile.TemporaryDirectory(prefix="gi-bench-") as tmp:
        folder = Path(tmp)
        data = folder / "data"
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        seed(app, data, folder, args.codes, env)
        on_data = [*app, "--data-dir", str(data)]
        commands: list[tuple[str, list[str], float | None]] = [
            ("baseline: python -c pass", [sys.executable, "-c", "pass"], None),
            ("guard-inbox --version", [*app, "--version"], QUICK),
            ("guard-inbox --help", [*app, "--help"], QUICK),
            ("guard-inbox codes", [*on_data, "codes"], READING),
            ("guard-inbox jobs", [*on_data, "jobs"], READING),
            ("guard-inbox stats", [*on_data, "stats"], READING),
            ("guard-inbox export FILE", [*on_data, "export", str(folder / "codes.csv")], READING),
        ]
        times: dict[str, list[float]] = {name: [] for name, _, _ in commands}
        for _ in range(args.runs + 1):  # in turns, so load from elsewhere is shared out evenly
            for name, command, _ in commands:
                times[name].append(seconds(command, env))
        warm = {name: took[1:] for name, took in times.items()}  # the first round fills caches

    print(f"CLI start-up, {args.codes:,} codes stored, {args.runs} runs each, bytecode cached, "
          f"{os.cpu_count()} CPUs ({app[-1]})")
    print(f"{'command':<28}{'median s':>10}{'max s':>10}{'target s':>10}  met")
    missed = 0
    for name, _, target in commands:
        median, worst = statistics.median(warm[name]), max(warm[name])
        verdict = "" if target is None else ("yes" if median <= target else "NO")
        missed += verdict == "NO"
        shown = "-" if target is None else f"{target:.1f}"
        print(f"{name:<28}{median:>10.3f}{worst:>10.3f}{shown:>10}  {verdict}")
    print("all targets met" if not missed else f"{missed} target(s) missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
