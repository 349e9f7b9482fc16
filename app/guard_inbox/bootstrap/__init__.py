"""Composition root: paths → logs → settings → adapters → core stages → CLI or UI, in order.

The core's stages (database → broker and queue → other processes' events → workers) run in the
order ``Core`` fixes and log as they go; this module decides which a command needs, starts the
workers, and closes everything in reverse when the command or the window ends. For start-up
time, the arguments are parsed before peewee or the queue are imported, and each adapter's
library (Google's clients, openai, Qt) only when that adapter is built or used.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from guard_inbox import cli
from guard_inbox.bootstrap.adapters import (
    AI_KEY_ENTRY,
    LazyPipeline,
    LazyTokenStore,
    build_ai,
    build_gmail_accounts,
    build_imap_accounts,
    build_sources,
)
from guard_inbox.domain.errors import DatabaseDamaged, KnownError
from guard_inbox.logs import RingBufferHandler, setup_logging
from guard_inbox.mail.gmail.tokens import TokenStore
from guard_inbox.paths import AppPaths
from guard_inbox.settings import Settings, SettingsError

if TYPE_CHECKING:
    from guard_inbox.bootstrap.app_api import BackgroundStart, CoreApi
    from guard_inbox.bootstrap.core import Core

__all__ = ["build_ai", "build_api", "build_core", "database_or_fresh_start", "gui_main", "main"]

log = logging.getLogger("guard_inbox")


def build_core(paths: AppPaths, settings: Settings, token_store: TokenStore) -> Core:
    """Adapters first (mail sources, extraction), then the core that wires them; nothing opens yet."""
    from guard_inbox.bootstrap.core import Core

    sources = build_sources(settings, token_store)
    return Core(paths, settings, sources, LazyPipeline(build_ai(settings, token_store)))


def build_api(core: Core, settings: Settings, token_store: TokenStore,
              start: BackgroundStart | None = None) -> CoreApi:
    from guard_inbox.bootstrap.app_api import CoreApi

    def save_ai_key(key: str) -> None:
        token_store.save(AI_KEY_ENTRY, {"api_key": key})

    return CoreApi(core, gmail=lambda: build_gmail_accounts(core.repository, settings, token_store),
                   save_secret=save_ai_key, start=start,
                   imap=lambda: build_imap_accounts(core.repository, token_store))


def start_app(core: Core) -> None:
    """The window's start, on a thread: queue, other processes' events, workers, then the jobs
    the queue lost while nothing ran (qutebrowser's _init_modules order, logged per stage)."""
    core.open_queue()
    core.follow_other_processes()
    core.start_workers()
    core.control.reconcile()


QUEUE_COMMANDS = frozenset({"worker", "scan", "stats"})
NO_DATABASE_COMMANDS = frozenset({"extract"})


def open_for_command(core: Core, args: argparse.Namespace) -> None:
    """What a command needs, in start order; `codes` opens the database alone (no Redis)."""
    if args.command not in NO_DATABASE_COMMANDS:
        core.open_database()
    if args.command in QUEUE_COMMANDS:
        core.open_queue()
    if args.command == "worker":
        core.start_workers(args.concurrency)
    elif args.command == "scan" and args.wait:
        core.start_workers_unless_alive()


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the GUI or one command. Without ``argv`` (the process's own command line: the
    ``guard-inbox`` script, ``python -m guard_inbox``) a finished command ends the process at once."""
    status = _main(argv)
    if argv is None and _ran_command(sys.argv[1:]):
        _exit_now(status)
    return status


def _ran_command(argv: Sequence[str]) -> bool:
    try:
        return cli.parse(argv).command is not None
    except SystemExit:
        return False


def _exit_now(status: int) -> NoReturn:
    """End a finished command without the interpreter's teardown: everything it opened is closed
    by now (Core.close ran, in reverse start order), yet freeing the ~1,500 modules of Google's
    clients, redis, huey and peewee one by one took 0.1-0.5 s after every `scan --wait`."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe (`| head`) must not change the status
            stream.flush()
    logging.shutdown()  # what the skipped atexit handlers would do for us: flush the log file
    os._exit(status)


def _main(argv: Sequence[str] | None) -> int:
    args = cli.parse(argv)
    try:
        paths = AppPaths.resolve(args.data_dir).ensure()
    except OSError as exc:
        print(f"guard-inbox: cannot use the data folder: {exc}", file=sys.stderr)
        return 1
    if args.command == "logs":
        return cli.show_logs(paths.log_file, args)
    ring = setup_logging(paths.log_file, verbose=args.verbose)
    _console_logging(args.command, args.verbose)
    log.info("Guard Inbox starting (%s) with data in %s", args.command or "gui", paths.data_dir)
    try:
        settings = Settings(paths.settings_file)
        if args.client_secrets:
            settings.override("gmail.client_secrets", args.client_secrets)
    except SettingsError as exc:
        print(f"guard-inbox: {exc}", file=sys.stderr)
        return 1
    token_store = LazyTokenStore(paths.token_file)
    core = build_core(paths, settings, token_store)
    try:
        if args.command is None:
            return _run_gui(core, settings, token_store, ring, self_test=args.self_test)
        open_for_command(core, args)
        return cli.Cli(build_api(core, settings, token_store)).run(args)
    except KnownError as exc:
        print(f"guard-inbox: {exc}", file=sys.stderr)
        return 1
    finally:
        core.close()


def _run_gui(core: Core, settings: Settings, token_store: TokenStore, ring: RingBufferHandler,
             *, self_test: bool) -> int:
    from guard_inbox.bootstrap.app_api import BackgroundStart
    from guard_inbox.ui.app import offer_fresh_start, run_gui  # Qt only for the GUI

    if not database_or_fresh_start(core, lambda m: offer_fresh_start(m, sys.argv[:1])):
        return 1
    api = build_api(core, settings, token_store, BackgroundStart(lambda: start_app(core)))
    return run_gui(api, settings, core.paths.data_dir, ring, sys.argv[:1], self_test=self_test)


def database_or_fresh_start(core: Core, ask: Callable[[str], bool]) -> bool:
    """Opens the database for the app; a damaged file is moved aside only if ``ask`` agrees.

    A launcher start has no terminal to print a sentence to, so the app asks in a dialog;
    the file is never changed without that yes. False: the user chose to quit.
    """
    try:
        core.open_database()  # opens, checks and migrates it
        return True
    except DatabaseDamaged as damage:
        log.error("%s", damage)
        damaged_file = Path(damage.path)
        if not ask(str(damage)):
            return False
    from guard_inbox.storage.db import move_aside

    moved = move_aside(damaged_file)
    log.warning("Moved the damaged database aside to %s; starting with an empty one", moved)
    core.open_database()
    return True


def gui_main() -> int:
    """Entry point of `guard-inbox-gui` (a gui-script: no console window on Windows)."""
    return main(sys.argv[1:])


def _console_logging(command: str | None, verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    level = logging.INFO if command == "worker" else logging.WARNING
    handler.setLevel(logging.DEBUG if verbose else level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    handler._guard_inbox = True  # type: ignore[attr-defined]
    logging.getLogger().addHandler(handler)
