"""`codes` and `export` in-process on a real SQLite file: header row, filters, the used state."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from guard_inbox.bootstrap.app_api import CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.cli import Cli, parse
from guard_inbox.domain.models import AccountKind, CodeQuery, FoundCode, MailMessage

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def core(make_core: Callable[..., Core]) -> Core:
    core = make_core(stages="database")
    repo = core.repository
    account = repo.add_account(AccountKind.MBOX, "/m.mbox")
    job = core.job_repository.create(account.id, 100, "manual")
    codes = [
        FoundCode("ZIMA15", "Górski Sport", "15% off", expires=NOW + timedelta(days=2)),
        FoundCode("LATER30", "Zalando", "30% off", expires=NOW + timedelta(days=20)),
        FoundCode("OLD5", "Zalando", "5 off", expires=NOW - timedelta(days=3)),
        FoundCode("USED10", "Allegro", "10 zł"),
    ]
    repo.record_scan_results(account.id, job.id, [
        (MailMessage(provider_id=f"m{n}", date=NOW - timedelta(hours=n)), [code])
        for n, code in enumerate(codes)
    ])
    (used,) = repo.code_ids(CodeQuery(search="used10"))
    repo.set_code_used(used, True)
    return core


@pytest.fixture
def api(core: Core) -> CoreApi:
    return CoreApi(core)


def run(api: CoreApi, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = Cli(api, out, err).run(parse(list(argv)))
    return status, out.getvalue(), err.getvalue()


def listed(api: CoreApi, *argv: str) -> list[str]:
    status, out, err = run(api, "codes", "--json", *argv)
    assert status == 0, err
    return [c["code"] for c in json.loads(out)]


def test_codes_prints_a_header_row_and_the_used_state(api: CoreApi) -> None:
    status, out, _ = run(api, "codes")
    lines = out.splitlines()
    assert status == 0 and lines[0].split() == ["CODE", "SHOP", "DISCOUNT", "EXPIRES", "USED"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"ZIMA15", "LATER30", "OLD5", "USED10"}
    assert rows["USED10"].endswith("yes") and rows["ZIMA15"].endswith("no")
    assert (NOW + timedelta(days=2)).date().isoformat() in rows["ZIMA15"]
    assert lines[0].index("SHOP") == rows["ZIMA15"].index("Górski")  # columns line up


def test_codes_json_keeps_the_used_state(api: CoreApi) -> None:
    status, out, _ = run(api, "codes", "--json")
    used = {c["code"]: c["used"] for c in json.loads(out)}
    assert status == 0 and used == {"ZIMA15": False, "LATER30": False, "OLD5": False,
                                    "USED10": True}


def test_codes_filters(api: CoreApi) -> None:
    assert listed(api, "--unused") == ["ZIMA15", "LATER30", "OLD5"]
    assert listed(api, "--used") == ["USED10"]
    assert listed(api, "--expiring") == ["ZIMA15"]  # the setting's 3 days
    assert listed(api, "--expiring", "30") == ["ZIMA15", "LATER30"]
    assert listed(api, "--shop", "gorski") == ["ZIMA15"]
    assert listed(api, "--search", "ZALANDO 30") == ["LATER30"]
    assert listed(api, "--hide-expired", "--shop", "zalando") == ["LATER30"]
    assert listed(api, "--account", "999") == []


def test_the_expiring_filter_follows_the_notification_setting(core: Core, api: CoreApi) -> None:
    core.settings.override("notify.expiring_days", 1)
    assert listed(api, "--expiring") == []
    core.settings.override("notify.expiring_days", 30)
    assert listed(api, "--expiring") == ["ZIMA15", "LATER30"]


def test_nothing_matching_says_so_on_stderr(api: CoreApi) -> None:
    status, out, err = run(api, "codes", "--shop", "nowhere")
    assert (status, out, err.strip()) == (0, "", "No codes match.")


def test_status_filters_exclude_each_other() -> None:
    with pytest.raises(SystemExit):
        parse(["codes", "--used", "--unused"])


def test_export_writes_the_used_column_and_takes_the_same_filters(api: CoreApi, tmp_path: Path) -> None:
    target = tmp_path / "codes.csv"
    status, out, _ = run(api, "export", str(target), "--unused", "--hide-expired")
    assert status == 0 and out.strip() == f"Exported 2 codes to {target}"
    everything = tmp_path / "all.csv"
    assert run(api, "export", str(everything))[0] == 0
    with everything.open(encoding="utf-8-sig", newline="") as handle:
        rows = {r["code"]: r for r in csv.DictReader(handle)}
    assert {code: r["used"] for code, r in rows.items()} == {
        "ZIMA15": "no", "LATER30": "no", "OLD5": "no", "USED10": "yes"}
