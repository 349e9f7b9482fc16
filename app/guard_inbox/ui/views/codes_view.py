"""The codes list: search, a status filter, the lazy table, an empty state and the actions.

Thin on purpose: it builds a CodeQuery from the widgets and hands it to CodesModel, and
turns gestures into calls of the callables it was given (``mark_used`` runs off the main
thread through the TaskManager). Refreshing keeps the user's place: selection, current row
and scroll position are put back when the new ids arrive.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import quote

import shiboken6
from PySide6.QtCore import QItemSelection, QItemSelectionModel, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from guard_inbox.domain.models import CodeQuery, StoredCode
from guard_inbox.services.api import Changes, CodeReader
from guard_inbox.ui.models.codes_model import (
    CODE,
    DISCOUNT,
    EXPIRES,
    EXPIRING_DAYS,
    FIRST_SEEN,
    HEADERS,
    MERCHANT,
    Clock,
    CodesModel,
    local_now,
)
from guard_inbox.ui.taskman import TaskManager

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 200
SEARCH_PLACEHOLDER = "Search codes, shops, discounts  (Ctrl+F)"
FILTERS = (("All", "all"), ("Active", "active"), ("Expiring soon", "expiring"), ("Used", "used"))
NO_CODES = "No codes yet — press Scan Now or try the demo mailbox"
NO_MATCH = "No codes match your search"
GMAIL_URL = "https://mail.google.com/mail/u/0/#all/"
COLUMN_WIDTHS = {CODE: 160, DISCOUNT: 160, EXPIRES: 120, FIRST_SEEN: 110}


def _never(_account_id: int) -> bool:
    return False


def _open_in_browser(url: QUrl) -> bool:
    return bool(QDesktopServices.openUrl(url))


def gmail_url(code: StoredCode) -> QUrl:
    return QUrl(GMAIL_URL + quote(code.message_id, safe=""))


@dataclass(frozen=True, slots=True)
class _Place:
    """Where the user was before a refresh, by code id (rows may move)."""

    selected: tuple[int, ...]
    selected_row: int  # where the selection was (-1: none), for when its code is gone
    current: int | None
    top_id: int | None
    top_row: int
    on_screen: tuple[int, ...]
    vscroll: int
    hscroll: int


class CodesView(QWidget):
    status_message = Signal(str)  # "Copied SAVE20", for the status bar
    show_source = Signal(object)  # StoredCode whose email the user wants to read
    demo_requested = Signal()  # the empty state's "Try the demo mailbox" button

    def __init__(
        self,
        codes: CodeReader,
        tasks: TaskManager,
        mark_used: Callable[[int, bool], Changes],
        is_gmail: Callable[[int], bool] = _never,
        parent: QWidget | None = None,
        *,
        open_url: Callable[[QUrl], bool] = _open_in_browser,
        clock: Clock = local_now,
        debounce_ms: int = SEARCH_DEBOUNCE_MS,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._mark_used = mark_used
        self._is_gmail = is_gmail
        self._open_url = open_url
        self._account_id: int | None = None
        self._restore: _Place | None = None
        self.model = CodesModel(codes, tasks, self, clock=clock)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self._apply_filters)
        self._build()
        self._build_actions()
        self.model.loaded.connect(self._on_loaded)
        self.model.rows_loaded.connect(lambda _count: self._update_actions())
        self.model.failed.connect(self.status_message)
        self.model.set_query(self._build_query(self.model.query))
        header = self.table.horizontalHeader()
        header.setSortIndicator(self.model.sort_column(), self.model.sort_order())
        self.table.setSortingEnabled(True)  # asks the model to sort: same order, no re-read

    # -- building ------------------------------------------------------------------------
    def _build(self) -> None:
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(SEARCH_PLACEHOLDER)
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self._apply_filters)
        self.filter = QComboBox(self)
        for label, status in FILTERS:
            self.filter.addItem(label, status)
        self.filter.currentIndexChanged.connect(lambda _index: self._apply_filters())
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.filter)

        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(MERCHANT, QHeaderView.ResizeMode.Stretch)
        for column, width in COLUMN_WIDTHS.items():
            self.table.setColumnWidth(column, width)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_context_menu)
        self.table.doubleClicked.connect(lambda _index: self.copy_code())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())

        self.empty_label = QLabel(NO_CODES, self)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.demo_button = QPushButton("Try the demo mailbox", self)
        self.demo_button.clicked.connect(self.demo_requested)
        empty = QWidget(self)
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_label)
        empty_layout.addWidget(self.demo_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(1)
        self.empty_page = empty
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)
        self.stack.addWidget(empty)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)

    def _action(self, text: str, slot: Callable[[], None], shortcut: QKeySequence | None = None) -> QAction:
        action = QAction(text, self)
        action.triggered.connect(lambda _checked=False: slot())
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        return action

    def _build_actions(self) -> None:
        self.find_action = self._action(
            "Find", self.focus_search, QKeySequence(QKeySequence.StandardKey.Find)
        )
        self.addAction(self.find_action)  # anywhere in this view
        self.copy_action = self._action(
            "Copy code", self.copy_code, QKeySequence(QKeySequence.StandardKey.Copy)
        )
        self.table.addAction(self.copy_action)  # only in the table: Ctrl+C in the search box copies text
        self.mark_used_action = self._action("Mark used", self.toggle_used)
        self.open_gmail_action = self._action("Open in Gmail", self.open_in_gmail)
        self.show_source_action = self._action("Show source email", self.request_source)
        self._update_actions()

    # -- queries -------------------------------------------------------------------------
    def _build_query(self, base: CodeQuery) -> CodeQuery:
        return replace(
            base,
            search=self.search.text().strip(),
            status=str(self.filter.currentData() or "all"),
            expiring_days=EXPIRING_DAYS,
            account_id=self._account_id,
        )

    def current_query(self) -> CodeQuery:
        """What the user sees asked for (typed text included), e.g. for export."""
        return self._build_query(self.model.query)

    def _apply_filters(self) -> None:
        self._debounce.stop()
        query = self.current_query()
        if query != self.model.query:
            self._restore = None  # a new question starts at the top
            self.model.set_query(query)

    def set_account(self, account_id: int | None) -> None:
        """Show one account's codes (None: every account)."""
        self._account_id = account_id
        self._apply_filters()

    def apply_changes(self, changes: Changes) -> None:
        """Subscribed to the change hub: re-read only when codes may have changed."""
        if changes.codes:
            self.refresh()

    def refresh(self) -> None:
        """Re-read the current query, keeping selection and scroll position."""
        self._restore = self._capture_place()
        self.model.refresh(prefetch_ids=self._restore.on_screen + self._restore.selected)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # -- keeping the user's place ------------------------------------------------------
    def _ids_of(self, rows: list[int]) -> tuple[int, ...]:
        return tuple(i for i in (self.model.code_id_at(row) for row in rows) if i is not None)

    def _capture_place(self) -> _Place:
        top = max(self.table.rowAt(0), 0)
        bottom = self.table.rowAt(self.table.viewport().height() - 1)
        bottom = self.model.rowCount() - 1 if bottom < 0 else bottom
        selected_rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        current = self._ids_of([self.table.currentIndex().row()])
        return _Place(
            selected=self._ids_of(selected_rows),
            selected_row=selected_rows[0] if selected_rows else -1,
            current=current[0] if current else None,
            top_id=self.model.code_id_at(top),
            top_row=top,
            on_screen=self._ids_of(list(range(top, bottom + 1))),
            vscroll=self.table.verticalScrollBar().value(),
            hscroll=self.table.horizontalScrollBar().value(),
        )

    def _restore_place(self, place: _Place) -> None:
        last = len(HEADERS) - 1
        rows = [row for row in (self.model.row_of(i) for i in place.selected) if row is not None]
        if not rows and place.selected_row >= 0 and self.model.total:
            rows = [min(place.selected_row, self.model.total - 1)]  # its code left: select the next one
        current = self.model.row_of(place.current) if place.current is not None else None
        current = rows[0] if current is None and rows else current
        top = self.model.row_of(place.top_id) if place.top_id is not None else None
        for row in [*rows, *([] if current is None else [current]), *([] if top is None else [top])]:
            self.model.expose(row)
        self.table.doItemsLayout()  # scroll ranges now, not at the next event loop turn
        selection = self.table.selectionModel()
        if current is not None:
            selection.setCurrentIndex(
                self.model.index(current, 0), QItemSelectionModel.SelectionFlag.NoUpdate
            )
        chosen = QItemSelection()
        for row in rows:
            chosen.select(self.model.index(row, 0), self.model.index(row, last))
        selection.select(chosen, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if top is not None and top == place.top_row:
            self.table.verticalScrollBar().setValue(place.vscroll)
        elif top is not None:
            self.table.scrollTo(self.model.index(top, 0), QAbstractItemView.ScrollHint.PositionAtTop)
        else:
            self.table.verticalScrollBar().setValue(place.vscroll)
        self.table.horizontalScrollBar().setValue(place.hscroll)

    def _on_loaded(self, count: int) -> None:
        if self._restore is not None:
            place, self._restore = self._restore, None
            self._restore_place(place)
        query = self.model.query
        filtered = bool(query.search) or query.status != "all"
        self.empty_label.setText(NO_MATCH if filtered else NO_CODES)
        self.demo_button.setVisible(not filtered)
        self.stack.setCurrentWidget(self.table if count else self.empty_page)
        self._update_actions()

    # -- actions -------------------------------------------------------------------------
    def selected_code(self) -> StoredCode | None:
        rows = self.table.selectionModel().selectedRows()
        row = rows[0].row() if rows else self.table.currentIndex().row()
        return self.model.code_at(row)

    def _update_actions(self) -> None:
        code = self.selected_code()
        for action in (self.copy_action, self.mark_used_action, self.show_source_action):
            action.setEnabled(code is not None)
        self.mark_used_action.setText("Mark unused" if code is not None and code.used else "Mark used")
        gmail = code is not None and bool(code.message_id) and self._is_gmail(code.account_id)
        self.open_gmail_action.setVisible(gmail)
        self.open_gmail_action.setEnabled(gmail)

    def context_menu(self) -> QMenu:
        """The menu for the selected code (built fresh, so labels match the code)."""
        self._update_actions()
        menu = QMenu(self)
        menu.addAction(self.copy_action)
        menu.addAction(self.mark_used_action)
        menu.addSeparator()
        menu.addAction(self.open_gmail_action)
        menu.addAction(self.show_source_action)
        menu.aboutToHide.connect(menu.deleteLater)
        return menu

    def _show_context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        self.context_menu().popup(self.table.viewport().mapToGlobal(pos))

    def copy_code(self) -> None:
        code = self.selected_code()
        if code is None:
            return
        QGuiApplication.clipboard().setText(code.code)
        self.status_message.emit(f"Copied {code.code}")

    def toggle_used(self) -> None:
        code = self.selected_code()
        if code is None:
            return
        used, mark_used = not code.used, self._mark_used
        self._tasks.run(
            lambda: mark_used(code.id, used),
            lambda changes: self._marked(code, used, changes),
            lambda exc: self._mark_failed(code, exc),
        )

    def _mark_failed(self, code: StoredCode, exc: Exception) -> None:
        log.warning("Could not mark %s: %s", code.code, exc)
        if shiboken6.isValid(self):
            self.status_message.emit(f"Could not update {code.code}: {exc}")

    def _marked(self, code: StoredCode, used: bool, changes: Changes) -> None:
        if not shiboken6.isValid(self):
            return
        self.status_message.emit(f"Marked {code.code} as {'used' if used else 'not used'}")
        self.apply_changes(changes)

    def open_in_gmail(self) -> None:
        code = self.selected_code()
        if code is None or not code.message_id or not self._is_gmail(code.account_id):
            return
        if not self._open_url(gmail_url(code)):
            self.status_message.emit("Could not open a web browser")

    def request_source(self) -> None:
        code = self.selected_code()
        if code is not None:
            self.show_source.emit(code)
