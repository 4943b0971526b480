from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ai_goals_tracker.config import Settings
from ai_goals_tracker.errors import ConfigurationError


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    first = settings.resolved_secret_key()
    assert len(first) >= 40
    assert Settings(home=tmp_path).resolved_secret_key() == first
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="AIGT_SECRET_KEY must be set"):
        Settings(home=tmp_path, env="production")
    assert Settings(home=tmp_path, env="production", secret_key="s" * 40).resolved_secret_key() == "s" * 40


def test_settings_come_from_aigt_environment_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIGT_PORT", "9123")
    monkeypatch.setenv("AIGT_HOME", str(tmp_path))
    monkeypatch.setenv("AIGT_DATABASE_URL", "postgresql://x@db/y")
    settings = Settings()
    assert settings.port == 9123
    assert settings.home == tmp_path
    assert settings.pgdata == tmp_path / "pgdata"
    assert not settings.embedded_database
