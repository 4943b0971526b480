"""The job queue's tables and functions (procrastinate's schema for the pinned 3.x release).

Revision ID: 011
Revises: 010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "011"
down_revision: str | None = "010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(SchemaManager.get_schema())


def downgrade() -> None:
    bind = op.get_bind()
    tables = bind.execute(sa.text("SELECT tablename FROM pg_tables WHERE tablename LIKE 'procrastinate%'")).scalars()
    for table in list(tables):
        op.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    functions = bind.execute(
        sa.text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate%'"
        )
    ).scalars()
    for function in list(functions):
        op.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")
    types = bind.execute(
        sa.text("SELECT typname FROM pg_type WHERE typname LIKE 'procrastinate%' AND typtype IN ('e', 'c')")
    ).scalars()
    for type_name in list(types):
        op.execute(f'DROP TYPE IF EXISTS "{type_name}" CASCADE')
