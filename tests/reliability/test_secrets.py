"""Secrets: after a Gmail scan the OAuth secrets are only in the 0600 token file, and the embedded
Redis is reachable only through its private socket with its password.

The account is added by the real CLI in a subprocess whose keyring is keyring's `fail` backend
(PYTHON_KEYRING_BACKEND), so the app falls back to `tokens.json`. The scan then runs in this
process through the composition root (bootstrap.build_core with the same token file, logging
set up by logs.setup_logging) so the embedded Redis is still up to be inspected, the RAM log ring
holds the scan for a crash report, and the first Gmail call meets an expired access token (a
refresh mints a new one that must not leak either). The CSV comes from the CLI `export` command;
the crash report is the one ui/crash.py puts in its dialog, read from the dialog and closed.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from fakes import FakeGmail, FakeGoogleOAuth
from gmail_kit import sign_in, trail_code, trail_promo
from guard_inbox.bootstrap import build_core
from guard_inbox.domain.models import AccountKind, JobState
from guard_inbox.logs import RingBufferHandler, setup_logging
from guard_inbox.mail.gmail.tokens import FileTokenStore
from guard_inbox.paths import AppPaths
from guard_inbox.settings import Settings
from job_kit import final

if TYPE_CHECKING:
    from reliability.conftest import Figures, Scale

ADDRESS = "shopper@example.org"
TCP_LISTEN = "0A"
PROBED_PORTS = (6379, 6380, 16379, 26379)  # Redis's default, the next one, cluster bus, sentinel



@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeGoogleOAuth, FakeGmail]]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fakes speak http (tests only)
    tokens: set[str] = set()
    with FakeGoogleOAuth(valid_tokens=tokens) as oauth, \
            FakeGmail(valid_tokens=tokens, email_address=ADDRESS) as gmail:
        yield oauth, gmail


@pytest.fixture
def app_logging() -> Iterator[Callable[[Path], RingBufferHandler]]:
    """The app's own logging (file + RAM ring) in this process, undone afterwards.

    Verbose (DEBUG, as `--verbose` sets it): what a user attaches to a bug report must be clean too.
    """
    root = logging.getLogger()
    level, hook, excepthook = root.level, threading.excepthook, sys.excepthook
    named = ("huey", "googleapiclient.discovery_cache", "urllib3", "httpx", "httpx2", "httpcore2", "openai",
             "requests_oauthlib", "oauthlib", "google_auth_oauthlib")  # setup_logging sets their levels
    levels = {name: logging.getLogger(name).level for name in named}

    def setup(log_file: Path) -> RingBufferHandler:
        return setup_logging(log_file, verbose=True)

    yield setup
    for handler in list(root.handlers):
        if getattr(handler, "_guard_inbox", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)
    threading.excepthook, sys.excepthook = hook, excepthook


def cli(data: Path, gmail: FakeGmail, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(GUARD_INBOX_GMAIL_ENDPOINT=gmail.base_url, OAUTHLIB_INSECURE_TRANSPORT="1",
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")  # no keyring: the 0600 file
    return subprocess.run([sys.executable, "-m", "guard_inbox", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=120, env=env)




def occurrences(blob: bytes, secrets: list[str]) -> int:
    return sum(blob.count(s.encode()) for s in secrets)


def _raw(value: object) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def redis_dump(client: redis.Redis) -> tuple[int, bytes]:
    """Every key and every value of every type, as bytes (DUMP would LZF-compress long strings)."""
    parts: list[object] = []
    keys = 0
    for key in client.scan_iter(count=500):
        keys += 1
        parts.append(key)
        kind = _raw(client.type(key)).decode()
        reply: Any
        if kind == "string":
            parts.append(client.get(key) or b"")
        elif kind == "list":
            parts.extend(client.lrange(key, 0, -1))
        elif kind == "set":
            parts.extend(client.smembers(key))
        elif kind == "zset":
            reply = client.zrange(key, 0, -1, withscores=True)
            parts.extend(member for member, _ in reply)
        elif kind == "hash":
            reply = client.hgetall(key)
            for field, value in reply.items():
                parts += [field, value]
        elif kind == "stream":
            reply = client.xrange(key)
            for entry_id, fields in reply:
                parts.append(entry_id)
                for field, value in fields.items():
                    parts += [field, value]
        else:
            raise AssertionError(f"Redis key {key!r} has a type this test cannot read: {kind}")
    return keys, b"\n".join(_raw(part) for part in parts)


def crash_report(qapp: Any, ring: RingBufferHandler) -> str:
    """What ui/crash.py shows for an unhandled exception, read from its dialog (then closed)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from guard_inbox.ui.crash import install_crash_dialog

    shown: list[str] = []

    def read_and_close() -> None:
        boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
        if not boxes:
            QTimer.singleShot(20, read_and_close)
            return
        shown.append(boxes[0].detailedText())
        boxes[0].done(0)

    install_crash_dialog(ring)
    QTimer.singleShot(0, read_and_close)
    try:
        raise RuntimeError("a bug after a Gmail scan")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())  # what Python does with an exception nobody caught
    assert shown and "--- recent log ---" in shown[0]
    return shown[0]


