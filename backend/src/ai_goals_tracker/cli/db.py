"""`aigt db …`, `aigt migrate`, `aigt serve`.

The database's modules, the server's and uvicorn are imported by each command when it runs: every
other command of `aigt` starts without them.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

db_app = typer.Typer(help="The database: the embedded PostgreSQL, or the one AIGT_DATABASE_URL names.")
console = Console()


@db_app.command()
def start() -> None:
    """Start the embedded PostgreSQL and leave it running (until `aigt db stop`)."""
    from ai_goals_tracker.config import get_settings
    from ai_goals_tracker.db.server import check_database, resolve_database_url

    settings = get_settings()
    if not settings.embedded_database:
        console.print("AIGT_DATABASE_URL is set: nothing to start, the app uses that server.")
        return
    dsn = resolve_database_url(settings, keep_running=True)
    version = check_database(dsn)
    console.print(f"Embedded PostgreSQL running in {settings.pgdata} (pgvector {version})")


@db_app.command()
def stop() -> None:
    """Stop the embedded PostgreSQL."""
    from ai_goals_tracker.config import get_settings
    from ai_goals_tracker.db.server import stop_embedded

    settings = get_settings()
    if stop_embedded(settings):
        console.print("Embedded PostgreSQL stopped.")
    else:
        console.print("Embedded PostgreSQL was not running.")


@db_app.command()
def status() -> None:
    """Say whether the database is reachable, and where it is."""
    from ai_goals_tracker.config import get_settings
    from ai_goals_tracker.db.server import check_database, embedded_status

    settings = get_settings()
    if not settings.embedded_database:
        assert settings.database_url is not None
        version = check_database(settings.database_url)
        console.print(f"External PostgreSQL reachable (pgvector {version})")
        return
    state = embedded_status(settings)
    if state.running:
        console.print(f"Embedded PostgreSQL running, pid {state.pid}, data in {state.pgdata}")
    else:
        console.print(f"Embedded PostgreSQL stopped, data in {state.pgdata}")
        raise typer.Exit(3)


@db_app.command()
def url() -> None:
    """Print a DSN for psql and psycopg (starts the embedded server if needed, and leaves it running)."""
    from ai_goals_tracker.config import get_settings
    from ai_goals_tracker.db.server import libpq_dsn, resolve_database_url

    dsn = resolve_database_url(get_settings(), keep_running=True)
    typer.echo(libpq_dsn(dsn))


def migrate() -> None:
    """Apply every database migration (upgrade to head)."""
    from ai_goals_tracker.config import get_settings
    from ai_goals_tracker.db import migrations
    from ai_goals_tracker.db.server import check_database, resolve_database_url

    dsn = resolve_database_url(get_settings())
    check_database(dsn)
    migrations.upgrade(dsn)
    console.print("Database schema is up to date.")


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (AIGT_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (AIGT_PORT).")] = None,
    worker: Annotated[bool, typer.Option(help="Also run a job worker in this process.")] = True,
) -> None:
    """Start the database if needed, migrate, and serve the API (with a job worker unless --no-worker).
    SIGTERM, SIGINT (Ctrl-C) or SIGHUP stop it gracefully, with the embedded database it started; a
    second signal stops it at once."""
    from ai_goals_tracker.config import get_settings
    from ai_goals_tracker.db import migrations
    from ai_goals_tracker.db.server import check_database, resolve_database_url
    from ai_goals_tracker.http_server import build_server
    from ai_goals_tracker.main import create_app

    settings = get_settings()
    dsn = resolve_database_url(settings)
    check_database(dsn)
    migrations.upgrade(dsn)
    app = create_app(settings, dsn, with_worker=worker)
    console.print(f"API on http://{host or settings.host}:{port or settings.port}  (docs at /docs)")
    build_server(app, settings, host=host or settings.host, port=port or settings.port).run()


def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=32, help="Jobs run at the same time.")] = 2,
    until_empty: Annotated[bool, typer.Option(help="Stop once the queue is empty.")] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve this worker's metrics (reviews by outcome) at http://127.0.0.1:PORT/metrics."),
    ] = None,
) -> None:
    """Run background jobs (code reviews, embeddings, the event archive) until stopped: SIGTERM, SIGINT
    (Ctrl-C) or SIGHUP hand running jobs back to the queue and stop it; a second signal stops it at once."""
    from ai_goals_tracker.config import get_settings
    from ai_goals_tracker.db.server import check_database, resolve_database_url
    from ai_goals_tracker.jobs import run_worker
    from ai_goals_tracker.stopping import run_until_stopped

    settings = get_settings()
    dsn = resolve_database_url(settings)
    check_database(dsn)
    if metrics_port is not None:
        from prometheus_client import start_http_server

        from ai_goals_tracker.metrics import REGISTRY

        start_http_server(metrics_port, addr="127.0.0.1", registry=REGISTRY)
    console.print(f"Worker running ({concurrency} at a time). Ctrl-C stops it.")
    run_until_stopped(run_worker(settings, dsn, concurrency=concurrency, wait=not until_empty))
