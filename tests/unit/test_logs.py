"""Reading the log back: last lines cheaply, and following it across a rotation."""

from __future__ import annotations

import threading
from pathlib import Path

from guard_inbox.logs import follow, last_lines


def test_last_lines_reads_only_the_end(tmp_path: Path) -> None:
    log_file = tmp_path / "guard-inbox.log"
    log_file.write_text("".join(f"line {i} " + "x" * 90 + "\n" for i in range(5000)), encoding="utf-8")
    tail = last_lines(log_file, 3)
    assert [line.split()[1] for line in tail] == ["4997", "4998", "4999"]
    assert len(last_lines(log_file, 10_000)) == 5000
    assert last_lines(tmp_path / "missing.log", 5) == []
    assert last_lines(log_file, 0) == []


def test_follow_prints_new_lines_and_survives_rotation(tmp_path: Path) -> None:
    log_file = tmp_path / "guard-inbox.log"
    log_file.write_text("old\n", encoding="utf-8")
    seen: list[str] = []
    got = threading.Condition()

    def write(line: str) -> None:
        with got:
            seen.append(line)
            got.notify_all()

    def wait_for(count: int) -> None:
        with got:
            assert got.wait_for(lambda: len(seen) >= count, timeout=10), seen

    stop = threading.Event()
    thread = threading.Thread(target=follow, args=(log_file, write, stop, 0.02, len("old\n")))
    thread.start()
    try:
        with log_file.open("a", encoding="utf-8") as handle:
            handle.write("first\n")
        wait_for(1)
        log_file.rename(tmp_path / "guard-inbox.log.1")  # what RotatingFileHandler does
        log_file.write_text("after rotation\n", encoding="utf-8")
        wait_for(2)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert seen == ["first\n", "after rotation\n"]  # "old" came before start_at
    assert not thread.is_alive()
