"""The OAuth client file (client_secret.json) a user downloads from the Google Cloud console.

Kept apart from the sign-in flow and free of Google's libraries, so a window can check a file
the moment it is chosen without importing them. The command line appends the step-by-step
help to every complaint; a window that shows those steps itself passes ``how_to=""``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from guard_inbox.domain.errors import PermanentError

CLIENT_SECRETS_HELP = (
    "To connect Gmail, Guard Inbox needs an OAuth client of your own:\n"
    "  1. Open the Google Cloud console (https://console.cloud.google.com/) and pick or create a project;\n"
    "     enable the Gmail API under APIs & Services > Library.\n"
    "  2. APIs & Services > Credentials > Create credentials > OAuth client ID.\n"
    "  3. Application type: Desktop app. Create, then Download JSON.\n"
    "  4. Point Guard Inbox at that file: --client-secrets PATH, the GUARD_INBOX_CLIENT_SECRETS\n"
    "     environment variable, or the gmail.client_secrets setting."
)


def load_client_secrets(path: Path | str | None, *, how_to: str = CLIENT_SECRETS_HELP) -> dict[str, Any]:
    """The parsed client_secret.json of a Desktop-app OAuth client, or a KnownError saying how to get one."""
    more = "\n" + how_to if how_to else ""
    if path is None or not str(path).strip():
        raise PermanentError("No OAuth client file is set." + more)
    file = Path(path).expanduser()
    try:
        data = json.loads(file.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise PermanentError(f"The OAuth client file {file} does not exist." + more) from None
    except IsADirectoryError:
        raise PermanentError(f"{file} is a folder, not an OAuth client file." + more) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PermanentError(f"The OAuth client file {file} cannot be read ({exc}).") from None
    except ValueError:
        raise PermanentError(f"The OAuth client file {file} is not JSON." + more) from None
    return check_client_config(data, f"The OAuth client file {file}", how_to=how_to)


def check_client_config(data: object, where: str = "The OAuth client", *,
                        how_to: str = CLIENT_SECRETS_HELP) -> dict[str, Any]:
    """``data`` itself when it is a Desktop-app ("installed") client with every field the flow needs."""
    more = "\n" + how_to if how_to else ""
    if not isinstance(data, dict):
        raise PermanentError(f"{where} is not an OAuth client file." + more)
    if "web" in data and "installed" not in data:
        raise PermanentError(
            f"{where} is for a Web application; Guard Inbox needs a Desktop app client." + more
        )
    client = data.get("installed")
    needed = ("client_id", "client_secret", "auth_uri", "token_uri")
    if not isinstance(client, dict) or not all(isinstance(client.get(k), str) and client[k] for k in needed):
        raise PermanentError(
            f"{where} is not a Desktop-app OAuth client file (it needs an \"installed\" section with "
            "client_id, client_secret, auth_uri and token_uri)." + more
        )
    return data
