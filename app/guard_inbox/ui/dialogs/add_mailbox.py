"""Add a mailbox: one small chooser for the two kinds of local mail, then one file dialog.

It replaces a file dialog whose title (cut off) told the user to cancel it to get a folder
dialog. An mbox is one file and a folder of .eml files is a folder, and no file dialog picks
both, so the user says which first. Dialogs open in the last folder used, else the home folder
(never the working directory, which for a launcher start means nothing to the user).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from guard_inbox.ui.palette import muted
from guard_inbox.ui.views.welcome import ChoiceButton

LAST_FOLDER_KEY = "last_mailbox_folder"
MBOX_FILTER = "Mailbox files (*.mbox *.mbx);;All files (*)"


class FolderMemory:
    """The folder the last mailbox came from, kept in the window's state file across runs."""

    def __init__(self, state: QSettings | None) -> None:
        self._state = state
        self._folder: Path | None = None

    def folder(self) -> Path:
        stored = self._state.value(LAST_FOLDER_KEY, "", str) if self._state is not None else ""
        for candidate in (self._folder, Path(str(stored)) if stored else None):
            if candidate is not None and candidate.is_dir():
                return candidate
        return Path.home()

    def remember(self, chosen: Path) -> None:
        self._folder = chosen.parent
        if self._state is not None:
            self._state.setValue(LAST_FOLDER_KEY, str(self._folder))
            self._state.sync()


class AddMailboxDialog(QDialog):
    chosen = Signal(object)  # Path

    def __init__(self, memory: FolderMemory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a mailbox")
        self._memory = memory
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(QLabel("What kind of mailbox is it?", self))
        self.mbox_button = ChoiceButton(
            self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon), "An mbox file",
            "One file holding many messages. From Google Takeout: unzip the export and choose "
            "the .mbox file in Takeout/Mail. Thunderbird and Apple Mail export mbox too.", self)
        self.folder_button = ChoiceButton(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon), "A folder of .eml files",
            "Messages saved one per file; subfolders are read as well.", self)
        self.mbox_button.clicked.connect(self.choose_mbox)
        self.folder_button.clicked.connect(self.choose_folder)
        layout.addWidget(self.mbox_button)
        layout.addWidget(self.folder_button)
        hint = QLabel("Tip: you can also drop a file or a folder onto the main window.", self)
        hint.setStyleSheet(f"color: {muted().name()}")
        layout.addWidget(hint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def choose_mbox(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose an mbox file",
                                              str(self._memory.folder()), MBOX_FILTER)
        self._done(path)

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a folder of .eml files",
                                                str(self._memory.folder()))
        self._done(path)

    def _done(self, path: str) -> None:
        if not path:
            return  # the file dialog was cancelled: back to the choice
        chosen = Path(path)
        self._memory.remember(chosen)
        self.accept()
        self.chosen.emit(chosen)
