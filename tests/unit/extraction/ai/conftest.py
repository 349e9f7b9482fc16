"""AI-layer tests drive the real ``openai`` client against the loopback fake in tests/fakes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from fakes.openai_server import FakeOpenAI
from guard_inbox.domain.models import MailMessage
from guard_inbox.extraction.ai import AiExtractor, AiSettings

SENT = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def make_mail() -> Callable[..., MailMessage]:
    """A promotional message from a .com shop, sent on SENT; keyword overrides for the rest."""

    def make(text: str, subject: str = "Summer sale starts now", **fields: Any) -> MailMessage:
        fields.setdefault("sender", "Acme Outdoor <news@acme-outdoor.com>")
        fields.setdefault("date", SENT)
        return MailMessage("msg-1", subject=subject, text=text, **fields)

    return make


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def make_ai(fake: FakeOpenAI) -> Iterator[Callable[..., AiExtractor]]:
    """An enabled extractor pointed at the fake; keyword overrides go to AiSettings."""
    made: list[AiExtractor] = []

    def make(**overrides: Any) -> AiExtractor:
        values: dict[str, Any] = {
            "enabled": True,
            "base_url": fake.base_url,
            "model": "gpt-fake-mini",
            "api_key": fake.api_key,
            "timeout_seconds": 5.0,
            **overrides,
        }
        extractor = AiExtractor(AiSettings(**values))
        made.append(extractor)
        return extractor

    yield make
    for extractor in made:
        extractor.close()


@pytest.fixture
def ai(make_ai: Callable[..., AiExtractor]) -> AiExtractor:
    return make_ai()
