"""OverviewView on a real database: what is drawn matches the counts, clicks, tooltips, refresh."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QColor, QHelpEvent, QImage, QPalette, QTextDocument
from PySide6.QtWidgets import QApplication, QToolTip
from pytestqt.qtbot import QtBot

from guard_inbox.bootstrap.app_api import CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind, FoundCode, JobState, MailMessage
from guard_inbox.services.api import Changes
from guard_inbox.ui.taskman import TaskManager
from guard_inbox.ui.views.charts.bar_chart import BarChart
from guard_inbox.ui.views.overview_view import EMPTY_TITLE, NO_SCANS, OverviewView

NOW = datetime.now().astimezone().replace(hour=12, minute=0, second=0, microsecond=0)
TODAY = NOW.date()


def at(days: int, hour: int = 15) -> datetime:
    """``days`` after today at ``hour`` local time."""
    return datetime.combine(TODAY + timedelta(days=days), datetime.min.time()).replace(
        hour=hour).astimezone()


def store(core: Core, codes: list[FoundCode], *, finish: bool = True, used: tuple[str, ...] = ()) -> int:
    repo = core.repository
    account = repo.find_account("/mail/box.mbox") or repo.add_account(AccountKind.MBOX, "/mail/box.mbox")
    job = core.job_repository.create(account.id, 100, "manual")
    offset = repo.count_codes()
    found, new = repo.record_scan_results(account.id, job.id, [
        (MailMessage(provider_id=f"<{offset + i}@x>"), [code]) for i, code in enumerate(codes)])
    for stored in repo.list_codes():
        if stored.code in used:
            repo.set_code_used(stored.id, True)
    if finish:
        core.job_repository.progress(job.id, len(codes), len(codes), found, new)
        core.job_repository.finish(job.id, JobState.COMPLETED)
    return job.id


@pytest.fixture
def core(make_core: Callable[..., Core]) -> Core:
    return make_core(stages="database")


@pytest.fixture
def tasks() -> Iterator[TaskManager]:
    manager = TaskManager()
    yield manager
    manager.wait()


@pytest.fixture
def make_view(qtbot: QtBot, core: Core, tasks: TaskManager) -> Callable[..., OverviewView]:
    def make(size: tuple[int, int] = (900, 700)) -> OverviewView:
        view = OverviewView(CoreApi(core), tasks, clock=lambda: NOW)
        qtbot.addWidget(view)
        view.resize(*size)
        with qtbot.waitSignal(view.loaded, timeout=10000):
            view.show()
        settled(qtbot, view)
        return view

    return make


def settled(qtbot: QtBot, view: OverviewView) -> None:
    """Charts laid out at least at their minimum size (layouts settle an event loop turn later)."""
    if view.stack.currentWidget() is view.content_area:
        charts = (view.timeline, view.shops, view.scans)
        qtbot.waitUntil(lambda: all(c.height() >= c.minimumSizeHint().height() for c in charts))


@pytest.fixture
def dark_palette(qtbot: QtBot) -> Iterator[QPalette]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    saved = app.palette()
    dark = QPalette(QColor("#1e1e1e"))
    app.setPalette(dark)
    yield dark
    app.setPalette(saved)


def colour_at(chart: BarChart, point: QPointF, image: QImage | None = None) -> QColor:
    image = image or chart.grab().toImage()
    ratio = image.devicePixelRatio()
    return image.pixelColor(int(point.x() * ratio), int(point.y() * ratio))


def close(a: QColor, b: QColor, slack: int = 12) -> bool:
    return all(abs(x - y) <= slack for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


def test_each_day_is_drawn_as_tall_as_its_count(make_view: Callable[..., OverviewView], core: Core) -> None:
    store(core, [FoundCode(f"D2-{i}", "Shop", expires=at(2)) for i in range(4)]
          + [FoundCode("D5", "Shop", expires=at(5)), FoundCode("D29", "Shop", expires=at(29))])
    view = make_view()
    chart = view.timeline
    assert [bar.total for bar in chart.bars] == [0, 0, 4, 0, 0, 1] + [0] * 23 + [1]
    plot, top = chart.plot_rect(), chart.axis_max()
    assert top == 5
    for index, bar in enumerate(chart.bars):
        rect = chart.bar_rect(index)
        assert rect.height() == pytest.approx(plot.height() * bar.total / top)
        assert rect.bottom() == pytest.approx(plot.bottom())
    image = chart.grab().toImage()
    highlight = chart.palette().color(QPalette.ColorRole.Highlight)
    window = chart.palette().color(QPalette.ColorRole.Window)
    busy = chart.bar_rect(2)
    assert close(colour_at(chart, busy.center(), image), highlight)
    # Above the short bar of day 5, at the height of day 2's bar: background.
    assert close(colour_at(chart, QPointF(chart.bar_rect(5).center().x(), busy.center().y()), image), window)
    # Bars sit in date order from left to right, inside the plot.
    xs = [chart.band_rect(i).center().x() for i in range(30)]
    assert xs == sorted(xs) and plot.left() <= xs[0] and xs[-1] <= plot.right()


def test_clicking_a_day_emits_its_date(qtbot: QtBot, make_view: Callable[..., OverviewView],
                                       core: Core) -> None:
    store(core, [FoundCode("SOON", "Shop", expires=at(3))])
    view = make_view()
    chart = view.timeline
    target = chart.bar_rect(3).center().toPoint()
    assert chart.bar_at(QPointF(target)) == 3
    with qtbot.waitSignal(view.day_activated, timeout=2000) as blocker:
        qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=target)
    assert blocker.args == [TODAY + timedelta(days=3)]
    # A day without codes is as easy to hit: its whole column counts.
    empty_day = chart.band_rect(10)
    with qtbot.waitSignal(view.day_activated, timeout=2000) as blocker:
        qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=empty_day.center().toPoint())
    assert blocker.args == [TODAY + timedelta(days=10)]
    outside = QPoint(2, 2)  # the margin, left of the axis
    assert chart.bar_at(QPointF(outside)) is None
    with qtbot.assertNotEmitted(view.day_activated, wait=100):
        qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=outside)


def test_the_keyboard_walks_the_days_and_enter_opens_one(qtbot: QtBot,
                                                          make_view: Callable[..., OverviewView],
                                                          core: Core) -> None:
    store(core, [FoundCode("SOON", "Shop", expires=at(1))])
    view = make_view()
    for _ in range(2):
        qtbot.keyClick(view.timeline, Qt.Key.Key_Right)
    with qtbot.waitSignal(view.day_activated, timeout=2000) as blocker:
        qtbot.keyClick(view.timeline, Qt.Key.Key_Return)
    assert blocker.args == [TODAY + timedelta(days=2)]


def raw_tooltip_at(chart: BarChart, point: QPointF) -> str:
    local = point.toPoint()
    QApplication.sendEvent(chart, QHelpEvent(QEvent.Type.ToolTip, local, chart.mapToGlobal(local)))
    return QToolTip.text() if QToolTip.isVisible() else ""


def tooltip_at(chart: BarChart, point: QPointF) -> str:
    """The tooltip as the user reads it (it is shown as rich text)."""
    document = QTextDocument()
    document.setHtml(raw_tooltip_at(chart, point))
    return document.toPlainText().replace("\u2029", "\n")


def test_each_day_has_a_tooltip_naming_its_shops(qtbot: QtBot, make_view: Callable[..., OverviewView],
                                                 core: Core) -> None:
    shops = {"Alpha": 3, "Beta": 2, "Gamma": 1, "Delta": 1}
    store(core, [FoundCode(f"{name}{i}", name, expires=at(4, 10 + i))
                 for name, count in shops.items() for i in range(count)])
    view = make_view()
    chart = view.timeline
    text = tooltip_at(chart, chart.band_rect(4).center())
    assert "7 codes expire" in text and "Alpha (3), Beta (2)" in text and "and 1 more shop" in text
    assert (TODAY + timedelta(days=4)).strftime("%A") in text
    assert "no code expires" in tooltip_at(chart, chart.band_rect(5).center())
    QToolTip.hideText()
    qtbot.waitUntil(lambda: not QToolTip.isVisible())
    assert tooltip_at(chart, QPointF(1, 1)) == ""  # the margin: no bar, no tooltip
    QToolTip.hideText()


def test_shop_rows_split_usable_used_and_expired_codes(make_view: Callable[..., OverviewView],
                                                       core: Core) -> None:
    gone = NOW - timedelta(days=3)
    store(core, [FoundCode(f"A{i}", "Acme", "10% off") for i in range(4)]
          + [FoundCode("A9", "Acme", "30% off"), FoundCode("AX", "Acme", "50% off", gone)]
          + [FoundCode("B1", "Bolt", "$5 off"), FoundCode("B2", "Bolt", "", gone)], used=("A0",))
    view = make_view()
    chart = view.shops
    assert [bar.label for bar in chart.bars] == ["Acme", "Bolt"]
    assert chart.bars[0].values == (4, 1, 1) and chart.bars[1].values == (1, 0, 1)
    assert chart.bars[0].note == "4 usable · best 30% off"
    plot = chart.plot_rect()
    usable, used, expired = (chart.segment_rect(0, s) for s in range(3))
    assert usable.left() == pytest.approx(plot.left())
    assert usable.width() == pytest.approx(plot.width() * 4 / 6)  # the longest bar fills the plot
    assert used.left() == pytest.approx(usable.right()) and used.width() == pytest.approx(usable.width() / 4)
    assert expired.right() == pytest.approx(plot.right())
    assert chart.segment_rect(1, 0).width() == pytest.approx(plot.width() / 6)
    assert chart.segment_rect(1, 1).isEmpty()
    assert chart.bar_at(chart.bar_rect(1).center()) == 1
    text = tooltip_at(chart, chart.bar_rect(0).center())
    assert "Acme: 6 codes" in text and "4 usable, 1 used, 1 expired" in text and "30% off" in text
    QToolTip.hideText()


def test_each_scan_shows_new_codes_under_those_found_again(make_view: Callable[..., OverviewView],
                                                            core: Core) -> None:
    store(core, [FoundCode("ONE", "Shop"), FoundCode("TWO", "Shop")])
    store(core, [FoundCode("ONE", "Shop"), FoundCode("TWO", "Shop"), FoundCode("THREE", "Shop")])
    store(core, [FoundCode("FOUR", "Shop")], finish=False)  # still running: not drawn
    view = make_view()
    chart = view.scans
    assert [bar.values for bar in chart.bars] == [(2, 0), (1, 2)]
    new, known = chart.segment_rect(1, 0), chart.segment_rect(1, 1)
    assert new.bottom() == pytest.approx(chart.plot_rect().bottom())
    assert known.bottom() == pytest.approx(new.top())
    assert known.height() == pytest.approx(2 * new.height())
    assert "3 codes found, 1 new" in tooltip_at(chart, chart.bar_rect(1).center())
    QToolTip.hideText()


def test_an_empty_database_shows_a_friendly_sentence(make_view: Callable[..., OverviewView]) -> None:
    view = make_view()
    assert view.stack.currentWidget() is view.message
    assert EMPTY_TITLE in view.message.text()


def test_codes_without_scans_or_expiry_dates_still_draw(make_view: Callable[..., OverviewView],
                                                        core: Core) -> None:
    store(core, [FoundCode("FOREVER", "Shop")], finish=False)
    view = make_view()
    assert view.stack.currentWidget() is view.content_area
    assert view.timeline.is_empty and view.scans.is_empty and not view.shops.is_empty
    assert view.scans.empty_text == NO_SCANS
    assert view.timeline.bar_at(view.timeline.band_rect(3).center()) == 3  # still laid out
    assert "1 usable code of 1 from 1 shop; 0 expire" in view.summary.text()


def test_new_codes_redraw_the_view_and_a_hidden_view_waits_until_shown(
        qtbot: QtBot, make_view: Callable[..., OverviewView], core: Core) -> None:
    view = make_view()
    assert view.overview is not None and view.overview.is_empty
    store(core, [FoundCode("NEW", "Shop", expires=at(1))])
    with qtbot.waitSignal(view.loaded, timeout=10000):
        view.apply_changes(Changes(codes=True))
    assert view.timeline.bars[1].total == 1 and view.stack.currentWidget() is view.content_area

    view.apply_changes(Changes(jobs=()))  # nothing that concerns codes: no read
    assert not view.loading
    view.hide()
    store(core, [FoundCode("HIDDEN", "Shop", expires=at(1))])
    view.apply_changes(Changes(codes=True))
    assert not view.loading  # no query for a tab nobody looks at
    with qtbot.waitSignal(view.loaded, timeout=10000):
        view.show()
    assert view.timeline.bars[1].total == 2


def test_a_burst_of_changes_costs_two_reads_not_one_each(qtbot: QtBot,
                                                         make_view: Callable[..., OverviewView],
                                                         core: Core) -> None:
    view = make_view()
    answers: list[object] = []
    view.loaded.connect(lambda: answers.append(view.overview))
    store(core, [FoundCode("A", "Shop")])
    for _ in range(5):
        view.apply_changes(Changes(codes=True))
    qtbot.waitUntil(lambda: len(answers) == 2 and not view.loading, timeout=10000)
    qtbot.wait(200)
    assert len(answers) == 2
    assert view.overview is not None and view.overview.total_codes == 1


def test_dark_palette_bars_use_its_highlight_on_its_background(
        make_view: Callable[..., OverviewView], core: Core, dark_palette: QPalette) -> None:
    store(core, [FoundCode("S", "Shop", expires=at(2))])
    view = make_view()
    chart = view.timeline
    used = chart.palette()  # the application's dark palette, as the style completes it
    assert used.color(QPalette.ColorRole.Window) == dark_palette.color(QPalette.ColorRole.Window)
    image = chart.grab().toImage()
    assert close(colour_at(chart, chart.bar_rect(2).center(), image),
                 used.color(QPalette.ColorRole.Highlight))
    above = QPointF(chart.bar_rect(3).center().x(), chart.bar_rect(2).center().y())
    assert close(colour_at(chart, above, image), used.color(QPalette.ColorRole.Window))
    assert colour_at(chart, above, image).lightness() < 60  # the dark window, not white
    for label in (view.summary, view.message):
        assert label.palette().color(QPalette.ColorRole.WindowText).lightness() > 160


def test_high_dpi_rendering_puts_bars_at_the_scaled_place(make_view: Callable[..., OverviewView],
                                                          core: Core) -> None:
    store(core, [FoundCode(f"S{i}", "Shop", expires=at(6)) for i in range(3)])
    view = make_view()
    chart = view.timeline
    image = QImage(chart.size() * 2, QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(2.0)
    image.fill(chart.palette().color(QPalette.ColorRole.Window))
    chart.render(image)
    highlight = chart.palette().color(QPalette.ColorRole.Highlight)
    bar = chart.bar_rect(6)
    assert close(colour_at(chart, bar.center(), image), highlight)
    assert not close(colour_at(chart, QPointF(bar.left() - 2, bar.center().y()), image), highlight)
    # A bar's edge at 2x lands within a device pixel of where the mapping puts it.
    row = int(bar.center().y() * 2)
    inside = [x for x in range(image.width()) if close(image.pixelColor(x, row), highlight)]
    assert abs(min(inside) - bar.left() * 2) <= 1 and abs(max(inside) + 1 - bar.right() * 2) <= 1


def test_a_small_window_keeps_labels_apart_and_rows_readable(
        make_view: Callable[..., OverviewView], core: Core) -> None:
    store(core, [FoundCode(f"C{i}", f"A shop with a rather long name {i % 9}", f"{i}% off",
                           at(i % 30)) for i in range(60)])
    view = make_view(size=(640 - 270, 420 - 60))  # the tab's share of a 640x420 window
    chart = view.timeline
    metrics = chart.fontMetrics()
    every = chart.label_every()
    labelled = [i for i in range(30) if i % every == 0]
    widest = max(metrics.horizontalAdvance(chart.bars[i].label) for i in labelled)
    gap = chart.band_rect(every).left() - chart.band_rect(0).left()
    assert gap >= widest  # neighbouring date labels never overlap
    assert chart.bars[0].label == "Today"
    rows = view.shops
    assert len(rows.bars) == 8
    assert all(rows.band_rect(i).height() >= metrics.height() for i in range(8))
    assert view.content_area.verticalScrollBar().maximum() > 0  # scrolls rather than squashes


def test_wide_windows_put_shops_and_scans_side_by_side(qtbot: QtBot,
                                                       make_view: Callable[..., OverviewView],
                                                       core: Core) -> None:
    store(core, [FoundCode("S", "Shop", expires=at(2))])
    view = make_view(size=(1000, 700))

    def place(chart: BarChart) -> QPoint:
        return chart.mapTo(view, QPoint(0, 0))

    qtbot.waitUntil(lambda: place(view.scans).x() >= place(view.shops).x() + view.shops.width())
    view.resize(QSize(600, 700))
    qtbot.waitUntil(lambda: place(view.scans).y() >= place(view.shops).y() + view.shops.height())



def test_at_midnight_the_timeline_moves_on_a_day(qtbot: QtBot, core: Core, tasks: TaskManager) -> None:
    clock = [datetime.combine(TODAY, datetime.max.time()).astimezone() - timedelta(seconds=0.3)]
    store(core, [FoundCode("TOMORROW", "Shop", expires=at(1))])
    view = OverviewView(CoreApi(core), tasks, clock=lambda: clock[0])
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.loaded, timeout=10000):
        view.show()
    assert view.overview is not None and view.overview.today == TODAY
    assert view.timeline.bars[1].total == 1
    clock[0] = at(1, 0) + timedelta(seconds=1)
    with qtbot.waitSignal(view.loaded, timeout=5000):  # no change needed: the timer reads again
        pass
    assert view.overview.today == TODAY + timedelta(days=1)
    assert view.timeline.bars[0].label == "Today" and view.timeline.bars[0].total == 1


def test_a_failed_read_says_why_instead_of_a_picture(qtbot: QtBot, core: Core,
                                                     tasks: TaskManager) -> None:
    core.repository.database.db.execute_sql("DROP TABLE promo_code")  # a database gone wrong
    view = OverviewView(CoreApi(core), tasks, clock=lambda: NOW)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.status_message, timeout=10000) as blocker:
        view.show()
    assert "Could not refresh the overview" in blocker.args[0] and "promo_code" in blocker.args[0]
    assert view.stack.currentWidget() is view.message
    assert view.message.text().startswith("Could not count your codes")
    assert not view.loading


def test_legends_show_the_colours_the_bars_are_drawn_in(make_view: Callable[..., OverviewView],
                                                        core: Core) -> None:
    gone = NOW - timedelta(days=3)
    store(core, [FoundCode("A1", "Acme"), FoundCode("A2", "Acme"), FoundCode("A3", "Acme", expires=gone)],
          used=("A2",))
    view = make_view()
    legend, chart = view.shop_legend, view.shops
    assert legend.names == ("usable", "used", "expired")
    swatches, bars = legend.grab().toImage(), chart.grab().toImage()
    for segment in range(3):
        swatch = legend.swatch_rect(segment).center()
        drawn = chart.segment_rect(0, segment).center()
        assert close(swatches.pixelColor(int(swatch.x()), int(swatch.y())),
                     bars.pixelColor(int(drawn.x()), int(drawn.y())), slack=3), segment
    assert view.scan_legend.names == ("new", "found again")


def test_a_shop_name_from_mail_is_shown_as_written_not_as_markup(
        qtbot: QtBot, make_view: Callable[..., OverviewView], core: Core) -> None:
    name = '<img src="/etc/hostname"> & <b>Co</b>'
    store(core, [FoundCode("X", name, "10% off", at(2))])
    view = make_view()
    raw = raw_tooltip_at(view.shops, view.shops.bar_rect(0).center())
    assert "<img" not in raw and "&lt;img" in raw
    assert tooltip_at(view.shops, view.shops.bar_rect(0).center()).startswith(name + ": 1 code")
    assert name in tooltip_at(view.timeline, view.timeline.band_rect(2).center())
    QToolTip.hideText()
