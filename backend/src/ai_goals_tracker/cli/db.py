"""`aigt db …`, `aigt migrate`, `aigt serve`.

The database's modules, the server's and uvicorn are imported by each command when it runs: every
other command of `aigt` starts without them.
"""

from __future__ import annotations

import contextlib
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
    """Start the database if needed, migrate, and serve the API (with a job worker unless --no-worker)."""
    import uvicorn

    from ai_goals_tracker.access_log import server_log_config
    from ai_goals_tracker.config import get_settings
    from ai_goals_tracker.db import migrations
    from ai_goals_tracker.db.server import check_database, resolve_database_url
    from ai_goals_tracker.main import create_app

    settings = get_settings()
    dsn = resolve_database_url(settings)
    check_database(dsn)
    migrations.upgrade(dsn)
    app = create_app(settings, dsn, with_worker=worker)
    console.print(f"API on http://{host or settings.host}:{port or settings.port}  (docs at /docs)")
    trusted = settings.trusted_proxy_list
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
        # The app logs each request itself, without the query string that uvicorn's access log writes.
        access_log=False,
        log_config=server_log_config(),
        # uvicorn believes X-Forwarded-For from 127.0.0.1 by default: any local process (or a
        # same-host proxy passing the header through) could then pick its own client address.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )


def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=32, help="Jobs run at the same time.")] = 2,
    until_empty: Annotated[bool, typer.Option(help="Stop once the queue is empty.")] = False,
) -> None:
    """Run background jobs (code reviews, embeddings, the event archive) until Ctrl-C."""
    import asyncio

    from ai_goals_tracker.config import get_settings
    from ai_goals_tracker.db.server import check_database, resolve_database_url
    from ai_goals_tracker.jobs import run_worker

    settings = get_settings()
    dsn = resolve_database_url(settings)
    check_database(dsn)
    console.print(f"Worker running ({concurrency} at a time). Ctrl-C stops it.")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_worker(settings, dsn, concurrency=concurrency, wait=not until_empty))
