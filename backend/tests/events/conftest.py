"""Fixtures for the event archive: an archive root of its own per test, in a local folder and in an
S3 bucket served by moto's standalone server (the real S3 HTTP API), and events written fast."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pyarrow.fs as pafs
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_goals_tracker.db.ids import new_id
from ai_goals_tracker.events.store import ArchiveStore
from ai_goals_tracker.models.enums import EventType
from tests.conftest import free_port

BUCKET = "aigt-archive"


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """moto's S3 server on a free port, and the standard AWS variables that point every client
    (pyarrow, DuckDB, `aigt` subprocesses) at it."""
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "aigt-test",
        "AWS_SECRET_ACCESS_KEY": "aigt-test-secret",
        "AWS_REGION": "us-east-1",
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        _wait_for_port(port, server)
        filesystem, _path = pafs.FileSystem.from_uri(f"s3://{BUCKET}?allow_bucket_creation=true")
        filesystem.create_dir(BUCKET)
        yield env
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _wait_for_port(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        assert server.poll() is None, "moto_server exited"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError("moto_server did not start listening")


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ArchiveStore:
    if request.param == "s3":
        request.getfixturevalue("s3_server")
        return ArchiveStore.open(f"s3://{BUCKET}/{tmp_path.name}")
    return ArchiveStore.open(str(tmp_path / "archive"))


def names_in(store: ArchiveStore, folder: str) -> list[str]:
    """The names of the files in one folder of the archive, whatever its filesystem."""
    selector = pafs.FileSelector(folder, allow_not_found=True)
    return sorted(info.base_name for info in store.filesystem.get_file_info(selector))


@pytest.fixture
def sessionmaker(app: FastAPI, clean_db: None) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    return maker


def month_start(months_ago: int) -> datetime:
    now = datetime.now(UTC)
    year, month = now.year, now.month - months_ago
    while month < 1:
        year, month = year - 1, month + 12
    return datetime(year, month, 1, tzinfo=UTC)


def insert_events(
    dsn: str,
    count: int,
    *,
    months_ago: Sequence[int] = (0,),
    user_id: str | None = None,
    rng: random.Random | None = None,
) -> list[str]:
    """`count` events spread over the given months and every category, written with COPY."""
    rng = rng or random.Random(7)
    types = list(EventType)
    ids = []
    now = datetime.now(UTC)
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        with cursor.copy(
            "COPY events (id, event_type, user_id, entity_type, entity_id, payload, metadata, created_at) FROM STDIN"
        ) as copy:
            for index in range(count):
                event_type = types[index % len(types)]
                start = month_start(rng.choice(list(months_ago)))
                span = min(now, start + timedelta(days=27)) - start
                created = start + timedelta(seconds=rng.uniform(0, max(span.total_seconds(), 1)))
                event_id = new_id("evt")
                ids.append(event_id)
                payload = {"id": f"ent_{index}", "n": index, "text": "¿qué tal? " * (index % 5)}
                copy.write_row(
                    (
                        event_id,
                        event_type.value,
                        user_id,
                        event_type.category,
                        f"ent_{index}",
                        json.dumps(payload),
                        json.dumps({"source": "cli"}),
                        created,
                    )
                )
        conn.commit()
    return ids


def move_followers(dsn: str, *, to_end: bool) -> None:
    """Put every follower of the log at its end (it has read every event) or at its start."""
    with psycopg.connect(dsn) as conn:
        if to_end:
            conn.execute(
                "UPDATE event_followers f SET txid = last.txid, event_id = last.id"
                " FROM (SELECT txid, id FROM events ORDER BY txid DESC, id DESC LIMIT 1) AS last"
            )
        else:
            conn.execute("UPDATE event_followers SET txid = '0', event_id = ''")
        conn.commit()


def run_aigt(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ai_goals_tracker.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=timeout,
    )
