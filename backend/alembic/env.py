"""Alembic environment. The URL comes from `aigt` (config attribute) or the settings."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool

import ai_goals_tracker.models  # noqa: F401  (registers every table on Base.metadata)
from ai_goals_tracker.config import get_settings
from ai_goals_tracker.db.base import Base
from ai_goals_tracker.db.migrations import include_object
from ai_goals_tracker.db.server import resolve_database_url, sqlalchemy_url

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    url = config.attributes.get("database_url") or resolve_database_url(get_settings())
    return str(sqlalchemy_url(url).render_as_string(hide_password=False))


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
