"""Event types for deletions: the seed has none, and a log that rebuilds the database needs them.

Revision ID: 009
Revises: 008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "009"
down_revision: str | None = "008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_TYPES = ("course.deleted", "goal.deleted", "task.deleted")


def upgrade() -> None:
    for value in NEW_TYPES:
        op.execute(f"ALTER TYPE event_type ADD VALUE IF NOT EXISTS '{value}'")


def downgrade() -> None:
    # PostgreSQL cannot drop an enum value: rebuild the type without them.
    listed = ", ".join(f"'{value}'" for value in NEW_TYPES)
    op.execute(f"DELETE FROM events WHERE event_type::text IN ({listed})")
    op.execute("ALTER TYPE event_type RENAME TO event_type_old")
    op.execute(
        "CREATE TYPE event_type AS ENUM ("
        + ", ".join(
            f"'{label}'"
            for label in (
                "user.created", "user.updated", "user.login", "user.logout",
                "course.created", "course.updated", "course.completed", "course.archived",
                "goal.created", "goal.updated", "goal.started", "goal.completed", "goal.blocked",
                "task.created", "task.updated", "task.started", "task.completed", "task.validated",
                "task.failed", "code.submitted", "code.reviewed", "code.validated",
                "ai.feedback_generated", "ai.goal_suggested", "ai.validation_completed",
                "system.error", "system.warning",
            )
        )
        + ")"
    )  # fmt: skip
    op.execute("ALTER TABLE events ALTER COLUMN event_type TYPE event_type USING event_type::text::event_type")
    op.execute("DROP TYPE event_type_old")
