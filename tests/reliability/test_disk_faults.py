"""A full disk mid-scan and a read-only data folder, made real with mounts, not mocks.

We run as root, so chmod cannot stop a write: each test holds a private mount namespace
(``unshare -m``) and runs the real CLI inside it with ``nsenter``. (a) The data dir lives on a
small tmpfs filled with ballast, so SQLite runs out of space mid-scan; deleting the ballast is
"freeing space". (b) The data dir is bind-mounted read-only. The test reads the files through
``/proc/<pid>/root``, which shows the namespace's mounts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import Figures, Scale
from guard_inbox.domain.models import JobState
from mailgen import write_mbox

pytestmark = pytest.mark.area("Disk full / read-only")

MB = 1024 * 1024
DB_NAME = "guard-inbox.sqlite3"
PROMPT_SECONDS = 60  # a full disk is known at once; `scan --wait` must not wait for ever
DISK_FULL = re.compile(r"\b(disk|space)\b", re.IGNORECASE)
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|--- Logging error ---")


@dataclass(frozen=True)
class MountNamespace:
    """A sleeping process that owns a private mount namespace; commands join it with nsenter."""

    pid: int

    def run(self, *argv: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("REDIS_URL", "DATABASE_URL", "GUARD_INBOX_DATA_DIR")}
        return subprocess.run(
            ["nsenter", "-t", str(self.pid), "-m", "--", *argv], env=env, capture_output=True,
            text=True, timeout=timeout, check=False,
        )

    def sh(self, script: str) -> None:
        done = self.run("sh", "-ec", script, timeout=30)
        assert done.returncode == 0, f"{script}: {done.stderr}"

    def guard_inbox(self, data_dir: Path, *args: str, timeout: float = 120.0
                    ) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, "-m", "guard_inbox", "--data-dir", str(data_dir), *args,
                        timeout=timeout)

    def view(self, path: Path) -> Path:
        """The namespace's view of ``path`` (its mounts), from outside."""
        return Path(f"/proc/{self.pid}/root{path}")


