"""The accounts sidebar's context menu, its missing-mailbox fix, the self-updating "scanned N min
ago", the jobs table's account names and code counts, and what Scan Now says it scans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from guard_inbox.domain.models import Account, AccountKind, AccountStatus, Job, JobEvent, JobState
from guard_inbox.services.api import Changes
from guard_inbox.ui import scan_scope
from guard_inbox.ui.models.jobs_model import ACCOUNT, CODES, STATUS, JobsModel
from guard_inbox.ui.views.accounts_panel import AccountsPanel

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
MISSING = "The mailbox /usb/mail.mbox is not available — was it moved?"


def accounts() -> list[Account]:
    return [
        Account(1, AccountKind.MBOX, "/home/me/takeout.mbox", "Takeout", code_count=171,
                last_scan_at=NOW - timedelta(minutes=2)),
        Account(2, AccountKind.MBOX, "/usb/mail.mbox", status=AccountStatus.UNAVAILABLE,
                status_message=MISSING, code_count=1),
        Account(3, AccountKind.GMAIL, "me@example.org", paused=True, code_count=0,
                last_scan_at=NOW - timedelta(hours=3)),
    ]


def menu_texts(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def trigger(menu: QMenu, text: str) -> None:
    [action] = [a for a in menu.actions() if a.text() == text]
    action.trigger()


def panel_at(qtbot: QtBot, clock: list[datetime]) -> AccountsPanel:
    panel = AccountsPanel(now=lambda: clock[0])
    qtbot.addWidget(panel)
    panel.show()
    panel.set_accounts(accounts())
    return panel


def test_rows_say_codes_last_scan_paused_and_a_missing_mailbox(qtbot: QtBot) -> None:
    panel = panel_at(qtbot, [NOW])
    texts = [panel.list.item(r).text() for r in range(panel.list.count())]
    assert texts == ["Takeout\n171 codes · scanned 2 min ago",
                     "/usb/mail.mbox\n1 code · mailbox not found",
                     "me@example.org\n0 codes · paused · scanned 3 h ago"]
    assert MISSING in panel.list.item(1).toolTip() and "Locate mailbox…" in panel.list.item(1).toolTip()


def test_scanned_n_min_ago_updates_itself(qtbot: QtBot) -> None:
    clock = [NOW]
    panel = panel_at(qtbot, clock)
    panel.ticker.setInterval(20)  # half a minute in the app; the test need not wait that long
    clock[0] = NOW + timedelta(minutes=5)
    qtbot.waitUntil(lambda: "scanned 7 min ago" in panel.list.item(0).text(), timeout=2000)


def test_the_context_menu_asks_for_each_action(qtbot: QtBot) -> None:
    panel = panel_at(qtbot, [NOW])
    menu = panel.menu_for(1)
    assert menu_texts(menu) == ["Scan this account now", "Rename…",
                                "Pause (skip scheduled scans)", "Remove…"]
    with qtbot.waitSignal(panel.scan_requested) as scan:
        trigger(menu, "Scan this account now")
    with qtbot.waitSignal(panel.rename_requested) as rename:
        trigger(menu, "Rename…")
    with qtbot.waitSignal(panel.pause_requested) as pause:
        trigger(menu, "Pause (skip scheduled scans)")
    with qtbot.waitSignal(panel.remove_requested) as remove:
        trigger(menu, "Remove…")
    assert (scan.args, rename.args, pause.args, remove.args) == ([[1]], [1], [1, True], [1])
    paused = panel.menu_for(3)
    with qtbot.waitSignal(panel.pause_requested) as resume:
        trigger(paused, "Resume scheduled scans")
    assert resume.args == [3, False]


def test_a_missing_mailbox_offers_to_locate_it(qtbot: QtBot) -> None:
    panel = panel_at(qtbot, [NOW])
    menu = panel.menu_for(2)
    assert menu_texts(menu) == ["Scan this account now", "Locate mailbox…", "Rename…",
                                "Pause (skip scheduled scans)", "Remove…"]
    assert not panel.locate_button.isVisible()
    panel.list.item(0).setSelected(True)
    assert not panel.locate_button.isVisible()
    panel.list.item(1).setSelected(True)
    assert panel.locate_button.isVisible()
    with qtbot.waitSignal(panel.locate_requested) as located:
        panel.locate_button.click()
    assert located.args == [2]


def job(job_id: int, account_id: int = 1, state: JobState = JobState.COMPLETED,
        **extra: object) -> Job:
    return Job(id=job_id, account_id=account_id, state=state, priority=100, **extra)  # type: ignore[arg-type]


def test_job_rows_name_the_account_and_count_unique_codes(qtmodeltester, qtbot: QtBot) -> None:  # type: ignore[no-untyped-def]
    model = JobsModel()
    model.set_jobs([job(3, 4, JobState.PENDING),
                    job(2, 1, codes_found=171, codes_new=0, scanned=300, total=300),
                    job(1, 1, codes_found=172, codes_new=172, account_label="takeout.mbox")])
    assert model.index(0, ACCOUNT).data() == "Account 4"  # nothing better known yet
    assert model.index(1, CODES).data() == "171 codes (0 new)"
    assert "171 different codes" in model.index(1, CODES).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, CODES).data() == ""  # not started: nothing to count yet
    model.set_account_labels({1: "Takeout", 4: "Demo"})
    assert [model.index(r, ACCOUNT).data() for r in range(3)] == ["Demo", "Takeout", "Takeout"]
    model.set_account_labels({1: "Takeout"})  # account 4 was removed: its rows go too
    assert [model.job_at(r).id for r in range(model.rowCount())] == [2, 1]
    qtmodeltester.check(model, force_py=True)


def test_a_job_put_back_to_wait_is_reloaded_and_says_so(qtbot: QtBot) -> None:
    model = JobsModel()
    model.set_jobs([job(5, state=JobState.IN_PROGRESS)])
    with qtbot.waitSignal(model.unknown_job) as reload:
        model.apply_event(JobEvent(5, 1, JobState.PENDING, error="Retrying in 5 s: Host is down"))
    assert reload.args == [5]
    model.upsert(job(5, state=JobState.PENDING, next_attempt_at=NOW, error="Retrying in 5 s"))
    assert model.index(0, STATUS).data() == "Waiting to retry"
    model.apply_event(JobEvent(5, 1, JobState.IN_PROGRESS, total=10, scanned=4, codes_found=3,
                               codes_new=1))
    assert (model.index(0, STATUS).data(), model.index(0, CODES).data()) == (
        "Scanning", "3 codes (1 new)")


def test_scan_now_says_what_it_scans() -> None:
    listed = accounts()
    assert scan_scope.describe([], listed) == (
        "Scan All", "Scan all 2 active accounts now (Ctrl+R); 1 paused left out.")
    text, tip = scan_scope.describe(listed[:1], listed)
    assert text == "Scan Takeout"
    assert tip.startswith("Scan Takeout now") and "Clear the selection" in tip
    assert scan_scope.describe(listed[:2], listed)[0] == "Scan 2 Selected"
    named = Job(1, 1, JobState.PENDING, 100, account_label="Takeout")
    other = Job(2, 2, JobState.PENDING, 100, account_label="mail.mbox")
    assert scan_scope.queued_message(Changes(jobs=(named,)), True, True) == "Scanning Takeout."
    assert scan_scope.queued_message(Changes(jobs=(named, other)), False, True) == (
        "Scanning all 2 active accounts: Takeout, mail.mbox.")
    assert scan_scope.queued_message(Changes(), False, True).startswith("Every account is paused")
