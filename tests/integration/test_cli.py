"""The CLI end to end, as a user runs it: separate processes, fresh data dir, nothing else running."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from mailgen import write_mbox


def cli(data_dir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "DATABASE_URL", "GUARD_INBOX_DATA_DIR")}
    return subprocess.run(
        [sys.executable, "-m", "guard_inbox", "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, timeout=timeout, env=env,
    )


def test_scan_wait_on_a_fresh_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    mbox = tmp_path / "takeout.mbox"
    expected = write_mbox(mbox, 120, every_nth_without_code=4)

    first = cli(data, "scan", "--mbox", str(mbox), "--wait")
    assert first.returncode == 0, first.stderr
    assert "COMPLETED" in first.stdout
    assert "IN_PROGRESS" in first.stderr  # progress was followed live

    jobs = json.loads(cli(data, "jobs", "--json").stdout)
    assert [j["state"] for j in jobs] == ["COMPLETED"]
    assert jobs[0]["codes_found"] == len(expected)

    export = tmp_path / "codes.csv"
    assert cli(data, "export", str(export)).returncode == 0
    with export.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["code"] for r in rows} == expected
    assert all(r["merchant"] and r["subject"] and r["message id"] for r in rows)

    second = cli(data, "scan", "--mbox", str(mbox), "--wait")
    assert second.returncode == 0, second.stderr
    jobs = json.loads(cli(data, "jobs", "--json").stdout)
    assert [j["codes_new"] for j in jobs] == [0, len(expected)]
    assert len(json.loads(cli(data, "codes", "--json").stdout)) == len(expected)

    stats = json.loads(cli(data, "stats", "--json").stdout)
    assert stats["completed"] == 2
    assert stats["failed"] == stats["waiting"] == stats["active"] == 0


def test_scan_wait_exits_non_zero_with_the_jobs_reason(tmp_path: Path) -> None:
    not_mail = tmp_path / "photo.jpg"
    not_mail.write_bytes(b"\xff\xd8\xff\xe0 not a mailbox")
    result = cli(tmp_path / "data", "scan", "--mbox", str(not_mail), "--wait")
    assert result.returncode != 0
    assert "is not an mbox file" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_account_is_one_clear_line(tmp_path: Path) -> None:
    result = cli(tmp_path / "data", "scan", "--account", "nobody@example.com", "--wait")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "nobody@example.com" in result.stderr


def test_extract_prints_one_json_object_per_file(tmp_path: Path) -> None:
    eml = tmp_path / "offer.eml"
    eml.write_text(
        "From: Acme Outdoor <news@acme.example>\nSubject: 20% off tents\n"
        "Content-Type: text/plain; charset=utf-8\n\nUse code TENT20 at checkout for 20% off.\n"
    )
    plain = tmp_path / "receipt.eml"
    plain.write_text("From: shop@acme.example\nSubject: Your receipt\n\nOrder 123-4567 shipped.\n")
    result = cli(tmp_path / "data", "extract", "--json", str(eml), str(plain))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(o["file"]).name for o in lines] == ["offer.eml", "receipt.eml"]
    assert [c["code"] for c in lines[0]["codes"]] == ["TENT20"]
    assert set(lines[0]["codes"][0]) >= {"code", "merchant", "discount", "expires", "source"}
    assert lines[1]["codes"] == []


def test_logs_prints_the_path_and_the_job_lines(tmp_path: Path) -> None:
    data = tmp_path / "data"
    mbox = tmp_path / "m.mbox"
    write_mbox(mbox, 30)
    assert cli(data, "scan", "--mbox", str(mbox), "--wait").returncode == 0

    where = cli(data, "logs")
    assert where.returncode == 0
    log_file = Path(where.stdout.strip())
    assert log_file.is_file() and log_file.is_relative_to(data)

    tail = cli(data, "logs", "-n", "400")
    assert tail.returncode == 0
    lines = tail.stdout.splitlines()
    assert 0 < len(lines) <= 400
    assert any("Job 1 queued" in line for line in lines)
    assert any("Job 1 processing" in line for line in lines)
    assert any("Job 1 completed" in line and "30 messages" in line for line in lines), lines
    assert cli(data, "logs", "-n", "1").stdout.splitlines() == lines[-1:]
