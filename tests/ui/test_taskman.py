"""TaskManager: results come back on the main thread; None results are safe in bulk."""

from __future__ import annotations

import sys
import threading

from pytestqt.qtbot import QtBot

from guard_inbox.ui.taskman import TaskManager


def test_results_and_errors_arrive_on_the_main_thread(qtbot: QtBot) -> None:
    tasks = TaskManager()
    main = threading.get_ident()
    seen: list[tuple[object, int]] = []
    tasks.run(threading.get_ident, lambda r: seen.append((r != main, threading.get_ident())))
    errors: list[Exception] = []
    tasks.run(lambda: 1 / 0, None, errors.append)
    qtbot.waitUntil(lambda: bool(seen) and bool(errors))
    assert seen == [(True, main)]  # ran elsewhere, answered here
    assert isinstance(errors[0], ZeroDivisionError)


def test_thousands_of_none_results_do_not_corrupt_none(qtbot: QtBot) -> None:
    """Regression: bare None through a cross-thread Signal(object) over-released it (abort)."""
    tasks = TaskManager()
    before = sys.getrefcount(None)
    done: list[object] = []
    for _ in range(3000):
        tasks.run(lambda: None, done.append)
    qtbot.waitUntil(lambda: len(done) == 3000, timeout=30000)
    assert done == [None] * 3000
    assert sys.getrefcount(None) >= before - 100  # the bug cost one reference per emit
