"""A damaged database file gets a question, not a traceback: move it aside and start afresh?"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget


def damaged_database_box(message: str, parent: QWidget | None = None) -> tuple[QMessageBox, QPushButton]:
    """The dialog and its 'start afresh' button (tests press it; the app calls exec())."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Guard Inbox cannot read its database", message,
                      parent=parent)
    box.setInformativeText(
        "Guard Inbox can rename the damaged file (it is kept beside the new one, in case you "
        "want to recover it) and start with an empty database. Your mail is not touched: a new "
        "scan finds its codes again."
    )
    start = box.addButton("Move It Aside and Start Afresh", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(start)
    return box, start


def ask_to_start_afresh(message: str, parent: QWidget | None = None) -> bool:
    box, start = damaged_database_box(message, parent)
    box.exec()
    return box.clickedButton() is start
