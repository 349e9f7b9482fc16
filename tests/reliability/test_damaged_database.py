"""A damaged database file: one sentence and a non-zero exit, never a traceback; the app asks
before it moves the file aside, and the file is never changed without that yes."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from conftest import Figures
from guard_inbox.bootstrap import database_or_fresh_start
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind, FoundCode, MailMessage
from guard_inbox.ui.dialogs.damaged_database import damaged_database_box

pytestmark = pytest.mark.area("damaged database")

PAGE = 4096


def _random_bytes(data: bytes) -> bytes:
    return random.Random(7).randbytes(len(data))


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2 + 123]


def _zeroed_pages(data: bytes) -> bytes:
    return data[: 3 * PAGE] + bytes(5 * PAGE) + data[8 * PAGE:]


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "random bytes": _random_bytes, "truncated": _truncated, "zeroed pages": _zeroed_pages,
}


def damaged_data_dir(make_core: Callable[..., Core], kind: str) -> Path:
    """A data dir whose database held 2,000 codes, then was damaged as ``kind`` says."""
    core = make_core()
    account = core.repository.add_account(AccountKind.MBOX, "/mail/box.mbox", "box")
    job = core.job_repository.create(account.id, 1, "manual")
    core.repository.record_scan_results(account.id, job.id, [
        (MailMessage(provider_id=f"<m{i}@shop.example>", subject="Sale " * 20),
         [FoundCode(f"CODE{i:05d}", "Shop")]) for i in range(2000)
    ])
    database_file = core.paths.database_file
    core.close()
    wal = Path(f"{database_file}-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # everything checkpointed into the one file
    database_file.write_bytes(DAMAGE[kind](database_file.read_bytes()))
    return core.paths.data_dir


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_every_command_says_which_file_is_damaged_in_one_sentence(
    make_core: Callable[..., Core], kind: str, figures: Figures
) -> None:
    data = damaged_data_dir(make_core, kind)
    database_file = data / "guard-inbox.sqlite3"
    before = digest(database_file)
    outcomes = []
    for command in (["codes"], ["jobs", "--json"], ["stats"], ["export", str(data / "out.csv")],
                    ["scan", "--eml-dir", str(data)]):
        done = subprocess.run([sys.executable, "-m", "guard_inbox", "--data-dir", str(data), *command],
                              capture_output=True, text=True, timeout=60,
                              env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"})
        lines = done.stderr.strip().splitlines()
        outcomes.append((command[0], done.returncode, lines))
    figures.record(f"{kind}: commands ending in one sentence, exit 1",
                   sum(1 for _, rc, lines in outcomes if rc == 1 and len(lines) == 1), "5 of 5")
    figures.record(f"{kind}: database file changed", digest(database_file) != before, "False")
    for command, returncode, lines in outcomes:
        assert returncode == 1, (command, lines)
        assert len(lines) == 1 and "Traceback" not in lines[0], (command, lines)
        assert str(database_file) in lines[0] and "is damaged" in lines[0], (command, lines)
    assert digest(database_file) == before


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_the_app_asks_then_moves_the_file_aside_and_starts_afresh(
    make_core: Callable[..., Core], kind: str, figures: Figures
) -> None:
    data = damaged_data_dir(make_core, kind)
    database_file = data / "guard-inbox.sqlite3"
    before = digest(database_file)
    questions: list[str] = []

    declined = make_core(stages="none")
    assert not database_or_fresh_start(declined, lambda m: questions.append(m) or False)
    assert digest(database_file) == before  # "Quit" leaves it exactly as it was

    accepted = make_core(stages="none")
    assert database_or_fresh_start(accepted, lambda m: questions.append(m) or True)
    (moved,) = data.glob("guard-inbox.sqlite3.damaged-*")
    figures.record(f"{kind}: kept byte for byte beside the new database", digest(moved) == before, "True")
    assert digest(moved) == before
    assert accepted.queries.code_count() == 0  # a fresh, working database
    assert str(database_file) in questions[0] and len(questions) == 2


def test_the_dialog_offers_start_afresh_and_quit(qtbot: QtBot) -> None:
    box, start = damaged_database_box("The database file /x is damaged (file is not a database).")
    qtbot.addWidget(box)
    buttons = {b.text(): b for b in box.buttons()}
    assert set(buttons) == {"Move It Aside and Start Afresh", "Quit"}
    assert box.defaultButton() is start
    QTimer.singleShot(0, buttons["Quit"].click)
    box.exec()
    assert box.clickedButton() is not start
    QTimer.singleShot(0, start.click)
    box.exec()
    assert box.clickedButton() is start
