"""What a new user has to create in Google Cloud before Gmail can be connected, with links.

Google offers no shared client for an app like ours (a desktop app reading mail needs a
verified project), so each user makes a small one of their own. These are the four steps in
the console's own words, each with a link that opens the right page; the consent-screen step
names the test user, which is what a first sign-in otherwise fails on ("Access blocked").
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

PROJECT_URL = "https://console.cloud.google.com/projectcreate"
GMAIL_API_URL = "https://console.cloud.google.com/apis/library/gmail.googleapis.com"
CONSENT_URL = "https://console.cloud.google.com/apis/credentials/consent"
CREDENTIALS_URL = "https://console.cloud.google.com/apis/credentials"

STEPS: tuple[tuple[str, str], ...] = (
    ("Create a project",
     f'<a href="{PROJECT_URL}">Create a Google Cloud project</a> (any name will do), or pick one '
     "you already have. It is free."),
    ("Enable the Gmail API",
     f'Open the <a href="{GMAIL_API_URL}">Gmail API</a> page of that project and press '
     "<b>Enable</b>."),
    ("Set up the consent screen",
     f'Open the <a href="{CONSENT_URL}">OAuth consent screen</a>: choose <b>External</b>, give '
     "the app a name and your email. Then, under <b>Audience → Test users</b>, <b>add the Gmail "
     "address you will connect</b>: while the app is in testing, Google lets only its test users "
     "sign in. Google will say it has not verified the app; that is expected for your own "
     "project: choose <b>Continue</b>."),
    ("Create the client",
     f'Open <a href="{CREDENTIALS_URL}">Credentials</a> → <b>Create credentials</b> → <b>OAuth '
     "client ID</b> → Application type <b>Desktop app</b> → <b>Create</b> → <b>Download "
     "JSON</b>."),
)


class SetupSteps(QWidget):
    """The numbered steps; links open in the browser and can be reached with Tab."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.labels: list[QLabel] = []
        for number, (title, text) in enumerate(STEPS, start=1):
            label = step_label(number, title, text, self)
            self.labels.append(label)
            layout.addWidget(label)


def step_label(number: int, title: str, text: str, parent: QWidget) -> QLabel:
    label = QLabel(f"<b>{number}. {title}.</b> {text}", parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setOpenExternalLinks(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    return label
