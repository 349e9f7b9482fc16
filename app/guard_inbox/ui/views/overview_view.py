"""The Overview tab: when codes expire, which shops they are for, and what each scan found.

Three pictures of figures the database has already counted (``AppApi.overview``), read on
the TaskManager's threads as the codes list reads its ids: the main thread only draws. A
change while the tab is hidden marks it stale and it reads again when shown; changes that
arrive while a read runs are folded into one more read, so a burst of finished scans costs
two queries, not one each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from guard_inbox.domain.models import JobState
from guard_inbox.domain.overview import ExpiringDay, Overview, ScanSummary, ShopSummary
from guard_inbox.services.api import Changes, OverviewReader
from guard_inbox.ui.palette import danger
from guard_inbox.ui.taskman import TaskManager
from guard_inbox.ui.views.charts.bar_chart import Bar, BarChart
from guard_inbox.ui.views.charts.legend import Legend

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
SIDE_BY_SIDE_WIDTH = 820  # wider than this, the shop and scan charts share a row
LOADING = "Counting your codes…"
EMPTY_TITLE = "Nothing to picture yet"
EMPTY_TEXT = ("Once a scan finds codes, this tab shows when they expire, which shops they are "
              "for and what each scan found. Scan an account, or try the demo mailbox.")
NO_EXPIRING = "No code expires in the next 30 days"
NO_SHOPS = "No codes stored yet"
NO_SCANS = "No scan has finished yet"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _local(value: datetime) -> datetime:
    return value.astimezone()


def day_label(day: ExpiringDay, today: date) -> str:
    return "Today" if day.day == today else f"{day.day.day} {day.day:%b}"


def day_tooltip(day: ExpiringDay, today: date) -> str:
    when = "Today" if day.day == today else f"{day.day:%A} {day.day.day} {day.day:%B}"
    if not day.count:
        return f"{when}: no code expires"
    shops = ", ".join(f"{name or 'Unknown shop'} ({count})" for name, count in day.shops)
    more = f" and {_plural(day.more_shops, 'more shop')}" if day.more_shops else ""
    return f"{when}: {_plural(day.count, 'code')} expire{'s' if day.count == 1 else ''}\n{shops}{more}"


def shop_note(shop: ShopSummary) -> str:
    best = f" · best {shop.best_discount}" if shop.best_discount else ""
    return f"{shop.active:,} usable{best}"


def shop_tooltip(shop: ShopSummary) -> str:
    lines = [f"{shop.merchant or 'Unknown shop'}: {_plural(shop.codes, 'code')}",
             f"{shop.active:,} usable, {shop.used:,} used, {shop.expired:,} expired"]
    if shop.discounts:
        lines.append("Discounts: " + ", ".join(shop.discounts))
    return "\n".join(lines)


def scan_label(scan: ScanSummary, today: date) -> str:
    if scan.finished_at is None:
        return ""
    local = _local(scan.finished_at)
    return f"{local:%H:%M}" if local.date() == today else f"{local.day} {local:%b}"


def scan_tooltip(scan: ScanSummary) -> str:
    when = ""
    if scan.finished_at is not None:
        local = _local(scan.finished_at)
        when = f", {local.day} {local:%b %H:%M}"
    ended = {JobState.FAILED: " (failed)", JobState.CANCELLED: " (cancelled)"}.get(scan.state, "")
    return (f"{scan.account_label}{when}{ended}\n{_plural(scan.scanned, 'message')} read\n"
            f"{_plural(scan.found, 'code')} found, {scan.new:,} new")


def _faded(colour: QColor, alpha: float) -> QColor:
    faded = QColor(colour)
    faded.setAlphaF(alpha)
    return faded


def _shop_colours(palette: QPalette) -> list[QColor]:
    """Usable codes in the highlight colour; used ones and expired ones fade behind them."""
    text = palette.color(QPalette.ColorRole.PlaceholderText)
    return [palette.color(QPalette.ColorRole.Highlight), _faded(text, 0.55), _faded(danger(), 0.45)]


def _scan_colours(palette: QPalette) -> list[QColor]:
    """New codes stand out; codes a scan found again are the same colour, faded."""
    highlight = palette.color(QPalette.ColorRole.Highlight)
    return [highlight, _faded(highlight, 0.4)]


def _section(title: str, caption: str, chart: BarChart, parent: QWidget,
             legend: Legend | None = None) -> QWidget:
    box = QWidget(parent)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    heading = QLabel(f"<b>{title}</b>", box)
    note = QLabel(caption, box)
    note.setWordWrap(True)
    note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    layout.addWidget(heading)
    layout.addWidget(note)
    if legend is not None:
        legend.setParent(box)
        layout.addWidget(legend)
    layout.addWidget(chart, 1)
    chart.setAccessibleName(title)
    return box


class OverviewView(QWidget):
    day_activated = Signal(object)  # datetime.date of the timeline's day clicked
    loaded = Signal()  # an answer was drawn (tests and the window wait for it)
    status_message = Signal(str)  # a failed read, for the status bar

    def __init__(self, reader: OverviewReader, tasks: TaskManager, parent: QWidget | None = None,
                 *, clock: Clock | None = None) -> None:
        super().__init__(parent)
        self._reader = reader
        self._tasks = tasks
        self._clock = clock  # None: the system's clock and time zone, read by the service
        self.overview: Overview | None = None
        self.loading = False
        self._again = False
        self._stale = True
        self._midnight = QTimer(self)  # the timeline moves on a day at local midnight
        self._midnight.setSingleShot(True)
        self._midnight.timeout.connect(lambda: self.apply_changes(Changes(codes=True)))
        self._build()

    # -- building ------------------------------------------------------------------------
    def _build(self) -> None:
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.timeline = BarChart(empty_text=NO_EXPIRING, parent=self)
        self.timeline.bar_activated.connect(self._day_clicked)
        self.shops = BarChart(horizontal=True, empty_text=NO_SHOPS, colours=_shop_colours, parent=self)
        self.scans = BarChart(empty_text=NO_SCANS, colours=_scan_colours, parent=self)
        content = QWidget(self)
        layout = QVBoxLayout(content)
        layout.addWidget(self.summary)
        layout.addWidget(_section(
            "Expiring in the next 30 days", "Unused codes per day; click a day to list its codes.",
            self.timeline, content), 3)
        self.pair = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.shop_legend = Legend(("usable", "used", "expired"), _shop_colours)
        self.pair.addWidget(_section(
            "Codes per shop", "The shops with most usable codes, each with its best discount.",
            self.shops, content, self.shop_legend), 1)
        self.scan_legend = Legend(("new", "found again"), _scan_colours)
        self.pair.addWidget(_section(
            "Found per scan", "What each of the latest scans found.",
            self.scans, content, self.scan_legend), 1)
        layout.addLayout(self.pair, 4)
        self.content_area = QScrollArea(self)
        self.content_area.setWidget(content)
        self.content_area.setWidgetResizable(True)
        self.content_area.setFrameShape(QFrame.Shape.NoFrame)
        self.content_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.message = QLabel(LOADING, self)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setMargin(24)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.content_area)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

    # -- reading -------------------------------------------------------------------------
    def apply_changes(self, changes: Changes) -> None:
        """Subscribed to the change hub: codes or accounts changed, so the counts may have."""
        if not (changes.codes or changes.accounts):
            return
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True  # read when next shown: no queries for a tab nobody looks at

    def _now(self) -> datetime:
        return self._clock() if self._clock else datetime.now().astimezone()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        today = self._now().date()
        if self._stale or (self.overview is not None and self.overview.today != today):
            self.refresh()

    def refresh(self) -> None:
        self._stale = False
        if self.loading:
            self._again = True  # one more read when this one is back
            return
        self.loading = True
        reader, now = self._reader, self._clock() if self._clock else None
        self._tasks.run(lambda: reader.overview(now), self._on_loaded, self._on_failed)

    def _on_loaded(self, overview: Overview) -> None:
        if not shiboken6.isValid(self):
            return
        self.loading = False
        if self._again:
            self._again = False
            self.refresh()
        self.show_overview(overview)

    def _on_failed(self, exc: Exception) -> None:
        log.warning("Could not read the overview: %s", exc)
        if not shiboken6.isValid(self):
            return
        self.loading = False
        if self.overview is None:
            self.message.setTextFormat(Qt.TextFormat.PlainText)  # an error's own < and & stay
            self.message.setText(f"Could not count your codes: {exc}")
        self.status_message.emit(f"Could not refresh the overview: {exc}")

    # -- drawing -------------------------------------------------------------------------
    def show_overview(self, overview: Overview) -> None:
        self.overview = overview
        if overview.is_empty:
            self.message.setTextFormat(Qt.TextFormat.RichText)
            self.message.setText(f"<h3>{EMPTY_TITLE}</h3><p>{EMPTY_TEXT}</p>")
            self.stack.setCurrentWidget(self.message)
        else:
            self.stack.setCurrentWidget(self.content_area)
        self.summary.setText(
            f"{_plural(overview.active_codes, 'usable code')} of {overview.total_codes:,} from "
            f"{_plural(overview.shop_count, 'shop')}; {overview.expiring_total:,} expire in the "
            "next 30 days."
        )
        today = overview.today
        self.timeline.set_bars([Bar(day_label(d, today), (d.count,), day_tooltip(d, today))
                                for d in overview.expiring])
        self.shops.set_bars([Bar(s.merchant or "Unknown shop", (s.active, s.used, s.expired),
                                 shop_tooltip(s), shop_note(s)) for s in overview.shops])
        self.scans.set_bars([Bar(scan_label(s, today), (s.new, s.known), scan_tooltip(s))
                             for s in overview.scans])
        self._wake_at_midnight()
        self.loaded.emit()

    def _wake_at_midnight(self) -> None:
        now = self._now()
        midnight = datetime.combine(now.date() + timedelta(days=1), time()).replace(tzinfo=now.tzinfo)
        seconds = (midnight - now).total_seconds() + 1  # a second late: surely the new day
        self._midnight.start(int(min(max(seconds, 1), 86_400) * 1000))

    def resizeEvent(self, event: QResizeEvent) -> None:
        wide = event.size().width() >= SIDE_BY_SIDE_WIDTH
        self.pair.setDirection(QBoxLayout.Direction.LeftToRight if wide
                               else QBoxLayout.Direction.TopToBottom)
        super().resizeEvent(event)

    def _day_clicked(self, index: int) -> None:
        if self.overview is not None and 0 <= index < len(self.overview.expiring):
            self.day_activated.emit(self.overview.expiring[index].day)
