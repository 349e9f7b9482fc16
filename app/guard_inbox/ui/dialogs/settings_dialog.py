"""Settings dialog generated from the one settings schema (no field is hand-written here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from guard_inbox.settings import Setting, Settings, SettingsError
from guard_inbox.ui.palette import danger

Editor = QCheckBox | QSpinBox | QDoubleSpinBox | QLineEdit
HIDDEN = {"scan.stale_after_seconds", "gmail.max_results"}  # tuning knobs, not user settings


def _editor(setting: Setting, value: Any, parent: QWidget) -> Editor:
    if setting.type is bool:
        box = QCheckBox(parent)
        box.setChecked(bool(value))
        return box
    if setting.type is int:
        spin = QSpinBox(parent)
        spin.setRange(int(setting.minimum or 0), int(setting.maximum or 1_000_000_000))
        spin.setValue(int(value))
        return spin
    if setting.type is float:
        dspin = QDoubleSpinBox(parent)
        dspin.setRange(float(setting.minimum or 0.0), float(setting.maximum or 1e9))
        dspin.setValue(float(value))
        return dspin
    line = QLineEdit(str(value), parent)
    if setting.secret:
        line.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
    return line


def _value(editor: Editor) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QSpinBox | QDoubleSpinBox):
        return editor.value()
    return editor.text().strip()


class SettingsDialog(QDialog):
    def __init__(
        self,
        settings: Settings,
        *,
        broker_embedded: bool,
        api_key: str = "",
        save_api_key: Callable[[str], None] | None = None,
        accounts_page: QWidget | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Guard Inbox settings")
        self.settings = settings
        self.editors: dict[str, Editor] = {}
        self._save_api_key = save_api_key
        tabs = QTabWidget(self)
        self.tabs = tabs
        if accounts_page is not None:  # ui/dialogs/settings_accounts_page.py: acts at once
            tabs.addTab(accounts_page, "Accounts")
        forms: dict[str, QFormLayout] = {}
        for setting in settings.schema():
            if setting.key in HIDDEN:
                continue
            if setting.section not in forms:
                page = QWidget(tabs)
                forms[setting.section] = QFormLayout(page)
                tabs.addTab(page, setting.section)
            form = forms[setting.section]
            editor = _editor(setting, settings.get(setting.key), form.parentWidget() or tabs)
            editor.setToolTip(setting.help)
            editor.setObjectName(setting.key)
            if settings.is_overridden_by_env(setting.key):
                editor.setEnabled(False)
                editor.setToolTip(f"Set by the {setting.env} environment variable.")
            if setting.key == "broker.url" and broker_embedded:
                editor.setEnabled(False)
                editor.setToolTip(f"Guard Inbox runs its own job queue; set {setting.env} to use "
                                  "another.")
            self.editors[setting.key] = editor
            form.addRow(setting.help.split(" (")[0].rstrip("."), editor)
        self.api_key = QLineEdit(api_key, self)
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setObjectName("ai.api_key")
        self.api_key.setPlaceholderText("kept in your system keyring")
        if "AI" in forms:
            forms["AI"].addRow("API key", self.api_key)
        self.error = QLabel("", self)
        self.error.setStyleSheet(f"color: {danger().name()}")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def accept(self) -> None:
        """Validate every field through the schema; keep the dialog open on an error."""
        try:
            for key, editor in self.editors.items():
                if editor.isEnabled():
                    self.settings.set(key, _value(editor))
            self.settings.save()
        except (SettingsError, OSError) as exc:
            self.error.setText(str(exc))
            return
        if self._save_api_key is not None:
            self._save_api_key(self.api_key.text().strip())
        super().accept()
