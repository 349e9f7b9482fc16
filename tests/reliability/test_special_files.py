"""A .eml folder holding a FIFO, a link to /dev/zero and a 4 GB sparse file: the scan completes.

Each such file becomes one unreadable message with a note; the good messages' codes are kept.
A real scan job on the real consumer, Redis and SQLite.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from conftest import Figures
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import JobState
from job_kit import final, mbox_account
from mailgen import promo_code, promo_message

pytestmark = [
    pytest.mark.area("special files"),
    pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX"),
]

SPARSE_SIZE = 4 * 1024**3


def folder_with_special_files(root: Path) -> set[str]:
    root.mkdir()
    codes = set()
    for i in range(6):
        (root / f"good-{i}.eml").write_bytes(bytes(promo_message(i)))
        codes.add(promo_code(i))
    os.mkfifo(root / "x.eml")  # no writer ever: opening it for reading used to block for good
    (root / "zero.eml").symlink_to("/dev/zero")  # endless bytes: used to read until MemoryError
    with (root / "huge.eml").open("wb") as handle:  # 4 GB, all holes: used to fail the whole job
        handle.truncate(SPARSE_SIZE)
    return codes


def test_a_folder_with_a_fifo_dev_zero_and_a_sparse_4gb_file_scans_to_completion(
    core: Core, tmp_path: Path, figures: Figures
) -> None:
    folder = tmp_path / "takeout"
    expected = folder_with_special_files(folder)
    account = mbox_account(core, folder)
    core.start_workers(1)
    started = time.monotonic()
    job = final(core, core.control.start_scan(account).id, timeout=120)
    seconds = time.monotonic() - started

    with sqlite3.connect(core.paths.database_file) as db:
        notes = dict(db.execute(
            "SELECT provider_id, error FROM scanned_message WHERE account_id = ? AND error != ''",
            (account,)).fetchall())
    figures.record("job outcome", f"{job.state.name} {job.scanned}/{job.total}", "COMPLETED 9/9")
    figures.record("attempts", job.attempts, "1")
    figures.record("special files recorded unreadable with a note", len(notes), "3")
    figures.record("good messages' codes kept", len({c.code for c in core.queries.codes()}), "6")
    figures.record("scan seconds", round(seconds, 1))

    assert job.state is JobState.COMPLETED, job.error
    assert (job.scanned, job.total, job.attempts) == (9, 9, 1)
    assert {c.code for c in core.queries.codes()} == expected
    assert notes == {
        "file:x.eml": f"{folder / 'x.eml'} is a pipe, not a mail file; skipped.",
        "file:zero.eml": f"{folder / 'zero.eml'} is a device, not a mail file; skipped.",
        "file:huge.eml": "This message is 4096 MB, too large to read.",
    }
