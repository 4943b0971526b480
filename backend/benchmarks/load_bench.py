"""Many learners through the whole journey, against two API replicas and two workers on one
PostgreSQL, beside one `aigt serve` process (API and worker together) facing the same learners.

Each learner registers once (before the measured session), logs in, plans a course (suggest,
accept), then loops: starts a task, writes code for a while, submits it, polls for the verdict,
and reads progress, stats and search, thinking between steps. Each one comes from its own
loopback address (127.0.0.x), as learners would from their own machines: the login limits count
per address. Replicas are taken in turn, request by request, as a round-robin balancer would.

Reported per run: throughput, p50/p95/p99 per route, the review wait (submitted until the verdict
was written, so queue time plus the review itself), errors and lost writes (acknowledged ids
missing from the database afterwards), with the machine's load average at start and end.

Targets at 50 learners on a 2-core machine: p99 under 1 s for every route but login and register,
and the review wait under 10 s at p95; errors and lost writes 0 at every size.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import psutil
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from ai_goals_tracker.db import migrations
from ai_goals_tracker.db.server import ensure_database, libpq_dsn, temporary_server
from benchmarks.loadgen import HttpConnection, Response
from benchmarks.support import free_port
from benchmarks.targets import Section, Target

# `AIGT_LOAD_LEARNERS=10` and `AIGT_LOAD_SECONDS=30` make a quick trial run.
LEARNER_COUNTS = tuple(int(n) for n in os.environ.get("AIGT_LOAD_LEARNERS", "50,200").split(","))
# `single` (one `aigt serve`), `replicas` (two API replicas and two workers), or both.
TOPOLOGIES = tuple(os.environ.get("AIGT_LOAD_TOPOLOGIES", "single,replicas").split(","))
if not set(TOPOLOGIES) <= {"single", "replicas"}:
    raise SystemExit(f"AIGT_LOAD_TOPOLOGIES: expected single and/or replicas, got {','.join(TOPOLOGIES)}")
# Learners registered on earlier days; the run is a session: they arrive two a second (each login
# costs a quarter of a CPU second of argon2), then all keep working for the steady part.
ARRIVALS_PER_SECOND = 2.0
STEADY_SECONDS = float(os.environ.get("AIGT_LOAD_SECONDS", "90"))
REGISTRATIONS_AT_ONCE = 4
# A learner reads for 1-3 s between requests and writes code for 20-40 s before each submission.
READ_THINK = (1.0, 3.0)
WRITE_THINK = (20.0, 40.0)
# Bounds on waiting for something that must happen (servers up, the queue drained): guards only.
PATIENCE_SECONDS = 600.0
TARGET_P99_SECONDS = 1.0
TARGET_REVIEW_P95_SECONDS = 10.0
EXEMPT_ROUTES = ("POST /auth/login", "POST /auth/register")
PASSWORD = "load benchmark password 1"
API = "/api/v1"
WORKER_CONCURRENCY = 2

COURSES = [
    ("Testing en Python con pytest", "Quiero aprender a escribir pruebas unitarias con pytest y fixtures."),
    ("Python for data work", "Cleaning data with pandas and writing small, tested Python functions."),
    ("APIs con FastAPI", "Construir una API REST con FastAPI, validación con Pydantic y pruebas."),
    ("JavaScript fundamentals", "Functions, arrays, objects and modules in modern JavaScript, with tests."),
]
SEARCHES = ["pruebas unitarias", "how to test a function", "validación de datos", "arrays and loops", "fixtures"]
CODE = '''"""A small module written while learning."""


def add(left: int, right: int) -> int:
    """Return the sum of two integers."""
    return left + right


def average(values: list[float]) -> float:
    if not values:
        raise ValueError("no values")
    return sum(values) / len(values)


def test_add() -> None:
    assert add(2, 3) == 5
'''


@dataclass
class Tally:
    """What the learners saw: latencies per route, errors, and the ids the server acknowledged."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    acknowledged: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    requests: int = 0


