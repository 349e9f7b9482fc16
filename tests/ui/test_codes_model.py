"""CodesModel over a real repository: ids first, rows a page at a time, always off the main thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QLocale, QModelIndex, Qt
from PySide6.QtWidgets import QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind, CodeQuery, FoundCode, MailMessage, StoredCode
from guard_inbox.services.queries import Queries
from guard_inbox.ui.format import (
    human_size,
    is_expiring,
    local_date,
    local_datetime,
    relative_expiry,
    relative_time,
)
from guard_inbox.ui.models.codes_model import (
    CODE,
    CODE_ROLE,
    DISCOUNT,
    EXPIRES,
    FIRST_SEEN,
    GROUP_ROLE,
    MERCHANT,
    PLACEHOLDER,
    USED,
    CodesModel,
)
from guard_inbox.ui.palette import danger, muted
from guard_inbox.ui.taskman import TaskManager

NOW = datetime.now(UTC).replace(microsecond=0)


def seed(core: Core, count: int, *, start: int = 0, address: str = "/mail/demo.mbox") -> int:
    """``count`` codes CODE<i>, one per message; code i was first seen i hours ago and
    expires i days from NOW (code 0 has no end date). Returns the account id."""
    repo = core.repository
    account = repo.find_account(address) or repo.add_account(AccountKind.MBOX, address, "demo")
    job = core.job_repository.create(account.id, 100, "manual")
    results = []
    for i in range(start, start + count):
        shop = f"Shop {i % 5}"
        message = MailMessage(
            provider_id=f"msg-{i}", subject=f"Offer {i} inside", sender=f"{shop} <news@shop{i % 5}.example>",
            date=NOW - timedelta(hours=i), text=f"Use code CODE{i:04d} for {i % 50}% off",
        )  # fmt: skip
        found = FoundCode(
            code=f"CODE{i:04d}", merchant=shop, discount=f"{i % 50}% off",
            expires=NOW + timedelta(days=i) if i else None,
        )  # fmt: skip
        results.append((message, [found]))
    repo.record_scan_results(account.id, job.id, results)
    return account.id


class SpyQueries(Queries):
    """The real read side, counting row reads; ``gate`` can hold them, ``fail`` breaks them."""

    def __init__(self, queries: Queries) -> None:
        super().__init__(queries.repository, queries.jobs)
        self.reads: list[int] = []
        self.gate = threading.Event()
        self.gate.set()
        self.fail = False
        self.threads: set[str] = set()

    def code_ids(self, query: CodeQuery) -> list[int]:
        self.threads.add(threading.current_thread().name)
        if self.fail:
            raise RuntimeError("database is locked")
        return super().code_ids(query)

    def codes_by_ids(self, ids: Sequence[int]) -> list[StoredCode]:
        self.threads.add(threading.current_thread().name)
        assert self.gate.wait(10)
        self.reads.append(len(ids))
        return super().codes_by_ids(ids)


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
def spy(core: Core) -> SpyQueries:
    return SpyQueries(core.queries)


def make_model(
    qtbot: QtBot, spy: SpyQueries, tasks: TaskManager, query: CodeQuery | None = None
) -> CodesModel:
    model = CodesModel(spy, tasks, clock=lambda: NOW)
    with qtbot.waitSignal(model.loaded, timeout=10000):
        model.set_query(query or CodeQuery())
    return model


def displayed(model: CodesModel, row: int, column: int = CODE) -> object:
    return model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)


# -- format helpers ----------------------------------------------------------------------
def test_relative_wording() -> None:
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert relative_expiry(None, now) == ""
    assert relative_expiry(now + timedelta(days=3), now) == "in 3 days"
    assert relative_expiry(now + timedelta(days=1), now) == "tomorrow"
    assert relative_expiry(now + timedelta(hours=5), now) == "today"
    assert relative_expiry(now - timedelta(hours=5), now) == "expired today"
    assert relative_expiry(now - timedelta(days=1), now) == "expired yesterday"
    assert relative_expiry(now - timedelta(days=2), now) == "expired 2 days ago"
    assert relative_expiry(now + timedelta(days=21), now) == "in 3 weeks"
    assert relative_expiry(now + timedelta(days=200), now) == "in 6 months"
    assert relative_expiry(now - timedelta(days=400), now) == "expired 13 months ago"
    assert relative_time(None, now) == ""
    assert relative_time(now - timedelta(seconds=20), now) == "just now"
    assert relative_time(now - timedelta(minutes=5), now) == "5 min ago"
    assert relative_time(now - timedelta(hours=3), now) == "3 h ago"
    assert relative_time(now - timedelta(days=1), now) == "yesterday"
    assert relative_time(now - timedelta(days=4), now) == "4 days ago"
    assert relative_time(now - timedelta(days=400), now) == "3 Feb 2025"
    assert is_expiring(now + timedelta(days=2), now, 2)
    assert not is_expiring(now + timedelta(days=2, minutes=1), now, 2)
    assert is_expiring(now + timedelta(days=3), now)  # the setting's default window
    assert not is_expiring(now - timedelta(minutes=1), now)
    assert not is_expiring(None, now)
    assert [human_size(n) for n in (1, 900, 1536, 20 * 1024**2)] == ["1 byte", "900 bytes", "1.5 KB", "20 MB"]


# -- the model -----------------------------------------------------------------------------
def test_passes_the_model_tester(qtbot: QtBot, qtmodeltester: ModelTester, core: Core,
                                 spy: SpyQueries, tasks: TaskManager) -> None:  # fmt: skip
    seed(core, 250)
    model = make_model(qtbot, spy, tasks)
    qtmodeltester.check(model, force_py=True)  # also calls fetchMore: rows 200..249 appear
    assert model.rowCount() == 250
    qtbot.waitUntil(lambda: model.is_loaded(249))
    qtmodeltester.check(model, force_py=True)


def test_reads_ids_then_one_page_and_more_on_fetch(qtbot: QtBot, core: Core, spy: SpyQueries,
                                                   tasks: TaskManager) -> None:  # fmt: skip
    seed(core, 1000)
    model = make_model(qtbot, spy, tasks)
    assert "MainThread" not in spy.threads  # every read ran on the task manager's threads
    assert (model.total, model.rowCount(), spy.reads) == (1000, 200, [200])
    assert model.is_loaded(199) and not model.is_loaded(200)
    assert model.canFetchMore(QModelIndex())

    with qtbot.waitSignal(model.rows_loaded, timeout=10000) as blocker:
        model.fetchMore(QModelIndex())
    assert blocker.args == [200]
    assert model.rowCount() == 400 and model.is_loaded(399) and not model.is_loaded(400)
    assert spy.reads == [200, 200]

    view = QTableView()  # a view scrolled to the bottom asks for the next page itself
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(400, 300)
    view.show()
    with qtbot.waitSignal(model.rows_loaded, timeout=10000):
        view.scrollToBottom()
    assert model.rowCount() == 600
    assert "MainThread" not in spy.threads


def test_unloaded_rows_show_a_placeholder_until_their_page_arrives(
    qtbot: QtBot, core: Core, spy: SpyQueries, tasks: TaskManager
) -> None:
    seed(core, 300)
    model = make_model(qtbot, spy, tasks)
    spy.gate.clear()  # hold row reads
    model.fetchMore(QModelIndex())
    assert displayed(model, 250) == PLACEHOLDER
    assert model.data(model.index(250, CODE), CODE_ROLE) is None
    assert model.code_at(250) is None
    with qtbot.waitSignal(model.dataChanged, timeout=10000) as blocker:
        spy.gate.set()
    top, bottom = blocker.args[0], blocker.args[1]
    assert top.row() <= 250 <= bottom.row()
    assert displayed(model, 250) == "CODE0250"


def test_painting_a_stale_row_rereads_its_page(qtbot: QtBot, core: Core, spy: SpyQueries,
                                               tasks: TaskManager) -> None:  # fmt: skip
    seed(core, 300)
    model = make_model(qtbot, spy, tasks)
    with qtbot.waitSignal(model.rows_loaded, timeout=10000):
        model.fetchMore(QModelIndex())
    code = model.code_at(250)
    assert code is not None and not code.used
    core.repository.set_code_used(code.id, True)
    with qtbot.waitSignal(model.loaded, timeout=10000):
        model.refresh()  # same ids: rows beyond the first page are kept, marked stale
    assert displayed(model, 250) == "CODE0250"  # the old row while the new one is read
    with qtbot.waitSignal(model.rows_loaded, timeout=10000):
        pass
    assert model.code_at(250) == replace(code, used=True)
    assert model.data(model.index(250, MERCHANT), Qt.ItemDataRole.ForegroundRole) == muted()


def test_search_filters_and_account(qtbot: QtBot, core: Core, spy: SpyQueries,
                                    tasks: TaskManager) -> None:  # fmt: skip
    seed(core, 30)
    other = seed(core, 5, start=100, address="/mail/other.mbox")
    model = make_model(qtbot, spy, tasks)
    assert model.total == 35

    def ask(**changes: object) -> list[str]:
        with qtbot.waitSignal(model.loaded, timeout=10000):
            model.set_query(CodeQuery(**changes))  # type: ignore[arg-type]
        return sorted(str(displayed(model, row)) for row in range(model.rowCount()))

    assert ask(search="code0012") == ["CODE0012"]
    assert ask(search="SHOP 3") == [f"CODE{i:04d}" for i in range(30) if i % 5 == 3] + ["CODE0103"]
    assert ask(account_id=other) == [f"CODE{i:04d}" for i in range(100, 105)]
    assert ask(status="expiring", expiring_days=2) == ["CODE0001", "CODE0002"]
    for i in (3, 4):
        (code_id,) = core.repository.code_ids(CodeQuery(search=f"code000{i}"))
        core.repository.set_code_used(code_id, True)
    assert ask(status="used") == ["CODE0003", "CODE0004"]
    assert "CODE0003" not in ask(status="active")
    assert ask(search="nothing like this") == []
    assert model.rowCount() == 0


def test_sorting_requeries_in_the_new_order(qtbot: QtBot, core: Core, spy: SpyQueries,
                                            tasks: TaskManager) -> None:  # fmt: skip
    seed(core, 30)
    model = make_model(qtbot, spy, tasks)
    assert displayed(model, 0) == "CODE0000"  # default: newest first seen first
    with qtbot.waitSignal(model.loaded, timeout=10000):
        model.sort(CODE, Qt.SortOrder.DescendingOrder)
    assert (model.query.sort, model.query.descending) == ("code", True)
    assert displayed(model, 0) == "CODE0029"
    with qtbot.waitSignal(model.loaded, timeout=10000):
        model.sort(EXPIRES, Qt.SortOrder.AscendingOrder)
    assert [displayed(model, r) for r in (0, 1, 29)] == ["CODE0001", "CODE0002", "CODE0000"]  # no end: last
    with qtbot.waitSignal(model.loaded, timeout=10000):
        model.sort(MERCHANT, Qt.SortOrder.AscendingOrder)
    assert displayed(model, 0, MERCHANT) == "Shop 0"
    assert model.sort_column() == MERCHANT and model.sort_order() == Qt.SortOrder.AscendingOrder


def test_roles(qtbot: QtBot, core: Core, spy: SpyQueries, tasks: TaskManager) -> None:
    seed(core, 5)
    model = make_model(qtbot, spy, tasks, CodeQuery(sort="code", descending=False))
    assert [displayed(model, 3, column) for column in (CODE, MERCHANT, DISCOUNT, EXPIRES, FIRST_SEEN)] == [
        "CODE0003", "Shop 3", "3% off", local_date(NOW + timedelta(days=3), NOW),
        local_date(NOW - timedelta(hours=3), NOW),
    ]  # fmt: skip
    assert displayed(model, 0, EXPIRES) == ""
    foreground = Qt.ItemDataRole.ForegroundRole
    assert model.data(model.index(2, EXPIRES), foreground) == danger()  # two days left
    assert model.data(model.index(3, EXPIRES), foreground) == danger()  # three: the default window
    assert model.data(model.index(2, CODE), foreground) is None
    assert model.data(model.index(4, EXPIRES), foreground) is None
    model.set_expiring_days(5)  # the notification setting changed
    assert model.data(model.index(4, EXPIRES), foreground) == danger()
    check = Qt.ItemDataRole.CheckStateRole
    assert model.data(model.index(3, USED), check) == Qt.CheckState.Unchecked
    assert model.data(model.index(3, USED), Qt.ItemDataRole.DisplayRole) is None
    assert model.flags(model.index(3, USED)) & Qt.ItemFlag.ItemIsUserCheckable
    assert not model.flags(model.index(3, CODE)) & Qt.ItemFlag.ItemIsUserCheckable
    tooltip = model.data(model.index(3, CODE), Qt.ItemDataRole.ToolTipRole)
    assert "Offer 3 inside" in tooltip and "From: Shop 3 &lt;news@shop3.example&gt;" in tooltip
    code = model.data(model.index(3, CODE), CODE_ROLE)
    assert isinstance(code, StoredCode) and code.code == "CODE0003" and code.message_id == "msg-3"
    assert model.code_at(3) == code and model.row_of(code.id) == 3 and model.code_at(99) is None
    assert model.headerData(EXPIRES, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) == "Expires"
    expiry = model.data(model.index(3, EXPIRES), Qt.ItemDataRole.ToolTipRole)
    assert f"Expires in 3 days: {local_datetime(NOW + timedelta(days=3), NOW)}" in expiry


def test_dates_are_written_one_way_in_the_users_locale() -> None:
    when, now = datetime(2026, 12, 28, 15, 30, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    lang, country = QLocale.Language, QLocale.Country
    assert local_date(when, now, QLocale(lang.German, country.Germany)) == "28.12.26"
    assert local_date(when, now, QLocale(lang.English, country.UnitedStates)) == "12/28/26"
    assert local_date(when, now, QLocale(lang.English, country.UnitedKingdom)) == "28/12/2026"
    assert local_date(None, now) == ""
    german = local_datetime(when, now, QLocale(QLocale.Language.German, QLocale.Country.Germany))
    assert german == "Montag, 28. Dezember 2026 15:30"


def test_the_used_box_asks_for_the_change_and_shows_it_at_once(
    qtbot: QtBot, core: Core, spy: SpyQueries, tasks: TaskManager
) -> None:
    seed(core, 3)
    model = make_model(qtbot, spy, tasks, CodeQuery(sort="code", descending=False))
    index = model.index(1, USED)
    with qtbot.waitSignal(model.used_toggled, timeout=1000) as blocker:
        assert model.setData(index, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    code, used = blocker.args
    assert code.code == "CODE0001" and used is True
    assert not model.setData(model.index(1, CODE), "x", Qt.ItemDataRole.EditRole)
    with qtbot.waitSignal(model.dataChanged, timeout=1000):
        model.set_used(code.id, True)
    assert model.data(index, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert model.data(model.index(1, CODE), Qt.ItemDataRole.ForegroundRole) == muted()


def test_grouped_by_shop_each_shop_gets_a_header_row(
    qtbot: QtBot, qtmodeltester: ModelTester, core: Core, spy: SpyQueries, tasks: TaskManager
) -> None:
    seed(core, 6)  # Shop 0 has CODE0000 and CODE0005, the others one code each
    model = make_model(qtbot, spy, tasks, CodeQuery(group_by_shop=True, sort="code", descending=False))
    qtmodeltester.check(model, force_py=True)
    rows = [str(displayed(model, r, 0)) if model.group_at(r) else str(displayed(model, r))
            for r in range(model.rowCount())]
    assert rows == ["Shop 0  ·  2 codes", "CODE0000", "CODE0005", "Shop 1  ·  1 code", "CODE0001",
                    "Shop 2  ·  1 code", "CODE0002", "Shop 3  ·  1 code", "CODE0003",
                    "Shop 4  ·  1 code", "CODE0004"]
    assert model.group_at(0) == ("Shop 0", 2) and model.group_at(1) is None
    assert model.code_at(0) is None and model.code_id_at(0) is None
    assert model.row_of(model.code_id_at(1) or 0) == 1
    assert not model.flags(model.index(0, CODE)) & Qt.ItemFlag.ItemIsSelectable
    assert model.data(model.index(0, 0), GROUP_ROLE) == "Shop 0"


def test_an_older_answer_never_replaces_a_newer_query(qtbot: QtBot, core: Core, spy: SpyQueries,
                                                      tasks: TaskManager) -> None:  # fmt: skip
    seed(core, 30)
    model = CodesModel(spy, tasks, clock=lambda: NOW)
    counts: list[int] = []
    model.loaded.connect(counts.append)
    model.set_query(CodeQuery())
    with qtbot.waitSignal(model.loaded, timeout=10000):
        model.set_query(CodeQuery(search="code001"))
    tasks.wait()
    qtbot.wait(50)
    assert counts == [10] and model.total == 10 and not model.loading


def test_a_failed_read_is_reported(
    qtbot: QtBot, core: Core, spy: SpyQueries, tasks: TaskManager
) -> None:
    spy.fail = True
    model = CodesModel(spy, tasks)
    with qtbot.waitSignal(model.failed, timeout=10000) as blocker:
        model.set_query(CodeQuery())
    assert blocker.args == ["Could not read codes: database is locked"]
    assert not model.loading and model.rowCount() == 0
