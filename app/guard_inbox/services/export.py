"""CSV export that opens cleanly in Excel and cannot smuggle formulas into it."""

from __future__ import annotations

import csv
import os
import tempfile
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from guard_inbox.domain.models import StoredCode

COLUMNS = ("code", "merchant", "discount", "expires", "first seen", "subject", "sender", "message id")
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n")
_FORMULA_SIGNS = ("=", "+", "-", "@")


def neutralise(cell: str) -> str:
    """OWASP CSV-injection advice: prefix a quote to cells a spreadsheet would evaluate.

    Also when the sign comes after leading whitespace (LibreOffice can trim it on import) or is
    a full-width / small form (＝ ＋ － ＠ ﹦) that folds to ASCII (NFKC).
    """
    if cell.startswith(_FORMULA_LEADS):
        return "'" + cell
    if unicodedata.normalize("NFKC", cell.lstrip()[:1]).startswith(_FORMULA_SIGNS):
        return "'" + cell
    return cell


def _when(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def row_for(code: StoredCode) -> list[str]:
    cells = [
        code.code, code.merchant, code.discount, _when(code.expires), _when(code.first_seen),
        code.subject, code.sender, code.message_id,
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
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for code in codes:
                writer.writerow(row_for(code))
                count += 1
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count
