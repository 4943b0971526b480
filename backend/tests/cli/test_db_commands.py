"""`aigt` database commands as a user runs them: real processes, real exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from ai_goals_tracker.db.server import require_supported_pgvector
from ai_goals_tracker.errors import ConfigurationError


def run_aigt(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ai_goals_tracker.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def test_unreachable_database_gives_one_clear_line_and_exit_code_1(tmp_path: Path) -> None:
    result = run_aigt(
        "migrate", env={"AIGT_DATABASE_URL": "postgresql://u:p@127.0.0.1:1/nothing", "AIGT_HOME": str(tmp_path)}
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: Cannot reach PostgreSQL at 127.0.0.1:1/nothing")
    assert "Traceback" not in result.stderr


def test_database_where_pgvector_cannot_be_enabled_is_refused(database_url: str, tmp_path: Path) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS aigt_no_vector")
        conn.execute("CREATE DATABASE aigt_no_vector")
        conn.execute("REVOKE CREATE ON DATABASE aigt_no_vector FROM PUBLIC")
        conn.execute("DROP ROLE IF EXISTS aigt_limited")
        conn.execute("CREATE ROLE aigt_limited LOGIN PASSWORD 'limited-role-password'")
    limited = make_url(database_url).set(
        username="aigt_limited", password="limited-role-password", database="aigt_no_vector"
    )
    result = run_aigt(
        "migrate",
        env={"AIGT_DATABASE_URL": limited.render_as_string(hide_password=False), "AIGT_HOME": str(tmp_path)},
    )
    assert result.returncode == 1
    assert "pgvector is not enabled in the database" in result.stderr
    assert "Traceback" not in result.stderr


def test_pgvector_older_than_0_8_is_refused() -> None:
    assert require_supported_pgvector("0.8.5", "db") == "0.8.5"
    with pytest.raises(ConfigurationError, match=r"pgvector 0\.7\.4 at db is too old"):
        require_supported_pgvector("0.7.4", "db")


def test_embedded_server_lifecycle(tmp_path: Path) -> None:
    env = {"AIGT_HOME": str(tmp_path / "home")}
    url = run_aigt("db", "url", env=env)
    assert url.returncode == 0, url.stderr
    dsn = url.stdout.strip()
    with psycopg.connect(dsn) as conn:
        version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    assert version is not None
    assert tuple(int(p) for p in version[0].split(".")[:2]) >= (0, 8)

    status = run_aigt("db", "status", env=env)
    assert status.returncode == 0
    assert "running" in status.stdout

    migrate = run_aigt("migrate", env=env)
    assert migrate.returncode == 0, migrate.stderr
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM goals").fetchone() == (0,)

    stop = run_aigt("db", "stop", env=env)
    assert stop.returncode == 0
    stopped = run_aigt("db", "status", env=env)
    assert stopped.returncode == 3
    assert "stopped" in stopped.stdout
    assert (tmp_path / "home" / "pgdata" / "PG_VERSION").exists()