@dataclass
class RunResult:
    topology: str
    learners: int
    seconds: float
    tally: Tally
    review_waits: list[float]
    reviews_pending: int
    lost_writes: int
    load_before: float
    load_after: float
    # CPU seconds spent by each role from the first arrival until the review queue drained.
    cpu: dict[str, float]
    # The largest resident set of one process of each role, in MB.
    memory: dict[str, float]
    # Embedding rows written by the time the last review was.
    embeddings: int

    @property
    def errors(self) -> int:
        return sum(self.tally.errors.values())


class Learner:
    """One simulated learner: a keep-alive connection to each replica, from its own address."""

    def __init__(self, index: int, ports: Sequence[int], tally: Tally, rng: random.Random) -> None:
        address = f"127.0.0.{2 + index % 250}"
        self.connections = [HttpConnection("127.0.0.1", port, address) for port in ports]
        self.username = f"learner{index}"
        self.tally, self.rng, self.turn = tally, rng, index
        self.headers: dict[str, str] = {}

    async def call(self, route: str, method: str, path: str, body: Any = None, *, form: bool = False) -> Response:
        headers = dict(self.headers)
        payload = b""
        if body is not None:
            payload = (urlencode(body) if form else json.dumps(body)).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded" if form else "application/json"
        self.turn += 1
        connection = self.connections[self.turn % len(self.connections)]
        started = time.perf_counter()
        try:
            response = await connection.request(method, f"{API}{path}", headers, payload)
        except OSError as exc:
            self.tally.errors[f"{route} {type(exc).__name__}"] += 1
            return Response(0, b"")
        self.tally.latencies[route].append(time.perf_counter() - started)
        self.tally.requests += 1
        if response.status >= 400:
            self.tally.errors[f"{route} {response.status}"] += 1
        return response

    async def think(self, bounds: tuple[float, float]) -> None:
        await asyncio.sleep(self.rng.uniform(*bounds))

    async def run(self, until: float) -> None:
        if await self.log_in():
            while time.monotonic() < until:
                await self._plan_and_work(until)
        await self.close()

    async def close(self) -> None:
        for connection in self.connections:
            await connection.close()

    async def register(self) -> bool:
        user = {"email": f"{self.username}@example.com", "username": self.username, "password": PASSWORD}
        return (await self.call("POST /auth/register", "POST", "/auth/register", user)).status == 201

    async def log_in(self) -> bool:
        form = {"username": self.username, "password": PASSWORD}
        login = await self.call("POST /auth/login", "POST", "/auth/login", form, form=True)
        if login.status != 200:
            return False
        self.headers = {"Authorization": f"Bearer {json.loads(login.body)['access_token']}", "X-Client": "cli"}
        return True

    def _ack(self, kind: str, response: Response) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(response.body)
        self.tally.acknowledged[kind].add(document["id"])
        return document

    async def _plan_and_work(self, until: float) -> None:
        await self.think(READ_THINK)
        title, description = self.rng.choice(COURSES)
        created = await self.call("POST /courses", "POST", "/courses", {"title": title, "description": description})
        if created.status != 201:
            return
        course = self._ack("courses", created)
        await self.think(READ_THINK)
        suggest_path = f"/courses/{course['id']}/goals/suggest"
        suggested = await self.call("POST /courses/{id}/goals/suggest", "POST", suggest_path, {"count": 2})
        goals = json.loads(suggested.body).get("goals", []) if suggested.status == 200 else []
        if not goals:
            return
        await self.think(READ_THINK)
        accept_path = f"/courses/{course['id']}/goals/accept"
        accepted = await self.call("POST /courses/{id}/goals/accept", "POST", accept_path, {"goals": goals[:1]})
        if accepted.status != 201:
            return
        for goal in json.loads(accepted.body)["goals"]:
            self.tally.acknowledged["goals"].add(goal["id"])
            self.tally.acknowledged["tasks"].update(task["id"] for task in goal["tasks"])
            for task in goal["tasks"]:
                if time.monotonic() >= until:
                    return
                await self._work_on(course["id"], goal["id"], task["id"], until)

    async def _work_on(self, course_id: str, goal_id: str, task_id: str, until: float) -> None:
        """Start the task, then submit until it is completed (or the run ends)."""
        await self.call("PATCH /tasks/{id}", "PATCH", f"/tasks/{task_id}", {"status": "in_progress"})
        while time.monotonic() < until:
            await self.think(WRITE_THINK)
            body = {"file_path": "learning.py", "code_content": CODE}
            submitted = await self.call("POST /tasks/{id}/snapshots", "POST", f"/tasks/{task_id}/snapshots", body)
            if submitted.status not in (200, 202):
                return
            snapshot = self._ack("code_snapshots", submitted)
            verdict = await self._await_verdict(snapshot["id"], until)
            await self._read_progress(course_id, goal_id)
            task = json.loads((await self.call("GET /tasks/{id}", "GET", f"/tasks/{task_id}")).body or b"{}")
            if verdict is None or task.get("status") in ("completed", "skipped", None):
                return

    async def _await_verdict(self, snapshot_id: str, until: float) -> dict[str, Any] | None:
        while time.monotonic() < until:
            await self.think(READ_THINK)
            response = await self.call("GET /snapshots/{id}", "GET", f"/snapshots/{snapshot_id}")
            document: dict[str, Any] = json.loads(response.body or b"{}")
            if document.get("review_status", "pending") != "pending":
                return document
        return None

    async def _read_progress(self, course_id: str, goal_id: str) -> None:
        for route, path in (
            ("GET /goals/{id}", f"/goals/{goal_id}"),
            ("GET /courses/{id}", f"/courses/{course_id}"),
            ("GET /tasks?goal_id", f"/tasks?goal_id={goal_id}"),
            ("GET /stats/me", "/stats/me"),
            ("GET /search", f"/search?q={quote(self.rng.choice(SEARCHES))}&limit=10"),
        ):
            await self.think(READ_THINK)
            await self.call(route, "GET", path)


