"""The codes table: every id of the query up front, rows read lazily a page at a time.

As in Anki's ``browser/table/model.py``, one query returns only the ids (cheap even for
100,000 codes) and rows are read for the pages the user looks at, cached by id as frozen
``StoredCode`` objects. As in qutebrowser's completion models, ``rowCount`` grows a page at
a time through ``canFetchMore``/``fetchMore``. Every read runs on the TaskManager's threads
and comes back on the main thread tagged with a generation, so the answer to an old query
never overwrites a newer one. A row whose data has not arrived shows ``…`` and asks for its
page; when the page arrives the rows emit ``dataChanged``.

Grouped by shop, the id list also holds one header row per shop (negative entries, spanned
across the table by the view). The Used column is a checkbox: ticking it only *asks*
(``used_toggled``); the view performs it as an undoable command and calls ``set_used``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import shiboken6
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase

from guard_inbox.domain.models import DEFAULT_EXPIRING_DAYS, CodeQuery, StoredCode
from guard_inbox.services.api import CodeReader
from guard_inbox.ui.format import is_expired, is_expiring, local_date
from guard_inbox.ui.models.code_tooltip import code_tooltip
from guard_inbox.ui.models.shop_groups import Groups, grouped
from guard_inbox.ui.palette import danger, muted
from guard_inbox.ui.taskman import TaskManager

log = logging.getLogger(__name__)

USED, CODE, MERCHANT, DISCOUNT, EXPIRES, FIRST_SEEN = range(6)
HEADERS = ("✓", "Code", "Shop", "Discount", "Expires", "First seen")  # ✓: Used (its tooltip)
HEADER_TIPS = ("Used: tick a code once you have used it (Ctrl+U; Ctrl+Z undoes)",)
SORT_KEYS = ("used", "code", "merchant", "discount", "expires", "first_seen")
PAGE_SIZE = 200
PLACEHOLDER = "…"
MAX_PREFETCH = 400  # extra rows (on screen, selected) re-read with the ids on refresh
CODE_ROLE = Qt.ItemDataRole.UserRole
GROUP_ROLE = Qt.ItemDataRole.UserRole + 1  # a shop header row: its shop's name

Index = QModelIndex | QPersistentModelIndex
Clock = Callable[[], datetime]
_Answer = tuple[list[int], dict[int, int], list[StoredCode], Groups]


def local_now() -> datetime:
    return datetime.now().astimezone()


class CodesModel(QAbstractTableModel):
    loaded = Signal(int)  # the ids of a query arrived: how many codes match
    rows_loaded = Signal(int)  # a background page arrived: how many rows it brought
    failed = Signal(str)  # a read failed: a sentence for the status bar
    used_toggled = Signal(object, bool)  # the Used box of a StoredCode was clicked: (code, used)

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
        self._ids: list[int] = []  # code ids, and negative shop header entries when grouped
        self._groups: Groups = []
        self._expiring_days = DEFAULT_EXPIRING_DAYS
        self._discount_with_shop = False
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
        self._group_font = QFont()
        self._group_font.setBold(True)

    # -- asking ------------------------------------------------------------------------
    @property
    def query(self) -> CodeQuery:
        return self._query

    @property
    def total(self) -> int:
        """Codes matching the query (rows not yet exposed included)."""
        return len(self._ids)

    @property
    def expiring_days(self) -> int:
        return self._expiring_days

    def set_expiring_days(self, days: int) -> None:
        """The "Expiring soon" window (the notification setting): colours follow it at once."""
        self._expiring_days = days
        if self._exposed:
            self.dataChanged.emit(self.index(0, EXPIRES), self.index(self._exposed - 1, EXPIRES))

    def set_discount_with_shop(self, on: bool) -> None:
        """A narrow table hides the Discount column: the Shop column then shows it too."""
        if on != self._discount_with_shop:
            self._discount_with_shop = on
            if self._exposed:
                self.dataChanged.emit(self.index(0, MERCHANT), self.index(self._exposed - 1, MERCHANT))

    def keep(self, ids: Sequence[int]) -> None:
        """Codes the next refresh answers whatever the filter (see CodeQuery.keep_ids)."""
        self._query = replace(self._query, keep_ids=tuple(ids))

    def set_used(self, code_id: int, used: bool) -> None:
        """Show a code as (not) used at once, before the database says so."""
        code, row = self._cache.get(code_id), self._row_of.get(code_id)
        if code is None or code.used == used:
            return
        self._cache[code_id] = replace(code, used=used)
        if row is not None and row < self._exposed:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))

    def group_at(self, row: int) -> tuple[str, int] | None:
        """(shop, codes) when ``row`` is a shop's header row."""
        entry = self._ids[row] if 0 <= row < self._exposed else 0
        return self._groups[-entry - 1] if entry < 0 else None

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
            groups: Groups = []
            if query.group_by_shop:
                ids, groups = grouped(queries.code_shops(query))
            else:
                ids = queries.code_ids(query)
            # Built here, off the main thread: with 100,000 codes this is tens of milliseconds.
            row_of = {code_id: row for row, code_id in enumerate(ids)}
            first = (i for i in ids[:page] if i >= 0)
            wanted = dict.fromkeys([*first, *(i for i in extra if i in row_of)])
            return ids, row_of, queries.codes_by_ids(list(wanted)), groups

        self._tasks.run(
            work,
            lambda answer: self._on_ids(generation, keep_exposed, answer),
            lambda exc: self._on_failed(generation, exc),
        )

    def _on_ids(self, generation: int, keep_exposed: bool, answer: _Answer) -> None:
        if generation != self._generation or not shiboken6.isValid(self):
            return
        ids, row_of, codes, groups = answer
        fresh = {code.id: code for code in codes}
        self.loading = False
        self._gone.clear()
        # The same rows in the same order: repaint, keep the view's place.
        if ids == self._ids and groups == self._groups:
            self._stale = set(self._cache).difference(fresh)
            self._cache.update(fresh)
            if self._exposed:
                last = self.index(self._exposed - 1, len(HEADERS) - 1)
                self.dataChanged.emit(self.index(0, 0), last)
        else:
            self.beginResetModel()
            self._ids = ids
            self._groups = groups
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
        ids = [i for i in self._ids[first : first + self._page] if i >= 0]
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
            entries = self._ids[page * self._page : (page + 1) * self._page]
            if any(i >= 0 and i not in self._cache for i in entries):
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
        entry = self._ids[row] if 0 <= row < self._exposed else -1
        return entry if entry >= 0 else None

    def code_at(self, row: int) -> StoredCode | None:
        code_id = self.code_id_at(row)
        return None if code_id is None else self._cache.get(code_id)

    def is_loaded(self, row: int) -> bool:
        return 0 <= row < len(self._ids) and (self._ids[row] < 0 or self._ids[row] in self._cache)

    # -- QAbstractTableModel -----------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else self._exposed

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else len(HEADERS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren
        if self.group_at(index.row()) is not None:
            return flags  # a shop's header: not a code, nothing to select
        flags |= Qt.ItemFlag.ItemIsSelectable
        if index.column() == USED:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """A click on a Used box: asks for the change (``used_toggled``); the view does it."""
        code = self.code_at(index.row()) if index.isValid() else None
        if code is None or index.column() != USED or role != Qt.ItemDataRole.CheckStateRole:
            return False
        self.used_toggled.emit(code, Qt.CheckState(value) == Qt.CheckState.Checked)
        return True

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(HEADERS):
            return HEADERS[section]
        if horizontal and role == Qt.ItemDataRole.ToolTipRole and 0 <= section < len(HEADER_TIPS):
            return HEADER_TIPS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self._exposed:
            return None
        code_id = self._ids[index.row()]
        if code_id < 0:
            return self._group_value(self._groups[-code_id - 1], index.column(), role)
        code = self._cache.get(code_id)
        if (code is None or code_id in self._stale) and code_id not in self._gone:
            self._request_page(index.row() // self._page)
        if code is None:
            return PLACEHOLDER if role == Qt.ItemDataRole.DisplayRole else None
        return self._value(code, index.column(), role)

    def _group_value(self, group: tuple[str, int], column: int, role: int) -> Any:
        name, count = group
        if column == 0 and role == Qt.ItemDataRole.DisplayRole:
            return f"{name}  ·  {count} code{'' if count == 1 else 's'}"
        if column == 0 and role == Qt.ItemDataRole.FontRole:
            return self._group_font
        if role == GROUP_ROLE:
            return name
        return None

    def _value(self, code: StoredCode, column: int, role: int) -> Any:
        if column == USED:
            return self._used_value(code, role)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(code, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return code_tooltip(code, self._clock(), first_seen=column == FIRST_SEEN)
        if role == Qt.ItemDataRole.ForegroundRole:
            now = self._clock()
            if code.used or is_expired(code.expires, now):
                return muted()
            if column == EXPIRES and is_expiring(code.expires, now, self._expiring_days):
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
        if column == MERCHANT and self._discount_with_shop and code.discount:
            return f"{code.merchant} · {code.discount}"
        if column == MERCHANT:
            return code.merchant
        if column == DISCOUNT:
            return code.discount
        if column == EXPIRES:
            return local_date(code.expires, self._clock())
        if column == FIRST_SEEN:
            return local_date(code.first_seen, self._clock())
        return ""

    def _used_value(self, code: StoredCode, role: int) -> Any:
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if code.used else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.ToolTipRole:
            return "Used (Ctrl+U); Ctrl+Z undoes" if code.used else "Not used yet (Ctrl+U marks it)"
        if role == CODE_ROLE:
            return code
        return None
