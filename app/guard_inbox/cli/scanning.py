"""`worker` and `scan`: the commands that run or follow jobs (bootstrap started the workers)."""

from __future__ import annotations

import argparse
import signal
import threading

from guard_inbox.cli.output import Console, progress_line
from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.models import Job, JobState, Priority
from guard_inbox.services.api import AppApi


def run_worker(api: AppApi, console: Console, args: argparse.Namespace) -> int:
    """Waits for Ctrl+C or SIGTERM; bootstrap then stops the workers it started."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    load = api.worker_load()
    console.tell(f"Worker {load.worker_id} running {load.threads} threads on "
                 f"{api.broker().display}. Ctrl+C stops it.")
    stop.wait()
    console.tell("Stopping: running scans pause and resume later...")
    return 0


def run_scan(api: AppApi, console: Console, args: argparse.Namespace) -> int:
    account_id = _account_for(api, args)
    try:
        changes = api.scan([account_id], Priority.parse(args.priority))
        job = changes.jobs[0]
        console.tell(f"Job {job.id} queued.")
        if not args.wait:
            return 0
        final = _follow(api, console, job.id)
    except KeyboardInterrupt:
        console.tell("\nStopped following; the job keeps its place in the queue.")
        return 130
    if final is None or final.state is not JobState.COMPLETED:
        reason = final.error if final else "the job disappeared"
        state = final.state.value if final else "MISSING"
        console.tell(f"Job {job.id} {state}: {reason}")
        return 1
    known = final.codes_found - final.codes_new
    console.say(f"Job {final.id} COMPLETED: {final.scanned} messages scanned, "
                f"{final.codes_found} codes found, {final.codes_new} new, {known} already known.")
    return 0


def _account_for(api: AppApi, args: argparse.Namespace) -> int:
    if args.account:
        account = api.find_account(args.account)
        if account is None:
            raise KnownError(f"No account {args.account!r}. `guard-inbox accounts list` "
                             "shows the connected ones.")
        return account.id
    # Validates early: one clear line instead of a failed job.
    account, _ = api.add_local_mailbox(args.mbox or args.eml_dir, scan=False)
    return account.id


def _follow(api: AppApi, console: Console, job_id: int) -> Job | None:
    last: Job | None = None
    tty = console.err.isatty()
    for job in api.follow(job_id):
        last = job
        line = progress_line(job)
        if tty:
            print("\r" + line.ljust(78), end="", file=console.err, flush=True)
        else:
            console.tell(line)
    if tty:
        console.tell("")
    return last
