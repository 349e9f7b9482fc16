"""Where Guard Inbox keeps its files; one frozen value, no mutable globals."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "guard-inbox"
DATA_DIR_ENV = "GUARD_INBOX_DATA_DIR"
# sockaddr_un.sun_path is 108 bytes with the NUL; longer paths fail to bind silently.
MAX_SOCKET_PATH = 100

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AppPaths:
    data_dir: Path

    @classmethod
    def resolve(cls, cli_value: str | None = None, env: dict[str, str] | None = None) -> AppPaths:
        """``--data-dir`` wins over ``GUARD_INBOX_DATA_DIR`` over the platform default."""
        environ = os.environ if env is None else env
        raw = cli_value or environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir(APP_NAME)
        return cls(Path(raw).expanduser().resolve())

    def ensure(self) -> AppPaths:
        """Create the private folders (0700: the data dir holds the broker socket).

        A data folder that already existed (``--data-dir ~/Documents``) is the user's: its
        permissions are left alone, with a warning when others can read it.
        """
        try:
            self.data_dir.mkdir(parents=True)
            os.chmod(self.data_dir, 0o700)
        except FileExistsError:
            if os.name == "posix" and self.data_dir.stat().st_mode & 0o077:
                log.warning("The data folder %s can be read by other users (mode %o); it holds "
                            "your codes and mail details. Use a private folder, or: chmod 700 %s",
                            self.data_dir, self.data_dir.stat().st_mode & 0o777, self.data_dir)
        for folder in (self.log_dir, self.redis_dir):
            folder.mkdir(exist_ok=True)
            os.chmod(folder, 0o700)
        return self

    @property
    def settings_file(self) -> Path:
        return self.data_dir / "settings.json"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "guard-inbox.sqlite3"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "guard-inbox.log"

    @property
    def redis_dir(self) -> Path:
        return self.data_dir / "redis"

    @property
    def token_file(self) -> Path:
        return self.data_dir / "tokens.json"

    @property
    def instance_lock(self) -> Path:
        return self.data_dir / "app.lock"

    def redis_socket(self, version_tag: str) -> Path:
        """Socket inside the data dir, or a short private one in /tmp for deep paths."""
        preferred = self.redis_dir / version_tag / "redis.sock"
        if len(os.fsencode(preferred)) <= MAX_SOCKET_PATH:
            return preferred
        digest = hashlib.sha1(os.fsencode(self.data_dir)).hexdigest()[:12]
        short = Path(tempfile.gettempdir()) / f"gi-{os.getuid()}-{digest}"
        short.mkdir(mode=0o700, exist_ok=True)
        os.chmod(short, 0o700)
        return short / f"redis-{version_tag}.sock"
