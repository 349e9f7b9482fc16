"""`accounts add-imap`: an IMAP mailbox from the command line (the password from a file, never argv)."""

from __future__ import annotations

import argparse
import json
import threading
import webbrowser
from pathlib import Path
from typing import Any

from guard_inbox.cli.output import Console
from guard_inbox.domain.errors import KnownError
from guard_inbox.domain.imap import PRESETS, ImapAuth, ImapSettings, Security, preset
from guard_inbox.services.api import AppApi


def read_password(path: Path) -> str:
    """The file's first line: a password manager's export or `echo` may leave a newline."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise KnownError(f"The password file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KnownError(f"The password file {path} cannot be read ({exc}).") from None
    password = text.splitlines()[0] if text.strip() else ""
    if not password:
        raise KnownError(f"The password file {path} is empty.")
    return password


def read_grant(path: Path) -> dict[str, Any]:
    """An OAuth grant from a JSON file; never echoes its content (it holds secrets)."""
    try:
        data = json.loads(Path(path).expanduser().read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise KnownError(f"The token file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KnownError(f"The token file {path} cannot be read ({exc}).") from None
    except ValueError:
        raise KnownError(f"The token file {path} is not JSON.") from None
    if not isinstance(data, dict):
        raise KnownError(f"The token file {path} is not a JSON object.")
    return data


def add_imap(api: AppApi, console: Console, args: argparse.Namespace) -> int:
    security = Security(args.security)
    host = args.host.strip()
    known = next((p for p in PRESETS if p.host and p.host == host.lower()), None)
    if known and known.auth is ImapAuth.XOAUTH2 and not args.oauth_token_file:
        raise KnownError(f"{known.name}: {known.note.split(': ')[0]}. Use --oauth-token-file.")
    settings = ImapSettings(
        host=host, user=args.user, port=args.port or security.default_port, security=security,
        auth=ImapAuth.XOAUTH2 if args.oauth_token_file else ImapAuth.PASSWORD,
        folders=tuple(args.folder or ("INBOX",)), provider=known.key if known else "other",
        gmail_promotions=bool(known and known.gmail_promotions), ca_file=args.ca_file,
    )
    # Tested before it is saved; `guard-inbox scan --account USER` then scans it.
    if args.oauth_token_file:
        account, _ = api.add_imap(settings, "", scan=False, oauth=read_grant(args.oauth_token_file))
    else:
        account, _ = api.add_imap(settings, read_password(args.password_file), scan=False)
    console.say(account.address)
    return 0


def connect_outlook(api: AppApi, console: Console, args: argparse.Namespace) -> int:
    """Microsoft ended password logins to Outlook IMAP: a browser sign-in gives an OAuth grant."""
    settings = preset("outlook").settings(args.user, args.host)
    settings = ImapSettings(settings.host, settings.user, settings.port, settings.security,
                            ImapAuth.XOAUTH2, tuple(args.folder or ("INBOX",)), "outlook")

    def show(url: str) -> None:
        if args.no_browser or not webbrowser.open(url):
            console.tell(f"Open this address to sign in:\n{url}")

    account, _ = api.sign_in_imap(settings, args.client_id, show_url=show, cancel=threading.Event(),
                                  scan=False)
    console.say(account.address)
    return 0
