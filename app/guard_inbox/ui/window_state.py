"""Where the user left the window: geometry, splitter, tab, filter, column widths and sort.

Kept in an INI file in the data dir (not the registry or ~/.config), so a data dir carries
its own layout and tests never touch the user's.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QHeaderView, QMainWindow, QSplitter, QTabWidget

# Versioned: issue 16 put a Used column first, and an older header's widths would land on
# the wrong columns (the Used checkbox 160 pixels wide).
CODES_HEADER = "codes_header_2"


class WindowState:
    def __init__(self, path: Path) -> None:
        self._settings = QSettings(str(path), QSettings.Format.IniFormat)

    def save(self, window: QMainWindow, splitter: QSplitter, tabs: QTabWidget,
             codes_filter: int, codes_header: QHeaderView) -> None:
        state = self._settings
        state.setValue("geometry", window.saveGeometry())
        state.setValue("window_state", window.saveState())
        state.setValue("splitter", splitter.saveState())
        state.setValue("tab", tabs.currentIndex())
        state.setValue("codes_filter", codes_filter)
        state.setValue(CODES_HEADER, codes_header.saveState())
        state.sync()

    def restore(self, window: QMainWindow, splitter: QSplitter, tabs: QTabWidget,
                codes_header: QHeaderView, default_tab: int) -> int:
        """Restores what it can (a damaged or foreign file restores nothing); returns the filter."""
        state = self._settings
        restorers = (("geometry", window.restoreGeometry), ("window_state", window.restoreState),
                     ("splitter", splitter.restoreState), (CODES_HEADER, codes_header.restoreState))
        for key, restore in restorers:
            value = state.value(key)
            if isinstance(value, QByteArray):
                restore(value)
        tabs.setCurrentIndex(_int(state.value("tab"), default_tab))
        return _int(state.value("codes_filter"), 0)

    def flags(self, group: str, names: list[str]) -> dict[str, bool]:
        """On/off choices saved under ``group`` (e.g. the codes list's View menu)."""
        return {name: bool(self._settings.value(f"{group}/{name}", False, bool)) for name in names}

    def set_flags(self, group: str, values: dict[str, bool]) -> None:
        for name, on in values.items():
            self._settings.setValue(f"{group}/{name}", on)
        self._settings.sync()

    def once(self, flag: str) -> bool:
        """True the first time ``flag`` is asked for, ever (one-time hints)."""
        if self._settings.value(flag, False, bool):
            return False
        self._settings.setValue(flag, True)
        self._settings.sync()
        return True


def _int(value: object, default: int) -> int:
    try:
        return int(str(value)) if value is not None else default
    except ValueError:
        return default
