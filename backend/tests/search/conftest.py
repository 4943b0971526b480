"""Search tests run on a database of their own: the `aigt serve` that other tests start
(`live_server`) runs a job worker on the shared test database, and would take these tests'
embedding jobs before the worker they drain."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from ai_goals_tracker.config import Settings


@pytest.fixture(scope="session")
def database_url(scratch_database: Callable[[str], str]) -> str:
    from ai_goals_tracker.db import migrations

    dsn = scratch_database("search")
    migrations.upgrade(dsn)
    return dsn


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, home=Path(os.environ["AIGT_HOME"]), env="test")


@pytest.fixture(scope="session")
async def app(settings: Settings, database_url: str) -> AsyncIterator[FastAPI]:
    from ai_goals_tracker.main import create_app

    application = create_app(settings, database_url)
    yield application
    await application.state.engine.dispose()
    await application.state.read_engine.dispose()
