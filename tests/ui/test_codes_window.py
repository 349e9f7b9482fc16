"""The codes list inside the main window: a click on an expiry notification opens the
"Expiring soon" list, and a 640×420 window still shows the columns that matter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from guard_inbox.bootstrap.app_api import CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind, FoundCode, MailMessage
from guard_inbox.ui.main_window import CODES_TAB, JOBS_TAB, MainWindow
from guard_inbox.ui.models.codes_model import CODE, EXPIRES, MERCHANT, USED
from window_kit import open_window

NOW = datetime.now(UTC).replace(microsecond=0)
SHOTS = Path("/tmp/codes16")


def seed(core: Core) -> int:
    repo = core.repository
    account = repo.add_account(AccountKind.MBOX, "/mail/shop.mbox", "shop.mbox")
    job = core.job_repository.create(account.id, 100, "manual")
    codes = [("ZIMA15", "Górski Sport", "15% off", 1), ("WIOSNA20", "Łódź Outlet", "20% off", 2),
             ("LATO30", "Zalando", "30% off", 20), ("JESIEN5", "Allegro", "5 zł off", None)]
    repo.record_scan_results(account.id, job.id, [
        (MailMessage(provider_id=f"m-{code}", date=NOW - timedelta(hours=n)),
         [FoundCode(code, shop, off, expires=None if days is None else NOW + timedelta(days=days))])
        for n, (code, shop, off, days) in enumerate(codes)
    ])
    return account.id


@pytest.fixture
def window(qtbot: QtBot, api: CoreApi, core: Core, tmp_path: Path) -> Iterator[MainWindow]:
    seed(core)
    window = open_window(qtbot, api, core.settings, tmp_path)
    qtbot.waitUntil(lambda: window.codes.model.total == 4, timeout=10000)
    yield window
    window.shutdown()


def test_a_click_on_an_expiry_notification_opens_the_expiring_list(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.tabs.setCurrentIndex(JOBS_TAB)
    window.accounts.list.selectAll()
    window.codes.search.setText("zalando")
    with qtbot.waitSignal(window.codes.model.loaded, timeout=5000):
        window.tray.message_clicked.emit("expiring")
    assert window.tabs.currentIndex() == CODES_TAB and window.accounts.selected_ids() == []
    qtbot.waitUntil(lambda: window.codes.model.query.status == "expiring" and not window.codes.model.loading)
    model = window.codes.model
    assert [model.data(model.index(r, CODE)) for r in range(model.rowCount())] == ["ZIMA15", "WIOSNA20"]
    assert window.codes.search.text() == ""


def test_a_click_on_a_new_codes_notification_only_brings_the_list(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.tabs.setCurrentIndex(JOBS_TAB)
    window.tray.message_clicked.emit("")
    assert window.tabs.currentIndex() == CODES_TAB
    assert window.codes.filter.currentData() == "all"


def test_the_notification_window_follows_the_setting(qtbot: QtBot, window: MainWindow, core: Core) -> None:
    core.settings.override("notify.expiring_days", 1)
    window.codes.set_expiring_days(int(core.settings.get("notify.expiring_days")))
    with qtbot.waitSignal(window.codes.model.loaded, timeout=5000):
        window.notification_clicked("expiring")
    model = window.codes.model
    assert [model.data(model.index(r, CODE)) for r in range(model.rowCount())] == ["ZIMA15"]


def test_640_by_420_shows_used_code_shop_and_whole_dates(qtbot: QtBot, window: MainWindow) -> None:
    """The window itself can be that small (the welcome page scrolls), and the columns that
    matter show whole in what the codes list gets of it."""
    window.resize(640, 420)
    qtbot.wait(100)
    assert (window.width(), window.height()) == (640, 420)
    window.pages.setCurrentWidget(window.welcome)  # the welcome page does not hold it large
    assert window.minimumSizeHint().width() <= 640 and window.minimumSizeHint().height() <= 420
    window.pages.setCurrentWidget(window.tabs)
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(SHOTS / "window-640x420.png"))
    table = window.codes.table
    assert [table.isColumnHidden(c) for c in (USED, CODE, MERCHANT, EXPIRES)] == [False] * 4
    metrics = table.fontMetrics()
    model = window.codes.model
    for row in range(model.rowCount()):
        text = str(model.data(model.index(row, EXPIRES)))
        assert metrics.horizontalAdvance(text) + 8 <= table.columnWidth(EXPIRES), text
    right = max(table.columnViewportPosition(c) + table.columnWidth(c)
                for c in range(model.columnCount()) if not table.isColumnHidden(c))
    assert right <= table.viewport().width()


def test_the_view_menu_choices_survive_a_restart(
    qtbot: QtBot, window: MainWindow, api: CoreApi, core: Core, tmp_path: Path
) -> None:
    assert window.codes.view_options() == {"show_expired": False, "group_by_shop": False}
    window.codes.group_action.setChecked(True)
    window.shutdown()
    again = MainWindow(api, core.settings, tmp_path / "window.ini")
    qtbot.addWidget(again)
    assert again.codes.view_options() == {"show_expired": False, "group_by_shop": True}
    assert again.codes.current_query().group_by_shop
    again.shutdown()


def test_the_expiry_notification_itself_leads_to_the_list_it_names(
    qtbot: QtBot, window: MainWindow, core: Core
) -> None:
    """Start-up announced ZIMA15 and WIOSNA20 (the 3-day setting); a click on that very
    notification (the tray icon's own signal) opens a list naming the same codes."""
    qtbot.waitUntil(lambda: core.repository.expiring_unnotified(3) == [], timeout=10000)
    window.tasks.wait()
    qtbot.wait(100)  # the announcement's answer reaches the tray on this thread
    window.tabs.setCurrentIndex(JOBS_TAB)
    with qtbot.waitSignal(window.codes.model.loaded, timeout=5000):
        window.tray.icon.messageClicked.emit()
    model = window.codes.model
    assert window.tabs.currentIndex() == CODES_TAB and model.query.status == "expiring"
    assert [model.data(model.index(r, CODE)) for r in range(model.rowCount())] == ["ZIMA15", "WIOSNA20"]
