"""Editors generated from the settings schema: a label in words, every number with its unit."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from guard_inbox.settings import Setting, Settings

Editor = QCheckBox | QSpinBox | QDoubleSpinBox | QLineEdit | QComboBox

# The words shown for a zero where zero means "off" (the schema's help says so).
OFF_AT_ZERO = {"scan.interval_minutes": "Never (background scans off)"}


def label_of(setting: Setting) -> str:
    return setting.label or setting.help.split(" (")[0].rstrip(".")


def blank_means(setting: Setting) -> str:
    """What an empty text field stands for, as the help says it: "(blank: Google)"."""
    _, found, rest = setting.help.partition("(blank: ")
    return rest.split(")")[0] if found else ""


def make_editor(setting: Setting, value: Any, parent: QWidget) -> Editor:
    if setting.type is bool:
        box = QCheckBox(label_of(setting), parent)
        box.setChecked(bool(value))
        return box
    if setting.choices:
        combo = QComboBox(parent)
        for choice in setting.choices:
            combo.addItem(choice.capitalize(), choice)
        combo.setCurrentIndex(max(0, combo.findData(value)))
        return combo
    suffix = f" {setting.unit}" if setting.unit else ""
    if setting.type is int:
        spin = QSpinBox(parent)
        spin.setRange(int(setting.minimum or 0), int(setting.maximum or 1_000_000_000))
        spin.setSuffix(suffix)
        spin.setSpecialValueText(OFF_AT_ZERO.get(setting.key, ""))
        spin.setValue(int(value))
        return spin
    if setting.type is float:
        dspin = QDoubleSpinBox(parent)
        dspin.setDecimals(1)
        dspin.setRange(float(setting.minimum or 0.0), float(setting.maximum or 1e9))
        dspin.setSuffix(suffix)
        dspin.setValue(float(value))
        return dspin
    line = QLineEdit(str(value), parent)
    line.setPlaceholderText(blank_means(setting))
    if setting.secret:
        line.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
    return line


def value_of(editor: Editor) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QComboBox):
        return editor.currentData()
    if isinstance(editor, QSpinBox | QDoubleSpinBox):
        return editor.value()
    return editor.text().strip()


class SchemaPage(QWidget):
    """One page's settings, grouped by section in the schema's order; ``editors`` by key."""

    def __init__(self, settings: Settings, page: str, *, broker_embedded: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.editors: dict[str, Editor] = {}
        self.forms: dict[str, QFormLayout] = {}
        self.layout_ = QVBoxLayout(self)
        for setting in settings.schema():
            if setting.page != page:
                continue
            form = self.forms.get(setting.section) or self._group(setting.section)
            box = form.parentWidget() or self
            editor = make_editor(setting, settings.get(setting.key), box)
            editor.setObjectName(setting.key)
            editor.setToolTip(setting.help)
            why_fixed = ""
            if settings.is_overridden_by_env(setting.key):
                why_fixed = f"Set by the {setting.env} environment variable."
            elif setting.key == "broker.url" and broker_embedded:
                why_fixed = (f"Guard Inbox runs its own job queue; set {setting.env} to use "
                             "another.")
            self.editors[setting.key] = editor
            if isinstance(editor, QCheckBox):
                form.addRow(editor)
            else:
                form.addRow(label_of(setting), editor)
            if why_fixed:  # said beside the field, not only in a tooltip
                editor.setEnabled(False)
                editor.setToolTip(why_fixed)
                hint = QLabel(why_fixed, box)
                hint.setObjectName(f"{setting.key}-why")
                hint.setWordWrap(True)
                hint.setEnabled(False)  # drawn greyed: a note, not a field
                form.addRow("", hint)
        self.layout_.addStretch(1)

    def _group(self, title: str) -> QFormLayout:
        group = QGroupBox(title, self)
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.layout_.addWidget(group)
        self.forms[title] = form
        return form

    def store(self) -> None:
        """Into the settings (validated by the schema; a ``SettingsError`` names the field)."""
        for key, editor in self.editors.items():
            if editor.isEnabled():
                self.settings.set(key, value_of(editor))
