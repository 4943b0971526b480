"""The archiver as a user sees it: files where the seed says, every event once, the rows marked."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_goals_tracker.events.analytics import Window, event_stats
from ai_goals_tracker.events.archive import apply_retention, archive_pending, compact
from ai_goals_tracker.events.columns import ARCHIVE_SCHEMA, events_table, select_list
from ai_goals_tracker.events.log import connect, unarchived_events
from ai_goals_tracker.events.store import ArchiveStore, month_of
from tests.events.conftest import insert_events, month_start, move_followers, names_in, run_aigt


def archived_ids(store: ArchiveStore) -> Counter[str]:
    return Counter(i for path in store.parquet_files() for i in store.read_ids(path))


def db_state(dsn: str) -> dict[str, str | None]:
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute("SELECT id, parquet_path FROM events").fetchall())


@pytest.mark.slow
async def test_archive_writes_partitioned_parts_and_marks_every_row(
    sessionmaker: async_sessionmaker[AsyncSession], store: ArchiveStore, database_url: str
) -> None:
    ids = insert_events(database_url, 300, months_ago=(0, 1, 2))
    report = await archive_pending(sessionmaker, store, batch_size=120)
    assert report.archived == 300
    state = db_state(database_url)
    assert set(state) == set(ids)
    assert all(path is not None for path in state.values())
    # Every row names the one file that holds it.
    for path in set(state.values()):
        assert path is not None
        assert path.startswith("events/year=")
        in_file = set(store.read_ids(store.absolute(path)))
        assert {i for i, p in state.items() if p == path} == in_file
    assert archived_ids(store) == Counter(ids)
    folders = {str(Path(p).parent.relative_to(store.events_dir)) for p in store.parquet_files()}
    expected = {f"year={m.year:04d}/month={m.month:02d}" for m in (month_start(0), month_start(1), month_start(2))}
    assert folders == expected
    # Nothing left: a second run archives nothing and writes nothing.
    again = await archive_pending(sessionmaker, store)
    assert (again.archived, again.files_written) == (0, [])


@pytest.mark.slow
async def test_aigt_events_compact_leaves_exactly_the_seed_files_in_a_closed_month(
    sessionmaker: async_sessionmaker[AsyncSession], store: ArchiveStore, database_url: str, tmp_path: Path
) -> None:
    ids = insert_events(database_url, 280, months_ago=(0, 1))
    await archive_pending(sessionmaker, store, batch_size=50)
    closed = store.month_dir(month_of(month_start(1)))
    assert any(".part-" in name for name in names_in(store, closed))

    result = run_aigt(
        "events",
        "compact",
        "--closed-only",
        env={"AIGT_DATABASE_URL": database_url, "AIGT_ARCHIVE_URI": store.uri, "AIGT_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert sorted(names_in(store, closed)) == sorted(
        f"{category}_events.parquet" for category in ("user", "course", "goal", "task", "code", "ai", "system")
    )
    # The open month keeps its parts; nothing was lost or doubled; rows point at the merged files.
    assert any(".part-" in name for name in names_in(store, store.month_dir(month_of(month_start(0)))))
    assert archived_ids(store) == Counter(ids)
    for event_id, path in db_state(database_url).items():
        assert path is not None
        assert event_id in store.read_ids(store.absolute(path))
    merged = pq.ParquetFile(f"{closed}/task_events.parquet", filesystem=store.filesystem)
    assert merged.schema_arrow.equals(ARCHIVE_SCHEMA)
    assert merged.metadata.row_group(0).column(0).compression == "ZSTD"


async def test_files_read_back_with_pyarrow_and_duckdb_with_hive_columns(
    sessionmaker: async_sessionmaker[AsyncSession], store: ArchiveStore, database_url: str
) -> None:
    ids = insert_events(database_url, 140, months_ago=(0, 1))
    await archive_pending(sessionmaker, store, batch_size=60)
    await compact(sessionmaker, store, closed_only=True)

    dataset = pads.dataset(store.events_dir, filesystem=store.filesystem, format="parquet", partitioning="hive")
    assert dataset.schema.names == [*ARCHIVE_SCHEMA.names, "year", "month"]
    table = dataset.to_table()
    assert table.schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert sorted(table.column("id").to_pylist()) == sorted(ids)
    last = month_start(1)
    in_last = dataset.to_table(filter=(pads.field("year") == last.year) & (pads.field("month") == last.month))
    assert in_last.num_rows > 0
    assert {c.month for c in in_last.column("created_at").to_pylist()} == {last.month}

    # Straight from where the archive lives: a folder, or s3:// through the httpfs extension.
    con = connect(store)
    files = store.url(store.events_dir) + "/**/*.parquet"
    rows = con.execute(
        f"SELECT year, month, count(*), count(DISTINCT id) FROM read_parquet('{files}',"
        " hive_partitioning = true) GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert sum(r[2] for r in rows) == sum(r[3] for r in rows) == len(ids)
    assert {(r[0], r[1]) for r in rows} == {(m.year, m.month) for m in (month_start(1), month_start(0))}
    described = {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM '{files}'").fetchall()}
    assert described["payload"] == "VARCHAR"
    assert described["created_at"] == "TIMESTAMP WITH TIME ZONE"
    payload = con.execute(f"SELECT payload->>'$.text' FROM '{files}' WHERE payload->>'$.n' = '6'").fetchone()
    assert payload == ("¿qué tal? ",)


async def test_an_orphan_part_is_adopted_and_a_duplicate_part_dropped(
    sessionmaker: async_sessionmaker[AsyncSession], store: ArchiveStore, database_url: str
) -> None:
    ids = insert_events(database_url, 50)
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(f"SELECT {select_list()} FROM events ORDER BY id LIMIT 10").fetchall()
    # A run killed between publishing its file and committing leaves exactly this behind.
    month = month_of(rows[0][7])
    orphan = store.part_path(month, "user", rows[0][0], rows[-1][0])
    store.write_atomically(events_table(rows, rows[0][7]), orphan)
    report = await archive_pending(sessionmaker, store)
    assert report.adopted_files == 1
    assert archived_ids(store) == Counter(ids)
    assert db_state(database_url)[rows[0][0]] == store.relative(orphan)

    # A stray copy of events that live elsewhere is removed, not counted twice.
    stray = store.part_path(month, "user", rows[0][0], rows[1][0])
    store.write_atomically(events_table(rows[:2], rows[0][7]), stray)
    leftover = f"{store.month_dir(month)}/user_events.parquet.abcd.tmp"
    store.write_atomically(events_table(rows[:2], rows[0][7]), leftover)
    report = await archive_pending(sessionmaker, store)
    assert report.discarded_files == 2
    assert not store.exists(stray)
    assert archived_ids(store) == Counter(ids)


async def test_an_event_a_long_transaction_commits_late_is_archived_once(
    sessionmaker: async_sessionmaker[AsyncSession], store: ArchiveStore, database_url: str
) -> None:
    early = insert_events(database_url, 40, months_ago=(0, 1))
    with psycopg.connect(database_url) as slow:
        # Begun before the events below, committed after an archive run has passed them.
        late_id = slow.execute(
            "INSERT INTO events (id, event_type, entity_type, entity_id)"
            " VALUES ('evt_late', 'task.updated', 'task', 'x') RETURNING id"
        ).fetchone()
        after = insert_events(database_url, 40, months_ago=(0, 1), rng=random.Random(9))
        first = await archive_pending(sessionmaker, store, batch_size=25)
        # The events the open transaction might still precede wait for it; the earlier ones do not.
        assert (first.archived, first.left_for_later) == (len(early), len(after))
        assert set(archived_ids(store)) == set(early)
        slow.commit()
    assert late_id == ("evt_late",)
    second = await archive_pending(sessionmaker, store, batch_size=25)
    assert second.archived == len(after) + 1
    assert archived_ids(store) == Counter([*early, *after, "evt_late"])
    async with sessionmaker() as session:
        assert (await unarchived_events(session)).num_rows == 0
    assert db_state(database_url)["evt_late"] is not None


async def test_aigt_events_archive_says_how_many_events_it_left_for_later_and_why(
    database_url: str, clean_db: None, tmp_path: Path
) -> None:
    env = {"AIGT_DATABASE_URL": database_url, "AIGT_HOME": str(tmp_path / "home")}
    early = insert_events(database_url, 12, months_ago=(0,))
    with psycopg.connect(database_url) as slow:
        # Holds a transaction id: the events written after it wait until it ends.
        slow.execute("SELECT pg_current_xact_id()")
        after = insert_events(database_url, 7, months_ago=(0,), rng=random.Random(3))
        as_json = run_aigt("events", "archive", "--json", env=env)
        spanish = run_aigt("--lang", "es", "events", "archive", env=env)
        english = run_aigt("events", "archive", env=env)
        slow.rollback()
    done = run_aigt("events", "archive", "--json", env=env)

    for run in (as_json, spanish, english, done):
        assert run.returncode == 0, run.stderr
    report = json.loads(as_json.stdout)
    assert (report["archived"], report["left_for_later"]) == (len(early), len(after))
    assert "7 eventos se han dejado para una ejecución posterior" in spanish.stdout
    assert "7 events were left for a later run: a transaction that was still open" in english.stdout
    assert (json.loads(done.stdout)["archived"], json.loads(done.stdout)["left_for_later"]) == (len(after), 0)


async def test_a_transaction_open_in_another_database_holds_nothing_back(
    sessionmaker: async_sessionmaker[AsyncSession],
    store: ArchiveStore,
    database_url: str,
    scratch_database: Callable[[str], str],
) -> None:
    with psycopg.connect(scratch_database("elsewhere")) as elsewhere:
        # A transaction of another application on the same server, holding a transaction id.
        elsewhere.execute("SELECT pg_current_xact_id()")
        ids = insert_events(database_url, 30, months_ago=(0,))
        report = await archive_pending(sessionmaker, store, batch_size=100)
        elsewhere.rollback()
    assert report.archived == len(ids)
    assert archived_ids(store) == Counter(ids)


async def test_marking_an_event_archived_rewrites_no_index_entry(database_url: str, clean_db: None) -> None:
    with psycopg.connect(database_url) as conn:
        indexed = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'events'"
            " AND (indexdef LIKE '%processed_at%' OR indexdef LIKE '%parquet_path%')"
        ).fetchall()
        options = conn.execute("SELECT reloptions FROM pg_class WHERE relname = 'events'").fetchone()
    # Heap-only updates: no index names the columns the archiver sets, and pages keep room for them.
    assert indexed == []
    assert options == (["fillfactor=40"],)


async def test_retention_deletes_only_rows_their_file_was_read_back_holding(
    sessionmaker: async_sessionmaker[AsyncSession], store: ArchiveStore, database_url: str
) -> None:
    old = insert_events(database_url, 60, months_ago=(2,))
    recent = insert_events(database_url, 20, months_ago=(0,))
    await archive_pending(sessionmaker, store, batch_size=1000)
    state = db_state(database_url)
    lost_path = state[old[0]]
    assert lost_path is not None
    store.delete(store.absolute(lost_path))
    move_followers(database_url, to_end=True)
    report = await apply_retention(sessionmaker, store, retention_days=31)
    remaining = db_state(database_url)
    kept_old = {i for i in old if state[i] == lost_path}
    assert report.deleted_rows == len(old) - len(kept_old)
    assert set(remaining) == kept_old | set(recent)


async def test_retention_keeps_events_a_follower_has_not_read(
    sessionmaker: async_sessionmaker[AsyncSession], store: ArchiveStore, database_url: str
) -> None:
    read = insert_events(database_url, 30, months_ago=(2,))
    move_followers(database_url, to_end=True)
    unread = insert_events(database_url, 30, months_ago=(2,), rng=random.Random(8))
    await archive_pending(sessionmaker, store, batch_size=1000)
    report = await apply_retention(sessionmaker, store, retention_days=31)
    assert report.deleted_rows == len(read)
    assert set(db_state(database_url)) == set(unread)

    move_followers(database_url, to_end=False)
    await apply_retention(sessionmaker, store, retention_days=31)
    assert set(db_state(database_url)) == set(unread)
    move_followers(database_url, to_end=True)
    report = await apply_retention(sessionmaker, store, retention_days=31)
    assert report.deleted_rows == len(unread)


async def test_stats_are_the_same_read_from_the_archive_as_from_the_table(
    sessionmaker: async_sessionmaker[AsyncSession], store: ArchiveStore, database_url: str
) -> None:
    ids = insert_events(database_url, 160, months_ago=(0, 1))
    window = Window.last_days(100)
    async with sessionmaker() as session:
        from_table = event_stats(store, await unarchived_events(session), window, user_id=None)
    await archive_pending(sessionmaker, store, batch_size=70)
    await compact(sessionmaker, store, closed_only=True)
    async with sessionmaker() as session:
        tail = await unarchived_events(session)
    assert tail.num_rows == 0
    assert event_stats(store, tail, window, user_id=None) == from_table
    with psycopg.connect(database_url) as conn:
        learners_events = conn.execute(
            "SELECT count(*) FROM events WHERE event_type::text NOT LIKE 'system.%'"
        ).fetchone()
    # Statistics are about learners: system events are left out.
    assert (from_table.total_events,) == learners_events
    assert 0 < from_table.total_events < len(ids)
