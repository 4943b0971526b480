"""Reliability with real processes: a worker SIGKILLed mid-review, another finishing the job, and an
API restarted in between losing nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ai_goals_tracker.config import Settings
from ai_goals_tracker.db import migrations
from ai_goals_tracker.main import create_app
from ai_goals_tracker.models import Event
from tests.ai.openai_stub import Reply, openai_stub
from tests.helpers import API, register_and_login
from tests.review.corpus import sample_code
from tests.snapshots.helpers import submit, task_with_criteria

# Bounds on waiting for what must happen (a worker starting, a job retried): failure guards against a
# hang, generous enough for a crowded machine, never a performance budget.
PATIENCE_SECONDS = 300.0
LLM_ANSWER = json.dumps(
    {"summary": "Constant-time comparison: well done.", "feedback_markdown": "### Good\n- line 17", "criteria": []}
)


@contextmanager
def worker_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "ai_goals_tracker.cli", "worker"], env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def wait_until(condition: Callable[[], Any], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout:g} s; worker log:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


async def reviewed_within(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], seconds: float
) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        snapshot: dict[str, Any] = (await client.get(url, headers=headers)).json()
        if snapshot["review_status"] != "pending" or time.monotonic() > deadline:
            return snapshot
        await asyncio.sleep(0.2)


@pytest.mark.slow
async def test_a_worker_killed_mid_review_leaves_the_job_to_the_next_one(
    scratch_database: Callable[[str], str], settings: Settings, tmp_path: Path
) -> None:
    # A database of its own: no other worker (an `aigt serve` of another test) may take this job.
    dsn = scratch_database("worker_kill")
    migrations.upgrade(dsn)
    # The first LLM call hangs, so the first worker is certainly mid-review when it is killed.
    with openai_stub(Reply(content=LLM_ANSWER, delay_seconds=45), Reply(content=LLM_ANSWER)) as (llm_url, llm):
        env = {
            **os.environ,
            "AIGT_DATABASE_URL": dsn,
            "AIGT_LLM_BASE_URL": llm_url,
            "AIGT_LLM_MODEL": "stub",
            "AIGT_LLM_TIMEOUT_SECONDS": "50",
            "AIGT_JOB_HEARTBEAT_SECONDS": "1",
            "AIGT_STALLED_WORKER_SECONDS": "3",
        }
        api = create_app(settings.model_copy(update={"database_url": dsn}), dsn)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://test") as client:
            user = await register_and_login(client, "survivor")
            _, (task_id,) = await task_with_criteria(client, user)
            snapshot_id = (await submit(client, user, task_id, sample_code("correct_login.py"))).json()["id"]
        await api.state.engine.dispose()
        await api.state.read_engine.dispose()

        first_log, second_log = tmp_path / "worker-1.log", tmp_path / "worker-2.log"
        with worker_process(env, first_log) as first:
            wait_until(
                lambda: len(llm.requests) == 1, PATIENCE_SECONDS, "the first worker did not reach the LLM", first_log
            )
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=5)

        # The API restarted meanwhile: a new process serves the same, still pending, snapshot.
        api = create_app(settings.model_copy(update={"database_url": dsn}), dsn)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://test") as client:
            pending = (await client.get(f"{API}/snapshots/{snapshot_id}", headers=user.headers)).json()
            assert pending["review_status"] == "pending"

            with worker_process(env, second_log):
                wait_until(
                    lambda: len(llm.requests) == 2, PATIENCE_SECONDS, "the second worker did not take over", second_log
                )
                snapshot = await reviewed_within(
                    client, f"{API}/snapshots/{snapshot_id}", user.headers, PATIENCE_SECONDS
                )

            assert snapshot["validation_passed"] is True
            assert snapshot["metadata"]["review"]["feedback_source"] == "llm"
            task = (await client.get(f"{API}/tasks/{task_id}", headers=user.headers)).json()
            assert task["status"] == "completed"
            async with api.state.sessionmaker() as session:
                validated = await session.scalars(select(Event).where(Event.event_type == "code.validated"))
                assert [e.entity_id for e in validated] == [snapshot_id]
        await api.state.engine.dispose()
        await api.state.read_engine.dispose()
