"""CodesView on a real repository: search, filters, empty states, copy, context actions, keeping place."""

from __future__ import annotations

import runpy
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from guard_inbox.bootstrap.app_api import CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind, CodeQuery, FoundCode, MailMessage, StoredCode
from guard_inbox.extraction.pipeline import ExtractionPipeline
from guard_inbox.mail.local import LocalMailbox
from guard_inbox.ui.models.codes_model import CODE, MERCHANT
from guard_inbox.ui.palette import muted
from guard_inbox.ui.taskman import TaskManager
from guard_inbox.ui.views.codes_view import NO_CODES, NO_MATCH, SEARCH_PLACEHOLDER, CodesView

NOW = datetime.now(UTC).replace(microsecond=0)
DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"


def seed(core: Core, count: int, *, start: int = 0) -> int:
    """Codes CODE<i>: code i first seen i hours before NOW, expiring in i days (0: never)."""
    repo = core.repository
    account = repo.find_account("/mail/demo.mbox") or repo.add_account(AccountKind.MBOX, "/mail/demo.mbox")
    job = core.job_repository.create(account.id, 100, "manual")
    results = [
        (
            MailMessage(provider_id=f"msg-{i}", subject=f"Offer {i}", sender=f"Shop {i % 5} <s@x.example>",
                        date=NOW - timedelta(hours=i)),
            [FoundCode(code=f"CODE{i:04d}", merchant=f"Shop {i % 5}", discount="10% off",
                       expires=NOW + timedelta(days=i) if i else None)],
        )
        for i in range(start, start + count)
    ]  # fmt: skip
    repo.record_scan_results(account.id, job.id, results)
    return account.id


@pytest.fixture
def core(make_core: Callable[..., Core]) -> Core:
    """The codes list reads the database only: no broker for these tests."""
    return make_core(stages="database")


@pytest.fixture
def tasks() -> Iterator[TaskManager]:
    manager = TaskManager()
    yield manager
    manager.wait()


@pytest.fixture
def make_view(qtbot: QtBot, core: Core, tasks: TaskManager) -> Callable[..., CodesView]:
    def make(**kwargs: object) -> CodesView:
        view = CodesView(core.queries, tasks, CoreApi(core).mark_used, **kwargs)  # type: ignore[arg-type]
        qtbot.addWidget(view)
        view.resize(700, 400)
        view.show()
        qtbot.waitExposed(view)
        qtbot.waitUntil(lambda: not view.model.loading, timeout=10000)
        return view

    return make


def code_in_row(view: CodesView, row: int) -> str:
    return str(view.model.data(view.model.index(row, CODE)))


def test_empty_state_offers_the_demo_mailbox(qtbot: QtBot, make_view: Callable[..., CodesView]) -> None:
    view = make_view()
    assert view.stack.currentWidget() is view.empty_page
    assert view.empty_label.text() == NO_CODES
    assert view.demo_button.isVisible()
    with qtbot.waitSignal(view.demo_requested, timeout=1000):
        qtbot.mouseClick(view.demo_button, Qt.MouseButton.LeftButton)


def test_search_is_debounced_and_says_when_nothing_matches(
    qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]
) -> None:
    seed(core, 20)
    view = make_view()
    assert view.search.placeholderText() == SEARCH_PLACEHOLDER
    assert view.stack.currentWidget() is view.table and view.model.rowCount() == 20
    asked: list[int] = []
    view.model.loaded.connect(asked.append)

    qtbot.keyClicks(view.search, "code001")
    assert asked == [] and view.current_query().search == "code001"  # typing alone asks nothing
    with qtbot.waitSignal(view.model.loaded, timeout=2000):
        pass
    assert asked == [10]  # one query for seven keystrokes, 200 ms after the last
    assert sorted(code_in_row(view, r) for r in range(10)) == [f"CODE{i:04d}" for i in range(10, 20)]

    with qtbot.waitSignal(view.model.loaded, timeout=2000):
        view.search.setText("no such code")
    assert view.stack.currentWidget() is view.empty_page
    assert view.empty_label.text() == NO_MATCH and not view.demo_button.isVisible()

    with qtbot.waitSignal(view.model.loaded, timeout=2000):
        view.search.clear()
    assert view.stack.currentWidget() is view.table and view.model.rowCount() == 20


