"""Shared fixtures: a fresh data dir, settings and a real Runtime (own Redis, own SQLite) per test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from guard_inbox.extraction.pipeline import ExtractionPipeline
from guard_inbox.jobs.runtime import Runtime
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
def make_runtime(data_dir: Path) -> Iterator[Callable[..., Runtime]]:
    """Build a Runtime on this test's data dir; settings given as key=value overrides."""
    made: list[Runtime] = []

    def make(**overrides: Any) -> Runtime:
        paths = AppPaths(data_dir).ensure()
        settings = Settings(paths.settings_file, env={})
        for key, value in overrides.items():
            settings.override(key.replace("__", "."), value)
        runtime = Runtime(paths, settings, LocalSourceFactory(), ExtractionPipeline())
        made.append(runtime)
        return runtime

    yield make
    for runtime in reversed(made):
        runtime.close()


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime()


@pytest.fixture
def shared_corpus() -> Path:
    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"the shared real-mail corpus is not at {SHARED_CORPUS}")
    return SHARED_CORPUS
