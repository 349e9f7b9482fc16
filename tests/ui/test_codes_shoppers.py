"""Issue 16, codes for shoppers, on a real repository: expired codes hidden by default, one
"Expiring soon" window, accent-free search, used as an undoable checkbox that does not vanish
under the pointer, grouping by shop, and a layout that fits 640×420."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from guard_inbox.bootstrap.app_api import CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.models import AccountKind, CodeQuery, FoundCode, MailMessage
from guard_inbox.services.api import Changes
from guard_inbox.ui.format import local_date
from guard_inbox.ui.models.codes_model import (
    CODE,
    DISCOUNT,
    EXPIRES,
    FIRST_SEEN,
    MERCHANT,
    USED,
    local_now,
)
from guard_inbox.ui.taskman import TaskManager
from guard_inbox.ui.views.codes_view import ALL_EXPIRED, CodesView

NOW = datetime.now(UTC).replace(microsecond=0)
SHOTS = Path("/tmp/codes16")

CODES = [  # (code, shop, discount, expires in days; None: never)
    ("ZIMA15", "Górski Sport", "15% off", 1.0),
    ("WIOSNA20", "Łódź Outlet", "20% off shoes", 2.5),
    ("LATO30", "Zalando", "30% off", 20.0),
    ("GONE10", "Zalando", "10 off", -3.0),
    ("FOREVER5", "Allegro", "5 zł off orders over 100 zł", None),
]


def seed(core: Core, codes: list[tuple[str, str, str, float | None]] = CODES) -> int:
    repo = core.repository
    account = repo.find_account("/mail/shop.mbox") or repo.add_account(AccountKind.MBOX, "/mail/shop.mbox")
    job = core.job_repository.create(account.id, 100, "manual")
    repo.record_scan_results(account.id, job.id, [
        (MailMessage(provider_id=f"m-{code}", subject=f"{shop}: {discount}", sender=f"{shop} <s@x>",
                     date=NOW - timedelta(hours=n)),
         [FoundCode(code, shop, discount, expires=None if days is None else NOW + timedelta(days=days))])
        for n, (code, shop, discount, days) in enumerate(codes)
    ])
    return account.id


@pytest.fixture
def core(make_core: Callable[..., Core]) -> Core:
    return make_core(stages="database")


@pytest.fixture
def tasks() -> Iterator[TaskManager]:
    manager = TaskManager()
    yield manager
    manager.wait()


@pytest.fixture
def make_view(qtbot: QtBot, core: Core, tasks: TaskManager) -> Callable[..., CodesView]:
    def make(width: int = 700, height: int = 400, **kwargs: object) -> CodesView:
        view = CodesView(core.queries, tasks, CoreApi(core).mark_used, **kwargs)  # type: ignore[arg-type]
        qtbot.addWidget(view)
        view.resize(width, height)
        view.show()
        qtbot.waitExposed(view)
        qtbot.waitUntil(lambda: not view.model.loading, timeout=10000)
        return view

    return make


def shown(view: CodesView) -> list[str]:
    model = view.model
    return [str(model.data(model.index(r, CODE))) for r in range(model.rowCount()) if model.code_at(r)]


def ask(qtbot: QtBot, view: CodesView, change: Callable[[], object]) -> list[str]:
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        change()
    return shown(view)


def test_expired_codes_are_hidden_until_asked_for(
    qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]
) -> None:
    seed(core)
    view = make_view()
    assert "GONE10" not in shown(view) and len(shown(view)) == 4
    assert ask(qtbot, view, lambda: view.show_expired_action.setChecked(True))[3] == "GONE10"
    assert "GONE10" not in ask(qtbot, view, lambda: view.show_expired_action.setChecked(False))


def test_only_expired_codes_says_why_the_list_is_empty(
    qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]
) -> None:
    seed(core, [("OLD1", "Shop", "", -2.0)])
    view = make_view()
    qtbot.waitUntil(lambda: view.empty_label.text() == ALL_EXPIRED, timeout=5000)
    assert view.stack.currentWidget() is view.empty_page and not view.demo_button.isVisible()


def test_expiring_soon_uses_the_notification_setting_and_a_click_opens_it(
    qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]
) -> None:
    seed(core)
    view = make_view(expiring_days=3)
    view.search.setText("zalando")
    assert ask(qtbot, view, view.show_expiring) == ["ZIMA15", "WIOSNA20"]
    assert view.search.text() == "" and view.filter.currentData() == "expiring"
    announced = CoreApi(core).expiring_to_announce(3)  # what the notification names
    assert sorted(c.code for c in announced) == sorted(shown(view))
    assert ask(qtbot, view, lambda: view.set_expiring_days(1)) == ["ZIMA15"]
    assert ask(qtbot, view, lambda: view.set_expiring_days(30)) == ["ZIMA15", "WIOSNA20", "LATO30"]


@pytest.mark.parametrize(("typed", "found"), [
    ("gorski", ["ZIMA15"]), ("GÓRSKI", ["ZIMA15"]), ("lodz", ["WIOSNA20"]),
    ("zalando 30", ["LATO30"]), ("ZL OFF", ["FOREVER5"]),
])
def test_search_ignores_accents_and_case(
    qtbot: QtBot, core: Core, make_view: Callable[..., CodesView], typed: str, found: list[str]
) -> None:
    seed(core)
    view = make_view()
    assert ask(qtbot, view, lambda: view.search.setText(typed)) == found


def test_used_is_a_checkbox_with_a_shortcut_and_undo_and_the_row_stays(
    qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]
) -> None:
    seed(core)
    view = make_view()
    model = view.model
    assert ask(qtbot, view, lambda: view.filter.setCurrentIndex(view.filter.findData("unused"))) == [
        "ZIMA15", "WIOSNA20", "LATO30", "FOREVER5"]

    def stored_used(code: str) -> bool:
        (code_id,) = core.repository.code_ids(CodeQuery(search=code))
        return core.repository.codes_by_ids([code_id])[0].used

    # A click on the box: checked at once, stored, and the row stays where it was.
    box = view.table.visualRect(model.index(1, USED))
    with qtbot.waitSignal(model.loaded, timeout=5000):
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(box.left() + 12, box.center().y()))
    assert stored_used("WIOSNA20")
    assert shown(view) == ["ZIMA15", "WIOSNA20", "LATO30", "FOREVER5"]
    assert model.data(model.index(1, USED), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked

    # Ctrl+U on the selected row, then Ctrl+Z and Ctrl+Shift+Z.
    view.table.selectRow(2)
    view.table.setFocus()
    qtbot.waitUntil(view.table.hasFocus)
    with qtbot.waitSignal(view.status_message, timeout=5000) as blocker:
        qtbot.keyClick(view.table, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args == ["Marked LATO30 as used (Ctrl+Z undoes)"] and stored_used("LATO30")
    with qtbot.waitSignal(view.status_message, timeout=5000) as blocker:
        qtbot.keyClick(view.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args == ["Undone: LATO30 is not used again"] and not stored_used("LATO30")
    qtbot.waitUntil(lambda: not model.loading)
    assert model.data(model.index(2, USED), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert shown(view) == ["ZIMA15", "WIOSNA20", "LATO30", "FOREVER5"]
    assert view.marker.stack.canRedo()

    # Asking another question lets the used code go.
    assert ask(qtbot, view, lambda: view.search.setText("o")) == ["ZIMA15", "LATO30", "FOREVER5"]


def test_grouped_by_shop_with_header_rows_across_the_table(
    qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]
) -> None:
    seed(core)
    view = make_view()
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.group_action.setChecked(True)
    model = view.model
    headers = [model.group_at(r) for r in range(model.rowCount()) if model.group_at(r)]
    assert headers == [("Allegro", 1), ("Górski Sport", 1), ("Łódź Outlet", 1), ("Zalando", 1)]
    assert view.table.columnSpan(0, 0) == model.columnCount() and view.table.columnSpan(1, 0) == 1
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.show_expired_action.setChecked(True)
    assert model.group_at(6) == ("Zalando", 2) and view.table.columnSpan(6, 0) == model.columnCount()
    view.table.selectRow(0)  # a header row: nothing to select or mark
    assert view.selected_code() is None


def test_a_small_window_keeps_the_columns_that_matter_whole(
    qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]
) -> None:
    seed(core)
    view = make_view(width=360, height=420)  # what a 640-wide window leaves beside the accounts
    table = view.table
    qtbot.waitUntil(lambda: view.model.is_loaded(0))
    SHOTS.mkdir(parents=True, exist_ok=True)
    view.grab().save(str(SHOTS / "codes-360.png"))
    assert [table.isColumnHidden(c) for c in (USED, CODE, MERCHANT, EXPIRES)] == [False] * 4
    assert table.isColumnHidden(FIRST_SEEN) and table.isColumnHidden(DISCOUNT)
    assert view.model.data(view.model.index(0, MERCHANT)) == "Górski Sport · 15% off"  # not lost
    metrics = table.fontMetrics()
    for row in range(view.model.rowCount()):
        text = str(view.model.data(view.model.index(row, EXPIRES)))
        assert metrics.horizontalAdvance(text) + 8 <= table.columnWidth(EXPIRES), text
    right = max(table.columnViewportPosition(c) + table.columnWidth(c)
                for c in range(view.model.columnCount()) if not table.isColumnHidden(c))
    assert right <= table.viewport().width()  # no sideways scrolling
    assert table.columnWidth(MERCHANT) >= 60

    view.resize(1000, 420)
    qtbot.waitUntil(lambda: not table.isColumnHidden(FIRST_SEEN))
    assert not table.isColumnHidden(DISCOUNT)
    assert view.model.data(view.model.index(0, MERCHANT)) == "Górski Sport"
    view.grab().save(str(SHOTS / "codes-1000.png"))
    expires = str(view.model.data(view.model.index(0, EXPIRES)))
    assert expires == local_date(NOW + timedelta(days=1), local_now())


def test_a_mark_that_cannot_be_stored_is_taken_back_and_said(
    qtbot: QtBot, core: Core, tasks: TaskManager
) -> None:
    seed(core)

    def read_only(_code_id: int, _used: bool) -> Changes:
        raise KnownError("The database is read-only.")

    view = CodesView(core.queries, tasks, read_only)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.model.is_loaded(0) and not view.model.loading, timeout=10000)
    view.table.selectRow(0)
    with qtbot.waitSignal(view.status_message, timeout=5000) as blocker:
        view.mark_used_action.trigger()
    assert blocker.args == ["Could not update ZIMA15: The database is read-only."]
    box = view.model.data(view.model.index(0, USED), Qt.ItemDataRole.CheckStateRole)
    assert box == Qt.CheckState.Unchecked and not view.marker.stack.canUndo()