def tcp_listeners_of(pid: int) -> list[str]:
    """Local addresses of the TCP sockets `pid` listens on (from /proc/net/tcp and tcp6)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if match := re.fullmatch(r"socket:\[(\d+)\]", target):
            inodes.add(match.group(1))
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == TCP_LISTEN and fields[9] in inodes:
                found.append(fields[1])
    return found


def raw_redis(socket_path: str, *commands: str) -> list[str]:
    """Replies (first line) to inline commands sent on a fresh connection to the unix socket."""
    replies = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(5)
        conn.connect(socket_path)
        stream = conn.makefile("rb")
        for command in commands:
            conn.sendall(command.encode() + b"\r\n")
            replies.append(stream.readline().decode().strip())
        stream.close()
    return replies


def tcp_is_ours(port: int, password: str, run_id: str) -> bool:
    """Whether 127.0.0.1:port is our Redis: it takes our password and has our run_id.

    Something else may listen there (a system Redis on 6379): refusing, failing AUTH or having
    another run_id all mean "not ours".
    """
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False  # refused: nobody listens there (redis-py would retry for seconds)
    client = redis.Redis(host="127.0.0.1", port=port, password=password, socket_connect_timeout=1,
                         socket_timeout=1, retry=Retry(NoBackoff(), 0))
    try:
        return str(client.info("server").get("run_id")) == run_id
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


@pytest.mark.area("Secrets")
def test_secrets_stay_in_the_token_file_and_redis_stays_private(
    servers: tuple[FakeGoogleOAuth, FakeGmail], app_logging: Callable[[Path], RingBufferHandler],
    qapp: Any, tmp_path: Path, scale: Scale, figures: Figures,
) -> None:
    oauth, gmail = servers
    count = scale.pick(60, 600)
    for i in range(count):
        gmail.add_message(trail_promo(i, ADDRESS))
    token_json = tmp_path / "token.json"
    token_json.write_text(json.dumps(sign_in(oauth)))
    data = tmp_path / "data"

    added = cli(data, gmail, "--verbose", "accounts", "add", "--token-file", str(token_json))  # logs DEBUG
    assert added.returncode == 0, added.stderr
    paths = AppPaths(data)
    assert paths.token_file.exists(), "the CLI did not fall back to the token file"

    oauth.expire_access_tokens()  # the scan starts with a stale token and must refresh it
    ring = app_logging(paths.log_file)
    settings = Settings(paths.settings_file, env={})
    settings.override("gmail.endpoint", gmail.base_url)
    core = build_core(paths, settings, FileTokenStore(paths.token_file))
    try:
        core.open_queue()
        [account] = [a for a in core.queries.accounts() if a.kind is AccountKind.GMAIL]
        core.start_workers(1)
        started = time.monotonic()
        job = final(core, core.control.start_scan(account.id).id, float(scale.pick(90, 600)))
        scan_seconds = time.monotonic() - started
        assert job.state is JobState.COMPLETED, job.error
        assert {c.code for c in core.queries.codes()} == {trail_code(i) for i in range(count)}
        assert oauth.refresh_requests >= 1

        export = tmp_path / "codes.csv"
        exported = cli(data, gmail, "export", str(export))
        assert exported.returncode == 0, exported.stderr
        report = crash_report(qapp, ring)

        secrets = [*oauth.issued_access_tokens, *oauth.issued_refresh_tokens, oauth.client_secret]
        assert len(oauth.issued_access_tokens) >= 2  # sign-in + the refresh during the scan
        broker = core.broker
        embedded = core.embedded_broker
        assert embedded is not None and embedded.pid is not None and broker.socket_path
        pid = embedded.pid

        db_files = sorted(data.glob("guard-inbox.sqlite3*"))
        assert any(p.name.endswith("-wal") for p in db_files), db_files  # checked while the WAL is live
        db_hits = sum(occurrences(p.read_bytes(), secrets) for p in db_files)
        keys, values = redis_dump(core.redis)
        redis_hits = occurrences(values, secrets)
        aof = [p for p in paths.redis_dir.rglob("*.aof*") if p.is_file()]
        aof_hits = sum(occurrences(p.read_bytes(), secrets) for p in aof)
        listeners = tcp_listeners_of(pid)
        port_setting = core.redis.config_get("port").get("port")
        run_id = str(core.redis.info("server")["run_id"])
        tcp_ours = [port for port in PROBED_PORTS if tcp_is_ours(port, broker.password, run_id)]
        anonymous = raw_redis(broker.socket_path, "PING", "GET anything")
        wrong = raw_redis(broker.socket_path, "AUTH not-the-password", "PING")
    finally:
        core.close()

    logs = [p for p in paths.log_dir.rglob("*") if p.is_file()] + list(paths.redis_dir.rglob("*.log"))
    # The log and its rotations (a soak-sized scan logs every SQL statement past 2 MB).
    app_log = b"".join(p.read_bytes() for p in paths.log_file.parent.glob(paths.log_file.name + "*"))
    assert b"Refreshing the Gmail access token" in app_log and b"DEBUG" in app_log  # the log saw it all
    log_hits = sum(occurrences(p.read_bytes(), secrets) for p in logs)
    db_hits_closed = sum(occurrences(p.read_bytes(), secrets) for p in data.glob("guard-inbox.sqlite3*"))
    csv_hits = occurrences(export.read_bytes(), secrets)
    crash_hits = occurrences(report.encode(), secrets)
    redis_password_hits = sum(occurrences(p.read_bytes(), [broker.password]) for p in [*logs, export]) \
        + occurrences(report.encode(), [broker.password])
    data_mode = stat.S_IMODE(data.stat().st_mode)
    token_mode = stat.S_IMODE(paths.token_file.stat().st_mode)
    stored = json.loads(paths.token_file.read_text())[ADDRESS]
    config = (paths.redis_dir / f"v{_major(paths)}" / "redis.conf").read_text().splitlines()

    figures.record("secrets looked for", len(secrets))
    figures.record("secret occurrences in the database (+ -wal/-shm, open)", db_hits, "0")
    figures.record("secret occurrences in the database (closed)", db_hits_closed, "0")
    figures.record("secret occurrences in log files", log_hits, "0")
    figures.record(f"secret occurrences in Redis ({keys} keys, all values)", redis_hits, "0")
    figures.record("secret occurrences in the Redis AOF", aof_hits, "0")
    figures.record("secret occurrences in the CSV export", csv_hits, "0")
    figures.record("secret occurrences in the crash report", crash_hits, "0")
    figures.record("Redis password occurrences in logs, CSV, crash report", redis_password_hits, "0")
    figures.record("data dir mode", oct(data_mode), "0o700")
    figures.record("token file mode", oct(token_mode), "0o600")
    figures.record("Redis TCP listeners (/proc/net/tcp)", len(listeners), "0")
    figures.record("Redis port setting", port_setting, "0")
    figures.record(f"our Redis answering on 127.0.0.1:{'/'.join(map(str, PROBED_PORTS))}", len(tcp_ours), "0")
    figures.record("scan time (incl. token refresh), s", round(scan_seconds, 1))
    figures.record("Redis without password", anonymous[0], "NOAUTH")
    figures.record("Redis with a wrong password", " / ".join(wrong), "WRONGPASS / NOAUTH")

    assert keys > 0 and len(report) > 1000  # there was something to search
    assert db_hits == db_hits_closed == 0
    assert log_hits == 0
    assert redis_hits == 0 and aof_hits == 0
    assert csv_hits == 0
    assert crash_hits == 0
    assert redis_password_hits == 0
    assert data_mode == 0o700
    assert token_mode == 0o600
    assert stored["refresh_token"] in secrets and stored["client_secret"] == oauth.client_secret
    assert "port 0" in config
    assert port_setting == "0"
    assert listeners == []
    assert tcp_ours == []
    assert all(reply.startswith("-NOAUTH") for reply in anonymous), anonymous
    assert wrong[0].startswith("-WRONGPASS") and wrong[1].startswith("-NOAUTH"), wrong


def _major(paths: AppPaths) -> str:
    [folder] = [p for p in paths.redis_dir.iterdir() if p.is_dir() and re.fullmatch(r"v\d+", p.name)]
    return folder.name[1:]
