"""Goal suggestions on the labelled courses, through the API: relevance, honesty and latency.

Every labelled course (tests/planning/labelled_courses.json, es and en, some outside the catalog)
is created through the API on a throw-away embedded PostgreSQL and asked for 3 goals offline.
Reported: the precision of the suggested goals (their topic is one the mentor accepts), the share
of out-of-catalog courses answered honestly (no goal, with the notice), the recall of fitting goals,
and the suggestion latency p50/p95 against a single-course read (`GET /courses/{id}`) measured in
the same run. The first suggestion after start, which embeds the catalog unless it was preloaded,
is reported on its own.

Target (issue 17): precision >= 0.9; every out-of-catalog course answered honestly.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from ai_goals_tracker.config import Settings
from ai_goals_tracker.main import create_app
from ai_goals_tracker.search.catalog import load_catalog
from benchmarks.relevance_set import LabelledCourse, Scores, load_labelled, score
from benchmarks.support import embedded_database
from benchmarks.targets import Section, Target

API = "/api/v1"
TARGET_PRECISION = 0.9
BASELINE_READS = 5


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def _session(client: httpx.AsyncClient) -> dict[str, str]:
    account = {"email": "bench@example.com", "username": "bench", "password": "bench-password-123"}
    (await client.post(f"{API}/auth/register", json=account)).raise_for_status()
    form = {"username": "bench", "password": account["password"]}
    token = (await client.post(f"{API}/auth/login", data=form)).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


async def _measure(dsn: str, home: Path, courses: list[LabelledCourse]) -> dict[str, Any]:
    app = create_app(Settings(database_url=dsn, home=home), dsn)
    area = {goal.key: goal.area for goal in load_catalog()}
    topics: list[list[str]] = []
    suggest_seconds: list[float] = []
    read_seconds: list[float] = []
    notices = 0
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            headers = await _session(client)
            ids = []
            for course in courses:
                body = {"title": course.title, "description": course.description}
                ids.append((await client.post(f"{API}/courses", json=body, headers=headers)).json()["id"])
            began = time.perf_counter()
            warm = await client.post(f"{API}/courses/{ids[0]}/goals/suggest", json={"count": 3}, headers=headers)
            warm.raise_for_status()
            first = time.perf_counter() - began
            for course_id in ids:
                for _ in range(BASELINE_READS):
                    began = time.perf_counter()
                    (await client.get(f"{API}/courses/{course_id}", headers=headers)).raise_for_status()
                    read_seconds.append(time.perf_counter() - began)
                began = time.perf_counter()
                response = await client.post(
                    f"{API}/courses/{course_id}/goals/suggest", json={"count": 3}, headers=headers
                )
                suggest_seconds.append(time.perf_counter() - began)
                answer = response.json()
                topics.append([area[goal["catalog_key"]] for goal in answer["goals"]])
                notices += answer["notice"] is not None
    finally:
        await app.state.engine.dispose()
        await app.state.read_engine.dispose()
    return {"topics": topics, "suggest": suggest_seconds, "read": read_seconds, "first": first, "notices": notices}


def run() -> Section:
    courses = load_labelled()
    with tempfile.TemporaryDirectory(prefix="aigt-bench-planning-") as tmp, embedded_database(Path(tmp)) as dsn:
        measured = asyncio.run(_measure(dsn, Path(tmp) / "home", courses))
    return report(courses, score(courses, measured["topics"]), measured)


def report(courses: list[LabelledCourse], scores: Scores, measured: dict[str, Any]) -> Section:
    suggest, read = measured["suggest"], measured["read"]
    p50, p95 = statistics.median(suggest), _percentile(suggest, 0.95)
    read_p50 = statistics.median(read)
    outside = sum(not course.in_catalog for course in courses)
    verdict = "meets" if scores.precision >= TARGET_PRECISION and scores.honest == 1.0 else "misses"
    markdown = "\n".join(
        [
            "## Goal suggestions offline (`POST /courses/{id}/goals/suggest`, 3 goals)",
            "",
            f"{len(courses)} labelled courses ({outside} outside the catalog), es and en, with the topics a "
            "mentor accepts (backend/tests/planning/labelled_courses.json).",
            "",
            "| measure | value |",
            "|---|---|",
            f"| precision of the suggested goals (top 3) | {scores.precision:.3f} ({scores.suggested} goals) |",
            f"| out-of-catalog courses answered honestly (no goal, with the notice) | {scores.honest:.2f} |",
            f"| fitting goals found for in-catalog courses (recall of 3) | {scores.recall:.2f} |",
            f"| answers carrying the notice (fewer than 3 fit) | {measured['notices']} of {len(courses)} |",
            f"| suggestion latency p50 / p95 | {p50 * 1000:.0f} ms / {p95 * 1000:.0f} ms |",
            f"| baseline `GET /courses/{{id}}` p50 (same run) | {read_p50 * 1000:.1f} ms |",
            f"| suggestion p50 / read p50 | {p50 / read_p50:.1f}× |",
            f"| first suggestion after start (catalog embedded then) | {measured['first']:.1f} s |",
            "",
            f"Target: precision ≥ {TARGET_PRECISION} and every out-of-catalog course answered honestly — {verdict}.",
        ]
    )
    return Section(
        markdown,
        [
            Target("suggestions: precision (top 3)", scores.precision, "at least", TARGET_PRECISION, unit=""),
            Target("suggestions: out-of-catalog courses answered honestly", scores.honest, "at least", 1.0, unit=""),
            Target("suggestions: first after start", measured["first"], "at most", 1.0, unit="s"),
        ],
    )
