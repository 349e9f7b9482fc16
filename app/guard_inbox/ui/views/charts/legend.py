"""A one-line legend: a swatch per series in the chart's own colours, painted from the palette
at paint time so it always matches the bars (dark or light)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from guard_inbox.ui.views.charts.bar_chart import Colours

GAP = 12.0


class Legend(QWidget):
    def __init__(self, names: Sequence[str], colours: Colours, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.names = tuple(names)
        self._colours = colours
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Legend: " + ", ".join(self.names))

    def swatch_rect(self, index: int) -> QRectF:
        """Where series ``index``'s swatch is painted (its name follows it)."""
        metrics = self.fontMetrics()
        side = metrics.height() * 0.7
        x = 0.0
        for name in self.names[:index]:
            x += side + 4 + metrics.horizontalAdvance(name) + GAP
        return QRectF(x, (self.height() - side) / 2, side, side)

    def sizeHint(self) -> QSize:
        last = len(self.names) - 1
        if last < 0:
            return QSize(0, 0)
        end = self.swatch_rect(last).right() + 4 + self.fontMetrics().horizontalAdvance(self.names[last])
        return QSize(int(end) + 1, self.fontMetrics().height() + 2)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        colours = list(self._colours(palette))
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        for index, name in enumerate(self.names):
            swatch = self.swatch_rect(index)
            painter.fillRect(swatch, colours[min(index, len(colours) - 1)])
            text = QRectF(swatch.right() + 4, 0, self.width() - swatch.right() - 4, self.height())
            painter.drawText(text, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
