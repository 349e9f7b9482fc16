"""General: how often to scan, when to warn, the theme (applied at once) and start at login."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QWidget

from guard_inbox.autostart import Autostart
from guard_inbox.settings import Settings
from guard_inbox.ui import palette
from guard_inbox.ui.dialogs.settings_pages.fields import SchemaPage

THEME, START_AT_LOGIN = "ui.theme", "ui.start_at_login"


def _short(where: str) -> str:
    """A path under the home folder as ~/…, as file managers and terminals show it."""
    home = str(Path.home())
    return "~" + where[len(home):] if where.startswith(home + os.sep) else where


class GeneralPage(SchemaPage):
    def __init__(self, settings: Settings, autostart: Autostart | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(settings, "General", parent=parent)
        self.autostart = autostart
        theme, start_at_login = self.editors[THEME], self.editors[START_AT_LOGIN]
        assert isinstance(theme, QComboBox) and isinstance(start_at_login, QCheckBox)
        self.theme: QComboBox = theme
        self.start_at_login: QCheckBox = start_at_login
        self.theme.currentIndexChanged.connect(lambda _i: palette.apply_theme(self.chosen_theme()))
        self.login_hint = QLabel(self)
        self.login_hint.setWordWrap(True)
        self.login_hint.setObjectName("start-at-login-hint")
        self.forms["Start-up"].addRow(self.login_hint)
        if autostart is None:
            self.start_at_login.setEnabled(False)
            self.login_hint.setText("Starting at login is not available here.")
        else:
            self.start_at_login.setChecked(autostart.is_enabled())  # the system's list decides
            self.login_hint.setText(f"Uses your system's start-up list: {_short(autostart.where)}")
        self.login_hint.setEnabled(False)  # drawn greyed: a hint, not a field

    def chosen_theme(self) -> str:
        return str(self.theme.currentData())

    def store(self) -> None:
        """The start-up entry first, only if it changed: when that fails (the sentence keeps the
        dialog open) no setting has changed yet. The setting then records what the system's
        list says."""
        if self.autostart is not None:
            wanted = self.start_at_login.isChecked()
            if wanted != self.autostart.is_enabled():
                self.autostart.set_enabled(wanted)
        super().store()
        if self.autostart is not None:
            self.settings.set(START_AT_LOGIN, self.autostart.is_enabled())

    def revert_theme(self) -> None:
        """Cancel: back to the theme the settings hold."""
        palette.apply_theme(str(self.settings.get(THEME)))
