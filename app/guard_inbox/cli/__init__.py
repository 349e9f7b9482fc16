"""Headless commands (`guard-inbox worker|scan|jobs|stats|codes|export|extract|accounts|logs`).

Never imports Qt. The commands see only the services interface (``services.api.AppApi``);
bootstrap opened what each one needs before it runs. `logs` needs nothing at all.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from guard_inbox.cli.accounts import run_accounts
from guard_inbox.cli.output import Console
from guard_inbox.cli.parser import build_parser, parse
from guard_inbox.cli.reading import run_codes, run_export, run_extract, run_jobs, run_stats
from guard_inbox.cli.scanning import run_scan, run_worker
from guard_inbox.domain.errors import KnownError
from guard_inbox.logs import follow, last_lines
from guard_inbox.services.api import AppApi

__all__ = ["Cli", "build_parser", "parse", "show_logs"]

Command = Callable[[AppApi, Console, argparse.Namespace], int]
COMMANDS: dict[str, Command] = {
    "worker": run_worker, "scan": run_scan, "accounts": run_accounts, "jobs": run_jobs,
    "stats": run_stats, "codes": run_codes, "export": run_export, "extract": run_extract,
}


class Cli:
    """Runs one command; a KnownError or an OSError becomes one line on stderr and status 1."""

    def __init__(self, api: AppApi, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
        self.api = api
        self.console = Console(out, err)

    def run(self, args: argparse.Namespace) -> int:
        try:
            return COMMANDS[args.command](self.api, self.console, args)
        except KnownError as exc:
            self.console.tell(f"guard-inbox: {exc}")
            return 1
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            self.console.tell(f"guard-inbox: {exc.strerror or exc}{where}")
            return 1


def show_logs(log_file: Path, args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """`guard-inbox logs`: needs no broker or database, so it works when nothing else does."""
    if args.lines is None and not args.follow:
        print(log_file, file=out)
        return 0
    size = log_file.stat().st_size if log_file.exists() else 0
    for line in last_lines(log_file, 20 if args.lines is None else args.lines):
        print(line, file=out)
    if not args.follow:
        return 0
    out.flush()
    stop = threading.Event()
    try:
        follow(log_file, lambda line: (out.write(line), out.flush()), stop, start_at=size)
    except KeyboardInterrupt:
        stop.set()
    return 0
