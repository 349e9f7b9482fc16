"""Start at login, each platform's own way: an XDG autostart entry, a LaunchAgent, a Run key.

The platform's start-up list is the truth (a user may switch the entry off in the desktop's own
settings), so ``is_enabled`` reads it every time and nothing here caches an answer. No Qt:
the settings dialog and any command can use it, and the tests write real files in a temp dir.
"""

from __future__ import annotations

import contextlib
import os
import plistlib
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import platformdirs

from guard_inbox.domain.errors import KnownError

APP_ID = "guard-inbox"
LAUNCH_AGENT_LABEL = "org.guard-inbox.app"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "Guard Inbox"


class AutostartError(KnownError):
    """The start-up entry could not be written or removed; the sentence says where and why."""


class Autostart(Protocol):
    @property
    def where(self) -> str:
        """Where the entry lives, for the settings page's hint."""
        ...

    def is_enabled(self) -> bool: ...

    def set_enabled(self, enabled: bool) -> None:
        """Writes or removes the entry; an ``AutostartError`` says what went wrong."""
        ...


def launch_command(data_dir: Path | None = None, env: Mapping[str, str] | None = None) -> list[str]:
    """How to start this installation's window again: the bundle, the gui script, or ``-m``.

    A data folder other than the default is passed on, so the app started at login opens the
    same codes as the one that asked for it.
    """
    environ = os.environ if env is None else env
    if environ.get("APPIMAGE"):  # sys.executable is inside the AppImage's temporary mount
        command = [environ["APPIMAGE"]]
    elif getattr(sys, "frozen", False):
        command = [sys.executable]
    else:
        beside = Path(sys.executable).parent / ("guard-inbox-gui.exe" if os.name == "nt"
                                                else "guard-inbox-gui")
        found = str(beside) if beside.exists() else shutil.which("guard-inbox-gui")
        command = [found] if found else [sys.executable, "-m", "guard_inbox"]
    default = Path(environ.get("GUARD_INBOX_DATA_DIR")
                   or platformdirs.user_data_dir(APP_ID)).expanduser()
    if data_dir is not None and data_dir.resolve() != default.resolve():
        command += ["--data-dir", str(data_dir)]
    return command


