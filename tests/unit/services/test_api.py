"""Changes: the small value every use case returns so that views reload only what they show."""

from __future__ import annotations

import pytest

from guard_inbox.domain.models import JobEvent, JobState
from guard_inbox.services.api import NOTHING, Changes


@pytest.mark.parametrize("state", list(JobState))
def test_only_a_job_that_ended_can_have_changed_codes_or_accounts(state: JobState) -> None:
    event = JobEvent(job_id=1, account_id=2, state=state)
    changes = Changes.of_event(event)
    assert changes.job_events == (event,) and changes.anything
    assert changes.codes is changes.accounts is state.is_final


def test_nothing_changed_is_falsy_for_subscribers() -> None:
    assert not NOTHING.anything
    assert Changes(codes=True).anything and Changes(accounts=True).anything
