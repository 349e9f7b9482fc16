"""IMAP accounts end to end against a real Dovecot: the CLI (add-imap, scan --wait, list, remove)
and the app's API (retries while the server is down, a wrong password fails once)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import imap_kit
from guard_inbox.bootstrap import start_app
from guard_inbox.bootstrap.app_api import BackgroundStart, CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.imap import ImapAuth, ImapSettings, Security
from guard_inbox.domain.models import AccountStatus, JobState
from guard_inbox.extraction.pipeline import ExtractionPipeline
from guard_inbox.mail.gmail.tokens import FileTokenStore
from guard_inbox.mail.imap.factory import ImapSourceFactory
from guard_inbox.paths import AppPaths
from guard_inbox.services.imap_accounts import ImapAccounts
from guard_inbox.services.sources import LocalSourceFactory
from guard_inbox.settings import Settings

pytestmark = pytest.mark.skipif(not imap_kit.available(), reason="dovecot-imapd is not installed "
                                "(make test installs it)")


@pytest.fixture
def server() -> Iterator[imap_kit.Dovecot]:
    with imap_kit.dovecot() as d:
        yield d


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return subprocess.run([sys.executable, "-m", "guard_inbox", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=180, env=env)


def as_json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cli_adds_scans_rescans_and_removes_an_imap_account(server: imap_kit.Dovecot, tmp_path: Path) -> None:
    server.add_messages([imap_kit.promo(i) for i in range(30)])
    data = tmp_path / "data"
    wrong, right = tmp_path / "wrong.txt", tmp_path / "pw.txt"
    wrong.write_text("nope\n")
    right.write_text(imap_kit.PASSWORD + "\n")
    base = ["accounts", "add-imap", "--host", "127.0.0.1", "--port", str(server.port),
            "--security", "none", "--user", server.user]

    refused = cli(data, *base, "--password-file", str(wrong))
    assert refused.returncode == 1 and "check the password or app password" in refused.stderr
    assert as_json(cli(data, "accounts", "list", "--json")) == []

    added = cli(data, *base, "--password-file", str(right))
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == server.user

    first = cli(data, "scan", "--account", server.user, "--wait")
    assert first.returncode == 0, first.stderr
    assert "30 messages scanned" in first.stdout
    codes = as_json(cli(data, "codes", "--json"))
    assert {c["code"] for c in codes} == {f"SAVE{i:05d}X" for i in range(30)}

    server.add_messages([imap_kit.promo(30)])
    again = cli(data, "scan", "--account", server.user, "--wait")
    assert again.returncode == 0 and "1 messages scanned" in again.stdout, again.stdout + again.stderr

    server.set_uidvalidity("INBOX", 99)  # the server rebuilt the folder: all read again ...
    rebuilt = cli(data, "scan", "--account", server.user, "--wait")
    assert "31 messages scanned" in rebuilt.stdout, rebuilt.stderr
    assert len(as_json(cli(data, "codes", "--json"))) == 31  # ... with no code twice

    [account] = as_json(cli(data, "accounts", "list", "--json"))
    assert (account["address"], account["kind"], account["status"]) == (server.user, "imap", "ok")
    # The password is in the 0600 token file (no keyring here), nowhere else.
    token_file = data / "tokens.json"
    assert imap_kit.PASSWORD in token_file.read_text() and token_file.stat().st_mode & 0o077 == 0
    for path in data.rglob("*"):
        if path.is_file() and path != token_file:
            assert imap_kit.PASSWORD.encode() not in path.read_bytes(), path

    removed = cli(data, "accounts", "remove", server.user)
    assert removed.returncode == 0, removed.stderr
    assert imap_kit.PASSWORD not in token_file.read_text()
    assert as_json(cli(data, "accounts", "list", "--json")) == []


@pytest.fixture
def api(tmp_path: Path) -> Iterator[CoreApi]:
    paths = AppPaths(tmp_path / "data").ensure()
    settings = Settings(paths.settings_file, env={})
    settings.override("scan.retry_backoff_base", 0.2)
    settings.override("scan.retry_attempts", 2)
    store = FileTokenStore(tmp_path / "secrets.json")
    factory = ImapSourceFactory(store, LocalSourceFactory(), timeout=5)
    core = Core(paths, settings, factory, ExtractionPipeline())
    core.open_queue()
    api = CoreApi(core, start=BackgroundStart(lambda: start_app(core)),
                  imap=lambda: ImapAccounts(core.repository, store, factory))
    api.wait_started(60)
    try:
        yield api
    finally:
        core.close()


def final(api: CoreApi, job_id: int) -> Any:
    """The job's row once it ended (followed to its end; the row, not the last event)."""
    for _ in api.follow(job_id):
        pass
    return api.job(job_id)


