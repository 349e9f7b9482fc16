"""Where use-case results meet the views (Anki's ``operation_did_execute``).

Every action's ``Changes`` and every job event is published here, on the main thread; each
view subscribes and reloads only when the change concerns what it shows, so no action has to
know which views to refresh.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from guard_inbox.services.api import Changes


class ChangeHub(QObject):
    changed = Signal(object)  # Changes

    def publish(self, changes: Changes) -> None:
        if changes.anything:
            self.changed.emit(changes)
