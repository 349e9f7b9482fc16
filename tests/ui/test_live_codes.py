"""Codes show while a scan finds them: the first at once, then at most once a second (issue 15)."""

from __future__ import annotations

from guard_inbox.domain.models import JobEvent, JobState
from guard_inbox.ui.live_codes import LiveCodes


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _event(found: int, state: JobState = JobState.IN_PROGRESS, job: int = 1) -> JobEvent:
    return JobEvent(job, 1, state, total=0, scanned=found * 10, codes_found=found)


def test_the_first_code_reloads_the_list_at_once_and_later_ones_at_most_once_a_second() -> None:
    clock = _Clock()
    live = LiveCodes(every=1.0, monotonic=clock)

    assert not live.changes(_event(0)).codes  # a scan with nothing found yet
    first = live.changes(_event(1))
    assert first.codes and not first.accounts and first.job_events == (_event(1),)
    clock.now += 0.3
    assert not live.changes(_event(3)).codes  # found more, but the list reloaded 0.3 s ago
    clock.now += 0.8
    assert live.changes(_event(3)).codes  # the same count, still not shown: shown now
    clock.now += 5
    assert not live.changes(_event(3)).codes  # nothing new since
    done = live.changes(_event(4, JobState.COMPLETED))
    assert done.codes and done.accounts  # a job's end always reloads


def test_each_job_counts_its_own_codes() -> None:
    clock = _Clock()
    live = LiveCodes(every=1.0, monotonic=clock)
    assert live.changes(_event(5, job=1)).codes
    clock.now += 2
    assert live.changes(_event(1, job=2)).codes  # job 2's first code, though job 1 has more
