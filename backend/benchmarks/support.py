"""What several benchmarks share: a throw-away embedded PostgreSQL, migrated, and free ports."""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from ai_goals_tracker.db import migrations
from ai_goals_tracker.db.server import ensure_database, libpq_dsn, temporary_server

DATABASE = "aigt_bench"


@contextmanager
def embedded_database(root: Path) -> Iterator[str]:
    """A migrated database on a private embedded server that is deleted afterwards."""
    with temporary_server(root / "pgdata") as admin:
        ensure_database(admin, DATABASE)
        dsn = libpq_dsn(make_url(admin).set(database=DATABASE))
        migrations.upgrade(dsn)
        yield dsn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timings(action: Callable[[], object], runs: int) -> list[float]:
    """Wall-clock seconds of `runs` calls of `action`, one after another."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]
