"""Shows the email a code came from, safely: nothing remote ever loads.

Marketing mail is full of tracking pixels and remote images that tell the sender when and
where a message was read. Two locks keep them out: the HTML is sanitised first (scripts,
styles, frames, forms, media, inline SVG/MathML, event handlers and remote images go; an
image's alt text stays, in brackets), and the browser's ``loadResource`` refuses every URL that
is not an inline ``data:`` raster image, which also covers CSS backgrounds, ``file:`` paths and
anything the sanitiser missed. SVG is refused even inline: an SVG can reference a local file by
path. Links are never followed. The message arrives already loaded; this dialog does no I/O.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QColor, QImage, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)
from selectolax.lexbor import LexborHTMLParser

from guard_inbox.domain.models import MailMessage

DROPPED_TAGS = (
    "script, style, iframe, frame, frameset, object, embed, applet, form, link, meta, base, "
    "template, video, audio, source, track, svg, math, input, button, select, textarea"
)
# The only resource a message may show: an inline raster image (no SVG, which can load files).
INLINE_IMAGE = re.compile(r"data:image/(png|jpe?g|gif|webp|bmp)[;,]", re.IGNORECASE)
HIGHLIGHT = QColor(255, 235, 59)  # yellow
HIGHLIGHT_TEXT = QColor(0, 0, 0)


def sanitize_html(html: str) -> str:
    """The markup with active content and remote images removed (alt text kept)."""
    tree = LexborHTMLParser(html)
    for node in tree.css(DROPPED_TAGS):
        node.decompose()
    for picture in tree.css("picture"):  # its <source>s went above; its <img> is treated below
        picture.unwrap()
    for image in tree.css("img"):
        if "srcset" in image.attributes:
            del image.attrs["srcset"]
        if INLINE_IMAGE.match((image.attributes.get("src") or "").strip()):
            continue
        alt = " ".join((image.attributes.get("alt") or "").split())
        if alt:
            image.replace_with(f"[{alt}]")  # a text node: escaped when serialised
        else:
            image.decompose()
    for node in tree.css("*"):
        for name in [name for name in node.attributes if name.lower().startswith("on")]:
            del node.attrs[name]
    return tree.html or ""


class SafeBrowser(QTextBrowser):
    """A QTextBrowser that loads nothing but inline raster images and follows no links."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.blocked: list[str] = []  # every URL refused, for tests and curiosity
        self.setOpenExternalLinks(False)
        self.setOpenLinks(False)

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        url = name if isinstance(name, QUrl) else QUrl(name)
        if url.scheme().lower() == "data" and INLINE_IMAGE.match(url.toString()):
            return super().loadResource(type, url)
        self.blocked.append(url.toString())
        # Not None: on a null answer QTextDocument falls back to decoding data: URLs and to
        # reading file: and relative paths from disk itself. An empty image ends the lookup.
        return QImage()


def highlight(document: QTextDocument, needle: str) -> list[QTextCursor]:
    """Give every case-insensitive occurrence of ``needle`` a yellow background."""
    if not needle:
        return []
    fmt = QTextCharFormat()
    fmt.setBackground(HIGHLIGHT)
    fmt.setForeground(HIGHLIGHT_TEXT)
    found: list[QTextCursor] = []
    cursor = document.find(needle, 0)
    while not cursor.isNull():
        cursor.mergeCharFormat(fmt)
        found.append(QTextCursor(cursor))
        cursor = document.find(needle, cursor)
    return found


def _label(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class SourceViewer(QDialog):
    def __init__(self, message: MailMessage, code: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(message.subject or "Source email")
        self.resize(760, 640)
        header = QFormLayout()
        date = message.date.astimezone().strftime("%a %d %b %Y, %H:%M") if message.date else ""
        self.sender_label = _label(message.sender, self)
        self.subject_label = _label(message.subject, self)
        self.date_label = _label(date, self)
        header.addRow("From:", self.sender_label)
        header.addRow("Subject:", self.subject_label)
        header.addRow("Date:", self.date_label)

        self.browser = SafeBrowser(self)
        if message.html.strip():
            self.browser.setHtml(sanitize_html(message.html))
        else:
            self.browser.setPlainText(message.text or message.snippet)
        self.matches = highlight(self.browser.document(), code)
        if self.matches:
            first = QTextCursor(self.matches[0])
            first.clearSelection()
            self.browser.setTextCursor(first)
            self.browser.ensureCursorVisible()
        found = {0: "not found in the text", 1: "highlighted once"}.get(
            len(self.matches), f"highlighted {len(self.matches)} times"
        )
        self.match_label = _label(f"{code}: {found}" if code else "", self)
        self.match_label.setVisible(bool(code))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.browser, 1)
        layout.addWidget(self.match_label)
        layout.addWidget(buttons)
