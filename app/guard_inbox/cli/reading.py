"""`jobs`, `stats`, `codes`, `export` and `extract`: commands that read and never change a job."""

from __future__ import annotations

import argparse
import json

from guard_inbox.cli.output import Console, code_dict, job_dict
from guard_inbox.domain.models import CodeQuery, StoredCode
from guard_inbox.services.api import AppApi

_TABLE_LIMITS = (40, 30, 30, 10, 4)  # widest code, shop, discount, date, used


def run_jobs(api: AppApi, console: Console, args: argparse.Namespace) -> int:
    jobs = api.recent_jobs()
    if args.json:
        console.json([job_dict(j) for j in jobs])
        return 0
    for j in jobs:
        total = str(j.total) if j.total or j.state.is_final else "?"  # still being listed
        console.say(f"{j.id:>5}  {j.state.value:<11} {j.scanned:>6}/{total:<6} "
                    f"{j.codes_summary:<18} {j.account_label}  {j.error}")
    return 0


def run_stats(api: AppApi, console: Console, args: argparse.Namespace) -> int:
    stats = api.queue_stats().to_dict()
    if args.json:
        console.json(stats)
        return 0
    for key, value in stats.items():
        console.say(f"{key.replace('_', ' '):<14} {value}")
    return 0


def code_query(args: argparse.Namespace) -> CodeQuery:
    """The filters of `codes` and `export` (cli/parser.py::add_code_filters) as one query."""
    status, days, sort, descending = "all", None, "first_seen", True
    if args.unused:
        status = "unused"
    elif args.used:
        status = "used"
    elif args.expiring is not None:
        status, sort, descending = "expiring", "expires", False
        days = None if args.expiring < 0 else args.expiring
    return CodeQuery(search=args.search, status=status, expiring_days=days, sort=sort,
                     descending=descending, include_expired=not args.hide_expired,
                     shop=args.shop, account_id=args.account)


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def code_table(codes: list[StoredCode]) -> list[str]:
    """A header row, then one aligned row per code; long shops and discounts are cut with …."""
    rows = [("CODE", "SHOP", "DISCOUNT", "EXPIRES", "USED")]
    rows += [(c.code, c.merchant, c.discount, c.expires.date().isoformat() if c.expires else "-",
              "yes" if c.used else "no") for c in codes]
    widths = [min(max(len(row[i]) for row in rows), limit)
              for i, limit in enumerate(_TABLE_LIMITS)]
    return ["  ".join(_cell(cell, w).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def run_codes(api: AppApi, console: Console, args: argparse.Namespace) -> int:
    codes = api.codes(code_query(args))
    if args.json:
        console.json([code_dict(c) for c in codes])
        return 0
    if not codes:
        console.tell("No codes match." if _filtered(args) else "No codes yet: scan a mailbox first.")
        return 0
    for line in code_table(codes):
        console.say(line)
    return 0


def _filtered(args: argparse.Namespace) -> bool:
    return bool(args.unused or args.used or args.expiring is not None or args.shop or args.search
                or args.hide_expired or args.account is not None)


def run_export(api: AppApi, console: Console, args: argparse.Namespace) -> int:
    count = api.export_csv(args.file, code_query(args))
    console.say(f"Exported {count} codes to {args.file}")
    return 0


def run_extract(api: AppApi, console: Console, args: argparse.Namespace) -> int:
    status = 0
    for path in args.files:
        try:
            found = api.extract_file(path)
        except OSError as exc:
            console.tell(f"guard-inbox: cannot read {path}: {exc.strerror or exc}")
            status = 1
            continue
        codes = [
            {
                "code": c.code, "discount": c.discount or None,
                "expires": c.expires.isoformat() if c.expires else None,
                "min_spend": c.min_spend or None, "merchant": c.merchant or None,
                "link": c.link or None, "source": c.source,
            }
            for c in found
        ]
        if args.json:
            console.say(json.dumps({"file": str(path), "codes": codes}, ensure_ascii=False))
        else:
            console.say(f"{path}: " + (", ".join(str(c["code"]) for c in codes) or "no codes"))
    return status
