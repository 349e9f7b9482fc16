"""A Gmail scan through the real scan service: codes are stored while the mailbox is still
being listed, and the progress names no total until the listing has ended."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from gmail_helpers import ADDRESS, promo

from fakes import FakeGmail
from guard_inbox.domain.models import AccountKind, JobEvent, JobState
from guard_inbox.mail.gmail.factory import GmailSourceFactory
from guard_inbox.mail.gmail.tokens import FileTokenStore
from guard_inbox.services.scan import Next
from guard_inbox.services.sources import LocalSourceFactory
from job_core_kit import job_core

WORKER = "test-host:1:aaaaaaaa"


def test_codes_are_stored_before_the_listing_ends_and_the_total_comes_with_its_end(
    tmp_path: Path, gmail: FakeGmail, info: dict[str, Any]
) -> None:
    ids = [gmail.add_message(promo(i)) for i in range(600)]
    gmail.call_latency = 0.004  # batch parts served one after another, as Google does
    store = FileTokenStore(tmp_path / "tokens.json")
    store.save(ADDRESS, info)
    sources = GmailSourceFactory(store, LocalSourceFactory(), endpoint=gmail.base_url,
                                 query="category:promotions", max_results=50,  # twelve pages
                                 quota_units_per_minute=1_000_000)
    with job_core(tmp_path, sources=sources) as core:
        account = core.repository.add_account(AccountKind.GMAIL, ADDRESS, ADDRESS)
        job = core.lifecycle.create(account.id, 100, "manual")
        at_first_checkpoint: list[tuple[set[str], int]] = []

        def first_checkpoint(event: JobEvent) -> None:
            if event.state is JobState.IN_PROGRESS and event.scanned and not at_first_checkpoint:
                codes = {c.code for c in core.repository.list_codes()}
                at_first_checkpoint.append((codes, gmail.calls["messages.list"]))

        core.bus.add_listener(first_checkpoint)
        assert core.scans.run(job.id, WORKER, threading.Event()).action is Next.DONE

        done = core.job(job.id)
        assert done.state is JobState.COMPLETED
        assert (done.total, done.scanned, done.codes_found) == (600, 600, 600)
        assert {c.code for c in core.repository.list_codes()} == {f"SAVE{i}" for i in range(600)}
        [(codes, pages_listed)] = at_first_checkpoint
        assert codes == {"SAVE599"}  # the newest message, stored on its own
        assert pages_listed < 12  # the fetch stays a bounded number of batches ahead
        progress = [e for e in core.log.for_job(job.id) if e.state is JobState.IN_PROGRESS]
        assert next(e for e in progress if e.scanned).total == 0  # no total while listing
        assert progress[-1].total == 600
    assert gmail.calls["messages.get"] == len(ids)
