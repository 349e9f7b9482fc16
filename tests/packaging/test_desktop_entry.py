"""The Linux launcher entry validates and `make install-desktop` puts it where launchers look."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ROOT / "packaging" / "linux" / "guard-inbox.desktop"
INSTALLER = ROOT / "packaging" / "linux" / "install_desktop.py"


def read_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate missing (Debian package desktop-file-utils; "
                           "`make test` installs it as root)")
def test_desktop_file_validate_is_clean() -> None:
    result = subprocess.run(["desktop-file-validate", str(ENTRY)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_entry_launches_the_gui_script_with_our_icon() -> None:
    entry = read_entry(ENTRY)
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "guard-inbox-gui"
    assert entry["Icon"] == "guard-inbox"
    assert entry["Terminal"] == "false"


def test_install_and_remove_for_the_current_user(tmp_path: Path) -> None:
    data_home = tmp_path / "share"
    gui = tmp_path / "my $venv" / "bin" / "guard-inbox-gui"  # characters Exec= must quote
    gui.parent.mkdir(parents=True)
    gui.write_text("#!/bin/sh\n")
    run = [sys.executable, str(INSTALLER), "--data-home", str(data_home)]
    subprocess.run([*run, "--exec", str(gui)], check=True, capture_output=True)

    installed = data_home / "applications" / "guard-inbox.desktop"
    entry = read_entry(installed)
    assert entry["Exec"] == '"' + str(gui).replace("$", "\\\\$") + '"'  # "…my \\$venv…"
    assert entry["TryExec"] == str(gui)
    if shutil.which("desktop-file-validate"):
        result = subprocess.run(["desktop-file-validate", str(installed)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout
    icons = data_home / "icons" / "hicolor"
    assert (icons / "scalable" / "apps" / "guard-inbox.svg").is_file()
    for size in (16, 32, 48, 128, 256):
        png = icons / f"{size}x{size}" / "apps" / "guard-inbox.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png

    subprocess.run([*run, "--remove"], check=True, capture_output=True)
    assert not installed.exists()
    assert not list(icons.rglob("guard-inbox.*"))
