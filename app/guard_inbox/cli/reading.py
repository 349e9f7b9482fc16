"""`jobs`, `stats`, `codes`, `export` and `extract`: commands that read and never change a job."""

from __future__ import annotations

import argparse
import json

from guard_inbox.cli.output import Console, code_dict, job_dict
from guard_inbox.services.api import AppApi


def run_jobs(api: AppApi, console: Console, args: argparse.Namespace) -> int:
    jobs = api.recent_jobs()
    if args.json:
        console.json([job_dict(j) for j in jobs])
        return 0
    for j in jobs:
        console.say(f"{j.id:>5}  {j.state.value:<11} {j.scanned:>6}/{j.total:<6} "
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


def run_codes(api: AppApi, console: Console, args: argparse.Namespace) -> int:
    codes = api.codes()
    if args.json:
        console.json([code_dict(c) for c in codes])
        return 0
    for c in codes:
        expires = c.expires.date().isoformat() if c.expires else "-"
        console.say(f"{c.code:<20} {c.merchant:<24} {c.discount:<20} {expires}")
    return 0


def run_export(api: AppApi, console: Console, args: argparse.Namespace) -> int:
    count = api.export_csv(args.file)
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
