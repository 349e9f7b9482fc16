"""Status colours follow the system palette: dark mode gets the light-on-dark set."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from guard_inbox.ui import palette


@pytest.fixture
def app_palette(qtbot: QtBot) -> Iterator[QApplication]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    saved = app.palette()
    yield app
    app.setPalette(saved)


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours."""
    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("window", ["#ffffff", "#1e1e1e"])
def test_status_colours_are_readable_on_the_current_background(app_palette: QApplication,
                                                               window: str) -> None:
    if app_palette.styleHints().colorScheme() != Qt.ColorScheme.Unknown:
        pytest.skip("the platform reports its own colour scheme; the palette is not the signal here")
    dark = QPalette(QColor(window))
    app_palette.setPalette(dark)
    background = dark.color(QPalette.ColorRole.Base)
    assert palette.is_dark() is (window == "#1e1e1e")
    for colour in (palette.danger(), palette.success()):
        assert contrast(colour, background) >= 3.0, (colour.name(), background.name())