@contextmanager
def _process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("w") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _aigt(*args: str) -> list[str]:
    return [sys.executable, "-m", "ai_goals_tracker.cli", *args]


def _wait_healthy(ports: Sequence[int], logs: Sequence[Path]) -> None:
    """Every replica answers /health 200: database reachable and a worker registered."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    for port in ports:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                tails = "\n".join(log.read_text()[-2000:] for log in logs)
                raise RuntimeError(f"the servers did not become healthy:\n{tails}")
            time.sleep(0.5)


@dataclass(frozen=True)
class Deployment:
    ports: list[int]
    # Root process ids by role ("api", "worker", "api + worker"), for the CPU they spend.
    roles: dict[str, list[int]]


@contextmanager
def topology(name: str, dsn: str, home: Path) -> Iterator[Deployment]:
    """`single`: one `aigt serve` (API and worker); `replicas`: two `aigt serve --no-worker` and two
    `aigt worker`, sharing the database, the signing key and the archive."""
    env = {
        **os.environ,
        "AIGT_DATABASE_URL": dsn,
        "AIGT_HOME": str(home),
        "AIGT_SECRET_KEY": secrets.token_urlsafe(48),
        "AIGT_ARCHIVE_URI": str(home / "archive"),
    }
    with ExitStack() as stack:
        logs: list[Path] = []
        if name == "single":
            ports = [free_port()]
            commands = [("api + worker", _aigt("serve", "--port", str(ports[0])))]
        else:
            ports = [free_port(), free_port()]
            concurrency = str(WORKER_CONCURRENCY)
            commands = [("api", _aigt("serve", "--no-worker", "--port", str(port))) for port in ports]
            commands += [("worker", _aigt("worker", "--concurrency", concurrency)) for _ in range(2)]
        roles: dict[str, list[int]] = defaultdict(list)
        for number, (role, command) in enumerate(commands):
            logs.append(home / f"{name}-{number}.log")
            roles[role].append(stack.enter_context(_process(command, env, logs[-1])).pid)
        _wait_healthy(ports, logs)
        for port in ports:
            asyncio.run(_warm_up(port))
        yield Deployment(ports, dict(roles))


async def _warm_up(port: int) -> None:
    """What a replica does once before it takes traffic (a readiness check would): load the
    embedding model and the catalog's vectors through a first suggestion and a first search.
    Not counted in the figures."""
    tally = Tally()
    learner = Learner(port, [port], tally, random.Random(port))
    learner.username = f"warmup{port}"
    if await learner.register() and await learner.log_in():
        course = json.loads((await learner.call("", "POST", "/courses", {"title": COURSES[0][0]})).body)
        await learner.call("", "POST", f"/courses/{course['id']}/goals/suggest", {"count": 2})
        await learner.call("", "GET", f"/search?q={quote(SEARCHES[0])}")
    await learner.close()
    if tally.errors:
        raise RuntimeError(f"warming up the replica on port {port} failed: {dict(tally.errors)}")


def cpu_seconds(roots: Sequence[int]) -> float:
    """CPU time (user + system) of these processes and their descendants, live or reaped."""
    total = 0.0
    for root in roots:
        try:
            process = psutil.Process(root)
            tree = [process, *process.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for member in tree:
            try:
                times = member.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system + times.children_user + times.children_system
    return total


def resident_megabytes(roots: Sequence[int]) -> float:
    """The largest resident memory among these processes (the model and the app loaded)."""
    sizes = [0]
    for root in roots:
        try:
            sizes.append(psutil.Process(root).memory_info().rss)
        except psutil.NoSuchProcess:
            continue
    return max(sizes) / 2**20


def postmaster_pid(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        # Asked while the backend lives: it is gone once the connection closes.
        parent = psutil.Process(int(row[0])).parent()
    assert parent is not None
    return int(parent.pid)


async def _register(ports: Sequence[int], learners: int, tally: Tally) -> None:
    """Every learner's account, a few at a time, before the session."""
    gate = asyncio.Semaphore(REGISTRATIONS_AT_ONCE)

    async def register(index: int) -> None:
        async with gate:
            learner = Learner(index, ports, tally, random.Random(index))
            await learner.register()
            await learner.close()

    await asyncio.gather(*(register(index) for index in range(learners)))


