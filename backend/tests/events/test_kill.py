"""Exactly once under SIGKILL: archiver and compactor processes killed at random instants.

Each archiver is a real process forked from a server that imported the code once (multiprocessing's
forkserver), so a kill costs milliseconds of start-up instead of seconds and the test fits in
about a minute on an idle machine. It reports each committed batch or merged file; most kills land a random instant
after one of those reports, the rest a random instant after the start, during the repair of what
the previous victim left. It runs on a local folder and on an S3 bucket (moto's server).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import time
from collections import Counter
from multiprocessing.queues import Queue
from pathlib import Path
from queue import Empty

import psycopg
import pytest

from ai_goals_tracker.db.engine import create_engine, create_sessionmaker
from ai_goals_tracker.events.archive import archive_pending, compact
from ai_goals_tracker.events.store import ArchiveStore, current_month
from tests.events.conftest import insert_events, names_in, run_aigt

KILLS = 24
# Runs that end before their kill are rare; this bounds the loop. No clock does: a busy machine
# slows the runs and the kills alike, so it takes longer but not fewer kills.
MAX_RUNS = 3 * KILLS


def archiver(dsn: str, root: str, command: str, progress: Queue[str], aws: dict[str, str]) -> None:
    # The fork server keeps the environment of the test that started it (a local-folder run has no
    # S3 endpoint): the object store's variables come with each run.
    os.environ.update(aws)

    async def main() -> None:
        engine = create_engine(dsn, pool_size=2, max_overflow=0)
        sessionmaker = create_sessionmaker(engine)
        store = ArchiveStore.open(root)
        if command == "archive":
            await archive_pending(sessionmaker, store, batch_size=30, on_batch=lambda n, _files: progress.put("batch"))
        else:
            await compact(sessionmaker, store, on_merge=progress.put)
        await engine.dispose()

    asyncio.run(main())


@pytest.mark.slow
def test_archiver_killed_at_random_moments_neither_loses_nor_duplicates(
    database_url: str, clean_db: None, store: ArchiveStore, tmp_path: Path
) -> None:
    seed = int(os.environ.get("AIGT_KILL_SEED", time.time_ns() % 10_000))
    rng = random.Random(seed)
    # On the object store every file operation is an HTTP request (to moto, itself in Python): a
    # batch takes seconds, so batches span fewer months (fewer files each) and a run is given longer
    # to report one.
    on_object_store = bool(store.scheme)
    months = (0, 1) if on_object_store else (0, 1, 2)
    report_wait = 8.0 if on_object_store else 3.0
    ids = insert_events(database_url, 1000, months_ago=months, rng=rng)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ai_goals_tracker.events.archive", "tests.events.test_kill"])
    progress: Queue[str] = context.Queue()

    kills = finished = 0
    ended_first = False
    while kills < KILLS and kills + finished < MAX_RUNS:
        ids += insert_events(database_url, rng.randint(30, 150), months_ago=months, rng=rng)
        command = "compact" if rng.random() < 0.3 else "archive"
        aws = {name: value for name, value in os.environ.items() if name.startswith("AWS_")}
        process = context.Process(target=archiver, args=(database_url, store.uri, command, progress, aws))
        process.start()
        # After a run that ended before its kill (a loaded machine slows the kills, not the work),
        # the next kill comes early, so the test reaches its kill count within MAX_RUNS.
        if ended_first or rng.random() < 0.3:
            process.join(rng.uniform(0, 0.4))
        else:
            try:
                for _ in range(rng.randint(1, 2)):
                    progress.get(timeout=report_wait)
            except Empty:
                pass
            process.join(rng.uniform(0, 0.08))
        ended_first = not process.is_alive()
        if process.is_alive():
            process.kill()
            kills += 1
        else:
            assert process.exitcode == 0, f"seed {seed}: an unkilled {command} failed"
            finished += 1
        process.join()
        while not progress.empty():
            progress.get_nowait()
    assert kills >= 20, f"only {kills} kills ({finished} runs ended first; seed {seed})"

    # The events added last stay unarchived; everything else is repaired by one unkilled compaction.
    tail = insert_events(database_url, 200, months_ago=months, rng=rng)
    result = run_aigt(
        "events",
        "compact",
        env={"AIGT_DATABASE_URL": database_url, "AIGT_ARCHIVE_URI": store.uri, "AIGT_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    in_files = Counter(i for path in store.parquet_files() for i in store.read_ids(path))
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT id, processed_at IS NOT NULL, parquet_path FROM events").fetchall()
    unarchived = [row[0] for row in rows if not row[1]]
    every = in_files + Counter(unarchived)
    duplicated = [event_id for event_id, seen in every.items() if seen > 1]
    assert duplicated == [], f"seed {seed}: {len(duplicated)} events twice"
    lost = (set(ids) | set(tail)) - set(every)
    assert not lost, f"seed {seed}: lost {len(lost)} events"
    assert set(tail) <= set(unarchived)
    # The runs must have archived something for the exactly-once checks above to mean anything; how
    # much depends on how busy the machine was when the kills came, so no share of it is required.
    assert in_files, "the archivers archived nothing before being killed"
    holding = {path: set(store.read_ids(store.absolute(path))) for path in {row[2] for row in rows if row[1]}}
    assert all(event_id in holding[path] for event_id, archived, path in rows if archived), f"seed {seed}"

    # After compaction a closed month holds only the seed's files: no parts, manifests or temporaries.
    this_month = current_month()
    for folder in {p.rsplit("/", 1)[0] for p in store.parquet_files()}:
        names = names_in(store, folder)
        if not folder.endswith(f"year={this_month[0]:04d}/month={this_month[1]:02d}"):
            assert all(name.endswith("_events.parquet") and ".part-" not in name for name in names), names
        assert not [n for n in names if n.endswith((".tmp", ".json"))], names
