"""SourceViewer: mail is shown with the code highlighted, and nothing remote is ever fetched."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QTextDocument
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
    assert viewer.browser.loadResource(image, QUrl(f"{tracker.base}/pixel.gif")).isNull()
    assert viewer.browser.loadResource(image, QUrl("file:///etc/hostname")).isNull()
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


def test_sanitising_drops_every_element_that_can_fetch_or_show_content() -> None:
    clean = sanitize_html(
        '<template><img src="https://t.example/tpl.gif"></template>'
        '<picture><source srcset="https://t.example/wide.png"><img src="https://t.example/p.png" '
        'alt="Sale banner"></picture>'
        '<video poster="https://t.example/poster.png"><source src="https://t.example/v.mp4"></video>'
        '<audio src="https://t.example/a.mp3"></audio>'
        '<input type="image" src="https://t.example/button.png">'
        '<svg><image href="https://t.example/svg.png"/></svg>'
        '<math><mi><mglyph src="https://t.example/glyph.png"/></mi></math>'
        '<img srcset="https://t.example/set.png 2x" src="data:image/png;base64,iVBORw0KGgo=">'
        '<p>Code <b>KEEP10</b></p>'
    )
    assert "t.example" not in clean, clean
    for gone in ("<template", "<picture", "<source", "<video", "<audio", "<input", "<svg", "<math",
                 "<mglyph", "srcset"):  # fmt: skip
        assert gone not in clean, gone
    assert "[Sale banner]" in clean and "<b>KEEP10</b>" in clean
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in clean


def test_an_inline_svg_cannot_show_a_local_file(qtbot: QtBot, tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"  # a local file a crafted SVG points at by path
    picture = QImage(8, 8, QImage.Format.Format_RGB32)
    picture.fill(0xFF0000)
    assert picture.save(str(secret), "PNG")
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           f'width="50" height="50"><image xlink:href="file://{secret}" width="50" height="50"/></svg>')
    data_svg = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    clean = sanitize_html(f'<p><img src="{data_svg}" alt="logo"> <img src="file://{secret}" alt="f"></p>')
    assert "data:image/svg" not in clean and "file:" not in clean
    assert "[logo]" in clean and "[f]" in clean
    # The browser itself, unsanitised: what the document really shows for each reference.
    inline_png = "data:image/png;base64," + base64.b64encode(secret.read_bytes()).decode()
    shown = {src: rendered(qtbot, src, base=secret.parent)
             for src in (data_svg, f"file://{secret}", str(secret), secret.name, inline_png)}
    assert shown == {data_svg: False, f"file://{secret}": False, str(secret): False,
                     secret.name: False, inline_png: True}


def rendered(qtbot: QtBot, src: str, base: Path) -> bool:
    """Whether the document got a picture for ``src`` (QTextDocument reads data: and local
    files itself when the browser's loadResource answers None)."""
    browser = SafeBrowser()
    qtbot.addWidget(browser)
    browser.document().setBaseUrl(QUrl.fromLocalFile(f"{base}/"))  # where relative names point
    browser.setHtml(f'<img src="{src}">')
    browser.show()
    browser.viewport().grab()
    image = browser.document().resource(QTextDocument.ResourceType.ImageResource.value, QUrl(src))
    return image is not None and not image.isNull()