def _write_atomically(path: Path, data: bytes) -> None:
    """A half-written entry would start nothing, or the wrong thing: write aside, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise AutostartError(f"Could not remove {path}: {exc.strerror or exc}.") from exc


def desktop_exec(command: Sequence[str]) -> str:
    """The Exec= value: each argument quoted as the Desktop Entry spec asks, ``%`` doubled."""
    parts = []
    for arg in command:
        escaped = arg.replace("%", "%%")
        if any(c in escaped for c in ' \t\n"\'\\><~|&;$*?#()`'):
            for char in ("\\", '"', "`", "$"):
                escaped = escaped.replace(char, "\\" + char)
            escaped = f'"{escaped}"'
        parts.append(escaped)
    # The spec reads the value as a string first, so each backslash is written twice.
    return " ".join(parts).replace("\\", "\\\\")


class XdgAutostart:
    """``$XDG_CONFIG_HOME/autostart/guard-inbox.desktop``, read by GNOME, KDE, Xfce and the rest."""

    def __init__(self, config_home: Path, command: Sequence[str]) -> None:
        self.path = config_home / "autostart" / f"{APP_ID}.desktop"
        self._command = list(command)

    @property
    def where(self) -> str:
        return str(self.path)

    def is_enabled(self) -> bool:
        """On unless the entry is missing or a desktop switched it off (Hidden, GNOME's flag)."""
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return False
        entries = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                entries[key.strip()] = value.strip().lower()
        return (entries.get("Hidden") != "true"
                and entries.get("X-GNOME-Autostart-enabled") != "false")

    def set_enabled(self, enabled: bool) -> None:
        if not enabled:
            _remove(self.path)
            return
        entry = "\n".join((
            "[Desktop Entry]",
            "Type=Application",
            "Name=Guard Inbox",
            "Comment=Find promo codes in your mail and hear about them before they expire",
            f"Exec={desktop_exec(self._command)}",
            "Icon=guard-inbox",
            "Terminal=false",
            "X-GNOME-Autostart-enabled=true",
            "",
        ))
        try:
            _write_atomically(self.path, entry.encode("utf-8"))
        except OSError as exc:
            raise AutostartError(f"Could not write {self.path}: {exc.strerror or exc}.") from exc


class LaunchAgentAutostart:
    """macOS: ``~/Library/LaunchAgents/org.guard-inbox.app.plist`` with RunAtLoad."""

    def __init__(self, agents_dir: Path, command: Sequence[str]) -> None:
        self.path = agents_dir / f"{LAUNCH_AGENT_LABEL}.plist"
        self._command = list(command)

    @property
    def where(self) -> str:
        return str(self.path)

    def is_enabled(self) -> bool:
        try:
            agent = plistlib.loads(self.path.read_bytes())
        except (OSError, plistlib.InvalidFileException, ValueError):
            return False
        return isinstance(agent, dict) and bool(agent.get("RunAtLoad")) and not agent.get(
            "Disabled", False)

    def set_enabled(self, enabled: bool) -> None:
        if not enabled:
            _remove(self.path)
            return
        agent = {"Label": LAUNCH_AGENT_LABEL, "ProgramArguments": self._command,
                 "RunAtLoad": True, "ProcessType": "Interactive"}
        try:
            _write_atomically(self.path, plistlib.dumps(agent))
        except OSError as exc:
            raise AutostartError(f"Could not write {self.path}: {exc.strerror or exc}.") from exc


class WindowsRunKeyAutostart:
    """Windows: a value under HKEY_CURRENT_USER\\...\\Run, as Task Manager's Startup tab lists."""

    def __init__(self, command: Sequence[str]) -> None:
        self._command = list(command)

    @property
    def where(self) -> str:
        return f"HKEY_CURRENT_USER\\{RUN_KEY}\\{RUN_VALUE}"

    def is_enabled(self) -> bool:
        if sys.platform != "win32":
            return False
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                winreg.QueryValueEx(key, RUN_VALUE)
        except OSError:
            return False
        return True

    def set_enabled(self, enabled: bool) -> None:
        if sys.platform != "win32":
            raise AutostartError("The Windows start-up list exists only on Windows.")
        import subprocess
        import winreg

        try:
            with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                if enabled:
                    value = subprocess.list2cmdline(self._command)
                    winreg.SetValueEx(key, RUN_VALUE, 0, winreg.REG_SZ, value)
                else:
                    with contextlib.suppress(FileNotFoundError):
                        winreg.DeleteValue(key, RUN_VALUE)
        except OSError as exc:
            raise AutostartError(f"Could not change the Windows start-up list: {exc}.") from exc


class UnsupportedAutostart:
    """Anywhere else: say how to do it by hand rather than pretend."""

    def __init__(self, command: Sequence[str]) -> None:
        self._command = list(command)

    @property
    def where(self) -> str:
        return "not available on this system"

    def is_enabled(self) -> bool:
        return False

    def set_enabled(self, enabled: bool) -> None:
        if enabled:
            raise AutostartError("Guard Inbox cannot add itself to this system's start-up "
                                 f"programs; add this command there: {' '.join(self._command)}")


def for_platform(command: Sequence[str], *, platform: str | None = None,
                 env: Mapping[str, str] | None = None, home: Path | None = None) -> Autostart:
    """The start-up list of ``platform`` (default: this one); paths from ``env`` and ``home``."""
    platform = sys.platform if platform is None else platform
    environ = os.environ if env is None else env
    home = Path.home() if home is None else home
    if platform == "win32":
        return WindowsRunKeyAutostart(command)
    if platform == "darwin":
        return LaunchAgentAutostart(home / "Library" / "LaunchAgents", command)
    if platform.startswith(("linux", "freebsd", "openbsd", "netbsd", "dragonfly", "sunos")):
        config = environ.get("XDG_CONFIG_HOME", "")
        # The spec: a relative XDG_CONFIG_HOME is invalid and must be ignored.
        config_home = Path(config) if config and os.path.isabs(config) else home / ".config"
        return XdgAutostart(config_home, command)
    return UnsupportedAutostart(command)
