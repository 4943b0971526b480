"""Typed settings, read from the environment with the `AIGT_` prefix."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ai_goals_tracker.errors import ConfigurationError

SECRET_KEY_FILE = "secret_key"  # noqa: S105  (a file name, not a secret)
OFFLINE_EMBEDDINGS_MODEL = "universal-sentence-encoder-multilingual-3"


def default_home() -> Path:
    return Path(platformdirs.user_data_dir("ai-goals-tracker", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AIGT_", env_file=None, extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    home: Path = Field(default_factory=default_home)
    database_url: str | None = None
    # A streaming replica for GET requests; they may then lag writes by the replication delay.
    read_database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: SecretStr | None = None

    access_token_minutes: int = 15
    refresh_token_days: int = 30
    login_attempts_per_minute: int = 10

    archive_uri: str | None = None
    events_retention_days: int | None = None

    review_pass_threshold: float = 0.7
    # Multiplies the analyzers' time limits, for slow or crowded machines.
    review_time_scale: float = Field(default=1.0, gt=0)
    # Goals' test criteria: the bubblewrap executable, and the wall time (and CPU time) of one run.
    sandbox_bwrap: str = "bwrap"
    tests_seconds: float = Field(default=20.0, gt=0, le=300)

    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = 60.0

    embeddings_base_url: str | None = None
    embeddings_model: str = OFFLINE_EMBEDDINGS_MODEL
    embeddings_api_key: SecretStr | None = None

    @model_validator(mode="after")
    def _production_needs_explicit_secret(self) -> Settings:
        if self.env == "production" and self.secret_key is None:
            raise ConfigurationError("AIGT_SECRET_KEY must be set when AIGT_ENV=production")
        return self

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def archive_root(self) -> str:
        return self.archive_uri or str(self.home / "archive")

    def resolved_secret_key(self) -> str:
        """The signing key: the configured one, or one generated once and kept under `home`."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _stored_secret_key(self.home)


def _stored_secret_key(home: Path) -> str:
    path = home / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL makes two first starts agree on one key: the loser reads the winner's.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
