"""Status colours that stay readable in light and dark mode, following the system palette.

Asked for at paint time, so a switch of the system colour scheme repaints with the right set.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

# (light, dark): the light set is dark enough on white, the dark set light enough on near-black.
_DANGER = (QColor("#b91c1c"), QColor("#f87171"))
_SUCCESS = (QColor("#15803d"), QColor("#4ade80"))


def is_dark() -> bool:
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    scheme = app.styleHints().colorScheme()
    if scheme != Qt.ColorScheme.Unknown:
        return scheme == Qt.ColorScheme.Dark
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def danger() -> QColor:
    return _DANGER[is_dark()]


def success() -> QColor:
    return _SUCCESS[is_dark()]


def muted() -> QColor:
    """Secondary text (used codes, expired): the palette's own placeholder colour."""
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication):
        return app.palette().color(QPalette.ColorRole.PlaceholderText)
    return QColor(128, 128, 128)
