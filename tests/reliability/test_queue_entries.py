"""No pickle on the queue: a crafted entry in Redis runs no code, and the worker keeps going."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pytest

from conftest import Figures
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import JobState
from guard_inbox.jobs.serializer import JsonSerializer, RefusedMessage
from job_kit import final, mbox_account
from mailgen import write_mbox

pytestmark = pytest.mark.area("queue entries")


class Exploit:
    """Unpickling this opens (creates) a file: the shape of every pickle code-execution attack."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_a_crafted_pickle_in_redis_runs_no_code_and_the_worker_scans_on(
    core: Core, tmp_path: Path, caplog: pytest.LogCaptureFixture, figures: Figures
) -> None:
    marker = tmp_path / "pwned"
    # What any client of a shared Redis can do: write raw bytes where huey reads its tasks.
    core.huey.storage.enqueue(pickle.dumps(Exploit(marker)), priority=100)
    core.huey.storage.enqueue(b"\x00junk that is no task", priority=100)
    core.huey.storage.enqueue(b'{"format": "guard-inbox-task/1", "id": "x", "name": "os.system",'
                                 b' "args": ["touch pwned"]}', priority=100)
    mailbox = tmp_path / "mail.mbox"
    expected = write_mbox(mailbox, 5)
    account = mbox_account(core, mailbox)

    with caplog.at_level(logging.WARNING, logger="guard_inbox.jobs"):
        core.start_workers(1)
        job = final(core, core.control.start_scan(account).id)

    refusals = [r.getMessage() for r in caplog.records if "Refused an entry" in r.getMessage()]
    figures.record("crafted entries (pickle, junk, foreign task)", 3)
    figures.record("code run by a crafted pickle", "yes" if marker.exists() else "no", "no")
    figures.record("entries refused with a log line", len(refusals), "3")
    figures.record("next scan", f"{job.state.name} in {job.attempts} attempt(s)", "COMPLETED in 1")
    assert job.state is JobState.COMPLETED
    assert {c.code for c in core.queries.codes()} == expected
    assert not marker.exists()
    assert len(refusals) == 3, refusals
    assert core.control.stats().waiting == 0


def test_tasks_are_json_on_the_wire(core: Core, tmp_path: Path) -> None:
    account = mbox_account(core, tmp_path / "mail.mbox")
    job = core.control.start_scan(account)
    (raw,) = core.huey.storage.enqueued_items()
    assert raw.startswith(b"{") and b'"args":[%d]' % job.id in raw
    assert core.queue.queued_job_ids() == {job.id}


@pytest.mark.parametrize("entry", [
    pickle.dumps({"id": "1"}),
    b"[1, 2]",
    b'{"format": "guard-inbox-task/1", "id": 5, "name": "scan"}',
    b'{"format": "guard-inbox-task/1", "id": "a", "name": "scan", "args": [{"__reduce__": 1}]}',
    b'{"format": "guard-inbox-task/1", "id": "a", "name": "scan", "args": [], "eta": 12}',
    "caf\u00e9".encode("latin-1"),
])
def test_anything_but_our_json_message_is_refused(entry: bytes) -> None:
    with pytest.raises(RefusedMessage):
        JsonSerializer().deserialize(entry)
