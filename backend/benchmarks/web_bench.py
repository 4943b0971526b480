"""Every dashboard page for a learner with 50 goals and 500 tasks, against the JSON API's list call.

Pages and API calls are served by the same application in this process and timed from the moment
the request enters the ASGI app until its response is complete: server time, without a network or
a client library in the figure. Requests run one at a time, interleaved round by round, so a busy
moment of the machine falls on all of them alike; the load average is reported next to the figures.

Target (DESIGN.md): p95 under 100 ms on the server for such a page.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from ai_goals_tracker.config import Settings
from ai_goals_tracker.jobs import run_worker
from ai_goals_tracker.main import create_app
from benchmarks.support import embedded_database
from benchmarks.targets import Section, Target

GOALS = 50
TASKS_PER_GOAL = 10
COURSE_GOALS = 25
SUBMISSIONS = 5
RUNS = 150
WARMUP = 15
TARGET_P95_MS = 100.0
PASSWORD = "benchmark password 1"
API = "/api/v1"
BASELINE = "API: `GET /api/v1/goals?limit=50`"
# A submission of ~60 lines that the analyzers have things to say about.
CODE = "import os\nimport subprocess\n\n\n" + "\n\n".join(
    f"def step_{n}(name, items=[]):\n    items.append(name)\n    if name == 'x{n}':\n"
    f"        return eval(name)\n    return subprocess.call('ls ' + name, shell=True)"
    for n in range(10)
)


async def _seed(http: httpx.AsyncClient) -> tuple[dict[str, str], dict[str, str]]:
    """A learner with a course, 50 goals (half in the course) and 500 tasks, some started, one
    task with reviewed submissions. Returns the API headers and the ids the pages are shown for."""
    await http.post(f"{API}/auth/register", json={"email": "web@example.com", "username": "web", "password": PASSWORD})
    token = (await http.post(f"{API}/auth/login", data={"username": "web", "password": PASSWORD})).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    course = (
        await http.post(f"{API}/courses", json={"title": "Bench course", "status": "active"}, headers=headers)
    ).json()
    ids = {"course": str(course["id"])}
    for index in range(GOALS):
        body = {"title": f"Goal {index}", "priority": "high" if index % 3 == 0 else "medium"}
        if index < COURSE_GOALS:
            body["course_id"] = course["id"]
        goal = (await http.post(f"{API}/goals", json=body, headers=headers)).json()
        ids.setdefault("goal", str(goal["id"]))
        for number in range(TASKS_PER_GOAL):
            task = {"goal_id": goal["id"], "title": f"Task {index}.{number}", "estimated_hours": 1.5}
            created = (await http.post(f"{API}/tasks", json=task, headers=headers)).json()
            ids.setdefault("task", str(created["id"]))
            if number % 4 == 0:
                await http.patch(f"{API}/tasks/{created['id']}", json={"status": "in_progress"}, headers=headers)
    for _ in range(SUBMISSIONS):
        snapshot = {"file_path": "steps.py", "code_content": CODE}
        submitted = await http.post(f"{API}/tasks/{ids['task']}/snapshots", json=snapshot, headers=headers)
        ids["review"] = str(submitted.json()["id"])
    return headers, ids


async def _web_login(http: httpx.AsyncClient) -> None:
    page = (await http.get("/login")).text
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert match is not None
    response = await http.post("/login", data={"csrf_token": match.group(1), "username": "web", "password": PASSWORD})
    assert response.status_code == 303, response.text


async def _time(http: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None) -> float:
    began = time.perf_counter()
    response = await http.get(path, headers=headers)
    elapsed = time.perf_counter() - began
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return elapsed


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000


async def _measure(dsn: str, home: Path) -> dict[str, list[float]]:
    settings = Settings(database_url=dsn, home=home)
    app = create_app(settings, dsn)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120) as http:
            headers, ids = await _seed(http)
            # The reviews and the search index, as a worker would have them ready.
            await run_worker(settings, dsn, wait=False)
            await _web_login(http)
            targets = {
                "page: home `/`": ("/", None),
                "page: course `/courses/{id}` (25 goals)": (f"/courses/{ids['course']}", None),
                "page: goal `/goals/{id}` (10 tasks)": (f"/goals/{ids['goal']}", None),
                f"page: task `/tasks/{{id}}` ({SUBMISSIONS} reviews)": (f"/tasks/{ids['task']}", None),
                "page: review `/reviews/{id}`": (f"/reviews/{ids['review']}", None),
                "page: stats `/stats`": ("/stats", None),
                "page: search `/search?q=…`": ("/search?q=tarea%20del%20objetivo", None),
                BASELINE: (f"{API}/goals?limit=50", headers),
                "API: `GET /api/v1/tasks?limit=200`": (f"{API}/tasks?limit=200", headers),
            }
            samples: dict[str, list[float]] = {name: [] for name in targets}
            for run in range(WARMUP + RUNS):
                for name, (path, auth) in targets.items():
                    elapsed = await _time(http, path, auth)
                    if run >= WARMUP:
                        samples[name].append(elapsed)
            return samples
    finally:
        await app.state.engine.dispose()
        await app.state.read_engine.dispose()


def run() -> Section:
    with tempfile.TemporaryDirectory(prefix="aigt-bench-web-") as tmp, embedded_database(Path(tmp)) as dsn:
        load_before = os.getloadavg()[0]
        samples = asyncio.run(_measure(dsn, Path(tmp) / "home"))
        load_after = os.getloadavg()[0]
    baseline = _p95(samples[BASELINE])
    rows = [
        f"| {name} | {statistics.median(values) * 1000:.1f} | {_p95(values):.1f} | {_p95(values) / baseline:.2f}x |"
        for name, values in samples.items()
    ]
    pages = {name: _p95(values) for name, values in samples.items() if name.startswith("page:")}
    slowest = max(pages, key=lambda name: pages[name])
    missing = [name for name, p95 in pages.items() if p95 >= TARGET_P95_MS]
    verdict = "every page meets the target" if not missing else f"{len(missing)} of {len(pages)} pages miss it"
    markdown = "\n".join(
        [
            "## Web dashboard: every page for a learner with 50 goals and 500 tasks",
            "",
            f"{RUNS} requests each after {WARMUP} warm-up rounds, one at a time and interleaved, timed inside the "
            "process around the ASGI app (server time); ratios against the API's goal list in the same run. "
            f"Load average (1 min) on this {os.cpu_count()}-core machine: {load_before:.2f} before, "
            f"{load_after:.2f} after.",
            "",
            "| request | p50 ms | p95 ms | p95 vs API goal list |",
            "|---|---:|---:|---:|",
            *rows,
            "",
            f"**Slowest page p95 {pages[slowest]:.1f} ms** ({slowest.removeprefix('page: ')}; target < "
            f"{TARGET_P95_MS:.0f} ms at load average {load_after:.2f}): {verdict}.",
        ]
    )
    return Section(
        markdown,
        [
            Target(f"web: {name.removeprefix('page: ')} p95", p95, "at most", TARGET_P95_MS, unit="ms")
            for name, p95 in pages.items()
        ],
    )
