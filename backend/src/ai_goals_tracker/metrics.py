"""What operators scrape at `/metrics` (Prometheus text format, docs/operations.md).

Measured where they happen, in this process: each request's latency (`observe_request`, called by the
access log's middleware) and each review's outcome (`count_review`). Read from the database when scraped
(`health/endpoints.py`): the job queues' depth, wait and lag, the largest learner's backlog and the
event archive's lag, which every process shares.

A separate `aigt worker` counts its own reviews: it serves them with `--metrics-port`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import Scope

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUEST_SECONDS = Histogram(
    "aigt_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template and status.",
    ("method", "route", "status"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
REVIEWS = Counter(
    "aigt_reviews",
    "Code reviews recorded by this process, by outcome (passed, failed, not_reviewed).",
    ("outcome",),
    registry=REGISTRY,
)
QUEUE_JOBS = Gauge(
    "aigt_queue_jobs", "Jobs in each queue, by state (todo, doing).", ("queue", "state"), registry=REGISTRY
)
QUEUE_WAIT = Gauge(
    "aigt_queue_wait_seconds",
    "How long the oldest due job of each queue has waited, whatever holds it back.",
    ("queue",),
    registry=REGISTRY,
)
QUEUE_LAG = Gauge(
    "aigt_queue_lag_seconds",
    "How long the oldest job of each queue that could run now has waited (what /health judges).",
    ("queue",),
    registry=REGISTRY,
)
LEARNER_BACKLOG = Gauge(
    "aigt_learner_backlog_max_jobs",
    "Queued jobs of the one learner with the most: a backlog of theirs, not a failure of the server.",
    registry=REGISTRY,
)
ARCHIVE_PENDING = Gauge("aigt_archive_pending_events", "Events not yet archived to Parquet.", registry=REGISTRY)
ARCHIVE_LAG = Gauge(
    "aigt_archive_lag_seconds", "Age of the oldest event not yet archived (0 with none).", registry=REGISTRY
)

DATABASE_UP = Gauge(
    "aigt_database_up", "1 when the database answered this scrape (its figures below are current).", registry=REGISTRY
)

UNMATCHED_ROUTE = "unmatched"


@dataclass(frozen=True, slots=True)
class QueueState:
    queue: str
    todo: int
    doing: int
    wait_seconds: float
    lag_seconds: float


@dataclass(frozen=True, slots=True)
class Backlog:
    """What the database says when scraped."""

    queues: list[QueueState]
    learner_backlog_max: int
    archive_pending: int
    archive_lag_seconds: float


def set_backlog(backlog: Backlog | None) -> None:
    """The database's figures; None when it could not be read (they are then left out)."""
    # Cleared first: a queue that emptied since the last scrape must not keep its old figures.
    for gauge in (QUEUE_JOBS, QUEUE_WAIT, QUEUE_LAG):
        gauge.clear()
    DATABASE_UP.set(backlog is not None)
    if backlog is None:
        return
    for state in backlog.queues:
        QUEUE_JOBS.labels(state.queue, "todo").set(state.todo)
        QUEUE_JOBS.labels(state.queue, "doing").set(state.doing)
        QUEUE_WAIT.labels(state.queue).set(state.wait_seconds)
        QUEUE_LAG.labels(state.queue).set(state.lag_seconds)
    LEARNER_BACKLOG.set(backlog.learner_backlog_max)
    ARCHIVE_PENDING.set(backlog.archive_pending)
    ARCHIVE_LAG.set(backlog.archive_lag_seconds)


def exposition() -> bytes:
    return generate_latest(REGISTRY)


def count_review(outcome: str) -> None:
    REVIEWS.labels(outcome).inc()


def declare_review_outcomes(outcomes: Iterable[str]) -> None:
    """Each outcome shows from the first scrape on, at 0, so a rate over it is defined."""
    for outcome in outcomes:
        REVIEWS.labels(outcome)


# One histogram child per (method, route, status) seen: looked up in a plain dict, not through the
# metric's locked label lookup, on every request.
_request_children: dict[tuple[str, str, int], Histogram] = {}


def _observe(method: str, route: str, status: int, seconds: float) -> None:
    key = (method, route, status)
    child = _request_children.get(key)
    if child is None:
        child = _request_children[key] = REQUEST_SECONDS.labels(method, route, str(status))
    child.observe(seconds)


def observe_request(scope: Scope, status: int, seconds: float) -> None:
    """One answered request, labelled by its route's template (`/api/v1/tasks/{task_id}`), never its
    path: ids in paths would make a series per row. Timed by the access log's middleware, which sees
    every request once."""
    _observe(scope["method"], route_template(scope), status, seconds)


def route_template(scope: Scope) -> str:
    """The request's path with each path parameter put back as `{name}`: the template of the route
    it matched, prefixes of included routers and mounts included; `unmatched` when none matched."""
    if scope.get("route") is None:
        return UNMATCHED_ROUTE
    path: str = scope["path"]
    for name, value in (scope.get("path_params") or {}).items():
        text = str(value)
        if text:
            at = path.rfind("/" + text)
            if at >= 0:
                path = f"{path[: at + 1]}{{{name}}}{path[at + 1 + len(text) :]}"
    return path