def test_status_filter(qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]) -> None:
    seed(core, 10)
    (used_id,) = core.repository.code_ids(CodeQuery(search="code0005"))
    core.repository.set_code_used(used_id, True)
    view = make_view()
    labels = [view.filter.itemText(i) for i in range(view.filter.count())]
    assert labels == ["All", "Unused", "Expiring soon", "Used"]

    def choose(label: str) -> list[str]:
        with qtbot.waitSignal(view.model.loaded, timeout=5000):
            view.filter.setCurrentIndex(labels.index(label))
        return sorted(code_in_row(view, r) for r in range(view.model.rowCount()))

    assert choose("Used") == ["CODE0005"]
    assert choose("Expiring soon") == ["CODE0001", "CODE0002", "CODE0003"]  # the 3-day setting
    assert len(choose("Unused")) == 9
    assert view.current_query().status == "unused"
    view.search.setText("code0005")
    assert choose("All") == ["CODE0005"]  # Enter-less: the filter change applies the typed text too
    assert choose("Unused") == [] and view.empty_label.text() == NO_MATCH


def test_header_click_sorts(qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]) -> None:
    seed(core, 12)
    view = make_view()
    assert code_in_row(view, 0) == "CODE0000"
    header = view.table.horizontalHeader()
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        pos = QPoint(header.sectionViewportPosition(CODE) + 5, header.height() // 2)
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    first = code_in_row(view, 0)
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.table.sortByColumn(CODE, Qt.SortOrder.DescendingOrder)
    assert {first, code_in_row(view, 0)} == {"CODE0000", "CODE0011"}
    assert view.current_query().sort == "code"


def test_copy_by_double_click_and_ctrl_c(
    qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]
) -> None:
    seed(core, 5)
    view = make_view()
    clipboard = QGuiApplication.clipboard()
    rect = view.table.visualRect(view.model.index(2, MERCHANT))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(view.status_message, timeout=1000) as blocker:  # a click, then the second
        qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert clipboard.text() == "CODE0002" and blocker.args == ["Copied CODE0002"]

    clipboard.clear()
    view.table.selectRow(4)
    view.table.setFocus()
    qtbot.waitUntil(view.table.hasFocus)
    with qtbot.waitSignal(view.status_message, timeout=1000) as blocker:
        qtbot.keyClick(view.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text() == "CODE0004" and blocker.args == ["Copied CODE0004"]


def test_ctrl_f_focuses_search(qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]) -> None:
    seed(core, 3)
    view = make_view()
    view.table.setFocus()
    qtbot.waitUntil(view.table.hasFocus)
    qtbot.keyClick(view.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.search.hasFocus()


def test_mark_used_from_the_context_menu_updates_the_row(
    qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]
) -> None:
    seed(core, 5)
    view = make_view()
    view.table.selectRow(1)
    menu = view.context_menu()
    actions = {a.text(): a for a in menu.actions() if a.isVisible() and not a.isSeparator()}
    # not Gmail: no "Open in Gmail"
    assert list(actions) == ["Copy code", "Mark used", "Undo", "Show source email"]
    assert not actions["Undo"].isEnabled()  # nothing to undo yet
    with qtbot.waitSignal(view.status_message, timeout=5000) as blocker:
        actions["Mark used"].trigger()
    assert blocker.args == ["Marked CODE0001 as used (Ctrl+Z undoes)"]
    qtbot.waitUntil(lambda: (code := view.model.code_at(1)) is not None and code.used, timeout=5000)
    assert view.model.data(view.model.index(1, MERCHANT), Qt.ItemDataRole.ForegroundRole) == muted()
    assert view.selected_code() == view.model.code_at(1)  # the selection survived the refresh
    assert view.context_menu().actions()[1].text() == "Mark unused"
    assert core.repository.codes_by_ids([view.model.code_at(1).id])[0].used  # type: ignore[union-attr]


def test_a_code_leaving_the_filter_selects_the_next_one(
    qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]
) -> None:
    seed(core, 6)
    view = make_view()
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.filter.setCurrentIndex(1)  # Unused
    view.table.selectRow(2)
    assert code_in_row(view, 2) == "CODE0002"
    selected = view.selected_code()
    assert selected is not None
    core.repository.set_code_used(selected.id, True)  # elsewhere: another window, the CLI
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.refresh()
    assert view.model.rowCount() == 5 and code_in_row(view, 2) == "CODE0003"
    selected = view.selected_code()
    assert selected is not None and selected.code == "CODE0003"
    assert view.table.currentIndex().row() == 2