@pytest.fixture
def mount_namespace() -> Iterator[MountNamespace]:
    missing = [tool for tool in ("unshare", "nsenter", "mount") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (util-linux) for a private mount namespace")
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs / read-only bind mount in a mount namespace")
    holder = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", "echo ready; exec sleep 600"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None
        if holder.stdout.readline().strip() != "ready":
            holder.wait(timeout=10)
            assert holder.stderr is not None
            pytest.skip(f"unshare --mount is not permitted here: {holder.stderr.read().strip()}")
        namespace = MountNamespace(holder.pid)
        probe = namespace.run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", "/mnt", timeout=10)
        if probe.returncode != 0:
            pytest.skip(f"mounting a tmpfs is not permitted here: {probe.stderr.strip()}")
        yield namespace
    finally:
        holder.kill()
        holder.wait(timeout=10)
        for stream in (holder.stdout, holder.stderr):
            if stream is not None:
                stream.close()


@dataclass(frozen=True)
class DbState:
    integrity: str
    codes: frozenset[str]
    jobs: tuple[tuple[int, str, int, int, str], ...]  # id, state, scanned, codes_found, error


# Run inside the namespace: SQLite resolves /proc/<pid>/root (a symlink) back to our own mounts.
READ_DB = """
import contextlib, json, sqlite3, sys
with contextlib.closing(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=15)) as c:
    print(json.dumps({
        "integrity": "; ".join(r[0] for r in c.execute("PRAGMA integrity_check")),
        "codes": [r[0] for r in c.execute("SELECT code FROM promo_code")],
        "jobs": list(c.execute("SELECT id, state, scanned, codes_found, error FROM scan_job ORDER BY id")),
    }))
"""


def read_db(ns: MountNamespace, database: Path) -> DbState:
    done = ns.run(sys.executable, "-c", READ_DB, str(database), timeout=60)
    assert done.returncode == 0, done.stderr
    raw = json.loads(done.stdout)
    jobs = tuple((int(i), str(st), int(sc), int(f), str(e)) for i, st, sc, f, e in raw["jobs"])
    return DbState(raw["integrity"], frozenset(raw["codes"]), jobs)


def one_paragraph(text: str) -> bool:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return 0 < len(lines) <= 3 and "\n\n" not in text.strip()


@pytest.mark.parametrize(
    ("messages", "headroom_kib"),
    [
        # soak only: the quick suite keeps the harsher case below (make test stays under 3 min)
        pytest.param(1800, 3072, id="fault-in-a-checkpoint", marks=pytest.mark.soak_only),
        pytest.param(1500, 2048, id="no-room-even-for-the-failure"),
    ],
)
def test_disk_full_mid_scan_fails_clearly_keeps_data_and_a_retry_completes(
    mount_namespace: MountNamespace, tmp_path: Path, scale: Scale, figures: Figures,
    messages: int, headroom_kib: int,
) -> None:
    """The ballast leaves ``headroom_kib``: enough to start, not to finish. Whatever the byte the
    disk fills at, the CLI ends promptly with a sentence, the file stays sound, a retry finishes."""
    ns = mount_namespace
    messages = scale.pick(messages, messages * 4)
    label = f"disk full ({headroom_kib} KiB left)"
    mbox = tmp_path / "big.mbox"
    expected = write_mbox(mbox, messages)
    disk = tmp_path / "small-disk"
    disk.mkdir()
    data = disk / "data"
    ns.sh(f"mount -t tmpfs -o size=64m,mode=0700 tmpfs '{disk}'")
    ballast = ns.view(disk / "ballast.bin")
    stat = os.statvfs(ns.view(disk))
    with ballast.open("wb") as handle:
        handle.write(b"\0" * (stat.f_bavail * stat.f_frsize - headroom_kib * 1024))

    try:
        first = ns.guard_inbox(data, "scan", "--mbox", str(mbox), "--wait", timeout=PROMPT_SECONDS)
    except subprocess.TimeoutExpired as hung:  # recorded, then asserted below
        err = hung.stderr.decode(errors="replace") if isinstance(hung.stderr, bytes) else hung.stderr
        first = subprocess.CompletedProcess(hung.cmd, -1, "",
                                            f"(no answer in {PROMPT_SECONDS} s)\n{err or ''}")
    (tmp_path / "first-run.stderr").write_text(first.stderr, encoding="utf-8")
    after_fault = read_db(ns, data / DB_NAME)
    assert after_fault.jobs, first.stderr
    job_id, state, scanned, found, error = after_fault.jobs[-1]
    said = re.findall(rf"^Job {job_id} FAILED: (.+)$", first.stderr, re.MULTILINE)
    tracebacks = len(TRACEBACK.findall(first.stderr))
    figures.record(f"{label}: CLI exit code", first.returncode, "non-zero, within "
                   f"{PROMPT_SECONDS} s")
    figures.record(f"{label}: CLI said", said[-1] if said else first.stderr.strip()[-200:])
    figures.record(f"{label}: job row after the fault", f"{state} at {scanned}/{messages}: {error}")
    figures.record(f"{label}: integrity_check after the fault", after_fault.integrity, "ok")
    figures.record(f"{label}: codes kept from before the fault", len(after_fault.codes))
    figures.record(f"{label}: tracebacks printed by the CLI", tracebacks, "0")

    # Not a byte left: reading commands must still work, without a traceback per log line.
    topped_up = ns.view(disk / "ballast-2.bin")
    with topped_up.open("wb") as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 65536)
            handle.flush()
    on_full_disk = ns.guard_inbox(data, "jobs")
    full_tracebacks = len(TRACEBACK.findall(on_full_disk.stderr))
    figures.record(f"{label}: `jobs` on a full disk",
                   f"exit {on_full_disk.returncode}, {full_tracebacks} tracebacks", "exit 0, 0")

    ballast.unlink()  # the user frees some space
    topped_up.unlink()
    retry = ns.guard_inbox(data, "scan", "--mbox", str(mbox), "--wait", timeout=300)
    after_retry = read_db(ns, data / DB_NAME)
    figures.record(f"{label}: retry after freeing space",
                   f"exit {retry.returncode}, {len(after_retry.codes)}/{len(expected)} codes",
                   f"exit 0, {len(expected)}/{len(expected)}")
    figures.record(f"{label}: integrity_check after the retry", after_retry.integrity, "ok")

    assert after_fault.integrity == "ok"
    assert 0 < len(after_fault.codes) < messages, "the fault must come mid-scan (adjust the headroom)"
    assert after_fault.codes <= expected
    assert len(after_fault.codes) >= found, "every checkpointed code is still there"
    assert first.returncode not in (0, -1), f"`scan --wait` must end, and not with success:\n" \
        f"{first.stderr[-2000:]}"
    assert said and DISK_FULL.search(said[-1]), (
        f"the CLI should say the disk is full; it says: {said or first.stderr[-500:]!r}")
    if JobState(state).is_final:  # when the disk took the final state, it is the same sentence
        assert state == "FAILED" and DISK_FULL.search(error), after_fault.jobs
    assert tracebacks == 0, first.stderr[-3000:]
    assert on_full_disk.returncode == 0, on_full_disk.stderr[-3000:]
    assert full_tracebacks == 0, on_full_disk.stderr[-3000:]

    assert retry.returncode == 0, retry.stderr[-3000:]
    assert "COMPLETED" in retry.stdout
    assert after_retry.integrity == "ok"
    assert after_retry.codes == expected
    assert after_retry.jobs[-1][1] == "COMPLETED"


