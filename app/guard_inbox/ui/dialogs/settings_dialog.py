"""Settings as a list of pages (General, Accounts, Advanced, Diagnostics), like system settings.

The General and Advanced fields are generated from the one settings schema; Accounts (the
window's account actions) and Diagnostics (the queue) show live data, loaded off the main
thread. OK validates every field through the schema and keeps the dialog open with the reason
when one does not fit.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from guard_inbox.autostart import Autostart
from guard_inbox.domain.errors import KnownError
from guard_inbox.settings import Settings, SettingsError
from guard_inbox.ui.dialogs.settings_pages.advanced import AdvancedPage
from guard_inbox.ui.dialogs.settings_pages.diagnostics import DiagnosticsPage
from guard_inbox.ui.dialogs.settings_pages.fields import Editor
from guard_inbox.ui.dialogs.settings_pages.general import GeneralPage
from guard_inbox.ui.dialogs.settings_pages.services import PageServices
from guard_inbox.ui.palette import danger

__all__ = ["PageServices", "SettingsDialog"]

PAGE_LIST_WIDTH = 160
PAGE_ROW_HEIGHT = 30


class SettingsDialog(QDialog):
    def __init__(
        self,
        settings: Settings,
        *,
        broker_embedded: bool,
        api_key: str = "",
        save_api_key: Callable[[str], None] | None = None,
        services: PageServices | None = None,
        autostart: Autostart | None = None,
        accounts_page: QWidget | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Guard Inbox settings")
        self.settings = settings
        self._save_api_key = save_api_key
        self.page_list = QListWidget(self)
        self.page_list.setObjectName("settings-pages")
        self.page_list.setFixedWidth(PAGE_LIST_WIDTH)
        self.page_list.setSpacing(3)
        self.stack = QStackedWidget(self)
        self.page_list.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.general = GeneralPage(settings, autostart)
        self.advanced = AdvancedPage(settings, broker_embedded=broker_embedded, api_key=api_key)
        self.accounts: QWidget | None = None
        self.diagnostics: DiagnosticsPage | None = None
        self._add_page("General", self.general)
        if accounts_page is not None:  # ui/dialogs/settings_accounts_page.py: acts at once
            self.accounts = accounts_page
            self._add_page("Accounts", accounts_page, scrolls=False)
        self._add_page("Advanced", self.advanced)
        if services is not None:
            self.diagnostics = DiagnosticsPage(services)
            self._add_page("Diagnostics", self.diagnostics, scrolls=False)
        self.page_list.setCurrentRow(0)
        self.editors: dict[str, Editor] = {**self.general.editors, **self.advanced.editors}
        self.api_key = self.advanced.api_key
        self.error = QLabel("", self)
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        body = QHBoxLayout()
        body.addWidget(self.page_list)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(720, 520)

    def _add_page(self, title: str, page: QWidget, *, scrolls: bool = True) -> None:
        """Forms scroll as a whole; a page built around its own list keeps the list scrolling."""
        if scrolls:
            scroll = QScrollArea(self.stack)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setWidget(page)
            self.stack.addWidget(scroll)
        else:
            self.stack.addWidget(page)
        item = QListWidgetItem(title)
        item.setSizeHint(QSize(PAGE_LIST_WIDTH - 12, PAGE_ROW_HEIGHT))
        self.page_list.addItem(item)

    def show_page(self, title: str) -> None:
        items = self.page_list.findItems(title, Qt.MatchFlag.MatchExactly)
        if items:
            self.page_list.setCurrentItem(items[0])

    def current_page(self) -> QWidget | None:
        shown = self.stack.currentWidget()
        return shown.widget() if isinstance(shown, QScrollArea) else shown

    def page_titles(self) -> list[str]:
        return [self.page_list.item(i).text() for i in range(self.page_list.count())]

    def accept(self) -> None:
        """Validate every field through the schema; keep the dialog open on an error."""
        try:
            self.general.store()
            self.advanced.store()
            self.settings.save()
        except (SettingsError, KnownError, OSError) as exc:
            self.error.setStyleSheet(f"color: {danger().name()}")  # the theme tried out here
            self.error.setText(str(exc))
            return
        if self._save_api_key is not None:
            self._save_api_key(self.api_key.text().strip())
        super().accept()

    def reject(self) -> None:
        """Cancel undoes a theme tried out here."""
        self.general.revert_theme()
        super().reject()
