"""The codes table: every id of the query up front, rows read lazily a page at a time.

As in Anki's ``browser/table/model.py``, one query returns only the ids (cheap even for
100,000 codes) and rows are read for the pages the user looks at, cached by id as frozen
``StoredCode`` objects. As in qutebrowser's completion models, ``rowCount`` grows a page at
a time through ``canFetchMore``/``fetchMore``. Every read runs on the TaskManager's threads
and comes back on the main thread tagged with a generation, so the answer to an old query
never overwrites a newer one. A row whose data has not arrived shows ``…`` and asks for its
page; when the page arrives the rows emit ``dataChanged``.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import shiboken6
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase

from guard_inbox.domain.models import CodeQuery, StoredCode
from guard_inbox.services.api import CodeReader
from guard_inbox.ui.format import is_expired, is_expiring, relative_expiry, relative_time
from guard_inbox.ui.palette import danger, muted
from guard_inbox.ui.taskman import TaskManager

log = logging.getLogger(__name__)

CODE, MERCHANT, DISCOUNT, EXPIRES, FIRST_SEEN = range(5)
HEADERS = ("Code", "Shop", "Discount", "Expires", "First seen")
SORT_KEYS = ("code", "merchant", "discount", "expires", "first_seen")
PAGE_SIZE = 200
PLACEHOLDER = "…"
EXPIRING_DAYS = 2
MAX_PREFETCH = 400  # extra rows (on screen, selected) re-read with the ids on refresh
CODE_ROLE = Qt.ItemDataRole.UserRole

Index = QModelIndex | QPersistentModelIndex
Clock = Callable[[], datetime]
_Answer = tuple[list[int], dict[int, int], list[StoredCode]]


def local_now() -> datetime:
    return datetime.now().astimezone()


class CodesModel(QAbstractTableModel):
    loaded = Signal(int)  # the ids of a query arrived: how many codes match
    rows_loaded = Signal(int)  # a background page arrived: how many rows it brought
    failed = Signal(str)  # a read failed: a sentence for the status bar

    def __init__(
        self,
        queries: CodeReader,
        tasks: TaskManager,
        parent: QObject | None = None,
        *,
        page_size: int = PAGE_SIZE,
        clock: Clock = local_now,
    ) -> None:
        super().__init__(parent)
        self._queries = queries
        self._tasks = tasks
        self._page = page_size
        self._clock = clock
        self._query = CodeQuery()
        self._ids: list[int] = []
        self._row_of: dict[int, int] = {}
        self._exposed = 0  # rows the view may see (rowCount)
        self._cache: dict[int, StoredCode] = {}
        self._stale: set[int] = set()  # cached, shown, but re-read when next painted
        self._gone: set[int] = set()  # ids a page read did not return (deleted meanwhile)
        self._pending: set[int] = set()  # pages being read for this generation
        self._generation = 0
        self._requested = False
        self.loading = False
        self._font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._used_font = QFont(self._font)
        self._used_font.setStrikeOut(True)

    # -- asking ------------------------------------------------------------------------
    @property
    def query(self) -> CodeQuery:
        return self._query

    @property
    def total(self) -> int:
        """Codes matching the query (rows not yet exposed included)."""
        return len(self._ids)

    def set_query(self, query: CodeQuery) -> None:
        self._query = query
        self._load(keep_exposed=False, prefetch=())

    def refresh(self, prefetch_ids: Sequence[int] = ()) -> None:
        """Re-run the query, keeping exposed rows; ``prefetch_ids`` (rows on screen) are
        re-read in the same trip so they never flash ``…``. Other cached rows turn stale and
        are re-read when next painted."""
        self._load(keep_exposed=True, prefetch=prefetch_ids)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(SORT_KEYS):
            return
        key, descending = SORT_KEYS[column], order == Qt.SortOrder.DescendingOrder
        if self._requested and (key, descending) == (self._query.sort, self._query.descending):
            return  # the header repeating the current order: nothing to re-read
        self.set_query(replace(self._query, sort=key, descending=descending))

    def sort_column(self) -> int:
        return SORT_KEYS.index(self._query.sort) if self._query.sort in SORT_KEYS else FIRST_SEEN

    def sort_order(self) -> Qt.SortOrder:
        return Qt.SortOrder.DescendingOrder if self._query.descending else Qt.SortOrder.AscendingOrder

    def _load(self, *, keep_exposed: bool, prefetch: Sequence[int]) -> None:
        self._generation += 1
        generation = self._generation
        self._pending.clear()
        self._requested = True
        self.loading = True
        query, page, queries = self._query, self._page, self._queries
        extra = list(prefetch)[:MAX_PREFETCH]

        def work() -> _Answer:
            ids = queries.code_ids(query)
            # Built here, off the main thread: with 100,000 codes this is tens of milliseconds.
            row_of = {code_id: row for row, code_id in enumerate(ids)}
            wanted = dict.fromkeys([*ids[:page], *(i for i in extra if i in row_of)])
            return ids, row_of, queries.codes_by_ids(list(wanted))

        self._tasks.run(
            work,
            lambda answer: self._on_ids(generation, keep_exposed, answer),
            lambda exc: self._on_failed(generation, exc),
        )

    def _on_ids(self, generation: int, keep_exposed: bool, answer: _Answer) -> None:
        if generation != self._generation or not shiboken6.isValid(self):
            return
        ids, row_of, codes = answer
        fresh = {code.id: code for code in codes}
        self.loading = False
        self._gone.clear()
        if ids == self._ids:  # same rows in the same order: repaint, keep the view's place
            self._stale = set(self._cache).difference(fresh)
            self._cache.update(fresh)
            if self._exposed:
                last = self.index(self._exposed - 1, len(HEADERS) - 1)
                self.dataChanged.emit(self.index(0, 0), last)
        else:
            self.beginResetModel()
            self._ids = ids
            self._row_of = row_of
            self._cache = {i: c for i, c in self._cache.items() if i in self._row_of}
            self._stale = set(self._cache).difference(fresh)
            self._cache.update(fresh)
            wanted = max(self._page, self._exposed if keep_exposed else 0)
            self._exposed = min(len(ids), wanted)
            self.endResetModel()
        self.loaded.emit(len(ids))

    def _on_failed(self, generation: int, exc: Exception) -> None:
        if generation != self._generation or not shiboken6.isValid(self):
            return
        self.loading = False
        log.warning("Could not read codes: %s", exc)
        self.failed.emit(f"Could not read codes: {exc}")

    # -- pages ---------------------------------------------------------------------------
    def _request_page(self, page: int) -> None:
        if page in self._pending:
            return
        first = page * self._page
        ids = self._ids[first : first + self._page]
        if not ids:
            return
        self._pending.add(page)  # kept on failure, so a broken read is not retried per paint
        generation, queries = self._generation, self._queries
        self._tasks.run(
            lambda: queries.codes_by_ids(ids),
            lambda codes: self._on_page(generation, page, ids, codes),
            lambda exc: self._on_failed(generation, exc),
        )

    def _on_page(self, generation: int, page: int, ids: list[int], codes: list[StoredCode]) -> None:
        if not shiboken6.isValid(self):
            return
        current = generation == self._generation
        for code in codes:
            if current:
                self._cache[code.id] = code
                self._stale.discard(code.id)
            elif code.id in self._row_of and code.id not in self._cache:
                self._cache[code.id] = code  # an older read fills a gap, but stays suspect
                self._stale.add(code.id)
        if current:
            self._pending.discard(page)
            self._gone.update(set(ids).difference(code.id for code in codes))
        rows = [self._row_of[c.id] for c in codes if self._row_of.get(c.id, self._exposed) < self._exposed]
        if rows:
            self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), len(HEADERS) - 1))
        self.rows_loaded.emit(len(codes))

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 (Qt signature)
        return not parent.isValid() and self._exposed < len(self._ids)

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008 (Qt signature)
        if parent.isValid():
            return
        start = self._exposed
        end = min(len(self._ids), start + self._page)
        if end <= start:
            return
        self.beginInsertRows(QModelIndex(), start, end - 1)
        self._exposed = end
        self.endInsertRows()
        for page in range(start // self._page, (end - 1) // self._page + 1):
            if any(i not in self._cache for i in self._ids[page * self._page : (page + 1) * self._page]):
                self._request_page(page)

    def expose(self, row: int) -> None:
        """Grow ``rowCount`` until ``row`` is a visible row (to restore a selection)."""
        while row >= self._exposed and self.canFetchMore():
            self.fetchMore()

    # -- reading -------------------------------------------------------------------------
    def row_of(self, code_id: int) -> int | None:
        """Position of a code in the query's order (maybe beyond ``rowCount``)."""
        return self._row_of.get(code_id)

    def code_id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < self._exposed else None

    def code_at(self, row: int) -> StoredCode | None:
        code_id = self.code_id_at(row)
        return None if code_id is None else self._cache.get(code_id)

    def is_loaded(self, row: int) -> bool:
        return 0 <= row < len(self._ids) and self._ids[row] in self._cache

    # -- QAbstractTableModel -----------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else self._exposed

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else len(HEADERS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(HEADERS):
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self._exposed:
            return None
        code_id = self._ids[index.row()]
        code = self._cache.get(code_id)
        if (code is None or code_id in self._stale) and code_id not in self._gone:
            self._request_page(index.row() // self._page)
        if code is None:
            return PLACEHOLDER if role == Qt.ItemDataRole.DisplayRole else None
        return self._value(code, index.column(), role)

    def _value(self, code: StoredCode, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(code, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(code, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            now = self._clock()
            if code.used or is_expired(code.expires, now):
                return muted()
            if column == EXPIRES and is_expiring(code.expires, now, EXPIRING_DAYS):
                return danger()
            return None
        if role == Qt.ItemDataRole.FontRole and column == CODE:
            return self._used_font if code.used else self._font
        if role == CODE_ROLE:
            return code
        return None

    def _display(self, code: StoredCode, column: int) -> str:
        if column == CODE:
            return code.code
        if column == MERCHANT:
            return code.merchant
        if column == DISCOUNT:
            return code.discount
        if column == EXPIRES:
            return relative_expiry(code.expires, self._clock())
        if column == FIRST_SEEN:
            return relative_time(code.first_seen, self._clock())
        return ""

    def _tooltip(self, code: StoredCode, column: int) -> str | None:
        lines = [code.subject] if code.subject else []
        if code.sender:
            lines.append(f"From: {code.sender}")
        when = {EXPIRES: ("Expires", code.expires), FIRST_SEEN: ("First seen", code.first_seen)}
        label, moment = when.get(column, ("", None))
        if moment is not None:
            lines.append(f"{label} {moment.astimezone(self._clock().tzinfo):%a %d %b %Y, %H:%M}")
        if code.min_spend:
            lines.append(f"Minimum spend: {code.min_spend}")
        if code.used:
            lines.append("Marked as used")
        if not lines:
            return None
        # Subjects are sender-controlled: escaped, so a tag in one is shown, never rendered.
        return "<qt>" + "<br>".join(html.escape(line) for line in lines) + "</qt>"
