"""`event_log_horizon()`: the log's readable end, held back only by this database's transactions.

Followers and the archiver read events below the oldest transaction still open, so an event a
long transaction commits late is never passed over. `pg_snapshot_xmin` is that bound across the
whole server: a transaction open in another database (another application, or another test run on
a shared server) held every reader back although it cannot write this database's events. The
function skips the open transactions that `pg_stat_activity` shows belong to another database;
one it cannot place (a subtransaction, a session whose details are hidden, one that just ended)
still holds the readers back, so an unplaced transaction costs only a wait, never an event.

Revision ID: 015
Revises: 014
"""

from collections.abc import Sequence

from alembic import op

revision: str = "015"
down_revision: str | None = "014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION event_log_horizon() RETURNS xid8 LANGUAGE sql STABLE AS $$
            SELECT COALESCE(
                (SELECT min(open_xid) FROM pg_snapshot_xip(snapshot) AS open_xid
                 WHERE NOT EXISTS (
                     SELECT 1 FROM pg_stat_activity AS a
                     WHERE a.datname <> current_database()
                       AND a.backend_xid::text::bigint = open_xid::text::bigint % 4294967296)),
                pg_snapshot_xmax(snapshot))
            FROM pg_current_snapshot() AS snapshot
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION event_log_horizon()")
