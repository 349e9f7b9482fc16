"""An IMAP account's connection settings and the provider presets the add-account dialog offers.

Plain values only: the UI and the CLI build and check these without importing any mail library.
The password (or OAuth token) is never part of them: it lives in the keyring beside them.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from guard_inbox.domain.errors import PermanentError


class Security(enum.StrEnum):
    SSL = "ssl"  # implicit TLS (port 993)
    STARTTLS = "starttls"  # plain connect, then upgraded before login (port 143)
    NONE = "none"  # loopback hosts only

    @property
    def default_port(self) -> int:
        return 993 if self is Security.SSL else 143


class ImapAuth(enum.StrEnum):
    PASSWORD = "password"  # a password or an app password, sent only over TLS (or loopback)
    XOAUTH2 = "xoauth2"  # SASL XOAUTH2 with an access token from a provider module


def is_loopback(host: str) -> bool:
    """True for this machine only ('localhost', 127.0.0.0/8, ::1): the one place plain IMAP is safe."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class ImapSettings:
    """Where and how to log in; ``folders`` are scanned in order (INBOX by default)."""

    host: str
    user: str
    port: int = 993
    security: Security = Security.SSL
    auth: ImapAuth = ImapAuth.PASSWORD
    folders: tuple[str, ...] = ("INBOX",)
    provider: str = "other"  # a preset key: which OAuth provider signs in, which help to show
    gmail_promotions: bool = False  # on Gmail's server, only INBOX mail in category:promotions
    ca_file: str = ""  # a certificate to trust as well (a self-hosted server's own)

    def checked(self) -> ImapSettings:
        """These settings with blanks trimmed; a PermanentError says what to fix."""
        host, user = self.host.strip(), self.user.strip()
        if not host:
            raise PermanentError("Enter the IMAP server's host name (for example imap.mail.yahoo.com).")
        if not user:
            raise PermanentError("Enter the user name (usually your full email address).")
        if not 0 < self.port < 65536:
            raise PermanentError(f"Port {self.port} is not a port number (993 for SSL, 143 for STARTTLS).")
        if self.security is Security.NONE and not is_loopback(host):
            raise PermanentError(
                f"{host} is not this machine: Guard Inbox sends passwords only over TLS. Choose SSL "
                "(port 993) or STARTTLS (port 143)."
            )
        folders = tuple(dict.fromkeys(f.strip() for f in self.folders if f.strip())) or ("INBOX",)
        return ImapSettings(host, user, self.port, self.security, self.auth, folders, self.provider,
                            self.gmail_promotions, self.ca_file.strip())

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.host, "user": self.user, "port": self.port,
                "security": self.security.value, "auth": self.auth.value,
                "folders": list(self.folders), "provider": self.provider,
                "gmail_promotions": self.gmail_promotions, "ca_file": self.ca_file}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImapSettings:
        try:
            return cls(
                host=str(data["host"]), user=str(data["user"]), port=int(data.get("port", 993)),
                security=Security(data.get("security", "ssl")),
                auth=ImapAuth(data.get("auth", "password")),
                folders=tuple(str(f) for f in data.get("folders") or ("INBOX",)),
                provider=str(data.get("provider", "other")),
                gmail_promotions=bool(data.get("gmail_promotions", False)),
                ca_file=str(data.get("ca_file", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PermanentError(
                f"The saved IMAP settings are damaged ({exc}); add the account again.") from exc


@dataclass(frozen=True, slots=True)
class ImapPreset:
    """What the add-account dialog fills in for one provider."""

    key: str
    name: str
    host: str
    port: int = 993
    security: Security = Security.SSL
    auth: ImapAuth = ImapAuth.PASSWORD
    app_password_url: str = ""
    note: str = ""
    gmail_promotions: bool = False
    folders: tuple[str, ...] = field(default=("INBOX",))

    def settings(self, user: str, host: str = "") -> ImapSettings:
        return ImapSettings(host or self.host, user, self.port, self.security, self.auth,
                            self.folders, self.key, self.gmail_promotions)


PRESETS: tuple[ImapPreset, ...] = (
    ImapPreset(
        "gmail", "Gmail (app password)", "imap.gmail.com",
        app_password_url="https://myaccount.google.com/apppasswords",
        note="Needs 2-Step Verification on the Google account; then make an app password and "
             "paste its 16 letters here. Only mail in the Promotions category is read.",
        gmail_promotions=True,
    ),
    ImapPreset(
        "outlook", "Outlook.com / Microsoft 365", "outlook.office365.com", auth=ImapAuth.XOAUTH2,
        app_password_url="https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade",
        note="Microsoft ended password and app-password logins to Outlook.com IMAP in September "
             "2024: these accounts sign in with Microsoft in the browser (OAuth, SASL XOAUTH2). "
             "It needs the application (client) ID of a Microsoft app registration of your own "
             "(Microsoft Entra > App registrations: personal accounts allowed, a Mobile and "
             "desktop platform with redirects http://localhost and http://127.0.0.1, permission "
             "IMAP.AccessAsUser.All).",
    ),
    ImapPreset(
        "yahoo", "Yahoo Mail", "imap.mail.yahoo.com",
        app_password_url="https://login.yahoo.com/account/security/app-passwords",
        note="Yahoo needs an app password (Account security > Generate app password).",
    ),
    ImapPreset(
        "icloud", "iCloud Mail", "imap.mail.me.com",
        app_password_url="https://account.apple.com/account/manage",
        note="Use an app-specific password (Sign-In and Security > App-Specific Passwords); the "
             "user name is your iCloud address.",
    ),
    ImapPreset(
        "fastmail", "Fastmail", "imap.fastmail.com",
        app_password_url="https://app.fastmail.com/settings/security/apps",
        note="Make an app password with IMAP access (Settings > Privacy & Security > App passwords).",
    ),
    ImapPreset("other", "Other (IMAP)", "", note="Your provider's IMAP server, port and security; "
               "ask it for an app password if it offers them."),
)


def preset(key: str) -> ImapPreset:
    for p in PRESETS:
        if p.key == key:
            return p
    return PRESETS[-1]
