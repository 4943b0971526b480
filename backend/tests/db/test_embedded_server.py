"""The embedded PostgreSQL as another local user would probe it: folder modes, the socket, the
server's groups, password logins, and what is left behind when a process dies."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import psutil
import psycopg
import pytest
from sqlalchemy.engine import make_url

from ai_goals_tracker.config import Settings
from ai_goals_tracker.db.server import (
    HANDLES_FILE,
    PASSWORD_FILE,
    embedded_status,
    postgres_programs,
    service_account,
)

pytestmark = pytest.mark.slow


def aigt(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AIGT_HOME": str(home)}
    env.pop("AIGT_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "ai_goals_tracker.cli", *args], capture_output=True, text=True, env=env, timeout=180
    )


def python(code: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AIGT_HOME": str(home)}
    env.pop("AIGT_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=180)


def modes(path: Path) -> dict[Path, int]:
    return {folder: stat.S_IMODE(folder.stat().st_mode) for folder in [path, *path.parents]}


@pytest.fixture
def private_home(tmp_path: Path) -> Path:
    """A 0700 home under a 0700 parent, with a path too long to hold a Unix socket."""
    outer = tmp_path / "outer"
    outer.mkdir(mode=0o700)
    home = outer / ("a-long-folder-name-" * 6)
    home.mkdir(mode=0o700)
    return home


def test_starting_keeps_folders_private_and_the_database_closed_to_other_users(private_home: Path) -> None:
    before = modes(private_home)
    started = aigt("db", "url", home=private_home)
    try:
        assert started.returncode == 0, started.stderr
        assert modes(private_home) == before

        dsn = make_url(started.stdout.strip())
        socket_dir = Path(str(dsn.query["host"]))
        info = socket_dir.stat()
        assert stat.S_IMODE(info.st_mode) == 0o700
        if os.geteuid() == 0:
            assert info.st_uid != 0

        pgdata = private_home / "pgdata"
        assert stat.S_IMODE((pgdata / PASSWORD_FILE).stat().st_mode) == 0o600
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(host=str(dsn.query["host"]), user="postgres", dbname="postgres", connect_timeout=5)
        with psycopg.connect(dsn.render_as_string(hide_password=False), connect_timeout=5) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)

        postmaster = psutil.Process(embedded_status(Settings(home=private_home)).pid)
        for process in [postmaster, *postmaster.children(recursive=True)]:
            # Background workers come and go; the ones still there are checked.
            with contextlib.suppress(psutil.NoSuchProcess):
                assert 0 not in process.gids()
                assert process.uids().real != 0
    finally:
        aigt("db", "stop", home=private_home)
    assert not socket_dir.exists()


def test_a_process_that_died_attached_does_not_keep_the_server_running(tmp_path: Path) -> None:
    home = tmp_path / "home"
    crashed = python(
        "import os, signal\n"
        "from ai_goals_tracker.config import Settings\n"
        "from ai_goals_tracker.db.server import resolve_database_url\n"
        "resolve_database_url(Settings())\n"
        "print(os.getpid(), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n",
        home,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    dead_pid = int(crashed.stdout.strip())
    settings = Settings(home=home)
    assert embedded_status(settings).running
    assert dead_pid in [entry[0] for entry in json.loads((settings.pgdata / HANDLES_FILE).read_text())["processes"]]

    clean = python(
        "from ai_goals_tracker.config import Settings\n"
        "from ai_goals_tracker.db.server import resolve_database_url\n"
        "resolve_database_url(Settings())\n",
        home,
    )
    assert clean.returncode == 0, clean.stderr
    try:
        assert not embedded_status(settings).running
        assert json.loads((settings.pgdata / HANDLES_FILE).read_text())["processes"] == []
    finally:
        aigt("db", "stop", home=home)


def test_a_data_folder_of_an_older_version_gets_a_password(tmp_path: Path) -> None:
    """Folders the wheel initialized trusted every local login: the first start closes them."""
    home = tmp_path / "home"
    started = aigt("db", "url", home=home)
    assert started.returncode == 0, started.stderr
    aigt("db", "stop", home=home)
    pgdata = home / "pgdata"
    (pgdata / PASSWORD_FILE).unlink()
    (pgdata / "pg_hba.conf").write_text("local all all trust\n")

    restarted = aigt("db", "url", home=home)
    try:
        assert restarted.returncode == 0, restarted.stderr
        dsn = make_url(restarted.stdout.strip())
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(host=str(dsn.query["host"]), user="postgres", dbname="postgres", connect_timeout=5)
        with psycopg.connect(dsn.render_as_string(hide_password=False), connect_timeout=5) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        aigt("db", "stop", home=home)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
def test_programs_under_a_private_folder_are_copied_out_not_opened_up(tmp_path: Path) -> None:
    private = tmp_path / "root-home"
    private.mkdir(mode=0o700)
    wheel = postgres_programs(None).parent
    install = private / "venv" / "pginstall18"
    for part in ("bin", "lib", "share"):
        shutil.copytree(wheel / part, install / part, symlinks=True)
    before = modes(install)
    account = service_account()
    assert account is not None

    programs = postgres_programs(account, install)

    assert not programs.is_relative_to(tmp_path)
    assert modes(install) == before
    version = subprocess.run(
        [str(programs / "postgres"), "--version"],
        capture_output=True,
        text=True,
        user=account.uid,
        group=account.gid,
        extra_groups=[],
        check=True,
    )
    assert "PostgreSQL" in version.stdout
