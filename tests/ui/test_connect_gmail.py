"""Connect Gmail, guided: the client file, the sign-in with its URL, Cancel, and Quit mid-sign-in.

The whole app is real: the composition root's Core (SQLite, embedded Redis, workers, Gmail
sources) and CoreApi; Google is FakeGoogleOAuth and FakeGmail, driven by the real client
libraries; the user's browser is FakeBrowser, or nobody (a sign-in left pending).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from fakes import FakeBrowser, FakeGmail, FakeGoogleOAuth
from gmail_kit import trail_code, trail_promo
from guard_inbox.bootstrap import build_api, build_core, start_app
from guard_inbox.bootstrap.app_api import BackgroundStart, CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.models import AccountKind, JobState
from guard_inbox.mail.gmail.tokens import FileTokenStore
from guard_inbox.paths import AppPaths
from guard_inbox.settings import Settings
from guard_inbox.ui.dialogs.connect_gmail import ConnectGmailDialog
from guard_inbox.ui.main_window import MainWindow
from window_kit import open_window

ADDRESS = "shopper@example.org"
QUIT_LIMIT_S = 2.0


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeGoogleOAuth, FakeGmail]]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fakes speak http (tests only)
    tokens: set[str] = set()
    with FakeGoogleOAuth(valid_tokens=tokens) as oauth, \
            FakeGmail(valid_tokens=tokens, email_address=ADDRESS) as gmail:
        yield oauth, gmail


@pytest.fixture
def app(servers: tuple[FakeGoogleOAuth, FakeGmail], tmp_path: Path) -> Iterator[tuple[Core, CoreApi]]:
    """What bootstrap builds for the window, with the Gmail endpoint on the fake."""
    paths = AppPaths(tmp_path / "data").ensure()
    settings = Settings(paths.settings_file, env={})
    settings.override("gmail.endpoint", servers[1].base_url)
    token_store = FileTokenStore(paths.token_file)
    core = build_core(paths, settings, token_store)
    core.open_database()
    try:
        yield core, build_api(core, settings, token_store, BackgroundStart(lambda: start_app(core)))
    finally:
        core.close()


@pytest.fixture
def window(qtbot: QtBot, app: tuple[Core, CoreApi], tmp_path: Path) -> Iterator[MainWindow]:
    core, api = app
    window = open_window(qtbot, api, core.settings, tmp_path)
    yield window
    window.shutdown()


@pytest.fixture
def client_file(servers: tuple[FakeGoogleOAuth, FakeGmail], tmp_path: Path) -> Path:
    path = tmp_path / "Downloads" / "client_secret_1234.json"
    path.parent.mkdir()
    path.write_text(json.dumps(servers[0].client_config()))
    return path


def open_dialog(window: MainWindow) -> ConnectGmailDialog:
    window.connect_action.trigger()
    dialog = window.account_actions.gmail_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def choose(qtbot: QtBot, dialog: ConnectGmailDialog, path: Path,
           monkeypatch: pytest.MonkeyPatch) -> None:
    """The user picks ``path`` in the file dialog (Qt's own modal dialog answered for them)."""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.file_status.text() != "Checking the file…", timeout=15000)


def ready_to_sign_in(qtbot: QtBot, window: MainWindow, client_file: Path,
                     monkeypatch: pytest.MonkeyPatch) -> ConnectGmailDialog:
    dialog = open_dialog(window)
    choose(qtbot, dialog, client_file, monkeypatch)
    assert dialog.sign_in_button.isEnabled()
    return dialog


def start_pending_sign_in(qtbot: QtBot, window: MainWindow, dialog: ConnectGmailDialog) -> int:
    """Signs in with nobody at the browser; returns the loopback port the sign-in listens on."""
    window.account_actions.open_browser = lambda url: True  # a browser that shows the page, no more
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(dialog.url), timeout=15000)
    redirect = parse_qs(urlsplit(dialog.url).query)["redirect_uri"][0]
    port = urlsplit(redirect).port
    assert port is not None and listening(port)
    return port


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def sign_in_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "gmail-sign-in" and t.is_alive()]


