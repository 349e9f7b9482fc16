"""Logging set-up: rotating file, RAM ring buffer for crash reports, thread excepthook."""

from __future__ import annotations

import collections
import logging
import logging.handlers
import sys
import threading
from collections.abc import Callable
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"


class RingBufferHandler(logging.Handler):
    """Keeps the last lines in memory so a crash dialog can show them."""

    def __init__(self, capacity: int = 2000) -> None:
        super().__init__()
        self.lines: collections.deque[str] = collections.deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a log line must never take the app down
            self.handleError(record)

    def text(self) -> str:
        return "\n".join(self.lines)


class LogFileHandler(logging.handlers.RotatingFileHandler):
    """The log file on a full or read-only disk: one warning, not a traceback per log line."""

    _warned = False

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            super().handleError(record)
            return
        if not self._warned:
            self._warned = True
            sys.stderr.write(f"guard-inbox: cannot write the log file {self.baseFilename} "
                             f"({error.strerror or error}); carrying on without it.\n")


def setup_logging(log_file: Path | None, *, verbose: bool = False) -> RingBufferHandler:
    """Configure the root logger once; returns the ring buffer for crash reports."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_guard_inbox", False):
            root.removeHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    formatter = logging.Formatter(LOG_FORMAT)
    ring = RingBufferHandler()
    ring.setFormatter(formatter)
    handlers: list[logging.Handler] = [ring]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = LogFileHandler(
            log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
        file_handler.setFormatter(formatter)
        handlers.append(file_handler)
    for handler in handlers:
        handler._guard_inbox = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # Third-party chatter stays at WARNING unless asked for.
    for noisy in ("huey", "googleapiclient.discovery_cache", "urllib3", "httpx", "httpx2", "httpcore2",
                  "openai"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    # These log OAuth token responses, PKCE verifiers and client secrets at DEBUG: never below INFO.
    for secretive in ("requests_oauthlib", "oauthlib", "google_auth_oauthlib"):
        logging.getLogger(secretive).setLevel(logging.INFO if verbose else logging.WARNING)
    _install_thread_excepthook()
    return ring


def _install_thread_excepthook() -> None:
    """sys.excepthook never fires for threads; without this their crashes vanish."""
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        logging.getLogger("guard_inbox.crash").error(
            "Unhandled exception in thread %s",
            args.thread.name if args.thread else "?",
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),  # type: ignore[arg-type]
        )
        if previous is not threading.__excepthook__:
            previous(args)

    threading.excepthook = hook


def last_lines(log_file: Path, count: int) -> list[str]:
    """The last ``count`` lines, reading backwards so a large log costs little."""
    if count <= 0 or not log_file.exists():
        return []
    with log_file.open("rb") as handle:
        handle.seek(0, 2)
        end = handle.tell()
        block, data = 8192, b""
        while end > 0 and data.count(b"\n") <= count:
            start = max(0, end - block)
            handle.seek(start)
            data = handle.read(end - start) + data
            end = start
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[-count:]


def follow(log_file: Path, write: Callable[[str], object], stop: threading.Event,
           poll_seconds: float = 0.25, start_at: int = 0) -> None:
    """``tail -F``: pass on lines from ``start_at`` as they are written, across rotations.

    The caller measures ``start_at`` before printing the recent lines, so nothing written in
    between is lost. Runs until ``stop`` is set.
    """
    handle = None
    identity: tuple[int, int] | None = None
    try:
        while not stop.is_set():
            try:
                stat = log_file.stat()
            except FileNotFoundError:
                stop.wait(poll_seconds)
                continue
            if handle is None or identity != (stat.st_dev, stat.st_ino) or stat.st_size < handle.tell():
                if handle is not None:
                    handle.close()
                first_open = handle is None
                handle = log_file.open("r", encoding="utf-8", errors="replace")
                identity = (stat.st_dev, stat.st_ino)
                if first_open:
                    handle.seek(min(start_at, stat.st_size))
            line = handle.readline()
            while line:
                write(line)
                line = handle.readline()
            stop.wait(poll_seconds)
    finally:
        if handle is not None:
            handle.close()
