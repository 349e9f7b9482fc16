"""SourceViewer: mail is shown with the code highlighted, and nothing remote is ever fetched."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QTextDocument
from pytestqt.qtbot import QtBot

from guard_inbox.domain.models import MailMessage
from guard_inbox.ui.dialogs.source_viewer import HIGHLIGHT, SafeBrowser, SourceViewer, sanitize_html


class Tracker(ThreadingHTTPServer):
    """A stand-in for a sender's tracking server: counts every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Tracker

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/gif")
        self.end_headers()
        self.wfile.write(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def tracker() -> Iterator[Tracker]:
    server = Tracker()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def tracking_mail(base: str) -> MailMessage:
    html = f"""<html><head>
      <link rel="stylesheet" href="{base}/style.css">
      <style>body {{ background: url({base}/style-bg.png) }}</style>
      <script src="{base}/script.js"></script>
    </head><body onload="track()">
      <img src="{base}/pixel.gif" width="1" height="1">
      <img src="{base}/banner.png" alt="Winter Sale">
      <img src="//tracker.example/logo.png" alt="Logo">
      <table background="{base}/table-bg.png"><tr><td>
        <p onclick="steal()">Use code <b>SAVE20</b> for 20% off. Again: save20!</p>
      </td></tr></table>
      <iframe src="{base}/frame.html"></iframe>
      <form action="{base}/form"><input name="q"></form>
      <a href="{base}/click">Shop now</a>
    </body></html>"""
    return MailMessage(
        provider_id="m1", subject="Winter <b>sale</b>", sender="Acme Outdoor <news@acme.example>",
        date=datetime(2026, 1, 5, 9, 30, tzinfo=UTC), html=html, text="plain version SAVE20",
    )  # fmt: skip


def show(qtbot: QtBot, viewer: SourceViewer) -> None:
    qtbot.addWidget(viewer)
    viewer.show()
    qtbot.waitExposed(viewer)
    viewer.browser.viewport().grab()  # paint: every image the document wants is asked for now
    qtbot.wait(200)


def test_remote_content_is_never_requested(qtbot: QtBot, tracker: Tracker) -> None:
    viewer = SourceViewer(tracking_mail(tracker.base), "SAVE20")
    show(qtbot, viewer)

    assert tracker.requests == []
    text = viewer.browser.toPlainText()
    assert "[Winter Sale]" in text and "[Logo]" in text and "Use code SAVE20" in text
    # The table background survived sanitising; the browser itself refused it.
    assert f"{tracker.base}/table-bg.png" in viewer.browser.blocked
    assert all(not url.startswith("data:") for url in viewer.browser.blocked)
    image = QTextDocument.ResourceType.ImageResource.value
    assert viewer.browser.loadResource(image, QUrl(f"{tracker.base}/pixel.gif")) is None
    assert viewer.browser.loadResource(image, QUrl("file:///etc/hostname")) is None
    assert tracker.requests == []


def test_the_browser_blocks_remote_images_even_without_sanitising(qtbot: QtBot, tracker: Tracker) -> None:
    browser = SafeBrowser()
    qtbot.addWidget(browser)
    browser.setHtml(f'<p>hi <img src="{tracker.base}/raw.gif"></p>')
    browser.show()
    qtbot.waitExposed(browser)
    browser.viewport().grab()
    qtbot.wait(200)
    assert f"{tracker.base}/raw.gif" in browser.blocked
    assert tracker.requests == []
    assert not browser.openLinks() and not browser.openExternalLinks()


def test_sanitising_drops_active_content_and_keeps_inline_images() -> None:
    clean = sanitize_html(
        '<body onload="x()"><script>alert(1)</script><style>p{}</style><iframe src="a"></iframe>'
        '<object data="o"></object><embed src="e"><form><input></form>'
        '<p onmouseover="y()" class="k">Hello <img src="https://t.example/p.gif" alt="&lt;b&gt;Sale">'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline"></p></body>'
    )
    for gone in ("<script", "alert", "<style", "<iframe", "<object", "<embed", "<form", "<input",
                 "onload", "onmouseover", "t.example"):  # fmt: skip
        assert gone not in clean
    assert '<p class="k">Hello [&lt;b&gt;Sale]' in clean
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in clean


def test_every_occurrence_of_the_code_is_highlighted(qtbot: QtBot, tracker: Tracker) -> None:
    viewer = SourceViewer(tracking_mail(tracker.base), "SAVE20")
    show(qtbot, viewer)
    assert [c.selectedText() for c in viewer.matches] == ["SAVE20", "save20"]
    for cursor in viewer.matches:
        assert cursor.charFormat().background().color() == HIGHLIGHT
    assert viewer.match_label.text() == "SAVE20: highlighted 2 times"
    assert tracker.requests == []


def test_headers_are_plain_text_and_plain_mail_is_shown(qtbot: QtBot) -> None:
    message = MailMessage(
        provider_id="m2", subject="Your <i>code</i> inside", sender="Shop <s@shop.example>",
        date=datetime(2026, 1, 5, 9, 30, tzinfo=UTC), text="Hello,\nuse code WELCOME10 now.\n",
    )  # fmt: skip
    viewer = SourceViewer(message, "welcome10")
    show(qtbot, viewer)
    assert viewer.subject_label.text() == "Your <i>code</i> inside"
    assert viewer.sender_label.text() == "Shop <s@shop.example>"
    assert "2026" in viewer.date_label.text()
    assert viewer.browser.toPlainText() == "Hello,\nuse code WELCOME10 now.\n"
    assert [c.selectedText() for c in viewer.matches] == ["WELCOME10"]
    assert viewer.windowTitle() == "Your <i>code</i> inside"

    missing = SourceViewer(message, "NOPE")
    qtbot.addWidget(missing)
    assert missing.matches == [] and missing.match_label.text() == "NOPE: not found in the text"
