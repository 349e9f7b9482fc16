"""A bar chart drawn with QPainter: stacked bars, tooltips, hover, click and keyboard.

Drawn rather than borrowed: PySide6-Essentials has no QtCharts, and a plotting library
(pyqtgraph needs numpy) would add tens of megabytes for three bar charts. Geometry is one
pure mapping (``bar_rect``/``segment_rect``) that painting, hit-testing (``bar_at``) and the
tests share, so what is drawn is what is clicked. Colours are read from the palette at paint
time (dark and light follow the system); coordinates are logical, so high-DPI screens get
crisp bars from Qt's own scaling.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

Colours = Callable[[QPalette], Sequence[QColor]]
PAD = 6.0
BAR_SHARE = 0.72  # of each bar's band; the rest is the gap between bars
MAX_ROW = 2.2  # horizontal bars: a row at most this many text lines tall
MAX_THICK = 1.3  # a bar at most this many lines thick (twice that for columns): one scan is no wall
ACTIVATE_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # under a column, or left of a row ("" shows none)
    values: tuple[int, ...]  # stacked segments, from the axis outwards
    tooltip: str
    note: str = ""  # horizontal bars: written after the bar's end

    @property
    def total(self) -> int:
        return sum(max(v, 0) for v in self.values)


def as_tooltip(text: str) -> str:
    """Plain text as Qt rich text: a shop named ``<img src=…>`` (it comes from mail) shows as
    written, never as markup that could load a local file."""
    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"


def nice_ceiling(value: int) -> int:
    """The axis top: ``value`` rounded up to 1, 2 or 5 times a power of ten."""
    if value <= 1:
        return 1
    power = int(10 ** math.floor(math.log10(value)))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def default_colours(palette: QPalette) -> list[QColor]:
    return [palette.color(QPalette.ColorRole.Highlight), palette.color(QPalette.ColorRole.Mid)]


class BarChart(QWidget):
    bar_activated = Signal(int)  # the index of the bar clicked or entered

    def __init__(self, *, horizontal: bool = False, empty_text: str = "",
                 colours: Colours = default_colours, label_every: int = 0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.horizontal = horizontal
        self.empty_text = empty_text
        self._colours = colours
        self._label_every = label_every  # 0: as often as the labels fit
        self.bars: tuple[Bar, ...] = ()
        self.hovered: int | None = None
        self.current = 0  # the keyboard's bar
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_bars(self, bars: Sequence[Bar]) -> None:
        self.bars = tuple(bars)
        self.hovered = None
        self.current = min(self.current, max(len(self.bars) - 1, 0))
        self.setAccessibleDescription(f"{len(self.bars)} bars")
        self.updateGeometry()
        self.update()

    @property
    def is_empty(self) -> bool:
        return not any(bar.total for bar in self.bars)

    # -- geometry: data to pixels, shared by painting and hit-testing -------------------------
    def axis_max(self) -> int:
        """The value at the plot's far edge: a round number under labelled gridlines; the
        longest bar itself for rows, whose values are written out beside them."""
        longest = max((bar.total for bar in self.bars), default=0)
        return max(longest, 1) if self.horizontal else nice_ceiling(longest)

    def _line(self) -> float:
        return float(self.fontMetrics().height())

    def plot_rect(self) -> QRectF:
        """Where bars go: inside the axis labels."""
        metrics, line = self.fontMetrics(), self._line()
        area = QRectF(self.rect()).adjusted(PAD, PAD, -PAD, -PAD)
        if self.horizontal:
            labels = max((metrics.horizontalAdvance(b.label) for b in self.bars), default=0)
            notes = max((metrics.horizontalAdvance(b.note) for b in self.bars), default=0)
            left = min(labels + PAD, area.width() * 0.38)
            right = min(notes + PAD, area.width() * 0.34)
            height = min(area.height(), len(self.bars) * line * MAX_ROW)
            return QRectF(area.left() + left, area.top(), max(area.width() - left - right, 1.0), height)
        axis = metrics.horizontalAdvance(f"{self.axis_max():,}") + PAD
        return area.adjusted(axis, line * 0.5, 0, -(line + PAD * 0.5))

    def band_rect(self, index: int) -> QRectF:
        """The slice of the plot a bar owns (its column or row), gap included."""
        plot, count = self.plot_rect(), max(len(self.bars), 1)
        if self.horizontal:
            step = plot.height() / count
            return QRectF(plot.left(), plot.top() + index * step, plot.width(), step)
        step = plot.width() / count
        return QRectF(plot.left() + index * step, plot.top(), step, plot.height())

    def segment_rect(self, index: int, segment: int) -> QRectF:
        """Where one stacked value of one bar is drawn (empty for a zero value)."""
        band, top = self.band_rect(index), self.axis_max()
        values = [max(v, 0) for v in self.bars[index].values]
        before, value = sum(values[:segment]), values[segment]
        if self.horizontal:
            thick = min(band.height() * BAR_SHARE, self._line() * MAX_THICK)
            scale = band.width() / top
            return QRectF(band.left() + before * scale, band.center().y() - thick / 2,
                          value * scale, thick)
        thick = min(max(band.width() * BAR_SHARE, 1.0), self._line() * MAX_THICK * 2)
        scale = band.height() / top
        return QRectF(band.center().x() - thick / 2, band.bottom() - (before + value) * scale,
                      thick, value * scale)

    def bar_rect(self, index: int) -> QRectF:
        """The whole stacked bar ``index``, as painted."""
        segments = [self.segment_rect(index, s) for s in range(len(self.bars[index].values))]
        rect = QRectF(segments[0]) if segments else QRectF()
        for segment in segments[1:]:
            rect = rect.united(segment) if not segment.isEmpty() else rect
        return rect

    def bar_at(self, pos: QPointF) -> int | None:
        """The bar whose band holds ``pos``: a day with one code is as easy to hit as a busy one."""
        for index in range(len(self.bars)):
            if self.band_rect(index).contains(pos):
                return index
        return None

    def sizeHint(self) -> QSize:
        line = self._line()
        if self.horizontal:
            return QSize(360, int(max(len(self.bars), 3) * line * 1.8 + 2 * PAD))
        return QSize(360, int(line * 9))

    def minimumSizeHint(self) -> QSize:
        line = self._line()
        rows = max(len(self.bars), 3) if self.horizontal else 6
        return QSize(200, int(rows * line * (1.5 if self.horizontal else 1.0) + 2 * PAD))

    # -- painting ----------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        if self.is_empty:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             self.empty_text)
            return
        self._paint_grid(painter, palette)
        colours = list(self._colours(palette)) or default_colours(palette)
        for index, bar in enumerate(self.bars):
            for segment in range(len(bar.values)):
                rect = self.segment_rect(index, segment)
                if rect.isEmpty():
                    continue
                colour = QColor(colours[min(segment, len(colours) - 1)])
                if index == self.hovered:
                    colour = colour.lighter(125) if colour.lightness() < 128 else colour.darker(115)
                painter.fillRect(rect, colour)
        painter.setPen(text)
        self._paint_labels(painter)
        if self.hasFocus() and self.bars:
            pen = QPen(palette.color(QPalette.ColorRole.Highlight), 1, Qt.PenStyle.DotLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.band_rect(self.current).adjusted(0.5, 0.5, -0.5, -0.5))

    def _paint_grid(self, painter: QPainter, palette: QPalette) -> None:
        plot, top = self.plot_rect(), self.axis_max()
        grid = QColor(palette.color(QPalette.ColorRole.PlaceholderText))
        grid.setAlphaF(0.35)
        painter.setPen(QPen(grid, 0))
        if self.horizontal:  # a baseline only: each row's figure is written at its end
            painter.drawLine(plot.topLeft(), plot.bottomLeft())
            return
        for value in sorted({0, top // 2 if top % 2 == 0 else 0, top}):
            share = value / top
            y = plot.bottom() - plot.height() * share
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(QRectF(PAD, y - self._line() / 2, plot.left() - 2 * PAD, self._line()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{value:,}")
            painter.setPen(QPen(grid, 0))

    def _paint_labels(self, painter: QPainter) -> None:
        metrics, plot = self.fontMetrics(), self.plot_rect()
        if self.horizontal:
            for index, bar in enumerate(self.bars):
                band = self.band_rect(index)
                left = QRectF(PAD, band.top(), plot.left() - 2 * PAD, band.height())
                painter.drawText(left, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                                 metrics.elidedText(bar.label, Qt.TextElideMode.ElideRight,
                                                    int(left.width())))
                end = self.bar_rect(index).right() + PAD
                room = QRectF(end, band.top(), max(self.width() - end - PAD, 0.0), band.height())
                painter.drawText(room, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 metrics.elidedText(bar.note, Qt.TextElideMode.ElideRight,
                                                    int(room.width())))
            return
        every = self.label_every()
        for index, bar in enumerate(self.bars):
            if index % every or not bar.label:
                continue
            band = self.band_rect(index)
            width = metrics.horizontalAdvance(bar.label)
            x = min(max(band.center().x() - width / 2, plot.left()), self.width() - PAD - width)
            painter.drawText(QRectF(x, plot.bottom() + PAD * 0.5, width + 1, self._line()),
                             Qt.AlignmentFlag.AlignLeft, bar.label)

    def label_every(self) -> int:
        """Column labels: every n-th, so that they never overlap."""
        if self._label_every:
            return self._label_every
        widest = max((self.fontMetrics().horizontalAdvance(b.label) for b in self.bars), default=0)
        band = self.plot_rect().width() / max(len(self.bars), 1)
        return max(1, math.ceil((widest + PAD * 2) / max(band, 1.0)))

    # -- interaction -------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self.bar_at(QPointF(event.pos()))
            if index is None or self.is_empty:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), as_tooltip(self.bars[index].tooltip), self,
                                  self.band_rect(index).toAlignedRect())
            return True
        return super().event(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = None if self.is_empty else self.bar_at(event.position())
        if index != self.hovered:
            self.hovered = index
            self.setCursor(Qt.CursorShape.PointingHandCursor if index is not None
                           else Qt.CursorShape.ArrowCursor)
            self.update()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self.hovered = None
        self.update()
        super().leaveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = None if self.is_empty else self.bar_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and index is not None:
            self.current = index
            self.update()
            self.bar_activated.emit(index)
            return
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Up: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Down: 1}
        key = Qt.Key(event.key())
        if self.bars and key in step:
            self.current = min(max(self.current + step[key], 0), len(self.bars) - 1)
            band = self.band_rect(self.current)
            QToolTip.showText(self.mapToGlobal(band.center().toPoint()),
                              as_tooltip(self.bars[self.current].tooltip), self, band.toAlignedRect())
            self.update()
            return
        if self.bars and key in ACTIVATE_KEYS and not self.is_empty:
            self.bar_activated.emit(self.current)
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.update()
        super().focusOutEvent(event)
