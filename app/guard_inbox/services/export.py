"""CSV export that opens cleanly in Excel and cannot smuggle formulas into it."""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from guard_inbox.domain.models import StoredCode

COLUMNS = ("code", "merchant", "discount", "expires", "used", "first seen", "subject", "sender",
           "message id")

# = + - @ and every character that NFKC folds to one of them (full-width, small form,
# superscript, subscript, Hebrew alternative plus): tests/unit/core/test_export.py recomputes it.
FORMULA_SIGNS = "=+-@\u207a\u207c\u208a\u208c\ufb29\ufe62\ufe63\ufe66\ufe6b\uff0b\uff0d\uff1d\uff20"
# A reader may split a line on any of , ; or TAB (most of Europe uses ;): each piece it could
# split off starts at the cell's start or right after one of these.
_PIECE_START = re.compile(rf"(^|[,;])(?=\s*[{re.escape(FORMULA_SIGNS)}])")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\t]")


def neutralise(cell: str) -> str:
    """No piece of the cell can start a formula, whichever of , ; TAB a spreadsheet splits on.

    OWASP's CSV-injection advice applied to every piece: a text marker (') goes before any
    piece that starts with a formula sign, also after leading whitespace (LibreOffice can trim
    it) and for look-alike signs that fold to ASCII. CR, LF and TAB become spaces, so a cell
    never spans lines or columns whatever the reader's quoting rules.
    """
    flat = _LINE_BREAKS.sub(" ", cell)
    return _PIECE_START.sub(lambda m: m.group(1) + "'", flat)


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def row_for(code: StoredCode) -> list[str]:
    cells = [
        code.code, code.merchant, code.discount, _when(code.expires), "yes" if code.used else "no",
        _when(code.first_seen), code.subject, code.sender, code.message_id,
    ]
    return [neutralise(c) for c in cells]


def write_csv(codes: Iterable[StoredCode], target: Path) -> int:
    """Write atomically (temp file + rename); returns the number of rows.

    UTF-8 with a BOM so Excel picks the right encoding for non-ASCII merchants.
    """
    target = target.expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".export-", suffix=".csv")
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, quoting=csv.QUOTE_ALL)  # no cell reads as two
            writer.writerow(COLUMNS)
            for code in codes:
                writer.writerow(row_for(code))
                count += 1
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count