def test_a_down_server_is_retried_and_a_changed_password_fails_once(
        api: CoreApi, tmp_path: Path) -> None:
    with imap_kit.dovecot() as server:
        server.add_messages([imap_kit.promo(i) for i in range(5)])
        settings = ImapSettings("127.0.0.1", server.user, server.port, Security.NONE)
        assert "INBOX" in api.test_imap(settings, imap_kit.PASSWORD)
        account, changes = api.add_imap(settings, imap_kit.PASSWORD)
        done = final(api, changes.jobs[0].id)
        assert done.state is JobState.COMPLETED and done.codes_found == 5

        server.set_password("revoked-and-replaced")
        failed = final(api, api.scan([account.id]).jobs[0].id)
        assert failed.state is JobState.FAILED and failed.attempts == 1
        assert "check the password or app password" in failed.error
        fixed = api.find_account(server.user)
        assert fixed is not None and fixed.status is AccountStatus.NEEDS_RECONNECT
    # The server is gone now.
    down = final(api, api.scan([account.id]).jobs[0].id)
    assert down is not None and down.state is JobState.FAILED and down.attempts == 3
    assert "cannot be reached" in down.error and "gave up after 3 attempts" in down.error


def test_xoauth2_login_with_a_refreshed_token_and_a_revoked_grant(api: CoreApi, tmp_path: Path) -> None:
    """Outlook's path: SASL XOAUTH2 with an access token refreshed from the saved grant."""
    from fakes import FakeGoogleOAuth
    from fakes.introspection import FakeIntrospection
    from gmail_kit import sign_in

    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake signs in over http
    tokens: set[str] = set()
    with FakeGoogleOAuth(valid_tokens=tokens) as oauth, \
            FakeIntrospection(tokens, imap_kit.USER) as introspection, \
            imap_kit.dovecot(introspection_url=introspection.url) as server:
        server.add_messages([imap_kit.promo(i) for i in range(3)])
        grant = dict(sign_in(oauth))
        grant.pop("token")  # no access token yet: the first login refreshes one
        settings = ImapSettings("127.0.0.1", server.user, server.port, Security.NONE,
                                ImapAuth.XOAUTH2, provider="outlook")
        account, changes = api.add_imap(settings, "", oauth=grant)
        assert oauth.refresh_requests == 1
        done = final(api, changes.jobs[0].id)
        assert done.state is JobState.COMPLETED and done.codes_found == 3
        assert oauth.refresh_requests == 1  # the saved access token was reused
        assert introspection.requests >= 2  # Dovecot checked each login's token

        oauth.revoke(grant["refresh_token"])
        oauth.expire_access_tokens()
        failed = final(api, api.scan([account.id]).jobs[0].id)
        assert failed.state is JobState.FAILED and failed.attempts == 1
        assert "sign in again" in failed.error and oauth.refresh_requests == 2
        fixed = api.find_account(server.user)
        assert fixed is not None and fixed.status is AccountStatus.NEEDS_RECONNECT