async def _drive(ports: Sequence[int], learners: int, tally: Tally) -> float:
    """Run the learners' session; the seconds from the first arrival until the last one stopped."""
    rng = random.Random(learners)
    started = time.monotonic()
    until = started + learners / ARRIVALS_PER_SECOND + STEADY_SECONDS

    async def arrive(index: int) -> None:
        await asyncio.sleep(index / ARRIVALS_PER_SECOND)
        await Learner(index, ports, tally, random.Random(rng.random())).run(until)

    await asyncio.gather(*(arrive(index) for index in range(learners)))
    return time.monotonic() - started


def _wait_for_reviews(dsn: str) -> int:
    """Reviews still queued or running once the queue has drained (or patience ran out)."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    with psycopg.connect(dsn, autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'review_snapshot'"
                " AND status IN ('todo', 'doing')"
            ).fetchone()
            pending = int(row[0]) if row else 0
            if pending == 0 or time.monotonic() > deadline:
                return pending
            time.sleep(1)


def _review_waits(dsn: str) -> list[float]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM (metadata->'review'->>'validated_at')::timestamptz - created_at)"
            " FROM code_snapshots WHERE metadata->'review'->>'validated_at' IS NOT NULL"
        ).fetchall()
    return [float(row[0]) for row in rows]


def _count(dsn: str, query: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def _lost_writes(dsn: str, acknowledged: dict[str, set[str]]) -> int:
    lost = 0
    with psycopg.connect(dsn) as conn:
        for table, ids in acknowledged.items():
            query = sql.SQL("SELECT count(*) FROM {} WHERE id = ANY(%s)").format(sql.Identifier(table))
            row = conn.execute(query, (list(ids),)).fetchone()
            lost += len(ids) - (int(row[0]) if row else 0)
    return lost


def _fresh_database(admin: str, name: str) -> str:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    ensure_database(admin, name)
    dsn = libpq_dsn(make_url(admin).set(database=name))
    migrations.upgrade(dsn)
    return dsn


def measure(admin: str, root: Path, name: str, learners: int) -> RunResult:
    dsn = _fresh_database(admin, f"aigt_load_{name}_{learners}")
    home = root / f"{name}-{learners}"
    home.mkdir(mode=0o700)
    tally = Tally()
    with topology(name, dsn, home) as deployment:
        registration = Tally()
        asyncio.run(_register(deployment.ports, learners, registration))
        roles = {**deployment.roles, "postgresql": [postmaster_pid(dsn)]}
        cpu_before = {role: cpu_seconds(pids) for role, pids in roles.items()}
        load_before = os.getloadavg()[0]
        seconds = asyncio.run(_drive(deployment.ports, learners, tally))
        load_after = os.getloadavg()[0]
        pending = _wait_for_reviews(dsn)
        cpu = {role: cpu_seconds(pids) - cpu_before[role] for role, pids in roles.items()}
        memory = {role: resident_megabytes(pids) for role, pids in deployment.roles.items()}
    # Registrations show in the routes' latencies and errors, not in the session's throughput.
    tally.latencies.update(registration.latencies)
    for route, count in registration.errors.items():
        tally.errors[route] += count
    return RunResult(
        topology=name,
        learners=learners,
        seconds=seconds,
        tally=tally,
        review_waits=_review_waits(dsn),
        reviews_pending=pending,
        lost_writes=_lost_writes(dsn, tally.acknowledged),
        load_before=load_before,
        load_after=load_after,
        cpu=cpu,
        memory=memory,
        embeddings=_count(dsn, "SELECT count(*) FROM embeddings"),
    )


def run() -> Section:
    results: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix="aigt-bench-load-") as tmp, temporary_server(Path(tmp) / "pgdata") as admin:
        for learners in LEARNER_COUNTS:
            for name in TOPOLOGIES:
                print(f"   {name}, {learners} learners ...", flush=True)
                results.append(measure(admin, Path(tmp), name, learners))
                print(f"   {_summary_row(results[-1])}", flush=True)
    return report(results)


def _percentile(samples: Sequence[float], fraction: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


TOPOLOGY_NAMES = {"single": "1 × `aigt serve`", "replicas": "2 replicas + 2 workers"}


def report(results: Sequence[RunResult]) -> Section:
    lines = [
        "## Load: learners through the whole journey",
        "",
        f"Learners registered beforehand arrive {ARRIVALS_PER_SECOND:g} a second, then all work for "
        f"{STEADY_SECONDS:.0f} s; think time "
        f"{READ_THINK[0]:g}-{READ_THINK[1]:g} s between requests and {WRITE_THINK[0]:g}-{WRITE_THINK[1]:g} s of "
        "writing before each submission; one embedded PostgreSQL; each learner from its own 127.0.0.x. "
        "Review wait: submitted until the verdict was written (queue plus review). Load: 1-minute load "
        f"average at start → end (this machine has {os.cpu_count()} cores).",
        "",
        "| deployment | learners | load | req/s | review wait p50 / p95 s | reviews | errors | lost writes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [_summary_row(result) for result in results]
    lines += [
        "",
        "CPU seconds spent from the first arrival until the last review was written, per role, and per "
        "request (API, PostgreSQL) or per review (workers). The goal's tests, which a review runs in the "
        "jail, are not among them: bubblewrap runs them in a PID namespace whose processes the kernel does "
        "not count in the worker's children (about 0.2 CPU s per run forked from a warm jail, docs/sandbox.md):",
        "",
        "| deployment | learners | API s | workers s | PostgreSQL s | API ms/request | PostgreSQL ms/request "
        "| worker s/review | embeddings | largest process MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [_cpu_row(result) for result in results]
    for learners in sorted({result.learners for result in results}):
        lines += _route_table([result for result in results if result.learners == learners])
    lines += ["", *_verdicts(results)]
    return Section("\n".join(lines), [target for result in results for target in _targets(result)])


def _targets(result: RunResult) -> list[Target]:
    name = f"load, {TOPOLOGY_NAMES[result.topology]}, {result.learners} learners"
    p99s = [
        _percentile(samples, 0.99)
        for route, samples in result.tally.latencies.items()
        if route not in EXEMPT_ROUTES and samples
    ]
    return [
        Target(f"{name}: slowest route p99", max(p99s) if p99s else None, "at most", TARGET_P99_SECONDS, unit="s"),
        Target(
            f"{name}: review wait p95",
            _percentile(result.review_waits, 0.95) if result.review_waits else None,
            "at most",
            TARGET_REVIEW_P95_SECONDS,
            unit="s",
        ),
        Target(
            f"{name}: errors, lost writes and unfinished reviews",
            float(result.errors + result.lost_writes + result.reviews_pending),
            "at most",
            0,
            unit="",
        ),
    ]


def _summary_row(result: RunResult) -> str:
    waits = result.review_waits
    unfinished = f" ({result.reviews_pending} unfinished)" if result.reviews_pending else ""
    return (
        f"| {TOPOLOGY_NAMES[result.topology]} | {result.learners} | {result.load_before:.1f} → "
        f"{result.load_after:.1f} | {result.tally.requests / result.seconds:.1f} | "
        f"{_percentile(waits, 0.5):.1f} / {_percentile(waits, 0.95):.1f} | {len(waits)}{unfinished} | "
        f"{result.errors} | {result.lost_writes} |"
    )


def _cpu_row(result: RunResult) -> str:
    requests = max(result.tally.requests, 1)
    reviews = max(len(result.review_waits), 1)
    shared = result.cpu.get("api + worker")
    api = result.cpu.get("api", 0.0)
    workers = result.cpu.get("worker", 0.0)
    database = result.cpu["postgresql"]
    memory = ", ".join(f"{role} {megabytes:.0f}" for role, megabytes in result.memory.items())
    tail = f"{result.embeddings} | {memory} |"
    if shared is not None:
        # One process does both: its CPU is shown once, as the API's, and per request.
        return (
            f"| {TOPOLOGY_NAMES[result.topology]} | {result.learners} | {shared:.0f} (API + worker) | – | "
            f"{database:.0f} | {shared / requests * 1000:.0f} (incl. reviews) | {database / requests * 1000:.1f} | – | "
            + tail
        )
    return (
        f"| {TOPOLOGY_NAMES[result.topology]} | {result.learners} | {api:.0f} | {workers:.0f} | {database:.0f} | "
        f"{api / requests * 1000:.0f} | {database / requests * 1000:.1f} | {workers / reviews:.2f} | " + tail
    )


def _route_table(results: Sequence[RunResult]) -> list[str]:
    header = " | ".join(f"{TOPOLOGY_NAMES[result.topology]} p50 / p95 / p99 ms (n)" for result in results)
    lines = ["", f"### {results[0].learners} learners", "", f"| route | {header} |", "|---|" + "---:|" * len(results)]
    routes = sorted({route for result in results for route in result.tally.latencies})
    for route in routes:
        cells = []
        for result in results:
            samples = result.tally.latencies.get(route, [])
            cells.append(
                " / ".join(f"{_percentile(samples, q) * 1000:.0f}" for q in (0.5, 0.95, 0.99)) + f" ({len(samples)})"
            )
        lines.append(f"| `{route}` | {' | '.join(cells)} |")
    errors = [f"{result.topology}: {dict(result.tally.errors)}" for result in results if result.tally.errors]
    return lines + ([""] + [f"Errors by route — {line}" for line in errors] if errors else [])


def _verdicts(results: Sequence[RunResult]) -> list[str]:
    lines = []
    for result in results:
        slow = [
            route
            for route, samples in result.tally.latencies.items()
            if route not in EXEMPT_ROUTES and _percentile(samples, 0.99) >= TARGET_P99_SECONDS
        ]
        review_p95 = _percentile(result.review_waits, 0.95)
        clean = result.errors == 0 and result.lost_writes == 0 and result.reviews_pending == 0
        parts = [
            "errors and lost writes 0" if clean else "**errors, lost writes or unfinished reviews**",
            f"p99 under {TARGET_P99_SECONDS:g} s on every route but login and register"
            if not slow
            else f"p99 ≥ {TARGET_P99_SECONDS:g} s on {', '.join(sorted(slow))}",
            f"review wait p95 {review_p95:.1f} s (target < {TARGET_REVIEW_P95_SECONDS:g} s)",
        ]
        lines.append(f"- {TOPOLOGY_NAMES[result.topology]}, {result.learners} learners: {'; '.join(parts)}.")
    return lines
