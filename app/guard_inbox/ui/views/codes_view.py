"""The codes list: search, a status filter, view options, the lazy table, an empty state and
the actions.

Thin on purpose: it builds a CodeQuery from the widgets and hands it to CodesModel, and
turns gestures into calls of the callables it was given (``mark_used`` runs off the main
thread, undoably, through codes_used.py). Refreshing keeps the user's place: selection,
current row and scroll position are put back when the new ids arrive. Column widths and
what a narrow window leaves out live in codes_layout.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from urllib.parse import quote

import shiboken6
from PySide6.QtCore import QDate, QLocale, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QDesktopServices,
    QFontDatabase,
    QFontMetrics,
    QGuiApplication,
    QKeySequence,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from guard_inbox.domain.models import DEFAULT_EXPIRING_DAYS, CodeQuery, StoredCode
from guard_inbox.domain.overview import day_starts
from guard_inbox.services.api import Changes, CodeReader
from guard_inbox.ui.models.codes_model import DISCOUNT, Clock, CodesModel, local_now
from guard_inbox.ui.taskman import TaskManager
from guard_inbox.ui.views import codes_layout, codes_place
from guard_inbox.ui.views.codes_used import MarkUsed, UsedMarker

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 200
SEARCH_PLACEHOLDER = "Search codes, shops, discounts  (Ctrl+F)"
FILTERS = (("All", "all"), ("Unused", "unused"), ("Expiring soon", "expiring"), ("Used", "used"))
NO_CODES = "No codes yet — press Scan All (Ctrl+R) or try the demo mailbox"
NO_MATCH = "No codes match your search"
ALL_EXPIRED = "Every code here has expired — View ▸ Show expired codes lists them"
GMAIL_URL = "https://mail.google.com/mail/u/0/#all/"
VIEW_OPTIONS = ("show_expired", "group_by_shop")  # the View menu's choices, kept across starts


def _never(_account_id: int) -> bool:
    return False


def _open_in_browser(url: QUrl) -> bool:
    return bool(QDesktopServices.openUrl(url))


def gmail_url(code: StoredCode) -> QUrl:
    return QUrl(GMAIL_URL + quote(code.message_id, safe=""))


class CodesView(QWidget):
    status_message = Signal(str)  # "Copied SAVE20", for the status bar
    show_source = Signal(object)  # StoredCode whose email the user wants to read
    demo_requested = Signal()  # the empty state's "Try the demo mailbox" button

    def __init__(
        self,
        codes: CodeReader,
        tasks: TaskManager,
        mark_used: MarkUsed,
        is_gmail: Callable[[int], bool] = _never,
        parent: QWidget | None = None,
        *,
        open_url: Callable[[QUrl], bool] = _open_in_browser,
        clock: Clock = local_now,
        debounce_ms: int = SEARCH_DEBOUNCE_MS,
        expiring_days: int = DEFAULT_EXPIRING_DAYS,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._codes = codes
        self._is_gmail = is_gmail
        self._open_url = open_url
        self._account_id: int | None = None
        self._day_range: tuple[datetime, datetime] | None = None
        self._restore: codes_place.Place | None = None
        self.model = CodesModel(codes, tasks, self, clock=clock)
        self.model.set_expiring_days(expiring_days)
        self.marker = UsedMarker(self.model, tasks, mark_used, self)
        self.marker.status_message.connect(self.status_message)
        self.marker.written.connect(self.apply_changes)
        self.model.used_toggled.connect(self.marker.mark)
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
        self.show_expired_action = QAction("Show expired codes", self)
        self.group_action = QAction("Group by shop", self)
        self.view_menu = QMenu(self)
        for option in (self.show_expired_action, self.group_action):
            option.setCheckable(True)
            option.toggled.connect(lambda _on: self._apply_filters())
            self.view_menu.addAction(option)
        self.view_button = QToolButton(self)
        self.view_button.setText("View")
        self.view_button.setToolTip("Show expired codes, group by shop")
        self.view_button.setMenu(self.view_menu)
        self.view_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.filter)
        top.addWidget(self.view_button)

        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        fixed = QFontMetrics(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._widths = codes_layout.column_widths(self.fontMetrics(), fixed)
        codes_layout.set_up(self.table, self._widths)
        self.model.modelReset.connect(self._span_groups)
        self.model.rowsInserted.connect(
            lambda _parent, first, last: codes_layout.span_groups(self.table, self.model, first, last)
        )
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

        # Shown while the list is limited to one day (a click on the Overview's timeline).
        self.day_label = QLabel("", self)
        self.day_clear = QPushButton("Show every date", self)
        self.day_clear.clicked.connect(lambda: self.show_expiring_on(None))
        day_row = QHBoxLayout()
        day_row.addWidget(self.day_label, 1)
        day_row.addWidget(self.day_clear)
        self.day_bar = QWidget(self)
        self.day_bar.setLayout(day_row)
        day_row.setContentsMargins(0, 0, 0, 0)
        self.day_bar.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.day_bar)
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
        self.mark_used_action = self._action("Mark used", self.toggle_used, QKeySequence("Ctrl+U"))
        self.table.addAction(self.mark_used_action)  # Ctrl+U in the search box keeps its own meaning
        self.undo_action = self.marker.stack.createUndoAction(self, "Undo")
        self.redo_action = self.marker.stack.createRedoAction(self, "Redo")
        for action, keys in ((self.undo_action, QKeySequence.StandardKey.Undo),
                             (self.redo_action, QKeySequence.StandardKey.Redo)):
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.table.addAction(action)  # the search box undoes its own typing
        self.open_gmail_action = self._action("Open in Gmail", self.open_in_gmail)
        self.show_source_action = self._action("Show source email", self.request_source)
        self._update_actions()

    # -- queries -------------------------------------------------------------------------
    def _build_query(self, base: CodeQuery) -> CodeQuery:
        return replace(
            base,
            search=self.search.text().strip(),
            status=str(self.filter.currentData() or "all"),
            expiring_days=self.model.expiring_days,
            account_id=self._account_id,
            include_expired=self.show_expired_action.isChecked(),
            group_by_shop=self.group_action.isChecked(),
            keep_ids=(),
            expires_between=self._day_range,
        )

    def current_query(self) -> CodeQuery:
        """What the user sees asked for (typed text included), e.g. for export."""
        return self._build_query(self.model.query)

    def _apply_filters(self) -> None:
        self._debounce.stop()
        query = self.current_query()
        if query != replace(self.model.query, keep_ids=()):
            self._restore = None  # a new question starts at the top
            self.marker.forget_kept()  # codes marked used may leave the filter now
            self.model.set_query(query)

    def view_options(self) -> dict[str, bool]:
        return {"show_expired": self.show_expired_action.isChecked(),
                "group_by_shop": self.group_action.isChecked()}

    def set_view_options(self, options: dict[str, bool]) -> None:
        self.show_expired_action.setChecked(options.get("show_expired", False))
        self.group_action.setChecked(options.get("group_by_shop", False))

    def set_expiring_days(self, days: int) -> None:
        """The notification setting changed: "Expiring soon" asks the same window."""
        self.model.set_expiring_days(days)
        self._apply_filters()

    def show_expiring(self) -> None:
        """What a click on an expiry notification opens: every code expiring soon."""
        self.search.clear()
        self.filter.setCurrentIndex(self.filter.findData("expiring"))
        self._apply_filters()

    def show_expiring_on(self, day: date | None) -> None:
        """The unused codes expiring on one local day (None: every date again), as the
        Overview's timeline counts them; the bar above the list says so and undoes it."""
        if day is None:
            self._day_range = None
            self.day_bar.hide()
        else:
            start, end = day_starts(day, 1)  # the Overview's own local day
            self._day_range = (start, end)
            shown = QLocale().toString(QDate(day.year, day.month, day.day),
                                       QLocale.FormatType.LongFormat)
            self.day_label.setText(f"Unused codes expiring on {shown}")
            self.search.clear()
            self.filter.setCurrentIndex(self.filter.findData("unused"))
            self.day_bar.show()
        self._apply_filters()

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
        self._restore = codes_place.capture(self.table, self.model)
        self.model.refresh(prefetch_ids=self._restore.on_screen + self._restore.selected)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _on_loaded(self, count: int) -> None:
        if self._restore is not None:
            place, self._restore = self._restore, None
            codes_place.restore(self.table, self.model, place)
        query = self.model.query
        filtered = bool(query.search) or query.status != "all"
        self.empty_label.setText(NO_MATCH if filtered else NO_CODES)
        self.demo_button.setVisible(not filtered)
        self.stack.setCurrentWidget(self.table if count else self.empty_page)
        if not count and not filtered and not query.include_expired:
            self._explain_empty(query)
        self._update_actions()

    def _explain_empty(self, query: CodeQuery) -> None:
        """Nothing shown with expired codes hidden: say so if they are why (one more query)."""
        codes = self._codes

        def any_expired() -> bool:
            return bool(codes.code_ids(replace(query, include_expired=True)))

        def show(expired: bool) -> None:
            if shiboken6.isValid(self) and expired and self.model.query == query:
                self.empty_label.setText(ALL_EXPIRED)
                self.demo_button.hide()

        self._tasks.run(any_expired, show)

    def _span_groups(self) -> None:
        self.table.clearSpans()
        codes_layout.span_groups(self.table, self.model, 0, self.model.rowCount() - 1)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        hidden = codes_layout.fit(self.table, self._widths)
        self.model.set_discount_with_shop(DISCOUNT in hidden)

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
        menu.addAction(self.undo_action)
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
        """Ctrl+U and the menu: flip the selected code's used state (Ctrl+Z undoes)."""
        code = self.selected_code()
        if code is not None:
            self.marker.mark(code, not code.used)

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
