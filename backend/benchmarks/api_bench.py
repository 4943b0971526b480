"""`GET /api/v1/goals/{id}` (auth + ownership + ORM + serialization) against a minimal FastAPI +
psycopg app doing the same single-row query, on the same database, under the same load.

Target (DESIGN.md): throughput >= 0.5x the baseline's, p99 <= 2x the baseline's.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from benchmarks.loadgen import LoadResult, run_load
from benchmarks.support import embedded_database, free_port

CONNECTIONS = 16
SECONDS = 8.0
WARMUP = 2.0
ROUNDS = 2
PASSWORD = "benchmark password 1"


@contextmanager
def server(command: list[str], env: dict[str, str], port: int) -> Iterator[None]:
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode() if process.stderr else "server exited")
            try:
                httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield
    finally:
        process.terminate()
        process.wait(timeout=15)


def uvicorn_command(app_ref: str, port: int, *, factory: bool) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app_ref,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return command + (["--factory"] if factory else [])


def prepare_goal(base_url: str) -> tuple[str, str]:
    """A user with one goal, through the API; returns the goal id and an access token."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        http.post(
            "/api/v1/auth/register",
            json={"email": "bench@example.com", "username": "bench", "password": PASSWORD},
        ).raise_for_status()
        token = http.post("/api/v1/auth/login", data={"username": "bench", "password": PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        goal = http.post("/api/v1/goals", json={"title": "Benchmark goal", "description": "x" * 200}, headers=headers)
        goal.raise_for_status()
        return str(goal.json()["id"]), str(token)


def measure(port: int, path: str, headers: dict[str, str]) -> LoadResult:
    return asyncio.run(
        run_load("127.0.0.1", port, path, headers, connections=CONNECTIONS, seconds=SECONDS, warmup=WARMUP)
    )


def best(results: list[LoadResult]) -> LoadResult:
    return max(results, key=lambda r: r.throughput)


def run() -> str:
    with tempfile.TemporaryDirectory(prefix="aigt-bench-api-") as tmp, embedded_database(Path(tmp)) as dsn:
        ours_port, base_port = free_port(), free_port()
        ours_env = {
            "AIGT_DATABASE_URL": dsn,
            "AIGT_HOME": str(Path(tmp) / "home"),
        }
        ours: list[LoadResult] = []
        baseline: list[LoadResult] = []
        with server(uvicorn_command("ai_goals_tracker.main:create_app", ours_port, factory=True), ours_env, ours_port):
            goal_id, token = prepare_goal(f"http://127.0.0.1:{ours_port}")
            with server(
                uvicorn_command("benchmarks.baseline_app:app", base_port, factory=False),
                {"BASELINE_DSN": dsn},
                base_port,
            ):
                path = f"/api/v1/goals/{goal_id}"
                for _ in range(ROUNDS):
                    baseline.append(measure(base_port, path, {}))
                    ours.append(measure(ours_port, path, {"Authorization": f"Bearer {token}"}))
    return report(best(ours), best(baseline))


def report(ours: LoadResult, baseline: LoadResult) -> str:
    ratio = ours.throughput / baseline.throughput
    p99_ratio = ours.p99 / baseline.p99
    verdict = "meets" if ratio >= 0.5 and p99_ratio <= 2.0 else "misses"
    return "\n".join(
        [
            "## API: single-row read `GET /api/v1/goals/{id}`",
            "",
            f"{CONNECTIONS} keep-alive connections, {SECONDS:.0f} s per run after {WARMUP:.0f} s warm-up, "
            f"best of {ROUNDS} alternating runs; one uvicorn process each, same embedded PostgreSQL.",
            "",
            "| app | req/s | p50 ms | p99 ms | errors |",
            "|---|---:|---:|---:|---:|",
            f"| minimal FastAPI + psycopg (baseline) | {baseline.throughput:,.0f} | {baseline.p50 * 1000:.2f} | "
            f"{baseline.p99 * 1000:.2f} | {baseline.errors} |",
            f"| AI Goals Tracker (JWT + session check + ownership + ORM) | {ours.throughput:,.0f} | "
            f"{ours.p50 * 1000:.2f} | {ours.p99 * 1000:.2f} | {ours.errors} |",
            "",
            f"**Throughput ratio {ratio:.2f}x** (target >= 0.5x), **p99 ratio {p99_ratio:.2f}x** (target <= 2x): "
            f"{verdict} the target.",
        ]
    )
