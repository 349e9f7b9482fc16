"""Jobs model, accounts panel (reconnect state), queue panel and the settings dialog."""

from __future__ import annotations

from datetime import UTC, datetime

from pytestqt.qtbot import QtBot

from guard_inbox.domain.models import (
    Account,
    AccountKind,
    AccountStatus,
    Job,
    JobEvent,
    JobState,
    QueueStats,
)
from guard_inbox.settings import Settings
from guard_inbox.ui.dialogs.settings_dialog import SettingsDialog
from guard_inbox.ui.models.jobs_model import PROGRESS, STATUS, JobsModel
from guard_inbox.ui.views.accounts_panel import AccountsPanel
from guard_inbox.ui.views.queue_panel import QueuePanel


def job(job_id: int, state: JobState = JobState.PENDING, **extra: object) -> Job:
    return Job(id=job_id, account_id=1, state=state, priority=100, account_label="me@example.org",
               created_at=datetime(2026, 11, 1, tzinfo=UTC), **extra)  # type: ignore[arg-type]


def test_jobs_model_passes_the_model_tester_and_follows_events(qtmodeltester, qtbot: QtBot) -> None:  # type: ignore[no-untyped-def]
    model = JobsModel()
    model.set_jobs([job(2, JobState.COMPLETED, total=10, scanned=10), job(1, JobState.FAILED,
                                                                          error="Gmail is down")])
    qtmodeltester.check(model, force_py=True)
    model.upsert(job(3))
    assert model.rowCount() == 3 and model.job_at(0).id == 3
    with qtbot.waitSignal(model.dataChanged):
        model.apply_event(JobEvent(3, 1, JobState.IN_PROGRESS, total=200, scanned=50))
    assert model.index(0, STATUS).data() == "Scanning"
    assert model.index(0, PROGRESS).data() == "50 / 200"
    with qtbot.waitSignal(model.unknown_job) as blocker:
        model.apply_event(JobEvent(99, 1, JobState.PENDING))
    assert blocker.args == [99]
    qtmodeltester.check(model, force_py=True)


def test_accounts_panel_offers_reconnect_only_for_revoked_gmail(qtbot: QtBot) -> None:
    panel = AccountsPanel()
    qtbot.addWidget(panel)
    panel.show()
    assert panel.empty.isVisible() and not panel.list.isVisible()
    panel.set_accounts([
        Account(1, AccountKind.GMAIL, "ok@example.org", code_count=3),
        Account(2, AccountKind.GMAIL, "old@example.org", status=AccountStatus.NEEDS_RECONNECT,
                status_message="Gmail account needs to be reconnected"),
    ])
    assert panel.list.count() == 2
    assert "needs reconnect" in panel.list.item(1).text()
    panel.list.item(0).setSelected(True)
    assert not panel.reconnect_button.isVisible()
    panel.list.item(0).setSelected(False)
    panel.list.item(1).setSelected(True)
    assert panel.reconnect_button.isVisible()
    with qtbot.waitSignal(panel.reconnect) as blocker:
        panel.reconnect_button.click()
    assert blocker.args == [2]


def test_queue_panel_shows_counts_and_retries_failures(qtbot: QtBot) -> None:
    panel = QueuePanel()
    qtbot.addWidget(panel)
    failed = job(7, JobState.FAILED, error="The mailbox is not available")
    panel.show_stats(QueueStats(waiting=2, active=1, completed=5, failed=1, delayed=1,
                                workers_alive=2, recent_failures=(failed,)), "embedded Redis")
    assert panel.values["waiting"].text() == "2" and panel.values["workers_alive"].text() == "2"
    assert panel.failures.count() == 1 and "not available" in panel.failures.item(0).text()
    panel.failures.item(0).setSelected(True)
    with qtbot.waitSignal(panel.retry_requested) as blocker:
        panel.retry_button.click()
    assert blocker.args == [7]


def test_settings_dialog_is_generated_from_the_schema_and_validates(qtbot: QtBot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(tmp_path / "settings.json", env={})
    saved: list[str] = []
    dialog = SettingsDialog(settings, broker_embedded=True, save_api_key=saved.append)
    qtbot.addWidget(dialog)
    for key in ("gmail.query", "scan.interval_minutes", "scan.concurrency", "ai.enabled",
                "ai.base_url", "ai.model", "notify.enabled", "ui.start_minimised", "broker.url",
                "ui.theme", "ui.start_at_login"):
        assert key in dialog.editors, key
    assert not dialog.editors["broker.url"].isEnabled()  # read-only while Redis is embedded
    dialog.editors["scan.concurrency"].setValue(8)
    dialog.editors["gmail.query"].setText("label:deals")
    dialog.api_key.setText("sk-test")
    dialog.accept()
    again = Settings(tmp_path / "settings.json", env={})
    assert again.get("scan.concurrency") == 8 and again.get("gmail.query") == "label:deals"
    assert saved == ["sk-test"]
    assert "sk-test" not in (tmp_path / "settings.json").read_text()  # the key goes to the keyring
