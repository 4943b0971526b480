"""Fixtures for snapshot and review-job tests: a job worker under the test's control."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress

import pytest

from ai_goals_tracker.config import Settings
from ai_goals_tracker.jobs import run_worker


@pytest.fixture
async def worker(settings: Settings, database_url: str) -> AsyncIterator[None]:
    """A job worker running in this event loop for the test's duration (what `aigt serve` starts)."""
    task = asyncio.create_task(run_worker(settings, database_url))
    yield
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
