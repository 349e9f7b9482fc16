"""The command line's grammar: commands, options and their help texts."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from guard_inbox import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guard-inbox",
        description="Find promo codes in your mail. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"guard-inbox {__version__}")
    parser.add_argument("--data-dir", help="where Guard Inbox keeps its data "
                        "(default: GUARD_INBOX_DATA_DIR or the platform's data folder)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    parser.add_argument("--client-secrets", metavar="PATH",
                        help="Google OAuth client_secret.json (or GUARD_INBOX_CLIENT_SECRETS)")
    parser.add_argument("--self-test", action="store_true",
                        help="open the window, start the job queue, then close (a smoke test)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    worker = sub.add_parser("worker", help="run scan jobs from the queue until stopped")
    worker.add_argument("--concurrency", type=int, default=None, help="worker threads")

    scan = sub.add_parser("scan", help="queue a scan of one mailbox or account")
    target = scan.add_mutually_exclusive_group(required=True)
    target.add_argument("--mbox", type=Path, help="an mbox file (e.g. a Google Takeout export)")
    target.add_argument("--eml-dir", type=Path, help="a folder of .eml files")
    target.add_argument("--account", help="a connected account's address")
    scan.add_argument("--wait", action="store_true", help="follow the job until it ends")
    scan.add_argument("--priority", choices=["high", "normal", "low"], default="high")

    for name, text in (("jobs", "list recent scan jobs"), ("stats", "queue statistics"),
                       ("codes", "list the codes found")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--json", action="store_true", help="machine-readable output")
        if name == "codes":
            add_code_filters(cmd)

    accounts = sub.add_parser("accounts", help="connect, list and remove mail accounts")
    acc = accounts.add_subparsers(dest="accounts_command", metavar="ACTION", required=True)
    add = acc.add_parser("add", help="import a Gmail authorisation (authorized-user JSON)")
    add.add_argument("--token-file", type=Path, required=True,
                     help="token JSON as google-auth writes it (Credentials.to_json())")
    listing = acc.add_parser("list", help="connected accounts and mailboxes")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    remove = acc.add_parser("remove", help="disconnect a Gmail account and delete its token")
    remove.add_argument("email")
    connect = acc.add_parser("connect", help="sign in to Gmail in the browser")
    connect.add_argument("--no-browser", action="store_true",
                         help="print the sign-in address instead of opening a browser")

    export = sub.add_parser("export", help="write the codes to a CSV file (all, or as filtered)")
    export.add_argument("file", type=Path)
    add_code_filters(export)

    logs = sub.add_parser("logs", help="print the log file's path, or its last lines")
    logs.add_argument("-n", "--lines", type=int, default=None, metavar="N",
                      help="print the last N lines (default with --follow: 20)")
    logs.add_argument("-f", "--follow", action="store_true",
                      help="keep printing new lines as they are written (Ctrl+C stops)")

    extract = sub.add_parser("extract", help="show the codes in message files (.eml or .html)")
    extract.add_argument("--json", action="store_true", help="one JSON object per file")
    extract.add_argument("files", nargs="+", type=Path)
    return parser


def add_code_filters(cmd: argparse.ArgumentParser) -> None:
    """The codes list's questions on the command line (cli/reading.py turns them into a query)."""
    status = cmd.add_mutually_exclusive_group()
    status.add_argument("--unused", action="store_true", help="only codes not marked used")
    status.add_argument("--used", action="store_true", help="only codes marked used")
    status.add_argument("--expiring", nargs="?", type=int, const=-1, default=None, metavar="DAYS",
                        help="unused codes expiring within DAYS days "
                             "(default: the notify.expiring_days setting)")
    cmd.add_argument("--shop", default="", help="part of the shop's name (any case or accents)")
    cmd.add_argument("--search", default="",
                     help="words found in the code, shop or discount (any case or accents)")
    cmd.add_argument("--hide-expired", action="store_true", help="leave out expired codes")
    cmd.add_argument("--account", type=int, default=None, metavar="ID",
                     help="one account's codes (ids as in `accounts list --json`)")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    return build_parser().parse_args(argv)
