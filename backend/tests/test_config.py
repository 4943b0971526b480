from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from ai_goals_tracker.config import Settings
from ai_goals_tracker.errors import ConfigurationError
from ai_goals_tracker.jobs import every_seconds_cron, stall_check_cron


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


def test_job_timing_is_read_with_the_other_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = Settings()
    monkeypatch.setenv("AIGT_JOB_HEARTBEAT_SECONDS", "1")
    monkeypatch.setenv("AIGT_STALLED_WORKER_SECONDS", "3")
    shortened = Settings()

    assert (defaults.job_heartbeat_seconds, defaults.stalled_worker_seconds) == (10, 30)
    assert (shortened.job_heartbeat_seconds, shortened.stalled_worker_seconds) == (1, 3)
    # Stalled workers are looked for once a minute, or within a third of a shorter timeout.
    assert stall_check_cron(defaults.stalled_worker_seconds) == "* * * * *"
    assert stall_check_cron(shortened.stalled_worker_seconds) == "* * * * * */1"
    assert stall_check_cron(12) == "* * * * * */4"
    # The archive runs once a minute unless told to run more often.
    assert every_seconds_cron(defaults.archive_every_seconds) == "* * * * *"
    assert every_seconds_cron(5) == "* * * * * */5"
    with pytest.raises(ValidationError, match="stalled_worker_seconds"):
        Settings(stalled_worker_seconds=0)


def test_a_worker_with_an_impossible_stall_timeout_says_which_variable(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ai_goals_tracker.cli", "worker"],
        capture_output=True,
        text=True,
        env={**os.environ, "AIGT_HOME": str(tmp_path), "AIGT_STALLED_WORKER_SECONDS": "0"},
        timeout=120,
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: invalid configuration: AIGT_STALLED_WORKER_SECONDS: Input should be greater than 0"
    ]


def aigt_serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ai_goals_tracker.cli", "serve", "--no-worker"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def test_a_short_secret_key_is_refused_with_one_line(database_url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="shorter than 32 bytes"):
        Settings(home=tmp_path, secret_key="ab")

    result = aigt_serve({"AIGT_DATABASE_URL": database_url, "AIGT_HOME": str(tmp_path), "AIGT_SECRET_KEY": "ab"})

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "AIGT_SECRET_KEY is shorter than 32 bytes" in lines[0]


def test_an_empty_secret_key_file_is_refused_with_one_line(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("\n")

    result = aigt_serve({"AIGT_DATABASE_URL": database_url, "AIGT_HOME": str(tmp_path)})

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"The secret key in {tmp_path / 'secret_key'} is shorter than 32 bytes" in lines[0]


def test_home_and_its_files_are_private(tmp_path: Path) -> None:
    home = tmp_path / "new-home"
    Settings(home=home).resolved_secret_key()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "secret_key").stat().st_mode) == 0o600


async def test_each_api_pool_holds_the_configured_connections(database_url: str, tmp_path: Path) -> None:
    from ai_goals_tracker.main import create_app

    settings = Settings(
        home=tmp_path, database_url=database_url, env="test", database_pool_size=3, database_max_overflow=1
    )
    app = create_app(settings, database_url)
    try:
        for engine in (app.state.engine, app.state.read_engine):
            assert (engine.pool.size(), engine.pool._max_overflow) == (3, 1)
    finally:
        await app.state.engine.dispose()
        await app.state.read_engine.dispose()
