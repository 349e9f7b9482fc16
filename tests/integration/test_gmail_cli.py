"""Gmail end to end through the CLI, against the wire-accurate fakes (real Google libraries)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes import FakeGmail, FakeGoogleOAuth
from gmail_kit import sign_in, trail_code, trail_promo

ADDRESS = "shopper@example.org"



@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeGoogleOAuth, FakeGmail]]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fakes speak http (tests only)
    tokens: set[str] = set()
    with FakeGoogleOAuth(valid_tokens=tokens) as oauth, FakeGmail(
        valid_tokens=tokens, email_address=ADDRESS
    ) as gmail:
        yield oauth, gmail



def cli(data: Path, gmail: FakeGmail, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(GUARD_INBOX_GMAIL_ENDPOINT=gmail.base_url, OAUTHLIB_INSECURE_TRANSPORT="1",
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return subprocess.run([sys.executable, "-m", "guard_inbox", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=180, env=env)


def jobs(data: Path, gmail: FakeGmail) -> list[dict[str, Any]]:
    return json.loads(cli(data, gmail, "jobs", "--json").stdout)


def test_token_import_scan_incremental_rescan_and_revocation(
    servers: tuple[FakeGoogleOAuth, FakeGmail], tmp_path: Path
) -> None:
    oauth, gmail = servers
    for i in range(40):
        gmail.add_message(trail_promo(i, ADDRESS))
    info = sign_in(oauth)
    token_file = tmp_path / "token.json"
    token_file.write_text(json.dumps(info))
    data = tmp_path / "data"

    added = cli(data, gmail, "accounts", "add", "--token-file", str(token_file))
    assert added.returncode == 0, added.stderr
    assert ADDRESS in added.stdout

    first = cli(data, gmail, "scan", "--account", ADDRESS, "--wait")
    assert first.returncode == 0, first.stderr
    assert gmail.calls["messages.get"] == 40
    codes = {c["code"] for c in json.loads(cli(data, gmail, "codes", "--json").stdout)}
    assert codes == {trail_code(i) for i in range(40)}

    gmail.add_message(trail_promo(40, ADDRESS))
    gmail.add_message(trail_promo(41, ADDRESS))
    gmail.reset_counters()
    second = cli(data, gmail, "scan", "--account", ADDRESS, "--wait")
    assert second.returncode == 0, second.stderr
    assert gmail.calls["messages.get"] == 2  # exactly the two new messages
    assert jobs(data, gmail)[0]["codes_new"] == 2

    gmail.reset_counters()
    quiet = cli(data, gmail, "scan", "--account", ADDRESS, "--wait")
    assert quiet.returncode == 0, quiet.stderr
    assert gmail.requests <= 3  # incremental rescan with no new mail

    export = tmp_path / "codes.csv"
    assert cli(data, gmail, "export", str(export)).returncode == 0
    secrets = [info["token"], info["refresh_token"], info["client_secret"]]
    assert_no_secrets(data, export, secrets)

    oauth.revoke(info["refresh_token"])
    revoked = cli(data, gmail, "scan", "--account", ADDRESS, "--wait")
    assert revoked.returncode != 0
    failed = jobs(data, gmail)[0]
    assert failed["state"] == "FAILED" and failed["attempts"] == 1
    assert "Gmail account needs to be reconnected" in failed["error"]
    [account] = json.loads(cli(data, gmail, "accounts", "list", "--json").stdout)
    assert account["status"] == "needs_reconnect"

    token_file.write_text(json.dumps(sign_in(oauth)))
    assert cli(data, gmail, "accounts", "add", "--token-file", str(token_file)).returncode == 0
    [account] = json.loads(cli(data, gmail, "accounts", "list", "--json").stdout)
    assert account["status"] == "ok"  # reconnecting clears it

    removed = cli(data, gmail, "accounts", "remove", ADDRESS)
    assert removed.returncode == 0, removed.stderr
    assert json.loads(cli(data, gmail, "accounts", "list", "--json").stdout) == []
    assert ADDRESS not in (data / "tokens.json").read_text()


def assert_no_secrets(data: Path, export: Path, secrets: list[str]) -> None:
    """Tokens live in the keyring or tokens.json (0600) only: grep everything else."""
    token_file = data / "tokens.json"
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"
    files = [p for p in data.rglob("*") if p.is_file() and p != token_file] + [export]
    assert any(p.suffix == ".sqlite3" for p in files) and any(p.suffix == ".log" for p in files)
    assert any("redis" in p.parts for p in files)  # the AOF holds every queued task payload
    for path in files:
        blob = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in blob, f"a token leaked into {path}"
