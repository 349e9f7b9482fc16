"""One declarative settings schema: the CLI, the workers and the settings dialog read it.

Values live in ``settings.json`` in the data dir. ``REDIS_URL`` and
``DATABASE_URL`` (and the other env names in the schema) override the file
without being written back, so a shared worker machine is configured by its
environment alone.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SettingValue = bool | int | float | str


@dataclass(frozen=True, slots=True)
class Setting:
    key: str
    type: type
    default: SettingValue
    help: str
    section: str = "General"
    minimum: float | None = None
    maximum: float | None = None
    env: str = ""
    secret: bool = False
    choices: tuple[str, ...] = ()
    # How the settings dialog shows it, in people's words: a short label, the unit a number is
    # counted in ("minutes"), and its page ("General", "Advanced"; "" = not in the dialog).
    label: str = ""
    unit: str = ""
    page: str = "Advanced"


SCHEMA: tuple[Setting, ...] = (
    Setting("scan.concurrency", int, 5, "Scans run at once by this app's worker threads.",
            "Scanning", 1, 64, label="Worker threads", unit="threads"),
    Setting("scan.processes", int, os.cpu_count() or 1, "Processes that read local mailboxes "
            "(default: one per core; 0 reads in the scan's own thread).", "Scanning", 0, 64,
            label="Processes reading local mailboxes", unit="processes"),
    Setting("scan.retry_attempts", int, 3, "Retries after a transient failure (network, broker).",
            "Scanning", 0, 10, label="Retries after a network error", unit="times"),
    Setting("scan.retry_backoff_base", float, 5.0, "Seconds before the first retry.",
            "Scanning", 0.0, 3600.0, label="First retry after", unit="seconds"),
    Setting("scan.retry_backoff_factor", float, 2.0, "Each retry waits this many times longer.",
            "Scanning", 1.0, 10.0, label="Each further retry waits", unit="times longer"),
    Setting("scan.interval_minutes", int, 60, "Background scan of every account, in minutes "
            "(0 turns background scans off).", "Background scans", 0, 7 * 24 * 60,
            label="Scan all accounts every", unit="minutes", page="General"),
    Setting("scan.stale_after_seconds", int, 20, "A running scan whose worker has been silent "
            "this long is handed to another worker.", "Scanning", 5, 3600,
            label="Hand a silent scan over after", unit="seconds", page=""),
    Setting("gmail.query", str, "category:promotions newer_than:365d",
            "Gmail search that selects the mail to scan.", "Gmail", label="Mail to scan"),
    Setting("gmail.max_results", int, 500, "Messages per listing page.", "Gmail", 1, 500,
            label="Messages per listing page", unit="messages", page=""),
    Setting("gmail.batch_size", int, 50, "Most calls per batch request (Google advises <= 50); "
            "scans send smaller batches, several at once, to keep the quota busy.",
            "Gmail", 1, 100, label="Requests per batch, at most", unit="requests"),
    Setting("gmail.quota_units_per_minute", int, 6000,
            "Per-user Gmail quota budget (6,000 for Cloud projects created since May 2026, "
            "15,000 for older ones).", "Gmail", 60, 1_000_000,
            label="Gmail quota", unit="units per minute"),
    Setting("gmail.endpoint", str, "", "Gmail API base URL (blank: Google).", "Gmail",
            env="GUARD_INBOX_GMAIL_ENDPOINT", label="Gmail API address"),
    Setting("gmail.client_secrets", str, "", "Path of the OAuth client_secret.json.", "Gmail",
            env="GUARD_INBOX_CLIENT_SECRETS", label="Google sign-in client file"),
    Setting("ai.enabled", bool, False, "Ask an AI model about uncertain promotional mail.", "AI",
            label="Ask an AI model about uncertain mail"),
    Setting("ai.base_url", str, "", "OpenAI-compatible endpoint (blank: OpenAI).", "AI",
            env="OPENAI_BASE_URL", label="Model address"),
    Setting("ai.model", str, "gpt-4o-mini", "Model name.", "AI", label="Model"),
    Setting("ai.all_messages", bool, False, "Send every message, not only uncertain ones.", "AI",
            label="Send every message, not only uncertain ones"),
    Setting("ai.token_budget", int, 3000, "Most tokens of mail text sent per message.", "AI",
            200, 100_000, label="Mail text sent per message, at most", unit="tokens"),
    Setting("ai.timeout_seconds", float, 20.0, "Give up on the model after this long.", "AI",
            1.0, 600.0, label="Give up on the model after", unit="seconds"),
    Setting("notify.enabled", bool, True, "Notify about new and expiring codes.", "Notifications",
            label="Notify me about new and expiring codes", page="General"),
    Setting("notify.expiring_days", int, 3, "Warn this many days before a code expires.",
            "Notifications", 0, 60, label="Warn about a code", unit="days before it expires",
            page="General"),
    Setting("ui.theme", str, "system", "Light or dark colours, or the system's choice.",
            "Appearance", choices=("system", "light", "dark"), label="Theme", page="General"),
    Setting("ui.start_at_login", bool, False, "Start Guard Inbox when you log in (the system's "
            "own start-up list holds the truth; this records the choice).", "Start-up",
            label="Start Guard Inbox when I log in", page="General"),
    Setting("ui.start_minimised", bool, False, "Start in the tray.", "Start-up",
            label="Start in the tray, without the window", page="General"),
    Setting("broker.url", str, "", "Redis URL (blank: Guard Inbox runs its own).", "Connections",
            env="REDIS_URL", secret=True, label="Redis URL"),
    Setting("database.url", str, "", "Database URL (blank: SQLite in the data dir).",
            "Connections", env="DATABASE_URL", secret=True, label="Database URL"),
)

_BY_KEY = {s.key: s for s in SCHEMA}


class SettingsError(ValueError):
    """A value that does not fit the schema; the message names key and reason."""


def coerce(setting: Setting, value: Any) -> SettingValue:
    """Turn a JSON/env/CLI value into the schema's type, within its bounds."""
    try:
        if setting.type is bool:
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                    raise ValueError(value)
                result: SettingValue = lowered in {"1", "true", "yes", "on"}
            else:
                result = bool(value)
        elif setting.type is int:
            result = int(value)
        elif setting.type is float:
            result = float(value)
        else:
            result = str(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{setting.key}: {value!r} is not a {setting.type.__name__}") from None
    if isinstance(result, int | float) and not isinstance(result, bool):
        if setting.minimum is not None and result < setting.minimum:
            raise SettingsError(f"{setting.key}: {result} is below {setting.minimum}")
        if setting.maximum is not None and result > setting.maximum:
            raise SettingsError(f"{setting.key}: {result} is above {setting.maximum}")
    if setting.choices and result not in setting.choices:
        raise SettingsError(f"{setting.key}: {result!r} is not one of {setting.choices}")
    return result


class Settings:
    """Schema-checked values: file first, then env overrides, then defaults."""

    def __init__(self, path: Path | None, env: Mapping[str, str] | None = None) -> None:
        self._path = path
        self._env = dict(os.environ if env is None else env)
        self._stored: dict[str, SettingValue] = {}
        self._overrides: dict[str, SettingValue] = {}
        if path is not None and path.exists():
            self._stored = self._read(path)

    @staticmethod
    def _read(path: Path) -> dict[str, SettingValue]:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SettingsError(f"Cannot read settings file {path}: {exc}") from exc
        if not isinstance(raw, dict):
            raise SettingsError(f"Settings file {path} does not hold a JSON object")
        values: dict[str, SettingValue] = {}
        for key, value in raw.items():
            if key in _BY_KEY:  # unknown keys from newer versions are ignored, not fatal
                values[key] = coerce(_BY_KEY[key], value)
        return values

    def get(self, key: str) -> Any:
        setting = _BY_KEY[key]
        if key in self._overrides:
            return self._overrides[key]
        if setting.env and self._env.get(setting.env):
            return coerce(setting, self._env[setting.env])
        return self._stored.get(key, setting.default)

    def is_overridden_by_env(self, key: str) -> bool:
        setting = _BY_KEY[key]
        return bool(setting.env and self._env.get(setting.env))

    def set(self, key: str, value: Any) -> None:
        """Store a value (validated); call save() to write it."""
        if key not in _BY_KEY:
            raise SettingsError(f"Unknown setting {key!r}")
        self._stored[key] = coerce(_BY_KEY[key], value)

    def override(self, key: str, value: Any) -> None:
        """Set for this process only (command-line flags, tests); never saved."""
        self._overrides[key] = coerce(_BY_KEY[key], value)

    def save(self) -> None:
        """Atomic write so a crash mid-save never leaves half a file."""
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=".settings-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self._stored, handle, indent=2, sort_keys=True)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self._path)

    def as_dict(self) -> dict[str, Any]:
        return {s.key: self.get(s.key) for s in SCHEMA}

    @staticmethod
    def schema() -> tuple[Setting, ...]:
        return SCHEMA
