"""Start-up survives a token store it cannot read: the AI layer just runs without its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard_inbox.bootstrap import build_ai
from guard_inbox.mail.gmail.tokens import FileTokenStore
from guard_inbox.settings import Settings


def test_unreadable_token_store_does_not_stop_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    damaged = tmp_path / "tokens.json"
    damaged.write_text("{not json", encoding="utf-8")
    settings = Settings(tmp_path / "settings.json", env={})
    settings.override("ai.enabled", True)

    extractor = build_ai(settings, FileTokenStore(damaged))

    assert extractor is not None  # switched on, keyless: it reports that per scan, not a crash
    assert "runs without an API key" in caplog.text
