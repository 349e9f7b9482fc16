"""Writes the README's screenshots to docs/screenshots/ (offscreen; real app, demo data).

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py

A user's order: the first-run window, Connect Gmail, the codes, the overview, a scan, the
accounts' menu and Settings. Locale, window sizes and the scratch folder are fixed, so a rerun
changes only what depends on today (relative dates, times of day) and how far the big scan got.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from PySide6.QtCore import QCoreApplication, QLocale, QPoint, Qt  # noqa: E402
from PySide6.QtGui import QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication, QMenu, QWidget  # noqa: E402

from guard_inbox.autostart import XdgAutostart, launch_command  # noqa: E402
from guard_inbox.bootstrap import start_app  # noqa: E402
from guard_inbox.bootstrap.app_api import BackgroundStart, CoreApi  # noqa: E402
from guard_inbox.bootstrap.core import Core  # noqa: E402
from guard_inbox.domain.models import AccountKind, JobState, Priority  # noqa: E402
from guard_inbox.extraction.pipeline import ExtractionPipeline  # noqa: E402
from guard_inbox.paths import AppPaths  # noqa: E402
from guard_inbox.services.messages import load_source_message  # noqa: E402
from guard_inbox.services.sources import LocalSourceFactory  # noqa: E402
from guard_inbox.settings import Settings  # noqa: E402
from guard_inbox.ui.dialogs.connect_gmail import ConnectGmailDialog  # noqa: E402
from guard_inbox.ui.dialogs.settings_accounts_page import AccountsPage  # noqa: E402
from guard_inbox.ui.dialogs.source_viewer import SourceViewer  # noqa: E402
from guard_inbox.ui.main_window import JOBS_TAB, MainWindow  # noqa: E402
from guard_inbox.ui.models.codes_model import USED  # noqa: E402
from mailgen import write_mbox  # type: ignore[import-not-found]  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
# One fixed, short scratch folder (Redis puts its socket in it): the Diagnostics page shows this
# path rather than a random one, and nothing from the home folder appears anywhere.
SCRATCH = Path(tempfile.gettempdir()) / "guard-inbox-shots"
WINDOW = (1200, 720)


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


def save_with_menu(window: QWidget, menu: QMenu, name: str) -> None:
    """A popup is a window of its own, which a grab of the main window leaves out: paint the
    menu's own grab where it opened, as the screen shows the two together."""
    pump(menu.isVisible, 5)
    pump(None, 0.3)
    picture = window.grab()
    painter = QPainter(picture)
    painter.drawPixmap(window.mapFromGlobal(menu.pos()), menu.grab())
    painter.end()
    picture.save(str(OUT / f"{name}.png"))
    print(f"wrote docs/screenshots/{name}.png")


def first_job_state(window: MainWindow) -> JobState | None:
    job = window.jobs_model.job_at(0)
    return None if job is None else job.state


def tick_used(window: MainWindow, rows: tuple[int, ...]) -> None:
    """Ticks the Used box of these rows, as a click on it does (the model asks, the view
    writes), and waits until the list shows them ticked."""
    model = window.codes.model
    for row in rows:  # one after the other: the status bar names the last one
        model.setData(model.index(row, USED), Qt.CheckState.Checked.value,
                      Qt.ItemDataRole.CheckStateRole)

        def ticked(row: int = row) -> bool:
            code = model.code_at(row)
            return code is not None and code.used and not model.loading

        pump(ticked, 15)
    last = model.code_at(rows[-1])
    assert last is not None  # the status bar says the last one, whichever write ends last
    pump(lambda: last.code in window.statusBar().currentMessage(), 10)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    shutil.rmtree(SCRATCH, ignore_errors=True)
    SCRATCH.mkdir()
    try:
        shoot(SCRATCH)
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)
    app.quit()
    return 0