def test_a_file_that_is_not_a_desktop_client_is_named_inline_and_not_saved(
    qtbot: QtBot, window: MainWindow, app: tuple[Core, CoreApi], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    core, _ = app
    dialog = open_dialog(window)
    assert dialog.steps.isVisible()  # no client file yet: the steps are open
    links = " ".join(label.text() for label in dialog.steps.labels)
    for page in ("https://console.cloud.google.com/projectcreate",
                 "https://console.cloud.google.com/apis/library/gmail.googleapis.com",
                 "https://console.cloud.google.com/apis/credentials/consent",
                 "https://console.cloud.google.com/apis/credentials"):
        assert f'href="{page}"' in links
    assert "Test users" in links and "Desktop app" in links and "Download JSON" in links
    assert all(label.openExternalLinks() for label in dialog.steps.labels)

    web = tmp_path / "client_secret_web.json"
    web.write_text(json.dumps({"web": {"client_id": "x", "client_secret": "y"}}))
    choose(qtbot, dialog, web, monkeypatch)
    assert dialog.file_status.text() == (f"The OAuth client file {web} is for a Web application; "
                                         "Guard Inbox needs a Desktop app client.")
    assert not dialog.sign_in_button.isEnabled()
    choose(qtbot, dialog, tmp_path / "gone.json", monkeypatch)
    assert "does not exist" in dialog.file_status.text()
    assert "--client-secrets" not in dialog.file_status.text()  # the dialog shows the steps itself
    assert core.settings.get("gmail.client_secrets") == ""
    assert Settings(core.paths.settings_file, env={}).get("gmail.client_secrets") == ""


def test_a_good_client_file_is_saved_and_offered_next_time(
    qtbot: QtBot, window: MainWindow, app: tuple[Core, CoreApi], client_file: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    core, _ = app
    dialog = ready_to_sign_in(qtbot, window, client_file, monkeypatch)
    assert dialog.file_status.text() == "✓ Desktop app client 1234567890-fake.apps.googleusercontent.com"
    assert not dialog.steps.isVisible()  # done with them: folded away
    assert Settings(core.paths.settings_file, env={}).get("gmail.client_secrets") == str(client_file)
    dialog.close()

    again = ConnectGmailDialog(core_api(window), window.tasks, core.settings,
                               window.account_actions.signin, window)
    qtbot.addWidget(again)
    qtbot.waitUntil(again.sign_in_button.isEnabled, timeout=15000)
    assert again.file_edit.text() == str(client_file)


def core_api(window: MainWindow) -> CoreApi:
    api = window.api
    assert isinstance(api, CoreApi)
    return api


def test_the_sign_in_url_is_shown_with_copy_and_cancel_frees_the_port(
    qtbot: QtBot, window: MainWindow, client_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = ready_to_sign_in(qtbot, window, client_file, monkeypatch)
    port = start_pending_sign_in(qtbot, window, dialog)
    assert dialog.waiting.isVisible() and dialog.progress.maximum() == 0  # indeterminate
    assert dialog.url_edit.text() == dialog.url and dialog.url.startswith("http://127.0.0.1:")
    assert not dialog.sign_in_button.isEnabled() and not dialog.choose_button.isEnabled()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == dialog.url

    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.waiting.isVisible()
    assert dialog.outcome.text() == "Sign-in cancelled; nothing was connected."
    assert dialog.sign_in_button.isEnabled()
    qtbot.waitUntil(lambda: not listening(port) and not sign_in_threads(), timeout=2000)


def test_one_sign_in_at_a_time(
    qtbot: QtBot, window: MainWindow, client_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = ready_to_sign_in(qtbot, window, client_file, monkeypatch)
    start_pending_sign_in(qtbot, window, dialog)
    window.connect_action.trigger()  # Connect Gmail again: the same dialog comes back
    window.welcome.gmail_button.click()
    assert window.account_actions.gmail_dialog is dialog
    assert len(window.findChildren(ConnectGmailDialog)) == 1
    assert not window.account_actions.signin.start(client_file)
    assert len(sign_in_threads()) == 1
    with pytest.raises(KnownError, match="already in progress"):  # the service says so too
        core_api(window).sign_in_gmail(client_file, show_url=print, cancel=threading.Event())
    dialog.close()  # closing the dialog cancels its sign-in
    qtbot.waitUntil(lambda: not sign_in_threads(), timeout=2000)

    # Cancelled, a new sign-in may start at once (the old one's port and lock are let go first).
    window.connect_action.trigger()
    port = start_pending_sign_in(qtbot, window, dialog)
    assert listening(port)


def test_quit_during_a_sign_in_exits_within_two_seconds(
    qtbot: QtBot, app: tuple[Core, CoreApi], client_file: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    # The window is shut down here, not by the fixture: that is what is timed. (Then bootstrap
    # closes the core - workers, queue, broker, database - which takes 0.6-1.3 s on its own.)
    core, api = app
    window = open_window(qtbot, api, core.settings, tmp_path)
    dialog = ready_to_sign_in(qtbot, window, client_file, monkeypatch)
    port = start_pending_sign_in(qtbot, window, dialog)

    started = time.monotonic()
    window.quit()
    window.shutdown()  # what run_gui does once the event loop has returned
    took = time.monotonic() - started
    assert took < QUIT_LIMIT_S, f"the window took {took:.2f} s to shut down"
    assert not sign_in_threads()
    assert not listening(port)
    assert not dialog.isVisible()


def test_a_full_sign_in_adds_the_account_and_scans_it(
    qtbot: QtBot, window: MainWindow, app: tuple[Core, CoreApi],
    servers: tuple[FakeGoogleOAuth, FakeGmail], client_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    core, _ = app
    oauth, gmail = servers
    for i in range(5):
        gmail.add_message(trail_promo(i, ADDRESS))
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.welcome, timeout=5000)
    qtbot.mouseClick(window.welcome.gmail_button, Qt.MouseButton.LeftButton)
    dialog = window.account_actions.gmail_dialog
    assert dialog is not None
    choose(qtbot, dialog, client_file, monkeypatch)
    browser = FakeBrowser()
    window.account_actions.open_browser = browser.open
    with qtbot.waitSignal(dialog.connected, timeout=20000):
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    browser.join(10)
    assert not browser.errors and b"Guard Inbox is connected" in browser.visits[0].final.body
    assert oauth.pkce_verified == 1
    assert not dialog.isVisible()
    [account] = core.queries.accounts()
    assert (account.kind, account.address) == (AccountKind.GMAIL, ADDRESS)
    assert f"Connected {ADDRESS}" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.tabs, timeout=10000)
    qtbot.waitUntil(lambda: window.jobs_model.rowCount() == 1
                    and window.jobs_model.job_at(0).state is JobState.COMPLETED, timeout=30000)
    qtbot.waitUntil(lambda: window.codes.model.total == 5, timeout=10000)
    assert {c.code for c in core.queries.codes()} == {trail_code(i) for i in range(5)}


def test_a_refused_consent_is_said_in_the_dialog_and_adds_nothing(
    qtbot: QtBot, window: MainWindow, app: tuple[Core, CoreApi],
    servers: tuple[FakeGoogleOAuth, FakeGmail], client_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    core, _ = app
    servers[0].deny = True  # the user pressed Cancel on Google's consent screen
    dialog = ready_to_sign_in(qtbot, window, client_file, monkeypatch)
    browser = FakeBrowser()
    window.account_actions.open_browser = browser.open
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.outcome.isVisible, timeout=20000)
    browser.join(10)
    assert "cancelled or access was refused" in dialog.outcome.text()
    assert b"cancelled or refused" in browser.visits[0].final.body
    assert dialog.isVisible() and dialog.sign_in_button.isEnabled()  # ready to try again
    assert core.queries.accounts() == []
