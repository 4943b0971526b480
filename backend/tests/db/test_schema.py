"""The migrated schema against the seed (`shared/seed/data-model.md`), transcribed by hand."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import ai_goals_tracker.models  # noqa: F401
from ai_goals_tracker.db import migrations
from ai_goals_tracker.db.base import Base
from ai_goals_tracker.db.server import sqlalchemy_url

SEED_COLUMNS = {
    "users": [
        "id", "email", "username", "hashed_password", "full_name", "is_active", "is_superuser",
        "metadata", "created_at", "updated_at", "last_login_at",
    ],
    "courses": [
        "id", "user_id", "title", "description", "status", "progress_percentage", "metadata",
        "created_at", "updated_at", "completed_at",
    ],
    "goals": [
        "id", "user_id", "course_id", "title", "description", "status", "priority", "progress_percentage",
        "ai_generated", "validation_criteria", "metadata", "created_at", "updated_at", "started_at",
        "completed_at", "due_date",
    ],
    "tasks": [
        "id", "goal_id", "user_id", "title", "description", "task_type", "status", "priority",
        "estimated_hours", "actual_hours", "validation_result", "ai_feedback", "metadata", "created_at",
        "updated_at", "started_at", "completed_at",
    ],
    "code_snapshots": [
        "id", "task_id", "user_id", "file_path", "language", "code_content", "validation_passed",
        "validation_score", "validation_feedback", "issues_found", "metadata", "storage_path", "created_at",
    ],
    "events": [
        "id", "event_type", "user_id", "entity_type", "entity_id", "payload", "metadata", "created_at",
        "processed_at", "parquet_path",
    ],
    "embeddings": [
        "id", "user_id", "entity_type", "entity_id", "content", "embedding", "model", "metadata", "created_at",
    ],
}  # fmt: skip

SEED_ENUMS = {
    "course_status": ["draft", "active", "completed", "archived"],
    "goal_status": ["pending", "in_progress", "completed", "blocked", "cancelled"],
    "goal_priority": ["low", "medium", "high", "urgent"],
    "task_status": ["todo", "in_progress", "in_review", "completed", "failed", "skipped"],
    "task_type": ["code", "documentation", "testing", "research", "review", "deployment", "other"],
    "event_type": [
        "user.created", "user.updated", "user.login", "user.logout",
        "course.created", "course.updated", "course.completed", "course.archived",
        "goal.created", "goal.updated", "goal.started", "goal.completed", "goal.blocked",
        "task.created", "task.updated", "task.started", "task.completed", "task.validated", "task.failed",
        "code.submitted", "code.reviewed", "code.validated",
        "ai.feedback_generated", "ai.goal_suggested", "ai.validation_completed",
        "system.error", "system.warning",
    ],
}  # fmt: skip

SEED_INDEXES = {
    "idx_users_email": ("users", "(email)", True),
    "idx_users_username": ("users", "(username)", True),
    "idx_goals_user_id": ("goals", "(user_id)", False),
    "idx_goals_status": ("goals", "(status, created_at)", False),
    "idx_goals_course_id": ("goals", "(course_id)", False),
    "idx_tasks_goal_id": ("tasks", "(goal_id)", False),
    "idx_tasks_status": ("tasks", "(status, created_at)", False),
    "idx_tasks_user_id": ("tasks", "(user_id)", False),
    "idx_events_user_created": ("events", "(user_id, created_at)", False),
    "idx_events_entity": ("events", "(entity_type, entity_id, created_at)", False),
    "idx_events_type_created": ("events", "(event_type, created_at)", False),
    "idx_embeddings_entity": ("embeddings", "(entity_type, entity_id)", False),
    "idx_code_snapshots_validated": ("code_snapshots", "(validation_passed, created_at)", False),
    "idx_code_snapshots_language": ("code_snapshots", "(user_id, language)", False),
}


def _columns(conn: psycopg.Connection, table: str) -> dict[str, tuple[str, str]]:
    rows = conn.execute(
        "SELECT column_name, data_type, udt_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = %s",
        (table,),
    ).fetchall()
    return {name: (data_type, udt) for name, data_type, udt in rows}


# Columns the seed does not name, each needed by a feature: the writing transaction of an event,
# by which followers of the log read it in commit-safe order (migration 013, events/follower.py).
ADDED_COLUMNS: dict[str, list[str]] = {"events": ["txid"]}


@pytest.mark.parametrize("table", sorted(SEED_COLUMNS))
def test_every_seed_column_exists(database_url: str, table: str) -> None:
    with psycopg.connect(database_url) as conn:
        columns = _columns(conn, table)
    assert sorted(columns) == sorted(SEED_COLUMNS[table] + ADDED_COLUMNS.get(table, []))


def test_column_types_follow_the_seed(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        goals = _columns(conn, "goals")
        tasks = _columns(conn, "tasks")
        snapshots = _columns(conn, "code_snapshots")
        embeddings = _columns(conn, "embeddings")
    assert goals["created_at"] == ("timestamp with time zone", "timestamptz")
    assert goals["metadata"][1] == "jsonb"
    assert goals["validation_criteria"][1] == "jsonb"
    assert goals["status"][1] == "goal_status"
    assert goals["priority"][1] == "goal_priority"
    assert tasks["priority"][1] == "int4"
    assert tasks["task_type"][1] == "task_type"
    assert snapshots["code_content"][1] == "text"
    assert snapshots["issues_found"][1] == "jsonb"
    assert embeddings["embedding"][1] == "vector"
    assert embeddings["content"][1] == "text"


def test_enums_hold_the_seed_values_in_order(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        for enum_name, values in SEED_ENUMS.items():
            rows = conn.execute(
                "SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid "
                "WHERE t.typname = %s ORDER BY e.enumsortorder",
                (enum_name,),
            ).fetchall()
            assert [row[0] for row in rows][: len(values)] == values, enum_name


def test_seed_indexes_exist_with_their_names_and_columns(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        found = {name: (table, definition) for name, table, definition in rows}
    for name, (table, columns, unique) in SEED_INDEXES.items():
        assert name in found, name
        assert found[name][0] == table
        assert found[name][1].endswith(f"USING btree {columns}"), found[name][1]
        assert found[name][1].startswith("CREATE UNIQUE INDEX") == unique


def test_hnsw_index_for_the_configured_model(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        (definition,) = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'embeddings' AND indexdef LIKE '%hnsw%'"
        ).fetchone() or ("",)
    assert "USING hnsw (((embedding)::vector(512)) vector_cosine_ops)" in definition
    assert "WHERE ((model)::text = 'universal-sentence-encoder-multilingual-3'::text)" in definition


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = create_engine(sqlalchemy_url(database_url))
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": migrations.include_object,
            },
        )
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(scratch_database: Callable[[str], str]) -> None:
    dsn = scratch_database("migrations")
    migrations.upgrade(dsn)
    migrations.downgrade(dsn, "base")
    with psycopg.connect(dsn) as conn:
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
        enums = conn.execute("SELECT typname FROM pg_type WHERE typtype = 'e'").fetchall()
    assert {row[0] for row in tables} <= {"alembic_version"}
    assert enums == []
    migrations.upgrade(dsn)
    with psycopg.connect(dsn) as conn:
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    assert set(SEED_COLUMNS) <= {row[0] for row in tables}
