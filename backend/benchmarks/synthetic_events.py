"""Synthetic event logs for benchmarks: plausible learners' events over the last year.

`synthetic_events(n)` returns an Arrow table in the archive's schema; `write_archive` lays it out
as the archiver and compactor would (one file per category and month).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ai_goals_tracker.db.ids import new_id
from ai_goals_tracker.events.columns import ARCHIVE_SCHEMA
from ai_goals_tracker.events.store import ArchiveStore, deduplicate
from ai_goals_tracker.models.enums import EventType

# Roughly how often each event type happens for a learner at work.
WEIGHTS: dict[EventType, float] = {
    EventType.USER_LOGIN: 6,
    EventType.TASK_UPDATED: 10,
    EventType.TASK_STARTED: 6,
    EventType.TASK_COMPLETED: 5,
    EventType.TASK_VALIDATED: 5,
    EventType.GOAL_UPDATED: 6,
    EventType.GOAL_STARTED: 2,
    EventType.GOAL_COMPLETED: 1,
    EventType.COURSE_UPDATED: 2,
    EventType.CODE_SUBMITTED: 12,
    EventType.CODE_VALIDATED: 12,
    EventType.AI_FEEDBACK_GENERATED: 8,
    EventType.SYSTEM_WARNING: 1,
}
LANGUAGES = ["python", "typescript", "javascript", "go", "rust", "sql"]


def synthetic_events(count: int, *, users: int = 1000, seed: int = 42, days: int = 365) -> pa.Table:
    rng = np.random.default_rng(seed)
    types = list(WEIGHTS)
    weights = np.array([WEIGHTS[t] for t in types])
    type_index = rng.choice(len(types), size=count, p=weights / weights.sum())
    # A few very active learners, many occasional ones.
    user_index = np.minimum(rng.zipf(1.3, size=count) - 1, users - 1)
    now = datetime.now(UTC)
    offsets = rng.uniform(0, days * 86400, size=count)
    created = pa.array(
        (np.datetime64(now.replace(tzinfo=None), "us") - (offsets * 1e6).astype("timedelta64[us]")),
        type=pa.timestamp("us", tz="UTC"),
    )
    user_ids = [f"usr_{i:026d}" for i in range(users)]
    scores = rng.uniform(0.3, 1.0, size=count).round(3)
    languages = rng.choice(len(LANGUAGES), size=count)
    event_types, entity_types, entity_ids, payloads = [], [], [], []
    for i in range(count):
        event_type = types[type_index[i]]
        category = event_type.category
        entity_type = "code_snapshot" if category == "code" else category
        entity_id = f"{entity_type[:3]}_{int(user_index[i])}_{i % 50}"
        payload: dict[str, object] = {"id": entity_id, "status": "completed", "title": "Implementar endpoint /login"}
        if category == "code":
            payload["language"] = LANGUAGES[languages[i]]
            if event_type == EventType.CODE_VALIDATED:
                payload["validation_score"] = float(scores[i])
        event_types.append(event_type.value)
        entity_types.append(entity_type)
        entity_ids.append(entity_id)
        payloads.append(json.dumps(payload))
    return pa.Table.from_arrays(
        [
            pa.array([new_id("evt") for _ in range(count)]),
            pa.array(event_types),
            pa.array([user_ids[u] for u in user_index]),
            pa.array(entity_types),
            pa.array(entity_ids),
            pa.array(payloads),
            pa.array(['{"source": "vscode_extension"}'] * count),
            created,
            pa.array([now] * count, type=pa.timestamp("us", tz="UTC")),
        ],
        schema=ARCHIVE_SCHEMA,
    )


def write_archive(table: pa.Table, store: ArchiveStore) -> int:
    """Write `table` as compacted month files; returns the number of files."""
    created = table.column("created_at")
    years = pc.year(created)
    months = pc.month(created)
    categories = pc.utf8_slice_codeunits(table.column("event_type"), 0, 200)
    categories = pc.list_element(pc.split_pattern(categories, "."), 0)
    keyed = table.append_column("y", years).append_column("m", months).append_column("c", categories)
    files = 0
    for key in keyed.select(["y", "m", "c"]).group_by(["y", "m", "c"]).aggregate([]).to_pylist():
        mask = pc.and_(
            pc.and_(pc.equal(keyed["y"], key["y"]), pc.equal(keyed["m"], key["m"])), pc.equal(keyed["c"], key["c"])
        )
        part = deduplicate(keyed.filter(mask).select(ARCHIVE_SCHEMA.names)).sort_by(
            [("user_id", "ascending"), ("created_at", "ascending"), ("id", "ascending")]
        )
        store.write_atomically(part, store.main_path((key["y"], key["m"]), key["c"]))
        files += 1
    return files
