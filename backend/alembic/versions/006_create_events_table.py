"""Create the events table.

Revision ID: 006
Revises: 005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "006"
down_revision: str | None = "005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEED_EVENT_TYPES = (
    "user.created", "user.updated", "user.login", "user.logout",
    "course.created", "course.updated", "course.completed", "course.archived",
    "goal.created", "goal.updated", "goal.started", "goal.completed", "goal.blocked",
    "task.created", "task.updated", "task.started", "task.completed", "task.validated", "task.failed",
    "code.submitted", "code.reviewed", "code.validated",
    "ai.feedback_generated", "ai.goal_suggested", "ai.validation_completed",
    "system.error", "system.warning",
)  # fmt: skip
EVENT_TYPE = postgresql.ENUM(*SEED_EVENT_TYPES, name="event_type")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("event_type", EVENT_TYPE, nullable=False),
        sa.Column("user_id", sa.String(40), nullable=True),
        sa.Column("entity_type", sa.String(50), nullable=False),
        sa.Column("entity_id", sa.String(40), nullable=False),
        sa.Column("payload", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("metadata", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.clock_timestamp(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("parquet_path", sa.String(1024), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_events_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )


def downgrade() -> None:
    op.drop_table("events")
    EVENT_TYPE.drop(op.get_bind())
