"""`make run` on a fresh Linux machine opens a real window: Qt's xcb platform finds every library.

The Makefile's APP_PACKAGES list is what a fresh Debian machine lacks; these tests fail when
PySide6 starts linking against a library that list does not install (as libxcb-cursor0 and
libxcb-icccm4 once were), and when the window does not open on a real X server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/xcb is Linux's")

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("guard-inbox")


def qt_dir() -> Path:
    import PySide6

    return Path(PySide6.__file__).parent / "Qt"


def xcb_libraries() -> list[Path]:
    """The xcb platform plugin, its GL integrations and the Qt library they load."""
    qt = qt_dir()
    found = [qt / "plugins" / "platforms" / "libqxcb.so",
             *sorted((qt / "plugins" / "xcbglintegrations").glob("*.so")),
             *sorted((qt / "lib").glob("libQt6XcbQpa.so*"))]
    return [path for path in found if path.exists()]


@pytest.mark.skipif(shutil.which("ldd") is None, reason="ldd missing")
def test_every_library_the_xcb_platform_links_against_is_installed() -> None:
    libraries = xcb_libraries()
    assert any(p.name == "libqxcb.so" for p in libraries), "PySide6 ships no xcb plugin?"
    missing = {}
    for library in libraries:
        out = subprocess.run(["ldd", str(library)], capture_output=True, text=True, check=True).stdout
        lost = sorted({line.split()[0] for line in out.splitlines() if "not found" in line})
        if lost:
            missing[library.name] = lost
    assert not missing, (
        f"Qt's xcb platform cannot load: {missing}. Add the Debian packages that provide them "
        "to APP_PACKAGES in the Makefile (apt-file search NAME)."
    )


@pytest.fixture
def x_display() -> Iterator[str]:
    """A private Xvfb on a display number it picks itself (-displayfd), so no clash."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb missing (Debian package xvfb; `make test` installs it as root)")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as reader:
        number = reader.readline().strip()
    try:
        if not number:
            pytest.fail("Xvfb did not start")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_window_opens_on_a_real_x_server(x_display: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "WAYLAND"))}
    env.update(DISPLAY=x_display, QT_QPA_PLATFORM="xcb", GUARD_INBOX_DATA_DIR=str(data))
    result = subprocess.run([str(SCRIPT), "--self-test"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Could not load the Qt platform plugin" not in result.stderr
    log = (data / "logs" / "guard-inbox.log").read_text(encoding="utf-8")
    assert "Self-test: window shown on xcb" in log, log[-2000:]
