"""What a page that shows live data (the queue) needs from the window."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject

from guard_inbox.services.api import AppApi, Changes
from guard_inbox.ui.taskman import TaskManager


@dataclass(frozen=True, slots=True)
class PageServices:
    """The api (called off the main thread through ``tasks``), where changes are published so
    every view hears of them, and where a failure is reported."""

    api: AppApi
    tasks: TaskManager
    publish: Callable[[Changes], None]
    report: Callable[[Exception], None]


def while_alive(widget: QObject, callback: Callable[[Any], None]) -> Callable[[Any], None]:
    """A result that arrives after the dialog closed (and its widgets were deleted) is dropped."""

    def deliver(value: Any) -> None:
        if shiboken6.isValid(widget):
            callback(value)

    return deliver
