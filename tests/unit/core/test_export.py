"""CSV export: spreadsheet formulas are neutralised and non-ASCII survives a round trip."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from guard_inbox.domain.models import StoredCode
from guard_inbox.services.export import COLUMNS, neutralise, write_csv


@pytest.mark.parametrize("cell", ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tTAB", "\rCR"])
def test_formula_leading_cells_are_neutralised(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["SAVE20", "20% off", "Café Müller", ""])
def test_ordinary_cells_are_untouched(cell: str) -> None:
    assert neutralise(cell) == cell


def test_csv_round_trips_utf8_with_bom_and_neutralised_cells(tmp_path: Path) -> None:
    code = StoredCode(
        id=1, account_id=1, code="=HYPERLINK(\"http://x\")", merchant="Café Zürich ☕",
        discount="-20 €", expires=datetime(2026, 12, 31, tzinfo=UTC),
        first_seen=datetime(2026, 1, 2, tzinfo=UTC), subject="Ñandú sale", sender="a@b.example",
        message_id="<m1@x>",
    )
    target = tmp_path / "out" / "codes.csv"
    assert write_csv([code], target) == 1
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the BOM
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == COLUMNS
    assert rows[1][0] == "'=HYPERLINK(\"http://x\")"
    assert rows[1][1] == "Café Zürich ☕"
    assert rows[1][2] == "'-20 €"
    assert rows[1][3] == "2026-12-31T00:00:00+00:00"
    assert not list(tmp_path.joinpath("out").glob(".export-*"))  # no temp file left behind
