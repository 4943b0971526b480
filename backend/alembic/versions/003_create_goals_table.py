"""Create the goals table.

Revision ID: 003
Revises: 002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "003"
down_revision: str | None = "002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GOAL_STATUS = postgresql.ENUM("pending", "in_progress", "completed", "blocked", "cancelled", name="goal_status")
GOAL_PRIORITY = postgresql.ENUM("low", "medium", "high", "urgent", name="goal_priority")


def upgrade() -> None:
    op.create_table(
        "goals",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("course_id", sa.String(40), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", GOAL_STATUS, server_default="pending", nullable=False),
        sa.Column("priority", GOAL_PRIORITY, server_default="medium", nullable=False),
        sa.Column("progress_percentage", sa.Float(), server_default="0", nullable=False),
        sa.Column("ai_generated", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("validation_criteria", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("metadata", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_date", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_goals_user_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name="fk_goals_course_id_courses", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_goals"),
    )


def downgrade() -> None:
    op.drop_table("goals")
    GOAL_PRIORITY.drop(op.get_bind())
    GOAL_STATUS.drop(op.get_bind())
