"""Fixtures of the window tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from guard_inbox.bootstrap.app_api import CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.ui.main_window import MainWindow
from window_kit import open_window


@pytest.fixture
def window(qtbot: QtBot, api: CoreApi, core: Core, tmp_path: Path) -> Iterator[MainWindow]:
    window = open_window(qtbot, api, core.settings, tmp_path)
    yield window
    window.shutdown()
