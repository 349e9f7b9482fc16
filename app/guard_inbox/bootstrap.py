"""Composition root: paths -> logging -> settings -> adapters -> runtime -> CLI or UI, in order."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from guard_inbox import cli
from guard_inbox.domain.errors import KnownError
from guard_inbox.extraction.pipeline import ExtractionPipeline
from guard_inbox.jobs.runtime import Runtime
from guard_inbox.logs import setup_logging
from guard_inbox.paths import AppPaths
from guard_inbox.services.sources import LocalSourceFactory
from guard_inbox.settings import Settings, SettingsError

log = logging.getLogger("guard_inbox")


def build_runtime(paths: AppPaths, settings: Settings) -> Runtime:
    return Runtime(paths, settings, LocalSourceFactory(), ExtractionPipeline())


def main(argv: Sequence[str] | None = None) -> int:
    args = cli.parse(argv)
    try:
        paths = AppPaths.resolve(args.data_dir).ensure()
    except OSError as exc:
        print(f"guard-inbox: cannot use the data folder: {exc}", file=sys.stderr)
        return 1
    ring = setup_logging(paths.log_file, verbose=args.verbose)
    _console_logging(args.command, args.verbose)
    log.info("Guard Inbox starting (%s) with data in %s", args.command or "gui", paths.data_dir)
    try:
        settings = Settings(paths.settings_file)
    except SettingsError as exc:
        print(f"guard-inbox: {exc}", file=sys.stderr)
        return 1
    runtime = build_runtime(paths, settings)
    try:
        if args.command is None:
            from guard_inbox.ui.app import run_gui  # Qt is imported only for the GUI

            return run_gui(runtime, ring, sys.argv[:1], self_test=args.self_test)
        return cli.Cli(runtime).run(args)
    except KnownError as exc:
        print(f"guard-inbox: {exc}", file=sys.stderr)
        return 1
    finally:
        runtime.close()


def gui_main() -> int:
    """Entry point of `guard-inbox-gui` (a gui-script: no console window on Windows)."""
    return main([a for a in sys.argv[1:]])


def _console_logging(command: str | None, verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    level = logging.INFO if command == "worker" else logging.WARNING
    handler.setLevel(logging.DEBUG if verbose else level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    handler._guard_inbox = True  # type: ignore[attr-defined]
    logging.getLogger().addHandler(handler)
