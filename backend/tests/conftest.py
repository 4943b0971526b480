"""Test harness: one embedded PostgreSQL per run, a migrated database per xdist worker,
and every table emptied after each test that touched the database."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from psycopg import sql
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.config import Settings, make_private_dir
from ai_goals_tracker.db.server import attach, ensure_database, sqlalchemy_url

# login_attempts has no foreign key to users, so truncating users would not empty it; a test
# that leaves attempts behind would rate-limit the next one (every test client shares an address).
APP_TABLES = ["users", "courses", "goals", "tasks", "code_snapshots", "events", "embeddings", "login_attempts"]


def _isolate_environment() -> None:
    # Nothing a test does may touch the developer's real data folder.
    os.environ["AIGT_HOME"] = tempfile.mkdtemp(prefix="aigt-test-home-")
    os.environ.pop("AIGT_DATABASE_URL", None)
    os.environ["AIGT_ENV"] = "test"
    # Tests assert what the analyzers find, not how fast: on a crowded CI machine a 2 s parse limit
    # would turn results into timeouts. The limits themselves are tested with explicit ReviewLimits.
    os.environ["AIGT_REVIEW_TIME_SCALE"] = "15"
    # Real argon2id at about a thousandth of the production cost: hundreds of tests register and log
    # in, at a quarter of a CPU second each otherwise. tests/auth/test_password_hashing.py checks the
    # production defaults, and that a hash made with other costs is redone at login.
    os.environ["AIGT_PASSWORD_HASH_TIME_COST"] = "1"
    os.environ["AIGT_PASSWORD_HASH_MEMORY_KIB"] = "256"
    os.environ["AIGT_PASSWORD_HASH_PARALLELISM"] = "1"
    # Tests read what the command line prints in English unless they ask for Spanish themselves.
    for variable in ("AIGT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        os.environ.pop(variable, None)
    os.environ["LANG"] = "C.UTF-8"


# At import rather than in pytest_configure: pytest imports the conftest files of the folders named on
# the command line before any pytest_configure hook runs, and tests/review/conftest.py imports the review
# package, whose limits read the (cached) settings once. This file is always imported first.
_isolate_environment()

# The editor tests drive code-server, installed on first use: `make test-editor` runs them, apart from the
# backend suite.
collect_ignore = [] if os.environ.get("AIGT_EDITOR_TESTS") else ["editor"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first: xdist deals them out to its workers at the start, so none of them is left
    running alone at the end while the other workers wait."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def admin_dsn(testrun_uid: str, worker_id: str) -> str:
    # One server per xdist worker: another worker's open transactions would otherwise hold back
    # this one's event-log readers (they wait for every transaction the server cannot place).
    root = make_private_dir(Path(tempfile.gettempdir()) / f"aigt-test-{testrun_uid}-{worker_id}")
    # "delete": attached processes are counted; the last to leave stops the server and removes it.
    return attach(root / "pgdata", on_last_exit="delete")


def _fresh_database(admin_dsn: str, name: str) -> str:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    ensure_database(admin_dsn, name)
    return str(sqlalchemy_url(admin_dsn).set(database=name).set(drivername="postgresql").render_as_string(False))


@pytest.fixture(scope="session")
def scratch_database(admin_dsn: str, worker_id: str) -> Callable[[str], str]:
    """A factory of empty databases (with pgvector) private to this worker."""

    def make(suffix: str) -> str:
        return _fresh_database(admin_dsn, f"aigt_test_{worker_id}_{suffix}")

    return make


@pytest.fixture(scope="session")
def database_url(admin_dsn: str, worker_id: str) -> str:
    from ai_goals_tracker.db import migrations

    dsn = _fresh_database(admin_dsn, f"aigt_test_{worker_id}")
    migrations.upgrade(dsn)
    return dsn


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, home=Path(os.environ["AIGT_HOME"]), env="test")


@pytest.fixture(scope="session")
async def app(settings: Settings, database_url: str) -> AsyncIterator[FastAPI]:
    from ai_goals_tracker.main import create_app

    application = create_app(settings, database_url)
    yield application
    await application.state.engine.dispose()
    await application.state.read_engine.dispose()


async def empty_tables(dsn: str) -> None:
    # A worker may be writing (reviews, embeddings) while the tables are emptied; a deadlock then
    # aborts one side, and emptying again succeeds.
    for attempt in range(5):
        try:
            async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                await conn.execute(f"TRUNCATE {', '.join(APP_TABLES)} RESTART IDENTITY CASCADE")
            return
        except psycopg.errors.DeadlockDetected:
            if attempt == 4:
                raise
            await asyncio.sleep(0.2)


@pytest.fixture
async def clean_db(database_url: str) -> AsyncIterator[None]:
    yield
    await empty_tables(database_url)
    # No worker runs in this process between tests: jobs a test queued and never ran (or fetched
    # and left) would be handed to the next test's worker ahead of its own.
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("TRUNCATE procrastinate_jobs CASCADE")


@pytest.fixture
async def client(app: FastAPI, clean_db: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
async def session(app: FastAPI, clean_db: None) -> AsyncIterator[AsyncSession]:
    async with app.state.sessionmaker() as db_session:
        yield db_session


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_database_url(scratch_database: Callable[[str], str]) -> str:
    """The database of `live_server`, apart from the shared one: its job worker (reviews, embeddings,
    the periodic event archive) must not act on other tests' rows."""
    from ai_goals_tracker.db import migrations

    dsn = scratch_database("live")
    migrations.upgrade(dsn)
    return dsn


@contextmanager
def serving(home: Path, env: dict[str, str], *args: str) -> Iterator[str]:
    """`aigt serve` in its own process, as a user would run it, until the block ends; its base URL."""
    port = free_port()
    env = {**os.environ, "AIGT_HOME": str(home), "AIGT_PORT": str(port), **env}
    log = (home / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "ai_goals_tracker.cli", "serve", *args], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{port}"
    # Generous: on a crowded machine migrations and imports alone may take a minute.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"aigt serve exited: {(home / 'serve.log').read_text()}")
        try:
            # Up once the database answers: /health also waits for the job worker (503 until it
            # has registered), which the tests that need it wait for themselves.
            if httpx.get(f"{base_url}/health", timeout=1).json().get("database") == "ok":
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError(f"aigt serve did not answer /health within 300 s: {(home / 'serve.log').read_text()}")
    try:
        yield base_url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def live_server(live_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`aigt serve` with its job worker, on its own database."""
    with serving(tmp_path_factory.mktemp("live-home"), {"AIGT_DATABASE_URL": live_database_url}) as base_url:
        yield base_url


@pytest.fixture
def drain_jobs(settings: Settings, database_url: str) -> Callable[..., Awaitable[None]]:
    """Follow the event log and run queued jobs in this process until both are idle: all jobs, or
    those of `queues`."""
    from ai_goals_tracker.jobs import run_worker

    async def drain(queues: Sequence[str] | None = None) -> None:
        await run_worker(settings, database_url, wait=False, queues=queues)

    return drain


def wait_for_idle_worker(dsn: str, timeout: float = 60) -> None:
    """The live server's worker keeps writing (reviews, embeddings) after a request returns."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')").fetchone()
            if row is None or row[0] == 0:
                return
            time.sleep(0.2)


@pytest.fixture
async def clean_live_db(live_database_url: str) -> AsyncIterator[None]:
    """Empties the live server's tables after the test (rate-limit counters included)."""
    yield
    await asyncio.to_thread(wait_for_idle_worker, live_database_url)
    await empty_tables(live_database_url)
