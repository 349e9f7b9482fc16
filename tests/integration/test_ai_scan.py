"""Scans with the AI layer on: the model can add nothing invented, and never fails a job."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fakes.openai_server import FakeOpenAI, codes_json
from guard_inbox.bootstrap.core import Core
from guard_inbox.domain.models import JobState
from guard_inbox.extraction.ai import AiExtractor, AiSettings
from guard_inbox.extraction.pipeline import ExtractionPipeline
from guard_inbox.paths import AppPaths
from guard_inbox.services.sources import LocalSourceFactory
from guard_inbox.settings import Settings
from job_kit import final, mbox_account
from mailgen import promo_code, write_mbox


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def ai_runtime(data_dir: Path, fake_openai: FakeOpenAI) -> Iterator[Callable[..., Core]]:
    made: list[tuple[Core, AiExtractor]] = []

    def make(timeout_seconds: float = 10.0) -> Core:  # generous: a retry would skew counts
        ai = AiExtractor(AiSettings(enabled=True, base_url=fake_openai.base_url, model="gpt-fake",
                                    api_key=fake_openai.api_key, all_messages=True,
                                    timeout_seconds=timeout_seconds))
        paths = AppPaths(data_dir).ensure()
        core = Core(paths, Settings(paths.settings_file, env={}), LocalSourceFactory(),
                    ExtractionPipeline(ai=ai))
        core.open_queue()
        made.append((core, ai))
        return core

    yield make
    for core, ai in made:
        core.close()
        ai.close()


def test_model_answers_are_checked_against_the_mail(
    ai_runtime: Callable[..., Core], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    mbox = tmp_path / "m.mbox"
    expected = write_mbox(mbox, 6)
    # The model repeats the real code and invents one that is in no email.
    fake_openai.content = lambda body: codes_json(
        next(c for c in expected if c in json.dumps(body)), "INVENTED42"
    )
    fake_openai.usage = (120, 30)
    core = ai_runtime()
    core.start_workers(2)
    job = final(core, core.control.start_scan(mbox_account(core, mbox)).id)
    assert job.state is JobState.COMPLETED
    assert {c.code for c in core.queries.codes()} == expected  # nothing invented stored
    assert len(fake_openai.requests) == 6
    assert job.tokens_used == 6 * 150  # usage recorded per job


@pytest.mark.parametrize("fault", ["rate_limited", "server_error", "timeout", "junk"])
def test_model_faults_fall_back_to_rules_and_the_job_completes(
    ai_runtime: Callable[..., Core], fake_openai: FakeOpenAI, tmp_path: Path, fault: str
) -> None:
    if fault == "rate_limited":
        fake_openai.status = 429
    elif fault == "server_error":
        fake_openai.status = 500
    elif fault == "timeout":
        fake_openai.delay = 2.5
    else:
        fake_openai.content = '{"codes": [{"code": 42'  # truncated JSON
    mbox = tmp_path / "m.mbox"
    expected = write_mbox(mbox, 3)
    core = ai_runtime(1.0 if fault == "timeout" else 10.0)
    core.start_workers(1)
    job = final(core, core.control.start_scan(mbox_account(core, mbox)).id, timeout=90)
    assert job.state is JobState.COMPLETED, job.error
    assert {c.code for c in core.queries.codes()} == expected
    assert promo_code(0) in expected
    assert fake_openai.requests  # the model was really asked
