"""Shared fixtures: a fresh data dir, settings and a real Core (own Redis, own SQLite) per test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from guard_inbox.bootstrap import start_app
from guard_inbox.bootstrap.app_api import BackgroundStart, CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.ports import SourceFactory
from guard_inbox.extraction.pipeline import ExtractionPipeline
from guard_inbox.paths import AppPaths
from guard_inbox.services.sources import LocalSourceFactory
from guard_inbox.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_CORPUS = REPO_ROOT.parent / "shared" / "corpus"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak", action="store_true",
                     help="run the reliability suite at full size (make soak)")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def make_core(data_dir: Path) -> Iterator[Callable[..., Core]]:
    """Build a Core on this test's data dir; settings given as key=value overrides."""
    made: list[Core] = []

    def make(stages: str = "queue", sources: SourceFactory | None = None,
             **overrides: Any) -> Core:
        """``stages``: "queue" (database, broker, queue), "database", or "none" (nothing opened);
        ``sources`` opens the mailboxes (a fake share, say) instead of the local files."""
        paths = AppPaths(data_dir).ensure()
        settings = Settings(paths.settings_file, env={})
        for key, value in overrides.items():
            settings.override(key.replace("__", "."), value)
        core = Core(paths, settings, sources or LocalSourceFactory(), ExtractionPipeline())
        made.append(core)
        if stages == "queue":
            core.open_queue()
        elif stages == "database":
            core.open_database()
        return core

    yield make
    for core in reversed(made):
        core.close()


@pytest.fixture
def core(make_core: Callable[..., Core]) -> Core:
    return make_core()


@pytest.fixture
def api(core: Core) -> CoreApi:
    """The interface the window sees, started as bootstrap starts the app's (workers included)."""
    return CoreApi(core, start=BackgroundStart(lambda: start_app(core)))


@pytest.fixture
def shared_corpus() -> Path:
    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"the shared real-mail corpus is not at {SHARED_CORPUS}")
    return SHARED_CORPUS
