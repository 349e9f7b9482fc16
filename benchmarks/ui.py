"""UI responsiveness: main-thread stalls during a scan, first paint with 100,000 codes, memory.

A 10 ms QTimer on the main thread records how late each tick fires. The same timer runs for
the same time with the app idle first (the baseline: what offscreen Qt itself costs), then
during a 1,000-message scan shown live in the main window.

    QT_QPA_PLATFORM=offscreen python benchmarks/ui.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)  # this folder's queue.py would shadow the standard library's queue
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from guard_inbox.bootstrap import start_app  # noqa: E402
from guard_inbox.bootstrap.app_api import BackgroundStart, CoreApi  # noqa: E402
from guard_inbox.bootstrap.core import Core  # noqa: E402
from guard_inbox.domain.models import AccountKind, FoundCode, JobState, MailMessage  # noqa: E402
from guard_inbox.extraction.pipeline import ExtractionPipeline  # noqa: E402
from guard_inbox.paths import AppPaths  # noqa: E402
from guard_inbox.services.sources import LocalSourceFactory  # noqa: E402
from guard_inbox.settings import Settings  # noqa: E402
from guard_inbox.ui.app import prefer_the_main_thread  # noqa: E402
from guard_inbox.ui.main_window import MainWindow  # noqa: E402
from guard_inbox.ui.taskman import TaskManager  # noqa: E402
from guard_inbox.ui.views.codes_view import CodesView  # noqa: E402
from mailgen import write_mbox  # noqa: E402

TICK_MS = 10


class StallMeter:
    """Worst lateness of a 10 ms timer on the main thread."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.worst = 0.0
        self.ticks = 0

    def start(self) -> None:
        self.worst, self.ticks = 0.0, 0
        self.clock.start()
        self.timer.start()

    def _tick(self) -> None:
        late = self.clock.restart() - TICK_MS
        self.ticks += 1
        self.worst = max(self.worst, float(late))

    def stop(self) -> float:
        self.timer.stop()
        return self.worst


def pump(until: object = None, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        QCoreApplication.processEvents()
        if callable(until) and until():
            return
        time.sleep(0.001)
    if until is not None:
        raise TimeoutError


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def fill_codes(core: Core, count: int) -> None:
    repo = core.repository
    account = repo.add_account(AccountKind.MBOX, "/bench/100k.mbox", "bench")
    job = core.job_repository.create(account.id, 100, "manual")
    core.job_repository.finish(job.id, JobState.COMPLETED)  # nothing for workers to pick up
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for base in range(0, count, 2000):
        batch = [
            (MailMessage(provider_id=f"m{i}", subject=f"Offer {i}", sender="Shop <s@shop.example>",
                         date=start + timedelta(minutes=i)),
             [FoundCode(f"CODE{i:06d}", f"Shop {i % 500}", f"{i % 60}% off",
                        expires=start + timedelta(days=400 + i % 90))])
            for i in range(base, min(base + 2000, count))
        ]
        repo.record_scan_results(account.id, job.id, batch)


def main() -> int:
    app = QApplication(sys.argv[:1])
    prefer_the_main_thread()  # as run_gui does
    with tempfile.TemporaryDirectory(prefix="gi-ui-bench-") as tmp:
        paths = AppPaths(Path(tmp) / "data").ensure()
        core = Core(paths, Settings(paths.settings_file, env={}), LocalSourceFactory(),
                    ExtractionPipeline())
        core.open_database()
        fill_codes(core, 100_000)  # before any worker runs: a bulk load is not what we measure
        api = CoreApi(core, start=BackgroundStart(lambda: start_app(core)))
        window = MainWindow(api, core.settings, Path(tmp) / "w.ini")
        window.show()
        window.start_background()
        pump(window.scan_action.isEnabled)
        mbox = Path(tmp) / "1000.mbox"
        write_mbox(mbox, 1000)
        account = core.repository.add_account(AccountKind.MBOX, str(mbox), "1000.mbox")

        meter = StallMeter()
        started = time.perf_counter()
        window._scan([account.id], 100, "manual")
        meter.start()
        def scanned() -> bool:
            model = window.jobs_model
            jobs = [model.job_at(r) for r in range(model.rowCount())]
            return any(j is not None and j.account_id == account.id
                       and j.state is JobState.COMPLETED for j in jobs)

        pump(scanned)
        scan_worst = meter.stop()
        scan_seconds = time.perf_counter() - started
        meter.start()
        pump(None, scan_seconds)
        idle_worst = meter.stop()

        scan_ticks = meter.ticks
        window.shutdown()  # measure the codes view alone, not competing with the window's own
        window.hide()
        core.close()
        core = Core(paths, Settings(paths.settings_file, env={}), LocalSourceFactory(),
                    ExtractionPipeline())
        core.open_database()
        tasks = TaskManager()
        before = rss_mb()
        started = time.perf_counter()
        view = CodesView(core.queries, tasks, CoreApi(core).mark_used)
        view.resize(1000, 700)
        view.show()
        view.refresh()
        pump(lambda: view.model.total >= 100_000 and view.model.is_loaded(0), 60)
        view.table.viewport().repaint()
        first_paint = time.perf_counter() - started
        after = rss_mb()
        view.close()
        core.close()
    del app
    print(f"{'measure':<58}{'value':>10}{'target':>10}")
    print(f"{'baseline: worst 10 ms-timer lateness, app idle (ms)':<58}{idle_worst:>10.1f}")
    print(f"{'worst 10 ms-timer lateness during a 1,000-message scan (ms)':<58}"
          f"{scan_worst:>10.1f}{'< 50':>10}")
    print(f"{'scan wall time (s), timer ticks seen':<58}{scan_seconds:>10.2f}{scan_ticks:>10}")
    print(f"{'codes view, 100,000 codes: time to first paint (s)':<58}{first_paint:>10.3f}{'< 1':>10}")
    print(f"{'RSS after loading it (MB)':<58}{after:>10.1f}")
    print(f"{'RSS growth from opening the codes view (MB)':<58}{after - before:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
