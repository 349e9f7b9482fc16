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


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_chosen_theme_applies_at_once_and_system_gives_the_platform_look_back(
    app_palette: QApplication, theme: str
) -> None:
    system_window = app_palette.palette().color(QPalette.ColorRole.Window)
    system_style = app_palette.style().name()
    try:
        palette.apply_theme(theme)
        window = app_palette.palette().color(QPalette.ColorRole.Window)
        text = app_palette.palette().color(QPalette.ColorRole.WindowText)
        assert palette.current_theme() == theme
        assert palette.is_dark() is (theme == "dark")
        assert (window.lightness() < 128) is (theme == "dark")
        assert contrast(window, text) >= 7.0  # body text stays easy to read in either theme
        for colour in (palette.danger(), palette.success()):
            base = app_palette.palette().color(QPalette.ColorRole.Base)
            assert contrast(colour, base) >= 3.0, (theme, colour.name())
    finally:
        palette.apply_theme("system")
    assert palette.current_theme() == "system"
    assert app_palette.palette().color(QPalette.ColorRole.Window) == system_window
    assert app_palette.style().name() == system_style


def test_an_unknown_theme_changes_nothing(app_palette: QApplication) -> None:
    before = app_palette.palette().color(QPalette.ColorRole.Window)
    palette.apply_theme("sepia")
    assert palette.current_theme() == "system"
    assert app_palette.palette().color(QPalette.ColorRole.Window) == before
