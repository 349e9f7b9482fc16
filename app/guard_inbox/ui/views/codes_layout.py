"""Column widths for the codes table that fit a small window (640×420) without cutting dates.

Widths come from the fonts and the locale's own date format, not from fixed pixels: a long
German date or a large font still fits. When the table is too narrow for every column, the
least useful go first (First seen, then Discount, which the Shop column then shows beside the
shop's name; both stay in the row's tooltip), so Used, Code, Shop and Expires always show.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QHeaderView, QTableView

from guard_inbox.ui.format import local_date
from guard_inbox.ui.models.codes_model import (
    CODE,
    DISCOUNT,
    EXPIRES,
    FIRST_SEEN,
    HEADERS,
    MERCHANT,
    USED,
    CodesModel,
)

PADDING = 18  # cell margins and the grid line
SORT_ARROW = 22  # the header's sort indicator beside its text
MIN_SHOP = 80
HIDE_FIRST = (FIRST_SEEN, DISCOUNT)  # dropped in this order when the table is narrow
_SAMPLE_DATES = [datetime(2026, month, 28, tzinfo=UTC) for month in (9, 11, 12)]


def column_widths(text: QFontMetrics, code: QFontMetrics) -> dict[int, int]:
    """Starting widths per column (Shop stretches over what is left)."""
    header = {column: text.horizontalAdvance(HEADERS[column]) + SORT_ARROW + PADDING
              for column in range(len(HEADERS))}
    date = max(text.horizontalAdvance(local_date(d, d)) for d in _SAMPLE_DATES) + PADDING
    return {
        USED: max(text.horizontalAdvance(HEADERS[USED]) + PADDING, 24 + PADDING),  # not sortable
        CODE: max(header[CODE], code.horizontalAdvance("W" * 11) + PADDING),
        DISCOUNT: max(header[DISCOUNT], text.horizontalAdvance("20% off all") + PADDING),
        EXPIRES: max(header[EXPIRES], date),
        FIRST_SEEN: max(header[FIRST_SEEN], date),
    }


def set_up(table: QTableView, widths: dict[int, int]) -> None:
    header = table.horizontalHeader()
    header.setMinimumSectionSize(24)
    header.setSectionResizeMode(MERCHANT, QHeaderView.ResizeMode.Stretch)
    for column, width in widths.items():
        table.setColumnWidth(column, width)
    for column in (USED, EXPIRES):  # never narrower than their content
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)


def fit(table: QTableView, widths: dict[int, int]) -> list[int]:
    """Hide what does not fit at this width, show it again when it does; returns the hidden."""
    available = table.viewport().width()
    hidden: list[int] = []
    for column in HIDE_FIRST:
        needed = sum(_width(table, widths, c) for c in widths if c not in hidden) + MIN_SHOP
        if needed <= available:
            break
        hidden.append(column)
    for column in HIDE_FIRST:
        table.setColumnHidden(column, column in hidden)
    return hidden


def _width(table: QTableView, widths: dict[int, int], column: int) -> int:
    """The user's width for a shown column, ours for a hidden one."""
    shown = not table.isColumnHidden(column) and table.columnWidth(column) > 0
    return table.columnWidth(column) if shown else widths[column]


def span_groups(table: QTableView, model: CodesModel, first: int, last: int) -> None:
    """Shop header rows read across the whole table."""
    for row in range(first, last + 1):
        if model.group_at(row) is not None and table.columnSpan(row, 0) == 1:
            table.setSpan(row, 0, 1, len(HEADERS))
