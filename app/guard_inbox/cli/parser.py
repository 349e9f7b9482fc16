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

    accounts = sub.add_parser("accounts", help="connect, list, rename, pause and remove accounts")
    acc = accounts.add_subparsers(dest="accounts_command", metavar="ACTION", required=True)
    add = acc.add_parser("add", help="import a Gmail authorisation (authorized-user JSON)")
    add.add_argument("--token-file", type=Path, required=True,
                     help="token JSON as google-auth writes it (Credentials.to_json())")
    listing = acc.add_parser("list", help="connected accounts and mailboxes")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    which = "the account's address, name or #id (as `accounts list` shows them)"
    remove = acc.add_parser("remove", help="remove an account (its Gmail token or IMAP password too)")
    remove.add_argument("account", metavar="ACCOUNT", help=which)
    remove.add_argument("--keep-codes", action="store_true",
                        help="keep the codes it found in the codes list")
    rename = acc.add_parser("rename", help="give an account the name lists show")
    rename.add_argument("account", metavar="ACCOUNT", help=which)
    rename.add_argument("name", help="the new name ('' shows the address again)")
    for action, text in (("pause", "leave an account out of scheduled scans and `scan all`"),
                         ("resume", "scan a paused account again")):
        acc.add_parser(action, help=text).add_argument("account", metavar="ACCOUNT", help=which)
    locate = acc.add_parser("locate", help="point a local mailbox's account at where it moved")
    locate.add_argument("account", metavar="ACCOUNT", help=which)
    locate.add_argument("path", type=Path, help="the mbox file or .eml folder's new place")
    add_imap = acc.add_parser(
        "add-imap", help="add an IMAP mailbox (Yahoo, iCloud, Fastmail, Gmail with an app password, ...)")
    add_imap.add_argument("--host", required=True, help="the IMAP server, e.g. imap.mail.yahoo.com")
    add_imap.add_argument("--port", type=int, default=None, help="default: 993 (ssl) or 143")
    add_imap.add_argument("--security", choices=["ssl", "starttls", "none"], default="ssl",
                          help="ssl (implicit TLS, default), starttls, or none (this machine only)")
    add_imap.add_argument("--user", required=True, help="the login, usually the email address")
    secret = add_imap.add_mutually_exclusive_group(required=True)
    secret.add_argument("--password-file", type=Path,
                        help="a file holding the password or app password (kept in the keyring)")
    secret.add_argument("--oauth-token-file", type=Path,
                        help="instead of a password: an OAuth grant as JSON (refresh_token, "
                             "client_id, token_uri, scope) for an XOAUTH2 login, e.g. Outlook")
    add_imap.add_argument("--folder", action="append", default=None, metavar="NAME",
                          help="a folder to scan (repeatable; default INBOX)")
    add_imap.add_argument("--ca-file", default="", help="a certificate to trust (self-hosted server)")
    outlook = acc.add_parser("connect-outlook",
                             help="sign in to Outlook.com / Microsoft 365 in the browser (IMAP, XOAUTH2)")
    outlook.add_argument("--user", required=True, help="the Outlook or Microsoft 365 address")
    outlook.add_argument("--client-id", required=True,
                         help="the application (client) ID of your Microsoft app registration "
                              "(public client, redirects http://localhost and http://127.0.0.1)")
    outlook.add_argument("--host", default="outlook.office365.com", help=argparse.SUPPRESS)
    outlook.add_argument("--no-browser", action="store_true",
                         help="print the sign-in address instead of opening a browser")
    outlook.add_argument("--folder", action="append", default=None, metavar="NAME",
                         help="a folder to scan (repeatable; default INBOX)")
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
