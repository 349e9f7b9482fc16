"""Settings schema validation, env overrides and data-dir resolution."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from guard_inbox.paths import MAX_SOCKET_PATH, AppPaths
from guard_inbox.settings import Settings, SettingsError


def test_defaults_follow_the_schema(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json", env={})
    assert settings.get("scan.concurrency") == 5
    assert settings.get("scan.retry_attempts") == 3
    assert settings.get("scan.retry_backoff_base") == 5.0
    assert settings.get("scan.retry_backoff_factor") == 2.0
    assert settings.get("gmail.query") == "category:promotions newer_than:365d"


def test_saved_values_round_trip_and_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings(path, env={})
    settings.set("scan.concurrency", "8")
    settings.set("ai.enabled", "yes")
    settings.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = Settings(path, env={})
    assert again.get("scan.concurrency") == 8
    assert again.get("ai.enabled") is True


def test_invalid_values_are_rejected_with_the_key_named(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "s.json", env={})
    with pytest.raises(SettingsError, match=r"scan\.concurrency"):
        settings.set("scan.concurrency", 0)
    with pytest.raises(SettingsError, match="not a int"):
        settings.set("scan.concurrency", "many")
    with pytest.raises(SettingsError, match="Unknown setting"):
        settings.set("no.such", 1)


def test_a_broken_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    with pytest.raises(SettingsError, match="Cannot read settings file"):
        Settings(path, env={})


def test_unknown_keys_from_newer_versions_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"future.feature": 1, "scan.concurrency": 2}))
    assert Settings(path, env={}).get("scan.concurrency") == 2


def test_env_overrides_win_without_being_saved(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings(path, env={"REDIS_URL": "redis://h:6379/0", "DATABASE_URL": "sqlite:///x"})
    assert settings.get("broker.url") == "redis://h:6379/0"
    assert settings.is_overridden_by_env("database.url")
    settings.save()
    assert "redis://" not in path.read_text()


def test_data_dir_precedence(tmp_path: Path) -> None:
    env = {"GUARD_INBOX_DATA_DIR": str(tmp_path / "from-env")}
    assert AppPaths.resolve(str(tmp_path / "cli"), env).data_dir == tmp_path / "cli"
    assert AppPaths.resolve(None, env).data_dir == tmp_path / "from-env"
    assert AppPaths.resolve(None, {}).data_dir.name == "guard-inbox"


def test_data_dir_is_private(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "d").ensure()
    for folder in (paths.data_dir, paths.redis_dir, paths.log_dir):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_an_existing_data_dir_keeps_its_permissions_and_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    documents = tmp_path / "Documents"
    documents.mkdir()
    os.chmod(documents, 0o755)
    with caplog.at_level(logging.WARNING, logger="guard_inbox.paths"):
        paths = AppPaths(documents).ensure()
    assert stat.S_IMODE(documents.stat().st_mode) == 0o755  # the user's folder, not ours to chmod
    assert any("can be read by other users" in r.getMessage() for r in caplog.records)
    for folder in (paths.redis_dir, paths.log_dir):  # what the app creates inside stays private
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    caplog.clear()
    os.chmod(documents, 0o700)
    AppPaths(documents).ensure()
    assert not caplog.records


def test_deep_data_dirs_get_a_short_private_socket(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 6)
    socket = AppPaths(deep).redis_socket("v7")
    assert len(os.fsencode(socket)) <= MAX_SOCKET_PATH
    assert stat.S_IMODE(socket.parent.stat().st_mode) == 0o700
    assert AppPaths(deep).redis_socket("v7") == socket  # stable across processes
