"""Many processes, one database: two `aigt serve --no-worker` replicas and two `aigt worker`
processes share one PostgreSQL while learners write through both replicas in turn, and one worker
is SIGKILLed in the middle of a review. Every acknowledged write is there once, every review ends
exactly once, every event is archived exactly once, and a logout on one replica ends the session
on the other.

Nothing here is timed: each wait polls for a condition and gives up only after minutes."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pyarrow.parquet as pq
import pytest

from ai_goals_tracker.db import migrations
from tests.ai.openai_stub import Reply, openai_stub
from tests.conftest import serving
from tests.helpers import API, PASSWORD
from tests.snapshots.test_worker_kill import worker_process

PATIENCE_SECONDS = 300.0
LEARNERS = 6
# Rounds each learner writes after the kill: the surviving worker must take over the rest.
ROUNDS_AFTER_KILL = 2
# Each review asks the LLM, which takes a moment: reviews are then certainly in flight when the kill comes.
LLM_ANSWER = json.dumps({"summary": "Clear and correct.", "feedback_markdown": "### Good\n- line 1", "criteria": []})
CODE = 'def greet(name: str) -> str:\n    return f"Hello, {name}"\n'


async def _eventually(condition: Callable[[], Awaitable[Any]], what: str, logs: list[Path]) -> Any:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        result = await condition()
        if result:
            return result
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in logs if log.exists())
            raise AssertionError(f"{what} within {PATIENCE_SECONDS:g} s\n{tails}")
        await asyncio.sleep(0.2)


async def _scalar(dsn: str, query: str, *params: Any) -> Any:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        row = await (await conn.execute(query, params)).fetchone()
    return row[0] if row else None


@dataclass
class Learner:
    """A learner whose requests alternate between the replicas, and what the API acknowledged."""

    name: str
    replicas: list[httpx.AsyncClient]
    headers: dict[str, str] = field(default_factory=dict)
    turn: int = 0
    goal_id: str = ""
    tasks: list[str] = field(default_factory=list)
    snapshots: dict[str, list[str]] = field(default_factory=dict)
    goal_descriptions: list[str] = field(default_factory=list)

    def next_replica(self) -> httpx.AsyncClient:
        self.turn += 1
        return self.replicas[self.turn % len(self.replicas)]

    async def request(self, method: str, path: str, expected: int, **kwargs: Any) -> dict[str, Any]:
        response = await self.next_replica().request(method, f"{API}{path}", headers=self.headers, **kwargs)
        assert response.status_code == expected, f"{method} {path}: {response.status_code} {response.text}"
        body: dict[str, Any] = response.json() if response.content else {}
        return body

    async def sign_in(self) -> None:
        user = {"email": f"{self.name}@example.com", "username": self.name, "password": PASSWORD}
        await self.request("POST", "/auth/register", 201, json=user)
        tokens = await self.request("POST", "/auth/login", 200, data={"username": self.name, "password": PASSWORD})
        self.headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        self.goal_id = (await self.request("POST", "/goals", 201, json={"title": f"{self.name} learns Python"}))["id"]

    async def write_round(self, number: int) -> None:
        """A new task, a submission to it, and an edit of the goal: each acknowledged answer kept."""
        body = {"goal_id": self.goal_id, "title": f"Exercise {number}", "task_type": "code"}
        task_id = (await self.request("POST", "/tasks", 201, json=body))["id"]
        self.tasks.append(task_id)
        submission = {"file_path": "greet.py", "code_content": CODE}
        snapshot = await self.request("POST", f"/tasks/{task_id}/snapshots", 202, json=submission)
        self.snapshots[task_id] = [snapshot["id"]]
        description = f"Round {number} of {self.name}"
        await self.request("PATCH", f"/goals/{self.goal_id}", 200, json={"description": description})
        self.goal_descriptions.append(description)

    @property
    def all_snapshots(self) -> list[str]:
        return [snapshot for snapshots in self.snapshots.values() for snapshot in snapshots]


class Workload:
    """Learners writing round after round until told to stop."""

    def __init__(self, learners: list[Learner]) -> None:
        self.learners = learners
        self.rounds = 0
        self.stop_after: int | None = None

    async def run(self) -> None:
        await asyncio.gather(*(learner.sign_in() for learner in self.learners))
        while self.stop_after is None or self.rounds < self.stop_after:
            self.rounds += 1
            await asyncio.gather(*(learner.write_round(self.rounds) for learner in self.learners))


@pytest.fixture
def replica_dsn(scratch_database: Callable[[str], str]) -> str:
    dsn = scratch_database("replicas")
    migrations.upgrade(dsn)
    return dsn


@pytest.fixture
def llm_url() -> Iterator[str]:
    with openai_stub(Reply(content=LLM_ANSWER, delay_seconds=1.5)) as (url, _state):
        yield url


@pytest.mark.slow
async def test_two_replicas_two_workers_one_killed(replica_dsn: str, llm_url: str, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    env = {
        "AIGT_DATABASE_URL": replica_dsn,
        # What makes replicas interchangeable: one signing key and one archive.
        "AIGT_SECRET_KEY": secrets.token_urlsafe(48),
        "AIGT_ARCHIVE_URI": str(archive),
        "AIGT_LLM_BASE_URL": llm_url,
        "AIGT_LLM_MODEL": "stub",
        # A killed worker's jobs are handed to the other one within seconds.
        "AIGT_JOB_HEARTBEAT_SECONDS": "1",
        "AIGT_STALLED_WORKER_SECONDS": "3",
        # Archive runs come every few seconds rather than every minute, some of them while a worker is killed.
        "AIGT_ARCHIVE_EVERY_SECONDS": "5",
    }
    worker_env = {**os.environ, **env, "AIGT_HOME": str(tmp_path / "worker-home")}
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    with ExitStack() as stack:
        first = stack.enter_context(worker_process(worker_env, logs[0]))
        # Each worker process registers two procrastinate workers: the slots of test runs, and the others'.
        await _eventually(
            lambda: _scalar(replica_dsn, "SELECT count(*) = 2 FROM procrastinate_workers"), "worker 1 registered", logs
        )
        first_ids = await _scalar(replica_dsn, "SELECT array_agg(id) FROM procrastinate_workers")
        stack.enter_context(worker_process(worker_env, logs[1]))
        await _eventually(
            lambda: _scalar(replica_dsn, "SELECT count(*) = 4 FROM procrastinate_workers"), "worker 2 registered", logs
        )
        urls = []
        for number in (1, 2):
            home = tmp_path / f"replica-{number}"
            home.mkdir()
            urls.append(stack.enter_context(serving(home, env, "--no-worker")))
            logs.append(home / "serve.log")
        async with (
            httpx.AsyncClient(base_url=urls[0], timeout=60) as one,
            httpx.AsyncClient(base_url=urls[1], timeout=60) as other,
        ):
            await _run_and_check(replica_dsn, [one, other], first, first_ids, archive, logs)


async def _run_and_check(
    dsn: str,
    replicas: list[httpx.AsyncClient],
    first: Any,
    first_ids: list[int],
    archive: Path,
    logs: list[Path],
) -> None:
    learners = [Learner(f"learner{number}", replicas) for number in range(LEARNERS)]
    workload = Workload(learners)
    writing = asyncio.create_task(workload.run())
    # Midway: worker 1 is reviewing (waiting on the LLM) when it is killed.
    await _eventually(
        lambda: _scalar(
            dsn,
            "SELECT count(*) > 0 FROM procrastinate_jobs WHERE task_name = 'review_snapshot'"
            " AND status = 'doing' AND worker_id = ANY(%s)",
            first_ids,
        ),
        "worker 1 never took a review",
        logs,
    )
    first.send_signal(signal.SIGKILL)
    first.wait()
    workload.stop_after = workload.rounds + ROUNDS_AFTER_KILL
    await writing

    await _every_review_finished_once(dsn, learners, logs)
    await _every_write_there_once(dsn, learners)
    await _every_event_archived_once(dsn, archive, logs)
    await _logout_on_one_replica_ends_the_session_on_the_other(replicas)


async def _every_review_finished_once(dsn: str, learners: list[Learner], logs: list[Path]) -> None:
    async def all_reviewed() -> bool:
        for learner in learners:
            for snapshot_id in learner.all_snapshots:
                snapshot = await learner.request("GET", f"/snapshots/{snapshot_id}", 200)
                if snapshot["review_status"] == "pending":
                    return False
        return True

    await _eventually(all_reviewed, "every submission reviewed", logs)
    snapshot_ids = [snapshot for learner in learners for snapshot in learner.all_snapshots]
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        rows = await (
            await conn.execute(
                "SELECT entity_id, event_type, count(*) FROM events WHERE entity_id = ANY(%s)"
                " AND event_type IN ('code.validated', 'ai.validation_completed') GROUP BY 1, 2",
                (snapshot_ids,),
            )
        ).fetchall()
    counts = {(entity, kind): count for entity, kind, count in rows}
    for snapshot_id in snapshot_ids:
        for kind in ("code.validated", "ai.validation_completed"):
            assert counts.get((snapshot_id, kind)) == 1, (snapshot_id, kind, counts.get((snapshot_id, kind)))
    assert await _scalar(dsn, "SELECT count(*) FROM procrastinate_jobs WHERE status = 'failed'") == 0
    for learner in learners:
        for snapshot_id in learner.all_snapshots:
            snapshot = await learner.request("GET", f"/snapshots/{snapshot_id}", 200)
            assert snapshot["review_status"] in ("passed", "failed"), snapshot
            assert snapshot["metadata"]["review"]["feedback_source"] == "llm"


async def _every_write_there_once(dsn: str, learners: list[Learner]) -> None:
    for learner in learners:
        goals = await learner.request("GET", "/goals", 200)
        assert [goal["id"] for goal in goals["items"]] == [learner.goal_id]
        # The last acknowledged edit is the one that stands.
        assert goals["items"][0]["description"] == learner.goal_descriptions[-1]
        tasks = await learner.request("GET", "/tasks", 200, params={"goal_id": learner.goal_id, "limit": 200})
        assert sorted(task["id"] for task in tasks["items"]) == sorted(learner.tasks)
        assert tasks["total"] == len(learner.tasks)
        for task_id, snapshot_ids in learner.snapshots.items():
            history = await learner.request("GET", f"/tasks/{task_id}/snapshots", 200)
            assert [snapshot["id"] for snapshot in history["items"]] == snapshot_ids
    created = [learner.goal_id for learner in learners] + [task for learner in learners for task in learner.tasks]
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        rows = await (
            await conn.execute(
                "SELECT entity_id, count(*) FROM events WHERE event_type IN ('goal.created', 'task.created')"
                " AND entity_id = ANY(%s) GROUP BY 1",
                (created,),
            )
        ).fetchall()
    assert dict(rows) == dict.fromkeys(created, 1)


async def _every_event_archived_once(dsn: str, archive: Path, logs: list[Path]) -> None:
    # The surviving worker archives every few seconds; nothing writes events any more.
    await _eventually(
        lambda: _scalar(
            dsn,
            "SELECT NOT EXISTS (SELECT 1 FROM events WHERE processed_at IS NULL)"
            " AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
            " AND task_name <> 'archive_events' AND (scheduled_at IS NULL OR scheduled_at <= now()))",
        ),
        "every event archived",
        logs,
    )
    archived = await asyncio.to_thread(_archived_ids, archive)
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        logged = {row[0] for row in await (await conn.execute("SELECT id FROM events")).fetchall()}
    assert logged
    assert set(archived) == logged
    assert [event for event, count in archived.items() if count > 1] == []


def _archived_ids(archive: Path) -> Counter[str]:
    """How many times each event id appears in the archive's Parquet files."""
    archived: Counter[str] = Counter()
    for path in archive.rglob("*.parquet"):
        archived.update(pq.read_table(path, columns=["id"]).column("id").to_pylist())
    return archived


async def _logout_on_one_replica_ends_the_session_on_the_other(replicas: list[httpx.AsyncClient]) -> None:
    first, second = replicas
    form = {"username": "learner0", "password": PASSWORD}
    tokens = (await first.post(f"{API}/auth/login", data=form)).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await second.get(f"{API}/users/me", headers=headers)).status_code == 200
    assert (await second.post(f"{API}/auth/logout", headers=headers)).status_code == 204
    after = await first.get(f"{API}/users/me", headers=headers)
    assert after.status_code == 401, after.text
    refreshed = await first.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401, refreshed.text
