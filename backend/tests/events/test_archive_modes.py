"""The archive holds emails and client addresses: no other local user may read it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.events.conftest import insert_events, run_aigt


def loose_modes(home: Path) -> list[str]:
    """Every folder under `home` that is not 0700 and every file that is not 0600."""
    loose = []
    for folder, dirs, files in os.walk(home):
        for name in dirs:
            path = Path(folder, name)
            if stat.S_IMODE(path.stat().st_mode) != 0o700:
                loose.append(f"{path} {oct(path.stat().st_mode)}")
        for name in files:
            path = Path(folder, name)
            if stat.S_IMODE(path.stat().st_mode) != 0o600:
                loose.append(f"{path} {oct(path.stat().st_mode)}")
    return loose


@pytest.mark.slow
async def test_archived_and_compacted_files_are_private_to_the_service(
    sessionmaker: async_sessionmaker[AsyncSession], database_url: str, tmp_path: Path
) -> None:
    insert_events(database_url, 120, months_ago=(0, 1))
    home = tmp_path / "home"
    env = {"AIGT_DATABASE_URL": database_url, "AIGT_HOME": str(home)}

    archived = run_aigt("events", "archive", "--batch-size", "40", env=env)
    assert archived.returncode == 0, archived.stderr
    compacted = run_aigt("events", "compact", "--closed-only", env=env)
    assert compacted.returncode == 0, compacted.stderr

    parquet = list(home.glob("archive/events/year=*/month=*/user_events*.parquet"))
    assert parquet
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert loose_modes(home) == []
