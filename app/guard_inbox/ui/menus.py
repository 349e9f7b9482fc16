"""The main window's toolbar and menu bar, laid out from actions the window owns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QToolBar

from guard_inbox.ui.icons import icon


def make_action(parent: QObject, text: str, slot: Callable[[], Any], shortcut: str | None = None,
                icon_name: str | None = None) -> QAction:
    action = QAction(icon(icon_name) if icon_name else icon("none"), text, parent)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(lambda _checked=False: slot())
    return action


def install(window: QMainWindow, *, toolbar: Sequence[QAction], file: Sequence[QAction],
            quit_action: QAction, scan: Sequence[QAction], help_: Sequence[QAction]) -> None:
    bar = QToolBar("Main", window)
    bar.setObjectName("main-toolbar")  # saveState() needs a name to restore it
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for action in toolbar:
        bar.addAction(action)
    window.addToolBar(bar)
    for title, actions in (("&File", file), ("&Scan", scan), ("&Help", help_)):
        menu = window.menuBar().addMenu(title)
        for action in actions:
            menu.addAction(action)
        if title == "&File":
            menu.addSeparator()
            menu.addAction(quit_action)
