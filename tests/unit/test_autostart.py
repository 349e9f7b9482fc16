"""Start at login: real entries written in a temp XDG config dir (and LaunchAgents folder)."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from guard_inbox.autostart import (
    AutostartError,
    LaunchAgentAutostart,
    UnsupportedAutostart,
    WindowsRunKeyAutostart,
    XdgAutostart,
    desktop_exec,
    for_platform,
    launch_command,
)

COMMAND = ["/opt/Guard Inbox/bin/guard-inbox-gui", "--data-dir", '/home/me/100% "codes"$x\\y']


def read_entry(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if line)


def exec_argv(value: str) -> list[str]:
    """The Desktop Entry spec's reading, step by step: the string escapes (a doubled backslash
    is one), then arguments split at spaces outside double quotes, where a backslash escapes
    $ ` " and itself; then %% is a literal %."""
    text = value.replace("\\\\", "\\")
    args: list[str] = []
    current, quoted, i, started = "", False, 0, False
    while i < len(text):
        char = text[i]
        if quoted and char == "\\" and text[i + 1] in '$`"\\':
            current, i = current + text[i + 1], i + 2
            continue
        if char == '"':
            quoted, started = not quoted, True
        elif char == " " and not quoted:
            if started:
                args.append(current)
            current, started = "", False
        else:
            current, started = current + char, True
        i += 1
    if started:
        args.append(current)
    return [arg.replace("%%", "%") for arg in args]


def test_enabling_writes_an_xdg_autostart_entry_that_starts_this_command(tmp_path: Path) -> None:
    config = tmp_path / "config"
    autostart = for_platform(COMMAND, platform="linux", env={"XDG_CONFIG_HOME": str(config)},
                             home=tmp_path / "home")
    assert isinstance(autostart, XdgAutostart)
    assert not autostart.is_enabled()
    autostart.set_enabled(True)
    entry_file = config / "autostart" / "guard-inbox.desktop"
    assert autostart.where == str(entry_file) and entry_file.is_file()
    entry = read_entry(entry_file)
    assert entry["Type"] == "Application" and entry["Name"] == "Guard Inbox"
    assert exec_argv(entry["Exec"]) == COMMAND
    assert oct(entry_file.stat().st_mode & 0o777) == oct(0o644)
    assert autostart.is_enabled()
    assert [p.name for p in entry_file.parent.iterdir()] == ["guard-inbox.desktop"]  # no temp left


def test_disabling_removes_the_entry_and_is_idempotent(tmp_path: Path) -> None:
    autostart = XdgAutostart(tmp_path, COMMAND)
    autostart.set_enabled(True)
    autostart.set_enabled(False)
    assert not autostart.path.exists() and not autostart.is_enabled()
    autostart.set_enabled(False)  # nothing there: still fine


@pytest.mark.parametrize("switch_off", ["Hidden=true", "X-GNOME-Autostart-enabled=false"])
def test_an_entry_switched_off_by_the_desktop_counts_as_off(tmp_path: Path, switch_off: str) -> None:
    autostart = XdgAutostart(tmp_path, COMMAND)
    autostart.set_enabled(True)
    text = autostart.path.read_text().replace("X-GNOME-Autostart-enabled=true", "")
    autostart.path.write_text(text + switch_off + "\n")
    assert not autostart.is_enabled()
    autostart.set_enabled(True)  # switching on again rewrites it
    assert autostart.is_enabled()


def test_xdg_config_home_unset_or_relative_falls_back_to_dot_config(tmp_path: Path) -> None:
    for env in ({}, {"XDG_CONFIG_HOME": "relative/config"}):
        autostart = for_platform(COMMAND, platform="linux", env=env, home=tmp_path)
        assert isinstance(autostart, XdgAutostart)
        assert autostart.path == tmp_path / ".config" / "autostart" / "guard-inbox.desktop"


def test_an_unusable_autostart_folder_gives_a_sentence_naming_it(tmp_path: Path) -> None:
    (tmp_path / "autostart").write_text("a file where the folder should be")
    autostart = XdgAutostart(tmp_path, COMMAND)
    with pytest.raises(AutostartError, match="Could not write .*guard-inbox.desktop"):
        autostart.set_enabled(True)
    assert not autostart.is_enabled()


def test_macos_gets_a_launch_agent_that_runs_at_load(tmp_path: Path) -> None:
    autostart = for_platform(COMMAND, platform="darwin", env={}, home=tmp_path)
    assert isinstance(autostart, LaunchAgentAutostart)
    autostart.set_enabled(True)
    agent_file = tmp_path / "Library" / "LaunchAgents" / "org.guard-inbox.app.plist"
    agent = plistlib.loads(agent_file.read_bytes())
    assert agent["ProgramArguments"] == COMMAND and agent["RunAtLoad"] is True
    assert autostart.is_enabled()
    autostart.set_enabled(False)
    assert not agent_file.exists() and not autostart.is_enabled()


def test_windows_uses_the_run_key_and_elsewhere_says_what_to_do(tmp_path: Path) -> None:
    windows = for_platform(COMMAND, platform="win32", env={}, home=tmp_path)
    assert isinstance(windows, WindowsRunKeyAutostart)
    assert windows.where.endswith(r"CurrentVersion\Run\Guard Inbox")
    other = for_platform(COMMAND, platform="plan9", env={}, home=tmp_path)
    assert isinstance(other, UnsupportedAutostart) and not other.is_enabled()
    with pytest.raises(AutostartError, match="add this command there: /opt/Guard Inbox"):
        other.set_enabled(True)
    other.set_enabled(False)  # turning off what cannot be on is no error
    if sys.platform != "win32":
        with pytest.raises(AutostartError, match="only on Windows"):
            windows.set_enabled(True)


def test_plain_arguments_stay_unquoted() -> None:
    assert desktop_exec(["/usr/bin/guard-inbox-gui"]) == "/usr/bin/guard-inbox-gui"


def test_launch_command_passes_on_a_data_dir_that_is_not_the_default(tmp_path: Path) -> None:
    default = tmp_path / "default"
    env = {"GUARD_INBOX_DATA_DIR": str(default)}
    assert "--data-dir" not in launch_command(default, env)
    command = launch_command(tmp_path / "elsewhere", env)
    assert command[-2:] == ["--data-dir", str(tmp_path / "elsewhere")]
    assert Path(command[0]).exists()  # this checkout's gui script, or the interpreter with -m


def test_an_appimage_starts_from_its_own_file_not_its_temporary_mount(tmp_path: Path) -> None:
    image = str(tmp_path / "Guard_Inbox-x86_64.AppImage")
    env = {"APPIMAGE": image, "GUARD_INBOX_DATA_DIR": str(tmp_path / "d")}
    assert launch_command(tmp_path / "d", env) == [image]


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate missing (Debian package desktop-file-utils)")
def test_the_autostart_entry_passes_desktop_file_validate(tmp_path: Path) -> None:
    autostart = XdgAutostart(tmp_path, COMMAND)
    autostart.set_enabled(True)
    result = subprocess.run(["desktop-file-validate", str(autostart.path)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
