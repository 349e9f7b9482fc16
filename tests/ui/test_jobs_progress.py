"""The jobs view tells the truth about a scan whose total is not known yet (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime

from pytestqt.qtbot import QtBot

from guard_inbox.domain.models import Job, JobEvent, JobState
from guard_inbox.ui.models.jobs_model import PROGRESS, JobsModel
from guard_inbox.ui.views.jobs_view import JobsView, bar_values


def _job(job_id: int, state: JobState, **extra: object) -> Job:
    return Job(id=job_id, account_id=1, state=state, priority=100, account_label="mail.mbox",
               created_at=datetime(2026, 11, 1, tzinfo=UTC), **extra)  # type: ignore[arg-type]


def test_a_scan_still_reading_its_mailbox_shows_a_count_and_no_fraction(qtbot: QtBot) -> None:
    model = JobsModel()
    model.set_jobs([_job(1, JobState.PENDING)])
    model.apply_event(JobEvent(1, 1, JobState.IN_PROGRESS, total=0, scanned=1250, codes_found=7))
    assert model.index(0, PROGRESS).data() == "1,250 scanned so far"

    model.apply_event(JobEvent(1, 1, JobState.IN_PROGRESS, total=10000, scanned=9000))
    assert model.index(0, PROGRESS).data() == "9000 / 10000"  # the end was reached: a real total

    model.apply_event(JobEvent(1, 1, JobState.COMPLETED, total=10000, scanned=10000))
    assert model.index(0, PROGRESS).data() == "10000 / 10000"


def test_the_view_paints_a_busy_bar_for_an_unknown_total(qtbot: QtBot) -> None:
    model = JobsModel()
    model.set_jobs([_job(1, JobState.IN_PROGRESS, total=0, scanned=40),
                    _job(2, JobState.IN_PROGRESS, total=100, scanned=40)])
    view = JobsView(model)
    qtbot.addWidget(view)
    view.resize(900, 300)
    view.show()
    qtbot.waitExposed(view)
    assert not view.grab().toImage().isNull()  # both kinds of bar paint
    assert bar_values(model.job(1)) == (0, 0, "40 scanned so far")  # type: ignore[arg-type]
    assert bar_values(model.job(2)) == (100, 40, "40 / 100")  # type: ignore[arg-type]
