"""Create the courses table.

Revision ID: 002
Revises: 001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "002"
down_revision: str | None = "001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COURSE_STATUS = postgresql.ENUM("draft", "active", "completed", "archived", name="course_status")


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", COURSE_STATUS, server_default="draft", nullable=False),
        sa.Column("progress_percentage", sa.Float(), server_default="0", nullable=False),
        sa.Column("metadata", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_courses_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_courses"),
    )


def downgrade() -> None:
    op.drop_table("courses")
    COURSE_STATUS.drop(op.get_bind())
