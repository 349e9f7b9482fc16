"""CSV export: spreadsheet formulas are neutralised and non-ASCII survives a round trip."""

from __future__ import annotations

import csv
import io
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from guard_inbox.domain.models import StoredCode
from guard_inbox.services.export import COLUMNS, FORMULA_SIGNS, neutralise, write_csv


@pytest.mark.parametrize("cell", ["=1+1", "+SUM(A1)", "-2", "@cmd", " =1", "\u3000@x", "＝1"])
def test_formula_leading_cells_are_neutralised(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize(("cell", "safe"), [
    ("Sale;=cmd|' /C calc'!A0;end", "Sale;'=cmd|' /C calc'!A0;end"),
    ("Shop;=2+3;x", "Shop;'=2+3;x"),
    ("Buy 2, +1 free", "Buy 2,' +1 free"),
    ("a;\t@SUM(1)", "a;' @SUM(1)"),
    ("line\r\n=1+1", "line =1+1"),
    ("\t=1+1", "' =1+1"),
    ("one\rtwo\nthree\tfour", "one two three four"),
])
def test_every_piece_a_reader_could_split_off_is_neutralised(cell: str, safe: str) -> None:
    assert neutralise(cell) == safe


def test_formula_signs_are_every_character_that_folds_to_one() -> None:
    folds = {chr(i) for i in range(sys.maxunicode + 1)
             if unicodedata.normalize("NFKC", chr(i)) in ("=", "+", "-", "@")}
    assert set(FORMULA_SIGNS) == folds


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_no_field_is_live_whichever_separator_the_spreadsheet_uses(
    tmp_path: Path, delimiter: str
) -> None:
    hostile = ["Sale;=cmd|' /C calc'!A0;end", "Shop;=2+3;x", "x,@SUM(1)", "tab\t=1", "a\n-1"]
    codes = [StoredCode(id=i, account_id=1, code=h, merchant=h, discount=h, subject=h, sender=h,
                        message_id=f"<{i}>") for i, h in enumerate(hostile)]
    target = tmp_path / "codes.csv"
    write_csv(codes, target)
    text = target.read_text(encoding="utf-8-sig")
    assert all(line.startswith('"') and line.endswith('"') for line in text.splitlines())
    fields = [f for row in csv.reader(io.StringIO(text), delimiter=delimiter) for f in row]
    naive = [piece for line in text.splitlines() for piece in line.split(delimiter)]
    for value in fields + naive:
        lead = unicodedata.normalize("NFKC", value.strip().lstrip('"').lstrip())[:1]
        assert lead not in ("=", "+", "-", "@"), value


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
