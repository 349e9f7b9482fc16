"""Small charts drawn with QPainter (PySide6-Essentials has no QtCharts; nothing to install)."""
