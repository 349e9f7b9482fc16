"""Icons and other bundled resources, found the same way from a checkout or a package."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from PySide6.QtGui import QIcon


@functools.cache
def resources_dir() -> Path:
    """``resources/`` beside ``app/`` in a checkout; inside the bundle when frozen."""
    candidates = [
        Path(getattr(sys, "_MEIPASS", "")) / "resources" if hasattr(sys, "_MEIPASS") else None,
        Path(__file__).resolve().parent.parent / "_resources",
        Path(__file__).resolve().parents[3] / "resources",
    ]
    for candidate in candidates:
        if candidate is not None and (candidate / "icons").is_dir():
            return candidate
    return Path(__file__).resolve().parents[3] / "resources"


def icon(name: str) -> QIcon:
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def demo_mailbox() -> Path:
    return resources_dir() / "demo" / "demo.mbox"
