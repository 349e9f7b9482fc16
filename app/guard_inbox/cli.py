"""Headless commands (`guard-inbox worker|scan|jobs|stats|codes|export|extract`); never imports Qt.

Each command imports what only it needs (the queue, MIME parsing, CSV) where it runs, so that
`--help` and the commands that just read the database start quickly (issue 11).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from guard_inbox import __version__
from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.models import Account, Job, JobState, Priority, StoredCode
from guard_inbox.domain.ports import Extractor
from guard_inbox.logs import follow, last_lines

if TYPE_CHECKING:
    from guard_inbox.jobs.follow import JobFollower
    from guard_inbox.jobs.runtime import Runtime
    from guard_inbox.services.gmail_accounts import GmailAccounts

log = logging.getLogger(__name__)


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

    export = sub.add_parser("export", help="write all codes to a CSV file")
    export.add_argument("file", type=Path)

    logs = sub.add_parser("logs", help="print the log file's path, or its last lines")
    logs.add_argument("-n", "--lines", type=int, default=None, metavar="N",
                      help="print the last N lines (default with --follow: 20)")
    logs.add_argument("-f", "--follow", action="store_true",
                      help="keep printing new lines as they are written (Ctrl+C stops)")

    extract = sub.add_parser("extract", help="show the codes in message files (.eml or .html)")
    extract.add_argument("--json", action="store_true", help="one JSON object per file")
    extract.add_argument("files", nargs="+", type=Path)
    return parser


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


class Cli:
    def __init__(self, runtime: Runtime, gmail: GmailAccounts | None = None,
                 out: TextIO = sys.stdout, err: TextIO = sys.stderr):
        self.runtime = runtime
        self.gmail = gmail
        self.out = out
        self.err = err

    def run(self, args: argparse.Namespace) -> int:
        handler: Callable[[argparse.Namespace], int] = getattr(self, "cmd_" + args.command)
        try:
            return handler(args)
        except KnownError as exc:
            print(f"guard-inbox: {exc}", file=self.err)
            return 1
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            print(f"guard-inbox: {exc.strerror or exc}{where}", file=self.err)
            return 1

    # -- worker ------------------------------------------------------------------------
    def cmd_worker(self, args: argparse.Namespace) -> int:
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        pool = self.runtime.start_workers(args.concurrency)
        print(f"Worker {pool.worker_id} running {pool.threads} threads on "
              f"{self.runtime.broker.display}. Ctrl+C stops it.", file=self.err)
        stop.wait()
        print("Stopping: running scans pause and resume later...", file=self.err)
        pool.stop()
        return 0

    # -- scan ------------------------------------------------------------------------
    def cmd_scan(self, args: argparse.Namespace) -> int:
        from guard_inbox.jobs.follow import JobFollower

        account_id = self._account_for(args)
        runtime = self.runtime
        pool = None
        if args.wait and runtime.workers.alive_count() == 0:
            pool = runtime.start_workers()
        try:
            follower = JobFollower(runtime.job_repository, runtime.events, runtime.redis)
            job = runtime.control.start_scan(account_id, Priority.parse(args.priority))
            print(f"Job {job.id} queued.", file=self.err)
            if not args.wait:
                return 0
            final = self._follow(follower, job.id)
        except KeyboardInterrupt:
            print("\nStopped following; the job keeps its place in the queue.", file=self.err)
            return 130
        finally:
            if pool is not None:
                pool.stop()
        if final is None or final.state is not JobState.COMPLETED:
            reason = final.error if final else "the job disappeared"
            state = final.state.value if final else "MISSING"
            print(f"Job {job.id} {state}: {reason}", file=self.err)
            return 1
        print(f"Job {final.id} COMPLETED: {final.scanned} messages scanned, "
              f"{final.codes_found} codes found, {final.codes_new} new.", file=self.out)
        return 0

    def _account_for(self, args: argparse.Namespace) -> int:
        repo = self.runtime.repository
        if args.account:
            account = repo.find_account(args.account)
            if account is None:
                raise KnownError(f"No account {args.account!r}. `guard-inbox accounts list` "
                                 "shows the connected ones.")
            return account.id
        from guard_inbox.services.accounts import add_local_mailbox

        # Validates early: one clear line instead of a failed job.
        return add_local_mailbox(repo, args.mbox or args.eml_dir).id

    def _follow(self, follower: JobFollower, job_id: int) -> Job | None:
        last: Job | None = None
        tty = self.err.isatty()
        for job in follower.follow(job_id):
            last = job
            line = _progress_line(job)
            if tty:
                print("\r" + line.ljust(78), end="", file=self.err, flush=True)
            else:
                print(line, file=self.err, flush=True)
        if tty:
            print(file=self.err)
        return last

    # -- accounts ------------------------------------------------------------------------
    def cmd_accounts(self, args: argparse.Namespace) -> int:
        action = args.accounts_command
        if action == "list":
            accounts = self.runtime.queries.accounts()
            if args.json:
                self._json([_account_dict(a) for a in accounts])
            for a in [] if args.json else accounts:
                last = a.last_scan_at.isoformat(timespec="minutes") if a.last_scan_at else "never"
                print(f"{a.address:<40} {a.kind.value:<8} {a.status.value:<16} last scan {last:<17} "
                      f"{a.code_count} codes", file=self.out)
            return 0
        if self.gmail is None:
            raise KnownError("Gmail support is not available in this installation.")
        if action == "add":
            account = self.gmail.add_from_token_file(args.token_file)
            print(f"Added {account.address}.", file=self.out)
        elif action == "connect":
            def show(url: str) -> None:
                print(f"Open this address to sign in:\n{url}", file=self.err, flush=True)

            account = self.gmail.connect(open_browser=not args.no_browser, open_url=show)
            print(f"Connected {account.address}.", file=self.out)
        else:
            account = self.gmail.remove(args.email)
            print(f"Removed {account.address} and deleted its token.", file=self.out)
        return 0

    # -- reading ------------------------------------------------------------------------
    def cmd_jobs(self, args: argparse.Namespace) -> int:
        jobs = self.runtime.queries.recent_jobs()
        if args.json:
            self._json([_job_dict(j) for j in jobs])
            return 0
        for j in jobs:
            print(f"{j.id:>5}  {j.state.value:<11} {j.scanned:>6}/{j.total:<6} "
                  f"{j.codes_found:>4} codes  {j.account_label}  {j.error}", file=self.out)
        return 0

    def cmd_stats(self, args: argparse.Namespace) -> int:
        stats = self.runtime.control.stats()
        if args.json:
            self._json(stats.to_dict())
            return 0
        for key, value in stats.to_dict().items():
            print(f"{key.replace('_', ' '):<14} {value}", file=self.out)
        return 0

    def cmd_codes(self, args: argparse.Namespace) -> int:
        codes = self.runtime.queries.codes()
        if args.json:
            self._json([_code_dict(c) for c in codes])
            return 0
        for c in codes:
            expires = c.expires.date().isoformat() if c.expires else "-"
            print(f"{c.code:<20} {c.merchant:<24} {c.discount:<20} {expires}", file=self.out)
        return 0

    def cmd_export(self, args: argparse.Namespace) -> int:
        from guard_inbox.services.export import write_csv

        count = write_csv(self.runtime.queries.codes(), args.file)
        print(f"Exported {count} codes to {args.file}", file=self.out)
        return 0

    def cmd_extract(self, args: argparse.Namespace) -> int:
        status = 0
        for path in args.files:
            try:
                codes = extract_file(self.runtime.extractor, path)
            except OSError as exc:
                print(f"guard-inbox: cannot read {path}: {exc.strerror or exc}", file=self.err)
                status = 1
                continue
            if args.json:
                print(json.dumps({"file": str(path), "codes": codes}, ensure_ascii=False),
                      file=self.out)
            else:
                found = ", ".join(str(c["code"]) for c in codes) or "no codes"
                print(f"{path}: {found}", file=self.out)
        return status

    def _json(self, value: Any) -> None:
        json.dump(value, self.out, indent=2, ensure_ascii=False)
        print(file=self.out)


def extract_file(extractor: Extractor, path: Path) -> list[dict[str, str | None]]:
    from guard_inbox.mail.mime import parse_message

    raw = path.read_bytes()
    if path.suffix.lower() in (".html", ".htm"):
        subject = ""
        sidecar = path.with_suffix(".json")
        if sidecar.exists():
            try:
                subject = str(json.loads(sidecar.read_text(encoding="utf-8")).get("title", ""))
            except (ValueError, AttributeError):
                subject = ""
        header = f"Subject: {subject}\nContent-Type: text/html; charset=utf-8\n\n".encode()
        raw = header + raw
    message = parse_message(raw, path.name)
    return [
        {
            "code": c.code, "discount": c.discount or None,
            "expires": c.expires.isoformat() if c.expires else None,
            "min_spend": c.min_spend or None, "merchant": c.merchant or None,
            "link": c.link or None, "source": c.source,
        }
        for c in extractor.extract(message)
    ]


def _when(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _progress_line(job: Job) -> str:
    if job.state is JobState.IN_PROGRESS:
        return f"Job {job.id} IN_PROGRESS {job.scanned}/{job.total} messages, {job.codes_found} codes"
    if job.state is JobState.PENDING and job.error:
        return f"Job {job.id} PENDING: {job.error}"
    return f"Job {job.id} {job.state.value}"


def _job_dict(job: Job) -> dict[str, Any]:
    return {
        "id": job.id, "account_id": job.account_id, "account": job.account_label,
        "state": job.state.value, "trigger": job.trigger, "priority": job.priority,
        "total": job.total, "scanned": job.scanned, "codes_found": job.codes_found,
        "codes_new": job.codes_new, "attempts": job.attempts, "error": job.error,
        "ai_tokens": job.tokens_used,
        "created_at": _when(job.created_at), "started_at": _when(job.started_at),
        "finished_at": _when(job.finished_at),
    }


def _account_dict(account: Account) -> dict[str, Any]:
    return {
        "id": account.id, "address": account.address, "kind": account.kind.value,
        "status": account.status.value, "status_message": account.status_message,
        "last_scan": _when(account.last_scan_at), "codes": account.code_count,
    }


def _code_dict(code: StoredCode) -> dict[str, Any]:
    return {
        "id": code.id, "code": code.code, "merchant": code.merchant, "discount": code.discount,
        "expires": _when(code.expires), "min_spend": code.min_spend, "link": code.link,
        "source": code.source, "first_seen": _when(code.first_seen),
        "last_seen": _when(code.last_seen), "used": code.used, "subject": code.subject,
        "sender": code.sender, "message_id": code.message_id,
    }


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    return build_parser().parse_args(argv)
