"""A partial index over the events the archiver has not moved to Parquet yet.

The archiver asks for the oldest unarchived events every minute; once most of the table is
archived, this index holds only the tail, so finding it stays cheap however large the log grows.

Revision ID: 012
Revises: 011
"""

from collections.abc import Sequence

from alembic import op

revision: str = "012"
down_revision: str | None = "011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS idx_events_unarchived ON events (created_at, id) WHERE processed_at IS NULL")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS idx_events_unarchived")
