"""Install (or remove) the launcher entry and hicolor icons for the current user.

``make install-desktop`` calls this with the venv's ``guard-inbox-gui`` so the app shows up in
the desktop's launcher and opens with one click. Standard library only: it must run before
(and without) the app's own dependencies.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DESKTOP_FILE = Path(__file__).resolve().parent / "guard-inbox.desktop"
APP_ID = "guard-inbox"


RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def exec_argument(path: str) -> str:
    """Quote a path for Exec= the way the Desktop Entry spec says (not the shell's way).

    Reserved characters need double quotes; inside them ", `, $ and \\ take a backslash; the
    value is then a desktop-file string, where a backslash is written twice; % is doubled.
    """
    path = path.replace("%", "%%")
    if not RESERVED.intersection(path):
        return path
    inner = "".join("\\" + c if c in '"`$\\' else c for c in path)
    return '"' + inner.replace("\\", "\\\\") + '"'


def desktop_entry(exec_path: str) -> str:
    """The committed entry with Exec/TryExec pointing at this installation."""
    quoted = exec_argument(exec_path)
    replacements = {"Exec": f"Exec={quoted}", "TryExec": f"TryExec={exec_path}"}
    lines = [replacements.get(line.partition("=")[0], line)
             for line in DESKTOP_FILE.read_text(encoding="utf-8").splitlines()]
    return "\n".join(lines) + "\n"


def icon_files(data_home: Path) -> list[tuple[Path, Path]]:
    pairs = [(ROOT / "resources" / "icons" / f"{APP_ID}.svg",
              data_home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg")]
    for png in sorted((ROOT / "resources" / "hicolor").glob(f"*/apps/{APP_ID}.png")):
        size = png.parent.parent.name
        pairs.append((png, data_home / "icons" / "hicolor" / size / "apps" / f"{APP_ID}.png"))
    return pairs


def refresh_caches(data_home: Path) -> None:
    """Best effort: desktops that cache launchers and icons pick the change up at once."""
    for command in (["update-desktop-database", str(data_home / "applications")],
                    ["gtk-update-icon-cache", "-q", "-t", str(data_home / "icons" / "hicolor")]):
        if shutil.which(command[0]):
            subprocess.run(command, check=False, capture_output=True)


def install(exec_path: str, data_home: Path) -> None:
    if not Path(exec_path).exists():
        sys.exit(f"install-desktop: {exec_path} does not exist (run `make run` or `make venv` first).")
    entry = data_home / "applications" / f"{APP_ID}.desktop"
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(desktop_entry(exec_path), encoding="utf-8")
    entry.chmod(0o644)
    for source, target in icon_files(data_home):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    refresh_caches(data_home)
    print(f"Installed {entry} and {len(icon_files(data_home))} icons; "
          "Guard Inbox is in your launcher.")


def remove(data_home: Path) -> None:
    targets = [data_home / "applications" / f"{APP_ID}.desktop"]
    targets += [target for _, target in icon_files(data_home)]
    for target in targets:
        target.unlink(missing_ok=True)
    refresh_caches(data_home)
    print("Removed the Guard Inbox launcher entry and icons.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--exec", dest="exec_path", help="absolute path of guard-inbox-gui")
    parser.add_argument("--data-home", type=Path, default=Path.home() / ".local" / "share",
                        help="XDG_DATA_HOME (default ~/.local/share)")
    parser.add_argument("--remove", action="store_true", help="uninstall instead")
    args = parser.parse_args(argv)
    if args.remove:
        remove(args.data_home)
    elif not args.exec_path:
        parser.error("--exec is required to install")
    else:
        install(args.exec_path, args.data_home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
