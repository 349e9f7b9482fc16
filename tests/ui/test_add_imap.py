"""Adding and fixing an IMAP account from the window, against a real Dovecot and a real Core."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

import imap_kit
from guard_inbox.bootstrap import start_app
from guard_inbox.bootstrap.app_api import BackgroundStart, CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.imap import Security
from guard_inbox.domain.models import AccountKind, AccountStatus, JobState
from guard_inbox.extraction.pipeline import ExtractionPipeline
from guard_inbox.mail.gmail.tokens import FileTokenStore
from guard_inbox.mail.imap.factory import ImapSourceFactory
from guard_inbox.paths import AppPaths
from guard_inbox.services.imap_accounts import ImapAccounts
from guard_inbox.services.sources import LocalSourceFactory
from guard_inbox.settings import Settings
from guard_inbox.ui.dialogs.add_imap import AddImapDialog
from guard_inbox.ui.main_window import MainWindow
from window_kit import open_window

pytestmark = pytest.mark.skipif(not imap_kit.available(), reason="dovecot-imapd is not installed "
                                "(make test installs it)")


@pytest.fixture
def server() -> Iterator[imap_kit.Dovecot]:
    with imap_kit.dovecot() as d:
        d.add_messages([imap_kit.promo(i) for i in range(4)])
        d.add_messages([imap_kit.promo(i) for i in range(10, 12)], folder="Deals")
        yield d


@pytest.fixture
def imap_core(tmp_path: Path) -> Iterator[tuple[Core, CoreApi]]:
    paths = AppPaths(tmp_path / "data").ensure()
    store = FileTokenStore(tmp_path / "secrets.json")
    factory = ImapSourceFactory(store, LocalSourceFactory(), timeout=10)
    core = Core(paths, Settings(paths.settings_file, env={}), factory, ExtractionPipeline())
    core.open_queue()
    api = CoreApi(core, start=BackgroundStart(lambda: start_app(core)),
                  imap=lambda: ImapAccounts(core.repository, store, factory))
    yield core, api
    core.close()


@pytest.fixture
def window(qtbot: QtBot, imap_core: tuple[Core, CoreApi], tmp_path: Path) -> Iterator[MainWindow]:
    core, api = imap_core
    window = open_window(qtbot, api, core.settings, tmp_path)
    yield window
    window.shutdown()


def dialog_of(window: MainWindow) -> AddImapDialog:
    dialog = window.account_actions.imap_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def fill(dialog: AddImapDialog, server: imap_kit.Dovecot, password: str) -> None:
    dialog.choose_provider("other")
    dialog.user.setText(server.user)
    dialog.password.setText(password)
    dialog.host.setText("127.0.0.1")
    dialog.security.setCurrentIndex(dialog.security.findData(Security.NONE.value))
    dialog.port.setValue(server.port)


def test_add_from_the_welcome_view_choose_a_folder_then_fix_a_revoked_password(
        qtbot: QtBot, window: MainWindow, imap_core: tuple[Core, CoreApi],
        server: imap_kit.Dovecot) -> None:
    core, api = imap_core
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.welcome, timeout=5000)
    qtbot.mouseClick(window.welcome.imap_button, Qt.MouseButton.LeftButton)
    dialog = dialog_of(window)

    dialog.choose_provider("outlook")  # no password path there: a Microsoft sign-in instead
    assert "2024" in dialog.note.text() and not dialog.password.isVisible()
    assert dialog.client_id.isVisible() and dialog.add_button.text().startswith("Sign in")
    dialog.user.setText("someone@outlook.com")
    assert not dialog.add_button.isEnabled()  # no client id yet
    dialog.client_id.setText("11111111-2222-3333-4444-555555555555")
    assert dialog.add_button.isEnabled()

    fill(dialog, server, "wrong")
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "check the password or app password" in dialog.status.text(), timeout=10000)
    assert api.accounts() == []

    dialog.password.setText(imap_kit.PASSWORD)
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.folders.count() == 2, timeout=10000)
    assert [dialog.folders.item(i).text() for i in range(2)] == ["INBOX", "Deals"]
    dialog.folders.item(1).setCheckState(Qt.CheckState.Checked)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.tabs, timeout=10000)
    [account] = api.accounts()
    assert account.kind is AccountKind.IMAP and account.address == server.user
    assert api.imap_settings(server.user).folders == ("INBOX", "Deals")
    qtbot.waitUntil(lambda: any(j.state is JobState.COMPLETED for j in api.recent_jobs()), timeout=30000)
    assert {c.code for c in api.codes()} == {f"SAVE{i:05d}X" for i in (0, 1, 2, 3, 10, 11)}

    server.set_password("a-new-app-password")
    api.scan([account.id])
    qtbot.waitUntil(lambda: api.accounts()[0].status is AccountStatus.NEEDS_RECONNECT, timeout=30000)
    window.refresh_accounts()
    qtbot.waitUntil(lambda: window.accounts.account(account.id) is not None
                    and window.accounts.account(account.id).status  # type: ignore[union-attr]
                    is AccountStatus.NEEDS_RECONNECT, timeout=10000)
    window.accounts.reconnect.emit(account.id)  # what the panel's Reconnect button sends
    qtbot.waitUntil(lambda: window.account_actions.imap_dialog is not None
                    and window.account_actions.imap_dialog.isVisible(), timeout=10000)
    fix = dialog_of(window)
    assert window.account_actions.gmail_dialog is None  # not the Gmail sign-in
    assert fix.user.text() == server.user and fix.user.isReadOnly()
    assert "check the password or app password" in fix.status.text()
    fix.password.setText("a-new-app-password")
    qtbot.mouseClick(fix.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not fix.isVisible(), timeout=10000)
    assert api.accounts()[0].status is AccountStatus.OK


def test_outlook_signs_in_with_microsoft_from_the_dialog(qtbot: QtBot, tmp_path: Path) -> None:
    """The Outlook preset's sign-in against the fake OAuth server (the browser played by
    FakeBrowser), then XOAUTH2 logins to a Dovecot that checks tokens with that server."""
    from fakes import FakeBrowser, FakeGoogleOAuth
    from fakes.introspection import FakeIntrospection
    from guard_inbox.mail.imap.signin import OAuthClient

    tokens: set[str] = set()
    paths = AppPaths(tmp_path / "data").ensure()
    store = FileTokenStore(tmp_path / "secrets.json")
    factory = ImapSourceFactory(store, LocalSourceFactory(), timeout=10)
    core = Core(paths, Settings(paths.settings_file, env={}), factory, ExtractionPipeline())
    core.open_queue()
    browser = FakeBrowser()
    with FakeGoogleOAuth(valid_tokens=tokens) as oauth, \
            FakeIntrospection(tokens, imap_kit.USER) as introspection, \
            imap_kit.dovecot(introspection_url=introspection.url) as server:
        def client(client_id: str) -> OAuthClient:
            return OAuthClient(client_id, oauth.auth_uri, oauth.token_uri, "https://mail.google.com/",
                               oauth.client_secret)

        server.add_messages([imap_kit.promo(i) for i in range(2)])
        api = CoreApi(core, start=BackgroundStart(lambda: start_app(core)),
                      imap=lambda: ImapAccounts(core.repository, store, factory, oauth_client=client))
        window = MainWindow(api, core.settings, tmp_path / "window.ini")
        qtbot.addWidget(window)
        window.show()
        window.start_background()
        try:
            qtbot.waitUntil(window.scan_action.isEnabled, timeout=15000)
            window.account_actions.add_imap("outlook")
            dialog = dialog_of(window)
            dialog.open_browser = browser.open
            dialog.user.setText(server.user)
            dialog.client_id.setText(oauth.client_id)
            dialog.host.setText("127.0.0.1")
            dialog.security.setCurrentIndex(dialog.security.findData(Security.NONE.value))
            dialog.port.setValue(server.port)
            qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20000)
            assert oauth.pkce_verified == 1
            qtbot.waitUntil(lambda: len(api.codes()) == 2, timeout=30000)
            assert api.imap_settings(server.user).provider == "outlook"
        finally:
            browser.join(10)
            window.shutdown()
            core.close()
