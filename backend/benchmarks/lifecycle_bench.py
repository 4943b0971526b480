"""Completing a task: one `POST /tasks/{id}/move` against the three `PATCH` steps it replaces.

Both run through the same application in this process, on fresh `todo` tasks of one goal, timed
around the requests (server time, no network). The move walks the same three steps with the same
three events and one roll-up, in one transaction instead of three; clients (the CLI, the
extension, the dashboard) send the move.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from ai_goals_tracker.config import Settings
from ai_goals_tracker.main import create_app
from benchmarks.support import embedded_database, p95
from benchmarks.targets import Section

RUNS = 120
WARMUP = 10
PASSWORD = "benchmark password 1"
API = "/api/v1"
STEPS = ("in_progress", "in_review", "completed")


async def _learner(http: httpx.AsyncClient) -> tuple[dict[str, str], str]:
    await http.post(f"{API}/auth/register", json={"email": "mv@example.com", "username": "mover", "password": PASSWORD})
    token = (await http.post(f"{API}/auth/login", data={"username": "mover", "password": PASSWORD})).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    goal = (await http.post(f"{API}/goals", json={"title": "Bench goal"}, headers=headers)).json()
    return headers, str(goal["id"])


async def _task(http: httpx.AsyncClient, headers: dict[str, str], goal_id: str) -> str:
    body = {"goal_id": goal_id, "title": "Write the notes", "task_type": "documentation"}
    return str((await http.post(f"{API}/tasks", json=body, headers=headers)).json()["id"])


async def _by_steps(http: httpx.AsyncClient, headers: dict[str, str], task_id: str) -> None:
    for status in STEPS:
        response = await http.patch(f"{API}/tasks/{task_id}", json={"status": status}, headers=headers)
        assert response.status_code == 200, response.text


async def _by_move(http: httpx.AsyncClient, headers: dict[str, str], task_id: str) -> None:
    response = await http.post(f"{API}/tasks/{task_id}/move", json={"status": "completed"}, headers=headers)
    assert response.status_code == 200, response.text


async def _measure(dsn: str, home: Path) -> dict[str, list[float]]:
    app = create_app(Settings(database_url=dsn, home=home), dsn)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120) as http:
            headers, goal_id = await _learner(http)
            variants = {"three PATCH steps": _by_steps, "one POST move": _by_move}
            samples: dict[str, list[float]] = {name: [] for name in variants}
            for run in range(WARMUP + RUNS):
                for name, complete in variants.items():
                    task_id = await _task(http, headers, goal_id)
                    began = time.perf_counter()
                    await complete(http, headers, task_id)
                    if run >= WARMUP:
                        samples[name].append(time.perf_counter() - began)
            return samples
    finally:
        await app.state.engine.dispose()
        await app.state.read_engine.dispose()


def run() -> Section:
    with tempfile.TemporaryDirectory(prefix="aigt-bench-lifecycle-") as tmp, embedded_database(Path(tmp)) as dsn:
        samples = asyncio.run(_measure(dsn, Path(tmp) / "home"))
    steps, move = samples["three PATCH steps"], samples["one POST move"]
    rows = [
        f"| {name} | {statistics.median(values) * 1000:.1f} | {p95(values) * 1000:.1f} |"
        for name, values in samples.items()
    ]
    ratio = statistics.median(move) / statistics.median(steps)
    return Section(
        "\n".join(
            [
                "## Completing a task: one move request against three status steps",
                "",
                f"{RUNS} completions each after {WARMUP} warm-up rounds, interleaved, each on a fresh `todo` task "
                "of one goal (whose roll-up grows with it), timed in the process around the requests.",
                "",
                "| completion | p50 ms | p95 ms |",
                "|---|---:|---:|",
                *rows,
                "",
                f"**One move = {ratio:.2f}x the three steps' time** (p50), with the same events and no half-way state.",
            ]
        )
    )
