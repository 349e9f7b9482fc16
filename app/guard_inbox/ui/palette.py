"""The theme (system, light or dark) and status colours that stay readable in either.

Colours are asked for at paint time, so a theme switch repaints with the right set. A chosen
theme is asked of the platform first (Qt's colour-scheme request, honoured by Windows 11, macOS
and some Linux desktops); where the platform ignores it, Fusion with our own palette does it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

THEMES = ("system", "light", "dark")
# Kept on the application object, not in module globals: the theme in force, and the style
# the platform gave us before any theme replaced it.
_THEME_PROPERTY = "guardInboxTheme"
_SYSTEM_STYLE_PROPERTY = "guardInboxSystemStyle"
_FUSION = "fusion"

# (light, dark): the light set is dark enough on white, the dark set light enough on near-black.
_DANGER = (QColor("#b91c1c"), QColor("#f87171"))
_SUCCESS = (QColor("#15803d"), QColor("#4ade80"))


def is_dark() -> bool:
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    chosen = app.property(_THEME_PROPERTY)
    if chosen in ("light", "dark"):
        return bool(chosen == "dark")
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


def current_theme() -> str:
    app = QGuiApplication.instance()
    chosen = app.property(_THEME_PROPERTY) if app is not None else None
    return str(chosen) if chosen in THEMES else "system"


def apply_theme(theme: str) -> None:
    """Switch every open window to ``theme`` at once; "system" gives back the platform's look."""
    app = QApplication.instance()
    if not isinstance(app, QApplication) or theme not in THEMES:
        return
    if app.property(_SYSTEM_STYLE_PROPERTY) is None:
        app.setProperty(_SYSTEM_STYLE_PROPERTY, app.style().name())
    system_style = str(app.property(_SYSTEM_STYLE_PROPERTY))
    hints = app.styleHints()
    app.setProperty(_THEME_PROPERTY, theme)
    if theme == "system":
        hints.unsetColorScheme()
        _use_style(app, system_style)
        app.setPalette(QPalette())  # an empty palette resolves to the platform's own
        return
    wanted = Qt.ColorScheme.Dark if theme == "dark" else Qt.ColorScheme.Light
    hints.setColorScheme(wanted)
    if hints.colorScheme() == wanted:  # the platform switched its own style's colours
        _use_style(app, system_style)
        app.setPalette(QPalette())
        return
    _use_style(app, _FUSION)  # native styles may ignore a palette; Fusion draws with it
    app.setPalette(_dark_palette() if theme == "dark" else _light_palette())


def _use_style(app: QApplication, name: str) -> None:
    if app.style().name().lower() != name.lower():
        app.setStyle(name)


def _light_palette() -> QPalette:
    fusion = QStyleFactory.create(_FUSION)
    return fusion.standardPalette() if fusion is not None else QPalette(QColor("#efefef"))


def _dark_palette() -> QPalette:
    """Fusion's dark colours, as Qt's own dark mode picks them (text 87% white on #2d2d2d)."""
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2d2d2d", QPalette.ColorRole.WindowText: "#dedede",
        QPalette.ColorRole.Base: "#1e1e1e", QPalette.ColorRole.AlternateBase: "#262626",
        QPalette.ColorRole.ToolTipBase: "#3c3c3c", QPalette.ColorRole.ToolTipText: "#dedede",
        QPalette.ColorRole.Text: "#dedede", QPalette.ColorRole.Button: "#353535",
        QPalette.ColorRole.ButtonText: "#dedede", QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Light: "#4a4a4a", QPalette.ColorRole.Midlight: "#3e3e3e",
        QPalette.ColorRole.Mid: "#2a2a2a", QPalette.ColorRole.Dark: "#1a1a1a",
        QPalette.ColorRole.Shadow: "#000000", QPalette.ColorRole.Highlight: "#3d7fd6",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.Link: "#7fb2f0",
        QPalette.ColorRole.LinkVisited: "#b49cf0", QPalette.ColorRole.PlaceholderText: "#9a9a9a",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        palette.setColor(disabled, role, QColor("#7a7a7a"))
    return palette
