"""Create the code_snapshots table.

Revision ID: 005
Revises: 004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "005"
down_revision: str | None = "004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "code_snapshots",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("task_id", sa.String(40), nullable=True),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("file_path", sa.String(1024), nullable=False),
        sa.Column("language", sa.String(50), nullable=True),
        sa.Column("code_content", sa.Text(), nullable=False),
        sa.Column("validation_passed", sa.Boolean(), nullable=True),
        sa.Column("validation_score", sa.Float(), nullable=True),
        sa.Column("validation_feedback", sa.Text(), nullable=True),
        sa.Column("issues_found", postgresql.JSONB(), server_default="[]", nullable=False),
        sa.Column("metadata", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("storage_path", sa.String(1024), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name="fk_code_snapshots_task_id_tasks", ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_code_snapshots_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_code_snapshots"),
    )


def downgrade() -> None:
    op.drop_table("code_snapshots")
