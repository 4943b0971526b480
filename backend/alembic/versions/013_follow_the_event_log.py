"""Followers of the event log: each event's transaction id, and where each follower has read to.

Search upkeep follows the log instead of being called by the recorder (events/follower.py). The
follower of search is registered here, at the start of the log, so retention keeps every event it
has not read even before a worker first runs.

Revision ID: 013
Revises: 012
"""

from collections.abc import Sequence

from alembic import op

revision: str = "013"
down_revision: str | None = "012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id()")
    op.execute("CREATE INDEX idx_events_txid ON events (txid, id)")
    op.execute(
        "CREATE TABLE event_followers ("
        " name varchar(100) PRIMARY KEY,"
        " txid xid8 NOT NULL DEFAULT '0'::xid8,"
        " event_id varchar(40) NOT NULL DEFAULT '',"
        " updated_at timestamptz NOT NULL DEFAULT now())"
    )
    op.execute("INSERT INTO event_followers (name) VALUES ('search_upkeep')")


def downgrade() -> None:
    op.execute("DROP TABLE event_followers")
    op.execute("DROP INDEX idx_events_txid")
    op.execute("ALTER TABLE events DROP COLUMN txid")
