"""What `scan --wait` prints while a scan runs: no "N/0" while the source is still listed."""

from __future__ import annotations

from guard_inbox.cli.output import progress_line
from guard_inbox.domain.models import Job, JobState


def test_a_known_total_is_shown_as_a_fraction() -> None:
    job = Job(id=3, account_id=1, state=JobState.IN_PROGRESS, priority=100, total=400, scanned=150,
              codes_found=12, codes_new=3)
    assert progress_line(job) == f"Job 3 IN_PROGRESS 150/400 messages, {job.codes_summary}"


def test_an_unknown_total_says_so_far_instead_of_over_zero() -> None:
    job = Job(id=3, account_id=1, state=JobState.IN_PROGRESS, priority=100, total=0, scanned=150)
    line = progress_line(job)
    assert "150 messages so far" in line and "/0" not in line
