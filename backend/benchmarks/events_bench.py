"""The event log: archive throughput, the cost of an event, and stats over a million events.

Each figure is a ratio against a baseline measured in the same run:
- archiving (copy out, write Parquet part files, mark the rows) against the naive export of the
  same rows: one SELECT and one `pyarrow.parquet.write_table` (target >= 0.5x its throughput);
- changing a task's title through the service, with its event, against the same change as a
  plain ORM update without one, alternated in one loop (target <= 1.1x);
- `/stats/me` and global statistics over 1,000,000 synthetic events in the hive-partitioned
  archive, against the same queries on a DuckDB table in memory (target: well under a second).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import psycopg
import pyarrow.parquet as pq
from sqlalchemy.engine import make_url

from ai_goals_tracker.db import migrations
from ai_goals_tracker.db.engine import create_engine, create_sessionmaker, unit_of_work
from ai_goals_tracker.db.server import ensure_database, temporary_server
from ai_goals_tracker.events.analytics import Window, event_stats, stats_from
from ai_goals_tracker.events.archive import archive_pending
from ai_goals_tracker.events.columns import LOG_SCHEMA, events_table, select_list
from ai_goals_tracker.events.store import ArchiveStore
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.models import Goal, Task, User
from ai_goals_tracker.tasks import service as task_service
from ai_goals_tracker.tasks.schemas import TaskUpdate
from benchmarks.synthetic_events import synthetic_events, write_archive
from benchmarks.targets import Section, Target

ARCHIVE_ROWS = 100_000
CHANGES = 300
STATS_EVENTS = 1_000_000
STATS_RUNS = 5
TARGET_ARCHIVE = 0.5
TARGET_EVENT_COST = 1.1


def run() -> Section:
    with (
        tempfile.TemporaryDirectory(prefix="aigt-events-bench-") as folder,
        temporary_server(Path(folder) / "pgdata") as admin,
    ):
        root = Path(folder)
        ensure_database(admin, "bench")
        dsn = make_url(admin).set(database="bench").render_as_string(hide_password=False)
        migrations.upgrade(dsn)
        archive, archive_ratio = asyncio.run(_archive_throughput(dsn, root))
        cost, cost_ratio = asyncio.run(_event_cost(dsn))
        stats, learner_seconds, global_seconds = _stats(root)
        return Section(
            "\n".join(["## Event log", "", *archive, *cost, *stats]),
            [
                Target("archive throughput vs write_table", archive_ratio, "at least", TARGET_ARCHIVE),
                Target("a change plus its event vs the change alone", cost_ratio, "at most", TARGET_EVENT_COST),
                Target(f"stats over {STATS_EVENTS:,} archived events: learner", learner_seconds, "at most", 1.0, "s"),
                Target(f"stats over {STATS_EVENTS:,} archived events: global", global_seconds, "at most", 3.0, "s"),
            ],
        )


async def _archive_throughput(dsn: str, root: Path) -> tuple[list[str], float]:
    table = synthetic_events(ARCHIVE_ROWS, users=200)
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        with cursor.copy(
            "COPY events (id, event_type, entity_type, entity_id, payload, metadata, created_at) FROM STDIN"
        ) as copy:
            for row in zip(
                *(table.column(name).to_pylist() for name in ("id", "event_type", "entity_type", "entity_id")),
                table.column("payload").to_pylist(),
                table.column("metadata").to_pylist(),
                table.column("created_at").to_pylist(),
                strict=True,
            ):
                copy.write_row(row)
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE events")

    # Baseline: the naive export, one query and one file, no partitions, no bookkeeping. It reads
    # in the log's (txid, id) order, as the archiver does, which an index serves without a sort.
    began = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        query = f"SELECT {select_list()} FROM events WHERE processed_at IS NULL ORDER BY txid, id"
        rows = conn.execute(query).fetchall()
    pq.write_table(events_table(rows, rows[0][7]), root / "baseline.parquet", compression="zstd")
    baseline = time.perf_counter() - began
    began = time.perf_counter()
    pq.write_table(events_table(rows, rows[0][7]), root / "write-only.parquet", compression="zstd")
    write_only = time.perf_counter() - began

    engine = create_engine(dsn, pool_size=2, max_overflow=0)
    try:
        store = ArchiveStore.open(str(root / "archive"))
        began = time.perf_counter()
        report = await archive_pending(create_sessionmaker(engine), store)
        archived = time.perf_counter() - began
    finally:
        await engine.dispose()
    assert report.archived == ARCHIVE_ROWS
    ratio = baseline / archived
    return [
        f"### Archive throughput ({ARCHIVE_ROWS:,} events, {len(report.files_written)} part files)",
        "",
        "| | seconds | events/s |",
        "|---|---:|---:|",
        f"| archiver (read, write partitioned parts, mark rows) | {archived:.2f} | {ARCHIVE_ROWS / archived:,.0f} |",
        f"| baseline: SELECT + `pq.write_table`, one file | {baseline:.2f} | {ARCHIVE_ROWS / baseline:,.0f} |",
        f"| (for scale: `pq.write_table` alone) | {write_only:.2f} | {ARCHIVE_ROWS / write_only:,.0f} |",
        "",
        f"Archive throughput = **{ratio:.2f}x** the baseline (target >= {TARGET_ARCHIVE}x): "
        f"{'met' if ratio >= TARGET_ARCHIVE else 'NOT met'}.",
        "",
    ], ratio


async def _event_cost(dsn: str) -> tuple[list[str], float]:
    engine = create_engine(dsn, pool_size=2, max_overflow=0)
    sessionmaker = create_sessionmaker(engine)
    context = ChangeContext(source="api")
    try:
        async with unit_of_work(sessionmaker) as session:
            user = User(email="bench@example.com", username="bench", hashed_password="!bench")
            session.add(user)
            await session.flush()
            goal = Goal(user_id=user.id, title="bench")
            session.add(goal)
            await session.flush()
            task = Task(user_id=user.id, goal_id=goal.id, title="t")
            session.add(task)
        task_id = task.id

        async def with_event(i: int) -> None:
            async with unit_of_work(sessionmaker) as session:
                loaded = await session.get(Task, task_id, with_for_update={"key_share": True})
                assert loaded is not None
                await task_service.update(session, loaded, TaskUpdate(title=f"title {i}"), context, actor=user)

        async def without_event(i: int) -> None:
            async with unit_of_work(sessionmaker) as session:
                loaded = await session.get(Task, task_id, with_for_update={"key_share": True})
                assert loaded is not None
                loaded.title = f"title {i}"
                await session.flush()

        variants = [("with", with_event), ("without", without_event)]
        timings: dict[str, list[float]] = {name: [] for name, _change in variants}
        for i in range(CHANGES):
            for name, change in variants[i % len(variants) :] + variants[: i % len(variants)]:
                began = time.perf_counter()
                await change(i)
                timings[name].append(time.perf_counter() - began)
    finally:
        await engine.dispose()
    with_median = statistics.median(timings["with"])
    without_median = statistics.median(timings["without"])
    ratio = with_median / without_median
    return [
        f"### A change plus its event ({CHANGES} task title changes each, alternated)",
        "",
        "| | median ms | p95 ms |",
        "|---|---:|---:|",
        f"| service update + event (one transaction) | {with_median * 1000:.2f} | {_p95(timings['with']) * 1000:.2f} |",
        f"| same UPDATE without the event | {without_median * 1000:.2f} | {_p95(timings['without']) * 1000:.2f} |",
        "",
        f"Cost = **{ratio:.2f}x** the change alone (target <= {TARGET_EVENT_COST}x): "
        f"{'met' if ratio <= TARGET_EVENT_COST else 'NOT met'}.",
        "",
    ], ratio


def _p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]


def _stats(root: Path) -> tuple[list[str], float, float]:
    began = time.perf_counter()
    table = synthetic_events(STATS_EVENTS)
    store = ArchiveStore.open(str(root / "stats-archive"))
    files = write_archive(table, store)
    generated = time.perf_counter() - began
    busiest = table.group_by("user_id").aggregate([("id", "count")]).sort_by([("id_count", "descending")])
    user_id = busiest.column("user_id")[0].as_py()
    user_events = busiest.column("id_count")[0].as_py()
    window = Window.last_days(365)
    tail = LOG_SCHEMA.empty_table()

    con = duckdb.connect()
    con.register("arrow_events", table.select(LOG_SCHEMA.names))
    con.execute("CREATE TABLE events AS SELECT * FROM arrow_events")

    rows = []
    medians = []
    for label, user in (("`/stats/me` (busiest user)", user_id), ("global", None)):
        archive_times = [_timed(lambda u=user: event_stats(store, tail, window, user_id=u)) for _ in range(STATS_RUNS)]
        table_times = [_timed(lambda u=user: stats_from(con, window, user_id=u)) for _ in range(STATS_RUNS)]
        archive_median, table_median = statistics.median(archive_times), statistics.median(table_times)
        ratio = archive_median / table_median
        medians.append(archive_median)
        rows.append(f"| {label} | {archive_median * 1000:.0f} | {table_median * 1000:.0f} | {ratio:.1f}x |")
    month_times = [
        _timed(lambda: event_stats(store, tail, Window.last_days(28), user_id=user_id)) for _ in range(STATS_RUNS)
    ]
    con.close()
    return (
        [
            f"### Stats over {STATS_EVENTS:,} synthetic events ({files} Parquet files, generated in {generated:.0f} s)",
            "",
            f"Busiest user: {user_events:,} events. Medians of {STATS_RUNS} runs; DuckDB in-process.",
            "",
            "| query (365 days) | Parquet archive ms | DuckDB table ms | ratio |",
            "|---|---:|---:|---:|",
            *rows,
            "",
            f"Last 28 days for the busiest user (one or two months' files): "
            f"{statistics.median(month_times) * 1000:.0f} ms.",
            "",
        ],
        medians[0],
        medians[1],
    )


def _timed(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began
