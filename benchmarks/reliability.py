"""Reliability figures: runs tests/reliability and prints what each scenario measured.

    python benchmarks/reliability.py          # the quick suite (as in make test)
    python benchmarks/reliability.py --soak   # the full one (make soak): 20 kill -9 trials,
                                              # 1,000 fuzzed messages, ...

The tests assert their targets; this prints every figure they recorded in one table, then
pytest's verdict. Exit status is pytest's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    soak = "--soak" in argv
    extra = [a for a in argv if a != "--soak"]
    with tempfile.TemporaryDirectory(prefix="gi-reliability-") as tmp:
        report = Path(tmp) / "figures.jsonl"
        env = {**os.environ, "GI_RELIABILITY_REPORT": str(report)}
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        command = [sys.executable, "-m", "pytest", "tests/reliability", "-q", "-p", "no:cacheprovider",
                   "-o", "timeout=1800", *(["--soak"] if soak else []), *extra]
        started = time.monotonic()
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - started
        rows = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()] \
            if report.exists() else []
    print(f"Reliability ({'full' if soak else 'quick'} suite, {seconds:.0f} s)")
    print(f"{'area':<18}{'measure':<58}{'value':>14}  target")
    for row in rows:
        value = row["value"]
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"{row['area']:<18}{row['measure']:<58}{shown:>14}  {row['target']}")
    verdict = [line for line in result.stdout.splitlines() if line.strip()][-1:] or ["(no output)"]
    print(f"pytest: {verdict[0]}")
    if result.returncode != 0:
        print(result.stdout[-6000:], result.stderr[-3000:], sep="\n")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