def shoot(tmp: Path) -> None:
    paths = AppPaths(tmp / "data").ensure()
    core = Core(paths, Settings(paths.settings_file, env={}), LocalSourceFactory(),
                ExtractionPipeline())
    core.open_database()
    api = CoreApi(core, start=BackgroundStart(lambda: start_app(core)))
    window = MainWindow(api, core.settings, tmp / "window.ini")
    window.resize(*WINDOW)
    window.show()
    window.start_background()
    pump(window.scan_action.isEnabled)

    # First run: no account yet, the welcome view; then its Connect Gmail (no client file).
    pump(lambda: window.pages.currentWidget() is window.welcome, 10)
    window.statusBar().clearMessage()
    save(window, "welcome")
    window.welcome.gmail_button.click()
    gmail = window.account_actions.gmail_dialog
    assert isinstance(gmail, ConnectGmailDialog) and gmail.client_file is None
    pump(lambda: gmail.isVisible() and gmail.steps.isVisible(), 5)
    save(gmail, "connect-gmail")
    gmail.reject()

    # The demo mailbox, two codes ticked used: the list a shopper works from.
    window.welcome.demo_button.click()
    pump(lambda: window.codes.model.total > 10 and not window.codes.model.loading)
    pump(lambda: first_job_state(window) is JobState.COMPLETED)
    tick_used(window, (2, 5))
    window.codes.table.selectRow(1)
    pump(window.status_line.workers.isHidden, 10)  # "Scanning 1 mailbox" is done
    save(window, "codes")
    window.tabs.setCurrentWidget(window.overview)
    pump(lambda: window.overview.overview is not None and not window.overview.loading)
    save(window, "overview")

    # A second mailbox, added as a dropped or chosen file is, and scanned to the end.
    window.tabs.setCurrentWidget(window.codes)
    promotions = tmp / "Promotions.mbox"
    write_mbox(promotions, 300, start=20000)
    window.account_actions.add_paths([promotions])
    pump(lambda: [a.code_count for a in window.accounts.accounts()] == [28, 300], 60)

    # An account's own actions: its context menu in the sidebar.
    panel = window.accounts
    pump(lambda: panel.list.count() == 2, 10)
    item = panel.list.item(0)  # the demo: its codes stay in the list beside the menu
    panel.list.setCurrentItem(item)
    codes = window.codes
    pump(lambda: codes.model.query.account_id is not None and not codes.model.loading, 10)
    pump(None, 0.3)
    codes.table.clearSelection()
    # Opened from the row's right end, the menu covers the codes list, not the other account.
    spot = panel.list.visualItemRect(item).bottomRight() + QPoint(-12, -6)
    window.statusBar().clearMessage()
    panel.list.customContextMenuRequested.emit(spot)
    pump(lambda: bool([m for m in panel.findChildren(QMenu) if m.isVisible()]), 5)
    menus = [m for m in panel.findChildren(QMenu) if m.isVisible()]
    save_with_menu(window, menus[0], "accounts-menu")
    menus[0].close()
    accounts = window.open_settings("Accounts")
    page = accounts.accounts
    assert isinstance(page, AccountsPage)
    table = page.table
    pump(lambda: table.rowCount() == 2, 10)  # none chosen: a chosen one shows its file's path
    save(accounts, "settings-accounts")
    accounts.reject()

    big = tmp / "archive.mbox"
    write_mbox(big, 20000)
    account = core.repository.add_account(AccountKind.MBOX, str(big), "Takeout archive")
    window.refresh_accounts()
    window.tabs.setCurrentIndex(JOBS_TAB)
    window._scan([account.id], Priority.HIGH, "manual")
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
    job = model.job_at(0)
    assert job is not None
    window.cancel_job(job.id)
    pump(lambda: first_job_state(window) is JobState.CANCELLED, 30)

    demo = window.accounts.accounts()[0].id  # a demo email reads like real promotional mail
    code = next(c for c in core.queries.codes() if c.subject and c.account_id == demo
                and c.code == "TRAVEL-15")
    viewer = SourceViewer(load_source_message(core.repository, core.sources, code), code.code)
    viewer.resize(820, 640)
    viewer.show()
    save(viewer, "source-email")
    viewer.close()

    # Nothing is written there (the dialog is cancelled); "~" reads as on any Linux desktop.
    window.autostart = XdgAutostart(Path("~/.config"), launch_command())  # not yours
    dialog = window.open_settings("General")
    save(dialog, "settings")
    dialog.reject()
    window.shutdown()
    core.close()


if __name__ == "__main__":
    sys.exit(main())
