"""Timeouts, rate limits, server errors and junk answers cost a message its AI codes, nothing more."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest

from fakes.openai_server import FakeOpenAI, codes_json
from guard_inbox.domain.models import MailMessage
from guard_inbox.extraction.ai import AiExtractor, AiSettings

MakeMail = Callable[..., MailMessage]
TEXT = "Shop tents with TRAIL25 for 25% off orders over $75."


def test_a_slow_model_times_out_to_no_codes(
    make_ai: Callable[..., AiExtractor], fake: FakeOpenAI, make_mail: MakeMail
) -> None:
    fake.delay = 10.0
    ai = make_ai(timeout_seconds=0.2)

    started = time.monotonic()
    assert ai.extract(make_mail(TEXT), TEXT, [], uncertain=True) == []

    assert time.monotonic() - started < 5.0
    assert ai.stats.failures == {"timeout": 1}
    # The fake records a request once its handler thread has read it, which can trail the
    # client's 0.2 s give-up on a busy machine.
    deadline = time.monotonic() + 5.0
    while len(fake.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(fake.requests) == 2  # one retry, then give up


def test_rate_limited_after_one_honoured_retry(
    ai: AiExtractor, fake: FakeOpenAI, make_mail: MakeMail
) -> None:
    fake.status = 429

    assert ai.extract(make_mail(TEXT), TEXT, [], uncertain=True) == []

    assert ai.stats.failures == {"rate_limit": 1}
    assert len(fake.requests) == 2
    assert ai.stats.total_tokens == 0


def test_a_server_error_gives_no_codes(ai: AiExtractor, fake: FakeOpenAI, make_mail: MakeMail) -> None:
    fake.status = 500

    assert ai.extract(make_mail(TEXT), TEXT, [], uncertain=True) == []

    assert ai.stats.failures == {"http_500": 1}


def test_an_unreachable_server_gives_no_codes(make_mail: MakeMail) -> None:
    with FakeOpenAI() as gone:
        base_url = gone.base_url  # the port is closed again when this block ends
    with AiExtractor(AiSettings(enabled=True, base_url=base_url, api_key="k", timeout_seconds=2)) as ai:
        assert ai.extract(make_mail(TEXT), TEXT, [], uncertain=True) == []
        assert ai.stats.failures == {"connection": 1}


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ("not json", "invalid_output"),
        ('{"codes": [{"code": "TRAIL25", "disc', "invalid_output"),  # cut off mid-answer
        ('{"coupons": ["TRAIL25"]}', "invalid_output"),
        ('{"codes": "TRAIL25"}', "invalid_output"),
        ('["TRAIL25"]', "invalid_output"),
        ('{"codes": [{"code": 25}]}', "invalid_output"),
        ('{"codes": [{"discount": "25% off"}]}', "invalid_output"),
        (
            '{"codes": [{"code": "TRAIL25", "discount": 25, "expires": null, "min_spend": null}]}',
            "invalid_output",
        ),
        ("", "empty"),
    ],
)
def test_junk_output_gives_no_codes(
    ai: AiExtractor, fake: FakeOpenAI, make_mail: MakeMail, content: str, kind: str
) -> None:
    fake.content = content

    assert ai.extract(make_mail(TEXT), TEXT, [], uncertain=True) == []

    assert ai.stats.failures == {kind: 1}
    assert ai.stats.total_tokens > 0  # the tokens were spent all the same


def test_empty_choices_and_refusals_give_no_codes(
    ai: AiExtractor, fake: FakeOpenAI, make_mail: MakeMail
) -> None:
    fake.choices = False
    assert ai.extract(make_mail(TEXT), TEXT, [], uncertain=True) == []
    fake.choices, fake.refusal = True, "I can't help with that."
    assert ai.extract(make_mail(TEXT), TEXT, [], uncertain=True) == []

    assert ai.stats.failures == {"empty": 1, "refusal": 1}


def test_answers_a_local_model_fences_or_trims_are_still_read(
    ai: AiExtractor, fake: FakeOpenAI, make_mail: MakeMail
) -> None:
    fake.content = '```json\n{"codes": [{"code": "TRAIL25"}]}\n```'  # no nulls, in a Markdown fence

    assert [c.code for c in ai.extract(make_mail(TEXT), TEXT, [], uncertain=True)] == ["TRAIL25"]
    assert ai.stats.failures == {}


def test_repeated_failures_pause_the_model_for_a_while(fake: FakeOpenAI, make_mail: MakeMail) -> None:
    now = [1000.0]
    settings = AiSettings(enabled=True, base_url=fake.base_url, api_key=fake.api_key, timeout_seconds=2)
    fake.status = 500
    with AiExtractor(settings, clock=lambda: now[0]) as ai:
        for _ in range(4):
            assert ai.extract(make_mail(TEXT), TEXT, [], uncertain=True) == []
        assert len(fake.requests) == 3 * 2  # each failed call retried once; the fourth not sent
        assert ai.stats.skipped_paused == 1

        now[0] += 61
        fake.status = 200
        fake.content = codes_json("TRAIL25")
        assert [c.code for c in ai.extract(make_mail(TEXT), TEXT, [], uncertain=True)] == ["TRAIL25"]


def test_the_api_key_never_reaches_the_log(
    make_ai: Callable[..., AiExtractor], make_mail: MakeMail, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sk-proj-Zq81VbK2mN0pLr5sT7uW"  # the fake echoes a wrong key back in its 401 body
    caplog.set_level(logging.DEBUG, logger="guard_inbox")
    ai = make_ai(api_key=secret)

    assert ai.extract(make_mail(TEXT), TEXT, [], uncertain=True) == []

    assert ai.stats.failures == {"http_401": 1}
    assert "http_401" in caplog.text and "Incorrect API key" in caplog.text
    assert secret not in caplog.text
    assert "Zq81VbK2mN0pLr5sT7uW" not in caplog.text
    assert secret not in repr(ai.settings)


def test_no_key_for_openai_itself_means_no_request(make_mail: MakeMail) -> None:
    with AiExtractor(AiSettings(enabled=True, api_key="")) as ai:
        assert ai.extract(make_mail(TEXT), TEXT, [], uncertain=True) == []
        assert ai.stats.failures == {"no_api_key": 1}
        assert ai.stats.requests == 0
