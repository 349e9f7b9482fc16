"""`accounts list|add|add-imap|connect|remove`: mail accounts from the command line."""

from __future__ import annotations

import argparse

from guard_inbox.cli.imap import add_imap, connect_outlook
from guard_inbox.cli.output import Console, account_dict
from guard_inbox.domain.models import AccountKind
from guard_inbox.services.api import AppApi


def run_accounts(api: AppApi, console: Console, args: argparse.Namespace) -> int:
    action = args.accounts_command
    if action == "list":
        accounts = api.accounts()
        if args.json:
            console.json([account_dict(a) for a in accounts])
            return 0
        for a in accounts:
            last = a.last_scan_at.isoformat(timespec="minutes") if a.last_scan_at else "never"
            console.say(f"{a.address:<40} {a.kind.value:<8} {a.status.value:<16} "
                        f"last scan {last:<17} {a.code_count} codes")
        return 0
    if action == "add-imap":
        return add_imap(api, console, args)
    if action == "connect-outlook":
        return connect_outlook(api, console, args)
    if action == "add":
        account, _ = api.add_gmail_token(args.token_file)
        console.say(f"Added {account.address}.")
    elif action == "connect":
        def show(url: str) -> None:
            console.tell(f"Open this address to sign in:\n{url}")

        account, _ = api.connect_gmail(open_browser=not args.no_browser, open_url=show)
        console.say(f"Connected {account.address}.")
    elif (found := api.find_account(args.email)) is not None and found.kind is AccountKind.IMAP:
        account, _ = api.remove_imap(found.address)
        console.say(f"Removed {account.address} and deleted its saved password.")
    else:
        account, _ = api.remove_gmail(args.email)
        console.say(f"Removed {account.address} and deleted its token.")
    return 0
