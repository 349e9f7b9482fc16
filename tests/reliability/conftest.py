"""Reliability suite: quick by default (`make test`), full with ``--soak`` (`make soak`).

Every test reports its figures through ``figures.record(...)``; with ``GI_RELIABILITY_REPORT``
set (benchmarks/reliability.py sets it) they are appended to that JSON-lines file, which the
benchmark prints as one table. Targets are asserted by the tests themselves.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

REPORT_ENV = "GI_RELIABILITY_REPORT"


@dataclass(frozen=True)
class Scale:
    """How hard to push: the quick suite keeps `make test` short, soak runs the full trials."""

    soak: bool

    def pick(self, quick: int, full: int) -> int:
        return full if self.soak else quick


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--soak"):
        return
    skip = pytest.mark.skip(reason="soak only (make soak): keeps the quick suite under 3 minutes")
    for item in items:
        if item.get_closest_marker("soak_only"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def scale(request: pytest.FixtureRequest) -> Scale:
    return Scale(soak=bool(request.config.getoption("--soak")))


class Figures:
    """Collects (area, measure, value, target) rows for benchmarks/reliability.py."""

    def __init__(self, area: str, report: Path | None) -> None:
        self.area = area
        self.report = report

    def record(self, measure: str, value: object, target: str = "") -> None:
        row = {"area": self.area, "measure": measure, "value": value, "target": target}
        print(f"[reliability] {self.area}: {measure} = {value} {target}".rstrip())
        if self.report is not None:
            with self.report.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row, default=str) + "\n")


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    area = request.node.get_closest_marker("area")
    name = str(area.args[0]) if area else request.node.module.__name__.rsplit(".", 1)[-1]
    report = os.environ.get(REPORT_ENV)
    return Figures(name, Path(report) if report else None)