def test_read_only_data_dir_gives_one_clear_paragraph_and_changes_nothing(
    mount_namespace: MountNamespace, tmp_path: Path, figures: Figures
) -> None:
    ns = mount_namespace
    mbox = tmp_path / "mail.mbox"
    expected = write_mbox(mbox, 40)
    data = tmp_path / "data"
    seeded = ns.guard_inbox(data, "scan", "--mbox", str(mbox), "--wait")
    assert seeded.returncode == 0, seeded.stderr
    database = data / DB_NAME
    before = read_db(ns, database)
    assert before.codes == expected
    digest = hashlib.sha256(database.read_bytes()).hexdigest()
    listing = sorted(p.relative_to(data).as_posix() for p in data.rglob("*"))

    ns.sh(f"mount --bind '{data}' '{data}' && mount -o remount,bind,ro '{data}'")
    more = tmp_path / "more.mbox"
    write_mbox(more, 5, start=1000)
    results = {
        "codes": ns.guard_inbox(data, "codes"),
        "jobs": ns.guard_inbox(data, "jobs"),
        "export": ns.guard_inbox(data, "export", str(tmp_path / "out.csv")),
        "scan": ns.guard_inbox(data, "scan", "--mbox", str(more), "--wait"),
    }
    for name, done in results.items():
        figures.record(f"read-only: `{name}` exit {done.returncode}", done.stderr.strip()[:300])

    after = read_db(ns, database)
    figures.record("read-only: integrity_check after", after.integrity, "ok")
    assert after.integrity == "ok"
    assert after == before
    assert hashlib.sha256(ns.view(database).read_bytes()).hexdigest() == digest
    assert sorted(p.relative_to(data).as_posix() for p in data.rglob("*")) == listing
    for name, done in results.items():
        message = done.stderr.strip()
        assert done.returncode != 0, f"{name} claimed success on a read-only data dir"
        assert not TRACEBACK.search(message), f"{name} printed a traceback:\n{message}"
        assert one_paragraph(message), f"{name} should print one short paragraph:\n{message}"
        assert re.search(r"read-only", message, re.IGNORECASE), message
        assert str(data) in message, f"{name} should name the folder: {message}"