def test_browser_sign_in_adds_an_xoauth2_account(tmp_path: Path) -> None:
    """The Outlook sign-in's shape (loopback redirect, PKCE, state, code exchange) against the
    fake OAuth server, then XOAUTH2 logins to Dovecot with the grant it gave."""
    import threading

    from fakes import FakeBrowser, FakeGoogleOAuth
    from fakes.introspection import FakeIntrospection
    from guard_inbox.mail.imap.signin import OAuthClient

    tokens: set[str] = set()
    paths = AppPaths(tmp_path / "data").ensure()
    store = FileTokenStore(tmp_path / "secrets.json")
    factory = ImapSourceFactory(store, LocalSourceFactory(), timeout=5)
    core = Core(paths, Settings(paths.settings_file, env={}), factory, ExtractionPipeline())
    core.open_queue()
    with FakeGoogleOAuth(valid_tokens=tokens) as oauth, \
            FakeIntrospection(tokens, imap_kit.USER) as introspection, \
            imap_kit.dovecot(introspection_url=introspection.url) as server:
        def client(client_id: str) -> OAuthClient:
            return OAuthClient(client_id, oauth.auth_uri, oauth.token_uri, "https://mail.google.com/",
                               oauth.client_secret)

        api = CoreApi(core, start=BackgroundStart(lambda: start_app(core)),
                      imap=lambda: ImapAccounts(core.repository, store, factory, oauth_client=client))
        server.add_messages([imap_kit.promo(i) for i in range(2)])
        browser = FakeBrowser()
        settings = ImapSettings("127.0.0.1", server.user, server.port, Security.NONE, provider="outlook")
        try:
            account, changes = api.sign_in_imap(settings, oauth.client_id, show_url=browser.open,
                                                cancel=threading.Event())
        finally:
            browser.join(10)
            assert oauth.pkce_verified == 1 and oauth.code_exchanges == 1
        assert api.imap_settings(server.user).auth is ImapAuth.XOAUTH2
        done = final(api, changes.jobs[0].id)
        assert done.state is JobState.COMPLETED and done.codes_found == 2
        assert oauth.refresh_requests == 0  # the sign-in's own access token served

        cancel = threading.Event()
        cancel.set()
        from guard_inbox.domain.errors import KnownError
        with pytest.raises(KnownError, match="cancelled"):
            api.sign_in_imap(settings, oauth.client_id, show_url=lambda url: None, cancel=cancel)
    core.close()


def test_cli_refuses_what_cannot_work_before_connecting(tmp_path: Path) -> None:
    import io

    from guard_inbox.cli import Cli, parse

    paths = AppPaths(tmp_path / "data").ensure()
    store = FileTokenStore(tmp_path / "secrets.json")
    factory = ImapSourceFactory(store, LocalSourceFactory(), timeout=5)
    core = Core(paths, Settings(paths.settings_file, env={}), factory, ExtractionPipeline())
    core.open_database()
    api = CoreApi(core, imap=lambda: ImapAccounts(core.repository, store, factory))

    def run(*argv: str) -> tuple[int, str]:
        err = io.StringIO()
        return Cli(api, io.StringIO(), err).run(parse(["accounts", "add-imap", *argv])), err.getvalue()

    empty, pw = tmp_path / "empty.txt", tmp_path / "pw.txt"
    empty.write_text("\n")
    pw.write_text("secret\n")
    try:
        status, said = run("--host", "outlook.office365.com", "--user", "a@outlook.com",
                           "--password-file", str(pw))
        assert status == 1 and "2024" in said and "--oauth-token-file" in said
        status, said = run("--host", "imap.example.com", "--security", "none", "--user", "a",
                           "--password-file", str(pw))
        assert status == 1 and "only over TLS" in said
        assert run("--host", "h", "--user", "a", "--password-file", str(empty))[1].strip().endswith(
            "is empty.")
        assert "does not exist" in run("--host", "h", "--user", "a", "--password-file",
                                       str(tmp_path / "nope"))[1]
        assert api.accounts() == [] and not (tmp_path / "secrets.json").exists()
    finally:
        core.close()