def test_gmail_and_source_actions(
    qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]
) -> None:
    account_id = seed(core, 3)
    opened: list[QUrl] = []

    def open_url(url: QUrl) -> bool:
        opened.append(url)
        return True

    view = make_view(is_gmail=lambda a: a == account_id, open_url=open_url)
    view.table.selectRow(2)
    assert view.open_gmail_action.isVisible()
    view.open_gmail_action.trigger()
    assert [u.toString() for u in opened] == ["https://mail.google.com/mail/u/0/#all/msg-2"]
    with qtbot.waitSignal(view.show_source, timeout=1000) as blocker:
        view.show_source_action.trigger()
    (code,) = blocker.args
    assert isinstance(code, StoredCode) and code.code == "CODE0002" and code.message_id == "msg-2"


def test_refresh_keeps_selection_and_scroll_position(
    qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]
) -> None:
    seed(core, 1000)
    view = make_view()
    view.show_expired_action.setChecked(True)  # CODE-001 below expired yesterday
    model, table = view.model, view.table
    qtbot.waitUntil(lambda: not model.loading)
    assert model.rowCount() == 200
    qtbot.waitUntil(lambda: model.rowCount() == 200 and not model.loading)
    table.scrollTo(model.index(150, 0), table.ScrollHint.PositionAtTop)
    table.selectRow(160)
    selected = view.selected_code()
    top = table.rowAt(0)
    assert selected is not None and selected.code == "CODE0160" and top > 100

    with qtbot.waitSignal(model.loaded, timeout=5000):
        view.refresh()  # nothing changed
    assert table.rowAt(0) == top and view.selected_code() == selected

    seed(core, 1, start=-1)  # seen an hour from now: sorts first, every row moves down one
    core.repository.set_code_used(selected.id, True)
    with qtbot.waitSignal(model.loaded, timeout=5000):
        view.refresh()
    assert code_in_row(view, 0) == "CODE-001"
    now_selected = view.selected_code()
    assert now_selected is not None and now_selected.id == selected.id and now_selected.used
    assert table.selectionModel().selectedRows()[0].row() == 161
    assert table.rowAt(0) == top + 1  # the same code is still the top visible row
    assert model.rowCount() == 200


def test_view_asks_for_the_next_page_when_scrolled_to_the_end(
    qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]
) -> None:
    seed(core, 1000)
    view = make_view()
    assert view.model.rowCount() == 200 and not view.model.is_loaded(200)
    with qtbot.waitSignal(view.model.rows_loaded, timeout=5000):
        view.table.scrollToBottom()
    assert view.model.rowCount() == 400 and view.model.is_loaded(399)


def test_account_filter_and_current_query(
    qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]
) -> None:
    account_id = seed(core, 4)
    view = make_view()
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.set_account(account_id + 1)
    assert view.model.rowCount() == 0 and view.empty_label.text() == NO_CODES
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.set_account(account_id)
    assert view.model.rowCount() == 4
    assert view.current_query() == CodeQuery(expiring_days=3, account_id=account_id,
                                             include_expired=False)


def test_the_demo_mailbox_fills_the_view(
    qtbot: QtBot, core: Core, make_view: Callable[..., CodesView]
) -> None:
    generator = runpy.run_path(str(DEMO / "make_demo.py"))
    mbox = DEMO / "demo.mbox"
    assert generator["build"]() == mbox.read_bytes()  # the committed mailbox is the generator's
    mails = generator["demo_mail"]()
    expected = {code for mail in mails for code in mail.expect}
    assert len(mails) >= 40 and len(expected) >= 25

    box = LocalMailbox(mbox)
    messages = [m for m in box.fetch(box.list_ids(frozenset())) if isinstance(m, MailMessage)]
    assert len(messages) == len(mails)
    pipeline = ExtractionPipeline()
    account = core.repository.add_account(AccountKind.MBOX, str(mbox), "demo.mbox")
    job = core.job_repository.create(account.id, 100, "manual")
    core.repository.record_scan_results(account.id, job.id, [(m, pipeline.extract(m)) for m in messages])

    view = make_view()
    assert view.stack.currentWidget() is view.table
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.show_expired_action.setChecked(True)
    assert {code_in_row(view, row) for row in range(view.model.rowCount())} == expected
