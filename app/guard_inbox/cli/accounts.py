"""`accounts list|add|add-imap|connect|connect-outlook|rename|pause|resume|locate|remove`:
accounts from the command line."""

from __future__ import annotations

import argparse

from guard_inbox.cli.imap import add_imap, connect_outlook
from guard_inbox.cli.output import Console, account_dict, account_state
from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.models import Account
from guard_inbox.services.api import AppApi


def run_accounts(api: AppApi, console: Console, args: argparse.Namespace) -> int:
    action = args.accounts_command
    if action == "list":
        return _list(api, console, args.json)
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
    else:
        _change(api, console, args, find_account(api, args.account))
    return 0


def _list(api: AppApi, console: Console, as_json: bool) -> int:
    accounts = api.accounts()
    if as_json:
        console.json([account_dict(a) for a in accounts])
        return 0
    for a in accounts:
        last = a.last_scan_at.isoformat(timespec="minutes") if a.last_scan_at else "never"
        console.say(f"#{a.id:<4} {a.label:<32} {a.kind.value:<8} {account_state(a):<16} "
                    f"last scan {last:<17} {a.code_count} codes")
        if a.display_name and a.display_name != a.address:
            console.say(f"      {a.address}")
    return 0


def _change(api: AppApi, console: Console, args: argparse.Namespace, account: Account) -> None:
    action = args.accounts_command
    if action == "rename":
        api.rename_account(account.id, args.name)
        console.say(f"Renamed {account.label} to {args.name.strip() or account.address}.")
    elif action in ("pause", "resume"):
        api.pause_account(account.id, action == "pause")
        console.say(f"Paused {account.label}: scheduled scans leave it out." if action == "pause"
                    else f"Resumed {account.label}.")
    elif action == "locate":
        moved, _ = api.locate_account(account.id, args.path, scan=False)
        console.say(f"{moved.label} now reads {moved.address}. "
                    f"`guard-inbox scan --account {moved.address}` scans it.")
    else:
        api.remove_account(account.id, keep_codes=args.keep_codes)
        kept = (f"its {account.code_count} codes stay in the list" if args.keep_codes
                else f"its {account.code_count} codes were deleted")
        token = {"gmail": " and deleted its token", "imap": " and deleted its saved password"}.get(
            account.kind.value, "")
        console.say(f"Removed {account.label}{token}; {kept}.")


def find_account(api: AppApi, wanted: str) -> Account:
    """By #id, address or name (either case); a name two accounts share must be told apart."""
    accounts = api.accounts()
    text = wanted.strip()
    if text.startswith("#") and text[1:].isdigit():
        matches = [a for a in accounts if a.id == int(text[1:])]
    else:
        matches = [a for a in accounts if a.address.lower() == text.lower()]
        matches = matches or [a for a in accounts if a.label.lower() == text.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise KnownError(f"No account {wanted!r}. `guard-inbox accounts list` shows them.")
    ids = ", ".join(f"#{a.id}" for a in matches)
    raise KnownError(f"{len(matches)} accounts are called {wanted!r}: name one by its id ({ids}).")
