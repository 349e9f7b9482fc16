"""Marking codes used: at once on screen, written off the main thread, undoable.

Each mark is a ``QUndoCommand`` on the view's ``QUndoStack`` (Ctrl+Z / Ctrl+Shift+Z), so a
slip of Ctrl+U or of the checkbox costs nothing. The code stays where it is even when it no
longer fits the filter (``CodesModel.keep``): it greys out under the pointer instead of
vanishing, and leaves when the user asks another question.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from guard_inbox.domain.models import StoredCode
from guard_inbox.services.api import Changes
from guard_inbox.ui.models.codes_model import CodesModel
from guard_inbox.ui.taskman import TaskManager

log = logging.getLogger(__name__)

MarkUsed = Callable[[int, bool], Changes]


def _state(used: bool) -> str:
    return "used" if used else "not used"


class _Mark(QUndoCommand):
    def __init__(self, marker: UsedMarker, code: StoredCode, used: bool) -> None:
        super().__init__(f"Mark {code.code} {_state(used)}")
        self._marker, self._code, self._used = marker, code, used

    def redo(self) -> None:
        self._marker.write(self._code, self._used, undoing=False)

    def undo(self) -> None:
        self._marker.write(self._code, not self._used, undoing=True)


class UsedMarker(QObject):
    status_message = Signal(str)
    written = Signal(object)  # the Changes of a finished write, for the view to re-read

    def __init__(self, model: CodesModel, tasks: TaskManager, mark_used: MarkUsed,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._tasks = tasks
        self._mark_used = mark_used
        self._kept: list[int] = []
        self.stack = QUndoStack(self)

    def mark(self, code: StoredCode, used: bool) -> None:
        if code.used != used:
            self.stack.push(_Mark(self, code, used))  # push runs redo(): the first write

    def forget_kept(self) -> None:
        """The user asked another question: codes that left the filter may go now."""
        self._kept.clear()

    def write(self, code: StoredCode, used: bool, *, undoing: bool) -> None:
        self._model.set_used(code.id, used)
        if code.id not in self._kept:
            self._kept.append(code.id)
        self._model.keep(self._kept)
        mark_used = self._mark_used
        self._tasks.run(
            lambda: mark_used(code.id, used),
            lambda changes: self._done(code, used, undoing, changes),
            lambda exc: self._failed(code, used, exc),
        )

    def _done(self, code: StoredCode, used: bool, undoing: bool, changes: Changes) -> None:
        if not shiboken6.isValid(self):
            return
        if undoing:
            self.status_message.emit(f"Undone: {code.code} is {_state(used)} again")
        else:
            self.status_message.emit(f"Marked {code.code} as {_state(used)} (Ctrl+Z undoes)")
        self.written.emit(changes)

    def _failed(self, code: StoredCode, used: bool, exc: Exception) -> None:
        log.warning("Could not mark %s: %s", code.code, exc)
        if not shiboken6.isValid(self):
            return
        self._model.set_used(code.id, not used)  # the database still says the old state
        self.stack.clear()  # its last step never happened: undoing it would mislead
        self.status_message.emit(f"Could not update {code.code}: {exc}")
