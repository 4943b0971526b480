"""The API's hot paths against a minimal FastAPI + psycopg app running the same SQL on the same
database under the same load (`baseline_app.py`):

- the single-row read `GET /api/v1/goals/{id}` (auth, session check, ownership, ORM, serialization,
  security headers, access log): throughput >= 0.75x the baseline's, p99 <= 1.3x;
- a list, `GET /api/v1/tasks?limit=50`, and a write, `PATCH /api/v1/tasks/{id}` (with its event):
  throughput >= 0.6x, p99 <= 1.5x.

Our app runs as `aigt serve` runs it: with the access log on (written to a file here).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from benchmarks.loadgen import LoadResult, raw_request, run_load
from benchmarks.support import embedded_database, free_port
from benchmarks.targets import Section, Target

CONNECTIONS = 16
SECONDS = 8.0
WARMUP = 2.0
ROUNDS = 2
PASSWORD = "benchmark password 1"
LIST_TASKS = 60
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Case:
    name: str
    label: str
    min_throughput: float
    max_p99: float


CASES = (
    Case("read", "single-row read `GET /api/v1/goals/{id}`", 0.75, 1.3),
    Case("list", "list `GET /api/v1/tasks?limit=50`", 0.6, 1.5),
    Case("write", "write `PATCH /api/v1/tasks/{id}` (with its event)", 0.6, 1.5),
)


@contextmanager
def server_process(command: list[str], env: dict[str, str], port: int) -> Iterator[int]:
    """A server started by `command`, once it answers on `port`; yields its process id."""
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
        settle(process.pid)
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=15)


def settle(pid: int, *, deadline_seconds: float = 300.0) -> None:
    """Wait until the server has done its start-up work (ours embeds the goal catalog in a thread
    when its data folder holds no stored vectors): under 5 % of a core over a second."""
    process = psutil.Process(pid)
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline and process.cpu_percent(interval=1.0) >= 5.0:
        pass


def baseline_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "benchmarks.baseline_app:app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def ours_command(port: int) -> list[str]:
    """The app as `aigt serve` runs it (its access log on), without the in-process job worker."""
    aigt = str(Path(sys.executable).with_name("aigt"))
    return [aigt, "serve", "--no-worker", "--host", HOST, "--port", str(port)]


@dataclass(frozen=True)
class Fixture:
    token: str
    user_id: str
    goal_id: str
    task_ids: list[str]


def prepare(base_url: str) -> Fixture:
    """A user with a goal of `LIST_TASKS` tasks, through the API."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        user = http.post(
            "/api/v1/auth/register",
            json={"email": "bench@example.com", "username": "bench", "password": PASSWORD},
        )
        user.raise_for_status()
        token = http.post("/api/v1/auth/login", data={"username": "bench", "password": PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        goal = http.post("/api/v1/goals", json={"title": "Benchmark goal", "description": "x" * 200}, headers=headers)
        goal.raise_for_status()
        goal_id = str(goal.json()["id"])
        task_ids = []
        for number in range(LIST_TASKS):
            task = http.post(
                "/api/v1/tasks",
                json={"goal_id": goal_id, "title": f"Task {number}", "description": "y" * 120},
                headers=headers,
            )
            task.raise_for_status()
            task_ids.append(str(task.json()["id"]))
        return Fixture(str(token), str(user.json()["id"]), goal_id, task_ids)


def requests_for(case: Case, port: int, fixture: Fixture, *, baseline: bool) -> list[list[bytes]]:
    """Per connection, the requests it sends in turn. Writers each change their own task, with a new
    title every time, so what is measured is the write, not 16 clients queueing for one row lock."""
    who = {"X-User-Id": fixture.user_id} if baseline else {"Authorization": f"Bearer {fixture.token}"}
    if case.name == "read":
        return [[raw_request(HOST, port, "GET", f"/api/v1/goals/{fixture.goal_id}", who)]] * CONNECTIONS
    if case.name == "list":
        return [[raw_request(HOST, port, "GET", "/api/v1/tasks?limit=50", who)]] * CONNECTIONS
    headers = {**who, "Content-Type": "application/json"}
    return [
        [
            raw_request(
                HOST,
                port,
                "PATCH",
                f"/api/v1/tasks/{fixture.task_ids[connection]}",
                headers,
                json.dumps({"title": f"Task {connection} take {take}"}).encode(),
            )
            for take in range(8)
        ]
        for connection in range(CONNECTIONS)
    ]


def measure(port: int, pid: int, requests: list[list[bytes]]) -> LoadResult:
    """The load, and the server's CPU seconds over the recorded window."""
    process = psutil.Process(pid)

    def cpu_seconds() -> float:
        times = process.cpu_times()
        return float(times.user + times.system)

    return asyncio.run(run_load(HOST, port, requests, seconds=SECONDS, warmup=WARMUP, probe=cpu_seconds))


def best(results: list[LoadResult]) -> LoadResult:
    return max(results, key=lambda r: r.throughput)


def run() -> Section:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="aigt-bench-api-") as tmp, embedded_database(Path(tmp)) as dsn:
        ours_port, base_port = free_port(), free_port()
        ours_env = {"AIGT_DATABASE_URL": dsn, "AIGT_HOME": str(Path(tmp) / "home")}
        results: dict[str, tuple[list[LoadResult], list[LoadResult]]] = {case.name: ([], []) for case in CASES}
        with server_process(ours_command(ours_port), ours_env, ours_port) as ours_pid:
            fixture = prepare(f"http://{HOST}:{ours_port}")
            with server_process(baseline_command(base_port), {"BASELINE_DSN": dsn}, base_port) as base_pid:
                for case in CASES:
                    ours, baseline = results[case.name]
                    for _ in range(ROUNDS):
                        requests = requests_for(case, base_port, fixture, baseline=True)
                        baseline.append(measure(base_port, base_pid, requests))
                        ours.append(
                            measure(ours_port, ours_pid, requests_for(case, ours_port, fixture, baseline=False))
                        )
    load_after = os.getloadavg()[0]
    return report({name: (best(ours), best(base)) for name, (ours, base) in results.items()}, load_before, load_after)


def report(results: dict[str, tuple[LoadResult, LoadResult]], load_before: float, load_after: float) -> Section:
    lines = [
        "## API: a read, a list and a write against minimal FastAPI + psycopg apps running the same SQL",
        "",
        f"{CONNECTIONS} keep-alive connections, {SECONDS:.0f} s per run after {WARMUP:.0f} s warm-up, best of "
        f"{ROUNDS} alternating runs; one process each (ours: `aigt serve --no-worker`, access log on), same "
        f"embedded PostgreSQL. Load average (1 min) on this {os.cpu_count()}-core machine: {load_before:.2f} "
        f"before, {load_after:.2f} after.",
        "",
        "Server CPU ms per request: the server process's user + system CPU over the recorded window, per "
        "answer (PostgreSQL's and the load generator's are not in it); steadier than req/s on a shared machine.",
        "",
        "| endpoint | app | req/s | p50 ms | p99 ms | errors | server CPU ms/request |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    targets = []
    verdicts = []
    for case in CASES:
        ours, baseline = results[case.name]
        for app, result in (("baseline (same SQL, no auth)", baseline), ("AI Goals Tracker", ours)):
            lines.append(
                f"| {case.label} | {app} | {result.throughput:,.0f} | {result.p50 * 1000:.2f} | "
                f"{result.p99 * 1000:.2f} | {result.errors} | {_cpu_per_request(result)} |"
            )
        # Errors are no throughput: a run that answered any is not evidence of speed.
        throughput = ours.throughput / baseline.throughput if not ours.errors and not baseline.errors else None
        p99 = ours.p99 / baseline.p99 if not ours.errors and not baseline.errors else None
        targets += [
            Target(f"API {case.name}: throughput vs baseline", throughput, "at least", case.min_throughput),
            Target(f"API {case.name}: p99 vs baseline", p99, "at most", case.max_p99),
        ]
        verdicts.append(
            f"- {case.label}: throughput **{_ratio(throughput)}** (target >= {case.min_throughput}x), "
            f"p99 **{_ratio(p99)}** (target <= {case.max_p99}x)"
        )
    return Section("\n".join([*lines, "", *verdicts]), targets)


def _cpu_per_request(result: LoadResult) -> str:
    if result.probed is None or not result.requests:
        return "–"
    return f"{result.probed / result.requests * 1000:.2f}"


def _ratio(value: float | None) -> str:
    return "no figure (errors)" if value is None else f"{value:.2f}x"
