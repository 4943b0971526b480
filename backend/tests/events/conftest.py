"""Fixtures for the event archive: an archive root of its own per test, and events written fast."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_goals_tracker.db.ids import new_id
from ai_goals_tracker.events.archive import ArchiveStore
from ai_goals_tracker.models.enums import EventType


@pytest.fixture
def store(tmp_path: Path) -> ArchiveStore:
    return ArchiveStore.open(str(tmp_path / "archive"))


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
