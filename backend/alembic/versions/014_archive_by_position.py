"""The archiver finds the unarchived tail from a saved position, and marks rows with HOT updates.

Marking an archived event rewrote its row and every index entry of it: the partial index
`idx_events_unarchived` has a predicate on `processed_at`, so no update of that column could be
a heap-only (HOT) update. Without it, and with room left in each page for the marked version of
its rows (fillfactor 40: a row grows by its `parquet_path` when archived), marking writes one
small WAL record per row and touches no index.

The tail is found instead from `event_archive_position`: the last event, in the followers'
(`txid`, `id`) order, of the last archived batch. Every event at or before it is archived.

Revision ID: 014
Revises: 013
"""

from collections.abc import Sequence

from alembic import op

revision: str = "014"
down_revision: str | None = "013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE event_archive_position ("
        " single boolean PRIMARY KEY DEFAULT true CONSTRAINT ck_event_archive_position_single CHECK (single),"
        " txid xid8 NOT NULL,"
        " event_id varchar(40) NOT NULL,"
        " updated_at timestamptz NOT NULL DEFAULT now())"
    )
    # The last event before the first unarchived one, among events no open transaction can still
    # add to (below the snapshot's xmin, as events/follower.py reads); the start of the log if none.
    op.execute(
        "WITH horizon AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin),"
        " first_unarchived AS ("
        "   SELECT txid, id FROM events WHERE processed_at IS NULL ORDER BY txid, id LIMIT 1),"
        " before AS ("
        "   SELECT txid, id FROM events, horizon WHERE txid < horizon.xmin"
        "   AND NOT EXISTS (SELECT 1 FROM first_unarchived f WHERE (events.txid, events.id) >= (f.txid, f.id))"
        "   ORDER BY txid DESC, id DESC LIMIT 1)"
        " INSERT INTO event_archive_position (txid, event_id)"
        " SELECT coalesce((SELECT txid FROM before), '0'), coalesce((SELECT id FROM before), '')"
    )
    op.execute("DROP INDEX IF EXISTS idx_events_unarchived")
    op.execute("ALTER TABLE events SET (fillfactor = 40)")


def downgrade() -> None:
    op.execute("ALTER TABLE events RESET (fillfactor)")
    op.execute("CREATE INDEX IF NOT EXISTS idx_events_unarchived ON events (created_at, id) WHERE processed_at IS NULL")
    op.execute("DROP TABLE event_archive_position")
