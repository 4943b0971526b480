"""Running the Alembic migrations from code (`aigt migrate`, `aigt serve`, the tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from ai_goals_tracker.db.vector_index import HNSW_INDEX_PREFIX

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def _alembic_dir() -> Path:
    # A wheel carries the migrations inside the package; a source checkout keeps them in backend/.
    bundled = _PACKAGE_DIR / "alembic"
    return bundled if bundled.is_dir() else _PACKAGE_DIR.parents[1] / "alembic"


def alembic_config(dsn: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_alembic_dir()))
    config.attributes["database_url"] = dsn
    return config


def upgrade(dsn: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(dsn), revision)


def downgrade(dsn: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(dsn), revision)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """What autogenerate compares: not the per-model HNSW indexes nor the job queue's tables,
    which the models leave out on purpose."""
    if type_ == "index" and name and name.startswith(HNSW_INDEX_PREFIX):
        return False
    return not (type_ == "table" and name and name.startswith("procrastinate_"))
