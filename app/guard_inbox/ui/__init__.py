"""PySide6 lives here only: windows, models, the bridge from worker events to Qt signals."""
