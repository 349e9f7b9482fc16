"""Model faults: with the AI layer on, a model that is slow, rate-limited, babbling or lying costs
nothing — the scan completes from the rules and the database holds no code the mail does not.

Each fault kind gets its own scan (real Core, embedded Redis, SQLite, huey worker) with a real
AiExtractor and openai client pointed at FakeOpenAI: the extractor's circuit breaker state must
not carry from one kind to the next, and each kind's counts are reported separately.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from fakes.openai_server import FakeOpenAI, codes_json
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import AccountKind, Job, JobState
from guard_inbox.extraction.ai import AiExtractor, AiSettings, AiStats
from guard_inbox.extraction.pipeline import ExtractionPipeline
from guard_inbox.paths import AppPaths
from guard_inbox.services.sources import LocalSourceFactory
from guard_inbox.settings import Settings
from job_kit import final
from mailgen import promo_code, write_mbox

if TYPE_CHECKING:
    from reliability.conftest import Figures, Scale

AI_TIMEOUT = 0.5  # seconds the extractor gives the model in the "timeout" run
CALM_TIMEOUT = 10.0  # the other runs: a slow CI machine must not turn their faults into timeouts
SLOW_ANSWER = 1.5  # seconds the fake takes when it is "slow"
JUNK = (
    '{"codes": [{"code": 42',  # truncated
    "Sure! Here are the codes you asked for: SAVE1234",  # prose, not JSON
    '{"coupons": []}',  # JSON, wrong shape
    "[]",
    '{"codes": "none"}',
    "",
)
FAULT_KINDS = ("timeout", "rate_limit", "junk", "invented")


@dataclass
class KindResult:
    job: Job
    stored: set[str]
    stats: AiStats
    requests: int
    invented: set[str]
    seconds: float


def db_codes(database: Path) -> set[str]:
    """Straight from the SQLite file, not through our repository."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        return {str(row[0]) for row in conn.execute("SELECT code FROM promo_code")}



def script(kind: str, fake: FakeOpenAI, expected: set[str], invented: set[str]) -> None:
    """Set the fake up to misbehave one way."""
    if kind == "timeout":
        fake.delay = SLOW_ANSWER
        return
    if kind == "rate_limit":
        fake.status = 429
        return
    if kind == "junk":
        junk = itertools.cycle(JUNK)
        fake.content = lambda _body: next(junk)
        return
    serial = itertools.count()

    def lie(body: dict[str, Any]) -> str:
        # The real code, one that looks like ours but is in no email, and one that is plainly made up.
        text = json.dumps(body)
        real = [c for c in expected if c in text]
        n = next(serial)
        fakes = [f"SAVE{90000 + n:05d}X", f"FREESHIP{n:03d}"]
        invented.update(fakes)
        return codes_json(*real, *fakes)

    fake.content = lie


def run_kind(tmp: Path, kind: str, count: int, timeout: float) -> KindResult:
    mbox = tmp / "promo.mbox"
    tmp.mkdir(parents=True, exist_ok=True)
    expected = write_mbox(mbox, count)
    invented: set[str] = set()
    with FakeOpenAI() as fake:
        script(kind, fake, expected, invented)
        ai = AiExtractor(AiSettings(enabled=True, base_url=fake.base_url, model="gpt-fake",
                                    api_key=fake.api_key, all_messages=True,
                                    timeout_seconds=AI_TIMEOUT if kind == "timeout" else CALM_TIMEOUT))
        paths = AppPaths(tmp / "data").ensure()
        core = Core(paths, Settings(paths.settings_file, env={}), LocalSourceFactory(),
                    ExtractionPipeline(ai=ai))
        core.open_queue()
        try:
            account = core.repository.add_account(AccountKind.MBOX, str(mbox), mbox.name).id
            core.start_workers(1)
            started = time.monotonic()
            job = final(core, core.control.start_scan(account).id, timeout)
            seconds = time.monotonic() - started
        finally:
            core.close()
            ai.close()
        requests = len(fake.requests)
    return KindResult(job, db_codes(paths.database_file), ai.stats, requests, invented, seconds)


@pytest.mark.area("Model faults")
def test_model_faults_cost_nothing_and_invent_nothing(tmp_path: Path, scale: Scale, figures: Figures) -> None:
    count = scale.pick(12, 150)
    timeout = float(scale.pick(90, 600))
    expected = {promo_code(i) for i in range(count)}
    results: dict[str, KindResult] = {}
    for kind in FAULT_KINDS:
        results[kind] = result = run_kind(tmp_path / kind, kind, count, timeout)
        stats = result.stats
        failures = dict(stats.failures)
        figures.record(f"{kind}: messages", count)
        figures.record(f"{kind}: model requests", result.requests)
        figures.record(f"{kind}: failures by kind", json.dumps(failures, sort_keys=True))
        figures.record(f"{kind}: skipped (model paused)", stats.skipped_paused)
        figures.record(f"{kind}: invented codes offered", len(result.invented))
        figures.record(f"{kind}: invented codes dropped", stats.dropped_invented)
        figures.record(f"{kind}: invented codes stored", len(result.stored & result.invented), "0")
        figures.record(f"{kind}: rule codes missing", len(expected - result.stored), "0")
        figures.record(f"{kind}: scan time, s", round(result.seconds, 1))

    for kind, result in results.items():
        assert result.job.state is JobState.COMPLETED, (kind, result.job.error)
        assert result.job.scanned == count, kind
        assert result.stored == expected, kind  # every rule code, and nothing else in the database
        assert result.requests > 0, kind  # the model really was asked

    timeout_stats = results["timeout"].stats
    assert timeout_stats.failures.get("timeout", 0) >= 1
    assert timeout_stats.failures.get("timeout", 0) + timeout_stats.skipped_paused == count
    rate_stats = results["rate_limit"].stats
    assert rate_stats.failures.get("rate_limit", 0) >= 1
    assert rate_stats.failures.get("rate_limit", 0) + rate_stats.skipped_paused == count
    junk_stats = results["junk"].stats
    assert sum(junk_stats.failures.values()) == count  # every babble counted, none believed
    assert junk_stats.accepted == 0 and junk_stats.skipped_paused == 0
    lies = results["invented"]
    assert len(lies.invented) == 2 * count
    assert lies.stats.dropped_invented == 2 * count
    assert not lies.stored & lies.invented
    assert lies.stats.accepted == count  # the real code the model repeated was checked and kept
