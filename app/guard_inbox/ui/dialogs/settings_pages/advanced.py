"""Advanced: worker threads, retries, the AI model, Gmail and the Redis and database URLs."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QWidget

from guard_inbox.settings import Settings
from guard_inbox.ui.dialogs.settings_pages.fields import SchemaPage


class AdvancedPage(SchemaPage):
    def __init__(self, settings: Settings, *, broker_embedded: bool, api_key: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(settings, "Advanced", broker_embedded=broker_embedded, parent=parent)
        self.api_key = QLineEdit(api_key, self)
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setObjectName("ai.api_key")
        self.api_key.setPlaceholderText("kept in your system keyring")
        if "AI" in self.forms:
            self.forms["AI"].insertRow(2, "API key", self.api_key)
