"""Gmail faults: a scan rides out 500 backendErrors and bursts of 429/403 rate limits.

The real composition root (bootstrap.build_core: GmailSourceFactory, GmailClient, quota,
backoff, huey workers on the embedded Redis, SQLite) scans FakeGmail twice: once clean, once
with 10 % of API calls (batch parts included) answered 500 backendError and bursts of 429
rateLimitExceeded / 403 userRateLimitExceeded. Both must store exactly the expected codes.

Backoff time comes from the client's own log lines ("Gmail …; retrying in X s", logged by
GmailClient._pause with the exact seconds slept); the wall-time difference between the two
scans is reported next to it.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fakes import FakeGmail
from fakes.gmail_server import RateLimitBurst
from gmail_kit import trail_code, trail_promo
from guard_inbox.bootstrap import build_core
from guard_inbox.bootstrap.adapters import build_gmail_accounts
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import Job, JobState
from guard_inbox.mail.gmail.tokens import FileTokenStore
from guard_inbox.paths import AppPaths
from guard_inbox.settings import Settings
from job_kit import final

if TYPE_CHECKING:
    from reliability.conftest import Figures, Scale

CLIENT_LOGGER = "guard_inbox.mail.gmail.client"
ACCESS_TOKEN = "ya29.faults-test-access-token"
FAULT_RATE = 0.10
BURST_LENGTH = 8



def bursts_for(count: int) -> list[RateLimitBurst]:
    """Four bursts spread over the scan's calls, alternating 429 and 403 userRateLimitExceeded."""
    return [RateLimitBurst(start=max(3, count * k // 5), length=BURST_LENGTH, status=(429, 403)[k % 2])
            for k in range(1, 5)]


@dataclass
class ScanRun:
    job: Job
    codes: set[str]
    seconds: float
    backoff_seconds: float
    pauses: int
    batch_retries: int
    faults: dict[str, int]
    statuses: dict[int, int]
    gets: int


def gmail_core(data: Path, endpoint: str) -> tuple[Core, Settings]:
    paths = AppPaths(data).ensure()
    settings = Settings(paths.settings_file, env={})
    settings.override("gmail.endpoint", endpoint)
    # The default 6,000 units/min paces 20 messages/s; the fake has no quota, so lift it to keep
    # the quick suite quick. Backoff and retries are untouched.
    settings.override("gmail.quota_units_per_minute", 120_000)
    core = build_core(paths, settings, FileTokenStore(paths.token_file))
    core.open_queue()
    return core, settings



def scan(tmp: Path, address: str, count: int, caplog: pytest.LogCaptureFixture, *, faults: bool,
         timeout: float) -> ScanRun:
    token_file = tmp / "token.json"
    token_file.parent.mkdir(parents=True, exist_ok=True)
    token_file.write_text(json.dumps({
        "token": ACCESS_TOKEN, "refresh_token": "1//faults-test-refresh", "client_id": "faults.apps.example",
        "client_secret": "faults-test-secret", "token_uri": "http://127.0.0.1:9/token",
        "scopes": ["https://www.googleapis.com/auth/gmail.readonly"], "expiry": "2099-01-01T00:00:00Z",
    }))
    with FakeGmail(email_address=address, valid_tokens={ACCESS_TOKEN}, seed=count) as gmail:
        for i in range(count):
            gmail.add_message(trail_promo(i, address))
        core, settings = gmail_core(tmp / "data", gmail.base_url)
        try:
            account = build_gmail_accounts(core.repository, settings, FileTokenStore(core.paths.token_file)
                                           ).add_from_token_file(token_file)
            core.start_workers(1)
            gmail.reset_counters()
            if faults:
                gmail.fault_rate = FAULT_RATE
                gmail.rate_limit_bursts = bursts_for(count)
            caplog.clear()
            started = time.monotonic()
            job = final(core, core.control.start_scan(account.id).id, timeout)
            seconds = time.monotonic() - started
            codes = {c.code for c in core.queries.codes()}
        finally:
            core.close()
    lines = [r for r in caplog.records if r.name == CLIENT_LOGGER]
    pauses = [r for r in lines if "retrying in" in r.getMessage()]
    retries = [r for r in lines if r.getMessage().startswith("Retrying")]
    backoff = sum(float(str(r.args[-1])) for r in pauses if isinstance(r.args, tuple))  # exact seconds slept
    return ScanRun(job, codes, seconds, backoff, len(pauses), len(retries), dict(gmail.faults),
                   dict(gmail.statuses), gmail.calls["messages.get"])


@pytest.mark.area("Gmail faults")
def test_scan_completes_through_backend_errors_and_rate_limit_bursts(
    tmp_path: Path, scale: Scale, figures: Figures, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=CLIENT_LOGGER)
    count = scale.pick(200, 1000)
    timeout = float(scale.pick(120, 900))
    expected = {trail_code(i) for i in range(count)}

    clean = scan(tmp_path / "clean", "clean@example.org", count, caplog, faults=False, timeout=timeout)
    assert clean.job.state is JobState.COMPLETED, clean.job.error
    assert clean.codes == expected
    assert clean.faults == {} and clean.pauses == 0

    faulty = scan(tmp_path / "faulty", "faulty@example.org", count, caplog, faults=True, timeout=timeout)
    served = sum(faulty.faults.values())
    figures.record("messages scanned", count)
    figures.record("faults served (500 backendError)", faulty.faults.get("backendError", 0),
                   f"~{FAULT_RATE:.0%} of calls")
    figures.record("faults served (429 rateLimitExceeded)", faulty.faults.get("rateLimitExceeded", 0))
    figures.record("faults served (403 userRateLimitExceeded)", faulty.faults.get("userRateLimitExceeded", 0))
    figures.record("faults served (total)", served)
    figures.record("batch part retries logged", faulty.batch_retries)
    figures.record("backoff pauses", faulty.pauses)
    figures.record("backoff time (client log), s", round(faulty.backoff_seconds, 1))
    figures.record("scan time clean, s", round(clean.seconds, 1))
    figures.record("scan time with faults, s", round(faulty.seconds, 1))
    figures.record("extra time from faults, s", round(faulty.seconds - clean.seconds, 1))
    figures.record("job attempts", faulty.job.attempts, "1")
    figures.record("codes missing", len(expected - faulty.codes), "0")
    figures.record("codes extra", len(faulty.codes - expected), "0")

    assert faulty.job.state is JobState.COMPLETED, faulty.job.error
    assert faulty.codes == expected
    assert faulty.job.scanned == count
    assert faulty.job.attempts == 1  # the client rode the faults out; the job never had to retry
    assert faulty.faults.get("backendError", 0) >= count * FAULT_RATE / 2
    assert faulty.faults.get("rateLimitExceeded", 0) == faulty.faults.get("userRateLimitExceeded", 0) \
        == 2 * BURST_LENGTH
    # Every error the fake answered was an injected fault, and every call it refused was asked
    # again until it succeeded: one good getProfile, one good listing page per 500 ids, one good
    # messages.get per message.
    assert sum(n for status, n in faulty.statuses.items() if status != 200) == served
    assert faulty.gets > count
    assert faulty.statuses.get(200, 0) == count + 1 + math.ceil(count / 500)
    # Every fault cost a pause, and a pause is at least Google's 1 s floor.
    assert faulty.pauses >= 1 and faulty.backoff_seconds >= faulty.pauses * 1.0
