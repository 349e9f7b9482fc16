"""The first thing a new user sees: the ways in, instead of an empty codes list.

Shown while there is no account at all (the window swaps it for the codes list as soon as one
exists). Each choice says in one line what it needs, so nobody starts the Gmail setup without
knowing it takes a Google Cloud client, or hunts for a button to try the app on sample mail.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from guard_inbox.ui.icons import icon
from guard_inbox.ui.palette import muted

CHOICE_WIDTH = 520


class ChoiceButton(QPushButton):
    """A large button with an icon, a title and a line of explanation; keyboard and mouse alike."""

    def __init__(self, icon_: QIcon, title: str, detail: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(title)
        self.setAccessibleDescription(detail)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        policy.setHeightForWidth(True)  # the explanation wraps: narrower means taller
        self.setSizePolicy(policy)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        row = self._row = QHBoxLayout(self)
        row.setContentsMargins(16, 12, 16, 12)
        row.setSpacing(14)
        picture = QLabel(self)
        picture.setPixmap(icon_.pixmap(QSize(36, 36)))
        picture.setFixedSize(40, 40)
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(f"<span style='font-size:large; font-weight:600'>{title}</span>"
                      f"<br>{detail}", self)
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        for label in (picture, text):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        row.addWidget(picture)
        row.addWidget(text, 1)
        self.text_label = text

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._row.totalHeightForWidth(width)

    def sizeHint(self) -> QSize:
        width = max(self._row.sizeHint().width(), CHOICE_WIDTH)
        return QSize(width, self.heightForWidth(width))


class WelcomeView(QWidget):
    connect_gmail = Signal()
    add_mailbox = Signal()
    add_imap = Signal()
    try_demo = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = QLabel("<span style='font-size:x-large; font-weight:600'>Welcome to Guard "
                         "Inbox</span>", self)
        intro = QLabel("It finds the promo codes in your mail and tells you before they expire. "
                       "Where is your mail?", self)
        intro.setWordWrap(True)
        self.gmail_button = ChoiceButton(
            icon("account-gmail"), "Connect Gmail",
            "Sign in with Google; Guard Inbox only reads. Needs a free Google Cloud client of "
            "your own: the next window walks you through it.", self)
        self.imap_button = ChoiceButton(
            icon("account-imap"), "Add another mail account",
            "Yahoo, iCloud, Fastmail, Outlook or any IMAP server, or Gmail with an app password. "
            "You need your provider's app password.", self)
        self.mailbox_button = ChoiceButton(
            icon("account-local"), "Add a mailbox file or folder",
            "An mbox file, such as a Google Takeout export or a Thunderbird folder, or a folder "
            "of .eml files. Nothing to set up.", self)
        self.demo_button = ChoiceButton(
            icon("scan"), "Try the demo mailbox",
            "Sample promotions, to see what Guard Inbox finds in a minute.", self)
        self.gmail_button.clicked.connect(self.connect_gmail)
        self.mailbox_button.clicked.connect(self.add_mailbox)
        self.imap_button.clicked.connect(self.add_imap)
        self.demo_button.clicked.connect(self.try_demo)
        self.drop_hint = QLabel("You can also drop an mbox file or a folder of .eml files "
                                "anywhere on this window.", self)
        self.drop_hint.setWordWrap(True)
        self.drop_hint.setStyleSheet(f"color: {muted().name()}")
        column = QVBoxLayout()
        column.setSpacing(12)
        column.addWidget(heading)
        column.addWidget(intro)
        column.addSpacing(6)
        for button in (self.gmail_button, self.imap_button, self.mailbox_button, self.demo_button):
            column.addWidget(button)
        column.addSpacing(6)
        column.addWidget(self.drop_hint)
        # The choices scroll in a small window instead of holding the whole window large.
        page = QWidget(self)
        holder = QWidget(page)
        holder.setLayout(column)
        holder.setMaximumWidth(CHOICE_WIDTH + 80)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(page)
        whole = QVBoxLayout(self)
        whole.setContentsMargins(0, 0, 0, 0)
        whole.addWidget(scroll)
        outer = QVBoxLayout(page)
        outer.addStretch(1)
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(holder, 10)
        centred.addStretch(1)
        outer.addLayout(centred)
        outer.addStretch(2)
