"""Writes the README's screenshots to docs/screenshots/ (offscreen; real app, demo data).

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from PySide6.QtCore import QCoreApplication  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from guard_inbox.autostart import XdgAutostart, launch_command  # noqa: E402
from guard_inbox.bootstrap import start_app  # noqa: E402
from guard_inbox.bootstrap.app_api import BackgroundStart, CoreApi  # noqa: E402
from guard_inbox.bootstrap.core import Core  # noqa: E402
from guard_inbox.domain.models import AccountKind, JobState  # noqa: E402
from guard_inbox.extraction.pipeline import ExtractionPipeline  # noqa: E402
from guard_inbox.paths import AppPaths  # noqa: E402
from guard_inbox.services.messages import load_source_message  # noqa: E402
from guard_inbox.services.sources import LocalSourceFactory  # noqa: E402
from guard_inbox.settings import Settings  # noqa: E402
from guard_inbox.ui.dialogs.source_viewer import SourceViewer  # noqa: E402
from guard_inbox.ui.main_window import JOBS_TAB, MainWindow  # noqa: E402
from mailgen import write_mbox  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def pump(until: object = None, timeout: float = 30.0) -> None:
    """Run the event loop until ``until()`` holds (or just for ``timeout`` when None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        QCoreApplication.processEvents()
        if callable(until) and until():
            return
        time.sleep(0.01)
    if until is not None:
        raise TimeoutError("the window never got there")


def save(widget: QWidget, name: str) -> None:
    pump(None, 0.3)
    widget.grab().save(str(OUT / f"{name}.png"))
    print(f"wrote docs/screenshots/{name}.png")


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    with tempfile.TemporaryDirectory(prefix="gi-shots-") as tmp:
        paths = AppPaths(Path(tmp) / "data").ensure()
        core = Core(paths, Settings(paths.settings_file, env={}), LocalSourceFactory(),
                    ExtractionPipeline())
        core.open_database()
        api = CoreApi(core, start=BackgroundStart(lambda: start_app(core)))
        window = MainWindow(api, core.settings, Path(tmp) / "window.ini")
        window.resize(1200, 720)
        window.show()
        window.start_background()
        pump(window.scan_action.isEnabled)
        window.try_demo()
        pump(lambda: window.codes.model.total > 10 and not window.codes.model.loading)
        window.codes.table.selectRow(1)
        save(window, "codes")
        window.tabs.setCurrentWidget(window.overview)
        pump(lambda: window.overview.overview is not None and not window.overview.loading)
        save(window, "overview")

        big = Path(tmp) / "archive.mbox"
        write_mbox(big, 20000)
        account = core.repository.add_account(AccountKind.MBOX, str(big), "Takeout archive")
        window.tabs.setCurrentIndex(JOBS_TAB)
        window._scan([account.id], 100, "manual")
        model = window.jobs_model

        def mid_scan() -> bool:
            row = model.job_at(0)
            return row is not None and row.state is JobState.IN_PROGRESS and row.scanned > 2000

        pump(mid_scan, 60)
        window.jobs.table.selectRow(0)
        save(window, "jobs-mid-scan")
        diagnostics = window.open_settings("Diagnostics")
        queue = diagnostics.diagnostics.queue  # type: ignore[union-attr]
        pump(lambda: queue.values["completed"].text() not in ("–", ""), 10)
        save(diagnostics, "diagnostics")
        diagnostics.reject()
        window.cancel_job(model.job_at(0).id)

        code = next(c for c in core.queries.codes() if c.subject)
        viewer = SourceViewer(load_source_message(core.repository, core.sources, code), code.code)
        viewer.resize(820, 640)
        viewer.show()
        save(viewer, "source-email")
        viewer.close()
        window.autostart = XdgAutostart(Path(tmp) / "config", launch_command())  # not yours
        dialog = window.open_settings("General")
        save(dialog, "settings")
        dialog.reject()
        window.shutdown()
        core.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
