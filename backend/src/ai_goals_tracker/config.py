"""Typed settings, read from the environment with the `AIGT_` prefix."""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ai_goals_tracker.errors import ConfigurationError

SECRET_KEY_FILE = "secret_key"  # noqa: S105  (a file name, not a secret)
# HMAC-SHA256 keys shorter than its 32-byte output make tokens easier to forge (RFC 7518, 3.2).
MIN_SECRET_KEY_BYTES = 32
OFFLINE_EMBEDDINGS_MODEL = "universal-sentence-encoder-multilingual-3"
# argon2's own bounds on its parameters (RFC 9106, 3.1): lanes, KiB per lane, and memory in KiB.
ARGON2_MAX_LANES = 2**24 - 1
ARGON2_MIN_KIB_PER_LANE = 8
ARGON2_MAX_MEMORY_KIB = 2**32 - 1


def default_home() -> Path:
    return Path(platformdirs.user_data_dir("ai-goals-tracker", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AIGT_", env_file=None, extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    home: Path = Field(default_factory=default_home)
    database_url: str | None = None
    # A streaming replica for GET requests; they may then lag writes by the replication delay.
    read_database_url: str | None = None
    # Connections of one API process, per pool (one for writes, one for reads): kept open once
    # opened, and opened besides under a burst. Every process's pools together must stay under
    # PostgreSQL's max_connections (100 by default): see docs/scaling.md for the sum. No overflow by
    # default: an overflow connection is closed as soon as it is returned, so a busy process would
    # open a new one (a PostgreSQL backend start, several ms) for many of its requests.
    database_pool_size: int = Field(default=15, ge=1)
    database_max_overflow: int = Field(default=0, ge=0)
    # How long a request waits for a free connection when all are in use; then it answers 503
    # with Retry-After instead of queueing without end.
    database_pool_timeout_seconds: float = Field(default=30.0, gt=0)
    host: str = "127.0.0.1"
    port: int = 8000
    # A client must send a request's headers within this many seconds of its first byte (or of the
    # connection's opening), and its body within `body_timeout_seconds` of its headers; otherwise
    # the server answers 408 and closes the connection, so a slow client cannot hold it open.
    header_timeout_seconds: float = Field(default=10.0, gt=0)
    body_timeout_seconds: float = Field(default=60.0, gt=0)
    secret_key: SecretStr | None = None

    access_token_minutes: int = 15
    refresh_token_days: int = 30
    # Login (and password-change) failures allowed per minute for one account from one address,
    # and for all accounts from one address. Successful logins do not count.
    login_attempts_per_minute: int = 10
    login_attempts_per_address_per_minute: int = 50
    # Registrations allowed per minute from one address, as many as wrong passwords: a classroom
    # behind one address registers together, while one address cannot make accounts without end.
    registrations_per_address_per_minute: int = Field(default=50, ge=1)
    # Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For and
    # X-Forwarded-Proto headers are believed. Empty: the peer address is the client's.
    trusted_proxies: str = ""
    # argon2id's cost per password hash: by default RFC 9106's second recommended profile (3 passes
    # over 64 MiB, about a quarter of a CPU second) in one lane where the RFC has four. argon2 runs
    # each lane in a thread of its own and the kernel shares the CPU out per thread, so a login's
    # four threads outweighed the event loop's one four to one, and a burst of logins slowed every
    # other request of the process; one lane costs the same CPU, and an attacker the same memory.
    # A stored hash made with other parameters is redone with these at its user's next login.
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_parallelism: int = Field(default=1, ge=1, le=ARGON2_MAX_LANES)
    password_hash_memory_kib: int = Field(default=64 * 1024, le=ARGON2_MAX_MEMORY_KIB)

    archive_uri: str | None = None
    # How often workers move new events to the archive: every minute, or every so many whole seconds
    # when shorter (tests that wait for the archive shorten it).
    archive_every_seconds: float = Field(default=60.0, ge=1)
    events_retention_days: int | None = None

    review_pass_threshold: float = 0.7
    # Multiplies the analyzers' time limits, for slow or crowded machines.
    review_time_scale: float = Field(default=1.0, gt=0)
    # Goals' test criteria: the bubblewrap executable, and the wall time (and CPU time) of one run.
    sandbox_bwrap: str = "bwrap"
    tests_seconds: float = Field(default=20.0, gt=0, le=300)
    # A run's total memory and processes, all its processes together (docs/sandbox.md).
    tests_memory_mb: int = Field(default=1024, ge=128, le=65536)
    tests_processes: int = Field(default=64, ge=8, le=4096)

    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = Field(default=60.0, gt=0)
    # The longest answer asked for, in tokens; an answer cut at this length is not used.
    llm_max_tokens: int = Field(default=1024, ge=64, le=32_768)
    # The model's context window as the server runs it: prompts are cut to leave room for the answer
    # and the retry. 4,096 fits the default of Ollama and of small local models; raise it for
    # hosted models.
    llm_context_tokens: int = Field(default=4096, ge=1024, le=1_000_000)
    # `auto` tries json_schema and, on a server that refuses it, json_object with the schema in the
    # prompt, once per server; a fixed value skips the detection.
    llm_response_format: Literal["auto", "json_schema", "json_object"] = "auto"

    embeddings_base_url: str | None = None
    embeddings_model: str = OFFLINE_EMBEDDINGS_MODEL
    embeddings_api_key: SecretStr | None = None

    # Job workers send a heartbeat this often; one silent for `stalled_worker_seconds` is dead and its
    # running jobs are retried. Tests shorten both to kill and replace workers quickly.
    job_heartbeat_seconds: float = Field(default=10.0, gt=0)
    stalled_worker_seconds: float = Field(default=30.0, gt=0)
    # Reviews that run a goal's tests, at once per worker process, in slots of their own: static
    # reviews never wait behind them, and they take turns across learners (docs/operations.md).
    test_run_concurrency: int = Field(default=1, ge=1, le=8)

    @field_validator("password_hash_memory_kib")
    @classmethod
    def _argon2_has_its_minimum_memory(cls, memory_kib: int, info: ValidationInfo) -> int:
        # argon2 gives each lane at least 8 KiB; parallelism is validated (or refused) before memory.
        lanes = info.data.get("password_hash_parallelism", 1)
        if memory_kib < ARGON2_MIN_KIB_PER_LANE * lanes:
            raise ValueError(
                f"must be at least {ARGON2_MIN_KIB_PER_LANE} KiB per lane of AIGT_PASSWORD_HASH_PARALLELISM "
                f"({ARGON2_MIN_KIB_PER_LANE * lanes} for {lanes})"
            )
        return memory_kib

    @model_validator(mode="after")
    def _secret_key_is_usable(self) -> Settings:
        if self.env == "production" and self.secret_key is None:
            raise ConfigurationError("AIGT_SECRET_KEY must be set when AIGT_ENV=production")
        if self.secret_key is not None:
            require_strong_secret_key(self.secret_key.get_secret_value(), None)
        return self

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def archive_root(self) -> str:
        if self.archive_uri:
            return self.archive_uri
        # Made here, private, before pyarrow would make it with the umask's (readable) mode.
        return str(make_private_dir(self.home) / "archive")

    def resolved_secret_key(self) -> str:
        """The signing key: the configured one, or one generated once and kept under `home`."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _stored_secret_key(self.home)

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [entry.strip() for entry in self.trusted_proxies.split(",") if entry.strip()]


def require_strong_secret_key(key: str, stored_in: Path | None) -> str:
    """`stored_in`: the file the key was read from; None for AIGT_SECRET_KEY."""
    if len(key.encode()) < MIN_SECRET_KEY_BYTES:
        where = f"The secret key in {stored_in}" if stored_in else "AIGT_SECRET_KEY"
        fix = "delete the file to have a new key generated" if stored_in else "set a longer one"
        raise ConfigurationError(
            f"{where} is shorter than {MIN_SECRET_KEY_BYTES} bytes: {fix} "
            "(`python -c 'import secrets; print(secrets.token_urlsafe(48))'` prints a good one)"
        )
    return key


def make_private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) with the new folder itself private to this user."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _stored_secret_key(home: Path) -> str:
    path = home / SECRET_KEY_FILE
    if not path.exists():
        make_private_dir(home)
        # Written whole under a temporary name, then linked into place: two first starts agree on
        # one key (link fails for the loser, who reads the winner's), and no one reads a half file.
        temporary = home / f".{SECRET_KEY_FILE}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
        temporary.unlink()
    return require_strong_secret_key(path.read_text().strip(), path)


@lru_cache
def get_settings() -> Settings:
    return Settings()
