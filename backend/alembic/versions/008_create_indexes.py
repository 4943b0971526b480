"""Create the seed's indexes, and the HNSW index of the configured embedding model.

Revision ID: 008
Revises: 007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ai_goals_tracker.ai.embeddings import embedding_dimensions
from ai_goals_tracker.config import get_settings
from ai_goals_tracker.db.vector_index import HNSW_INDEX_PREFIX, create_hnsw_index_sql

revision: str = "008"
down_revision: str | None = "007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (name, table, columns, unique): the seed's "Índices Importantes", then the foreign keys that
# cascading deletes walk.
INDEXES = [
    ("idx_users_email", "users", ["email"], True),
    ("idx_users_username", "users", ["username"], True),
    ("idx_goals_user_id", "goals", ["user_id"], False),
    ("idx_goals_status", "goals", ["status", "created_at"], False),
    ("idx_goals_course_id", "goals", ["course_id"], False),
    ("idx_tasks_goal_id", "tasks", ["goal_id"], False),
    ("idx_tasks_status", "tasks", ["status", "created_at"], False),
    ("idx_tasks_user_id", "tasks", ["user_id"], False),
    ("idx_events_user_created", "events", ["user_id", "created_at"], False),
    ("idx_events_entity", "events", ["entity_type", "entity_id", "created_at"], False),
    ("idx_events_type_created", "events", ["event_type", "created_at"], False),
    ("idx_embeddings_entity", "embeddings", ["entity_type", "entity_id"], False),
    ("idx_code_snapshots_validated", "code_snapshots", ["validation_passed", "created_at"], False),
    ("idx_code_snapshots_language", "code_snapshots", ["user_id", "language"], False),
    ("idx_courses_user_id", "courses", ["user_id"], False),
    ("idx_code_snapshots_task_id", "code_snapshots", ["task_id"], False),
    ("idx_embeddings_user_id", "embeddings", ["user_id"], False),
]


def upgrade() -> None:
    for name, table, columns, unique in INDEXES:
        op.create_index(name, table, columns, unique=unique)
    model = get_settings().embeddings_model
    op.execute(create_hnsw_index_sql(model, embedding_dimensions(model)))


def downgrade() -> None:
    # Every model's HNSW index, not only the configured one: reindexing may have added others.
    bind = op.get_bind()
    names = bind.execute(
        sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'embeddings' AND indexname LIKE :prefix"),
        {"prefix": HNSW_INDEX_PREFIX + "%"},
    ).scalars()
    for name in list(names):
        op.execute(f'DROP INDEX IF EXISTS "{name}"')
    for name, table, _columns, _unique in reversed(INDEXES):
        op.drop_index(name, table_name=table)
