"""`guard-inbox accounts rename|pause|resume|locate|remove` and the one meaning of codes found.

In process, through the same ``Cli`` and ``CoreApi`` bootstrap builds, on a real SQLite file
(the accounts command opens the database alone, no Redis).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from guard_inbox.bootstrap.app_api import CoreApi
from guard_inbox.bootstrap.core import Core
from guard_inbox.cli import Cli, parse
from guard_inbox.domain.models import AccountKind, AccountStatus, FoundCode, JobState, MailMessage
from mailgen import write_mbox


class Run:
    def __init__(self, api: CoreApi) -> None:
        self.api = api

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        status = Cli(self.api, out, err).run(parse(list(argv)))
        return status, out.getvalue(), err.getvalue()

    def accounts(self) -> list[dict[str, object]]:
        status, out, _ = self("accounts", "list", "--json")
        assert status == 0
        listed: list[dict[str, object]] = json.loads(out)
        return listed


@pytest.fixture
def core(make_core: Callable[..., Core]) -> Core:
    return make_core(stages="database")


@pytest.fixture
def run(core: Core) -> Run:
    return Run(CoreApi(core))


def scanned(core: Core, path: Path, codes: list[str]) -> int:
    """An account whose finished scan stored ``codes`` (one message each)."""
    account = core.repository.add_account(AccountKind.MBOX, str(path), path.name)
    job = core.job_repository.create(account.id, 100, "manual")
    results = [(MailMessage(f"m{i}@{path.name}", subject=f"Offer {i}",
                            date=datetime(2026, 3, 1, tzinfo=UTC)), [FoundCode(c, "Shop")])
               for i, c in enumerate(codes)]
    found, new = core.repository.record_scan_results(account.id, job.id, results)
    core.job_repository.progress(job.id, len(codes), len(codes), found, new)
    core.job_repository.finish(job.id, JobState.COMPLETED)
    return account.id


def test_rename_pause_and_resume_show_in_the_list(core: Core, run: Run, tmp_path: Path) -> None:
    scanned(core, tmp_path / "takeout.mbox", ["A10"])

    assert run("accounts", "rename", "takeout.mbox", "Old Takeout")[0] == 0
    assert run("accounts", "pause", "Old Takeout") == (
        0, "Paused Old Takeout: scheduled scans leave it out.\n", "")
    [listed] = run.accounts()
    assert (listed["name"], listed["paused"]) == ("Old Takeout", True)
    _, text, _ = run("accounts", "list")
    assert "Old Takeout" in text and "paused" in text and str(tmp_path / "takeout.mbox") in text

    assert run("accounts", "resume", "OLD TAKEOUT")[0] == 0  # names in either case
    [listed] = run.accounts()
    assert listed["paused"] is False
    assert run("accounts", "rename", f"#{listed['id']}", "")[0] == 0  # back to the address
    assert run.accounts()[0]["name"] == str(tmp_path / "takeout.mbox")


def test_remove_keeping_the_codes_leaves_them_listed(core: Core, run: Run, tmp_path: Path) -> None:
    demo = scanned(core, tmp_path / "demo.mbox", ["DEMO1", "DEMO2"])
    scanned(core, tmp_path / "real.mbox", ["REAL1"])

    status, out, _ = run("accounts", "remove", "demo.mbox", "--keep-codes")

    assert (status, out) == (0, "Removed demo.mbox; its 2 codes stay in the list.\n")
    assert [a["address"] for a in run.accounts()] == [str(tmp_path / "real.mbox")]
    assert sorted(c.code for c in core.queries.codes()) == ["DEMO1", "DEMO2", "REAL1"]
    removed = core.repository.get_account(demo)
    assert removed is not None and removed.removed
    # Added again later, it comes back with its codes.
    core.repository.add_account(AccountKind.MBOX, str(tmp_path / "demo.mbox"))
    assert {a["address"]: a["codes"] for a in run.accounts()}[str(tmp_path / "demo.mbox")] == 2


def test_remove_without_keeping_deletes_its_codes_and_jobs(core: Core, run: Run,
                                                           tmp_path: Path) -> None:
    scanned(core, tmp_path / "demo.mbox", ["DEMO1", "DEMO2"])
    scanned(core, tmp_path / "real.mbox", ["REAL1"])

    status, out, _ = run("accounts", "remove", "demo.mbox")

    assert (status, out) == (0, "Removed demo.mbox; its 2 codes were deleted.\n")
    assert [c.code for c in core.queries.codes()] == ["REAL1"]
    assert [j.account_label for j in core.queries.recent_jobs()] == ["real.mbox"]


def test_locate_points_a_moved_mailbox_back_and_clears_its_problem(core: Core, run: Run,
                                                                   tmp_path: Path) -> None:
    old, new = tmp_path / "usb" / "mail.mbox", tmp_path / "home" / "mail.mbox"
    old.parent.mkdir()
    new.parent.mkdir()
    write_mbox(new, 3)
    account = scanned(core, old, ["A10"])
    core.repository.set_account_status(account, AccountStatus.UNAVAILABLE, "not available")
    assert run.accounts()[0]["status"] == "unavailable"

    status, out, _ = run("accounts", "locate", "mail.mbox", str(new))

    assert status == 0 and f"now reads {new}" in out
    [listed] = run.accounts()
    assert (listed["address"], listed["status"], listed["codes"]) == (str(new), "ok", 1)
    assert run("accounts", "locate", "mail.mbox", str(tmp_path / "nothing.mbox"))[0] == 1


def test_unknown_and_ambiguous_accounts_are_told_apart(core: Core, run: Run,
                                                       tmp_path: Path) -> None:
    first = scanned(core, tmp_path / "a" / "mail.mbox", [])
    second = scanned(core, tmp_path / "b" / "mail.mbox", [])

    assert run("accounts", "pause", "nope") == (
        1, "", "guard-inbox: No account 'nope'. `guard-inbox accounts list` shows them.\n")
    status, _, err = run("accounts", "remove", "mail.mbox")
    assert status == 1 and f"name one by its id (#{first}, #{second})" in err
    assert len(run.accounts()) == 2  # nothing removed on a guess


def test_jobs_count_unique_codes_new_and_known(core: Core, run: Run, tmp_path: Path) -> None:
    account = scanned(core, tmp_path / "m.mbox", ["A10", "a10", "B10"])
    again = core.job_repository.create(account, 100, "manual")
    results = [(MailMessage(f"n{i}"), [FoundCode(c, "Shop")])
               for i, c in enumerate(["A10", "C10", "C10", "A10"])]
    found, new = core.repository.record_scan_results(account, again.id, results)
    core.job_repository.progress(again.id, 4, 4, found, new)

    _, text, _ = run("jobs")

    newest, first = text.splitlines()
    assert "2 codes (1 new)" in newest  # A10 known, C10 new: each once
    assert "2 codes (2 new)" in first  # A10 twice in any case is one code
    assert sum(a["codes"] for a in run.accounts()) == 3  # what the sidebar says
