"""`aigt serve` and `aigt worker` stopped as supervisors stop them: SIGTERM (systemd, Docker,
Kubernetes, `timeout`), SIGINT (Ctrl-C) and SIGHUP (a closed terminal) each stop the process
gracefully, together with the embedded PostgreSQL it started and every process it ran (review
helpers, warm jails); a second signal stops it at once, leaving nothing running either."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import free_port
from tests.helpers import API, PASSWORD
from tests.snapshots.helpers import SLOW_TESTS

pytestmark = pytest.mark.slow

# Bounds on waiting for what must happen: failure guards on a crowded machine, not budgets.
PATIENCE_SECONDS = 300
STOP_SIGNALS = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP]


@pytest.fixture(scope="module")
def home() -> Iterator[Path]:
    """An `AIGT_HOME` with the embedded PostgreSQL initialized and migrated, and not running."""
    # PostgreSQL runs as its own unprivileged user: its folder cannot be under pytest's 0700 tmp.
    folder = Path(tempfile.mkdtemp(prefix="aigt-signals-"))
    folder.chmod(0o755)
    done = subprocess.run(
        [sys.executable, "-m", "ai_goals_tracker.cli", "migrate"],
        env=_env(folder),
        capture_output=True,
        text=True,
        timeout=PATIENCE_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _postmaster(folder) is None, "migrate left the embedded server running"
    yield folder
    # Should a test have failed with the server up: stop it, then remove its data.
    subprocess.run(
        [sys.executable, "-m", "ai_goals_tracker.cli", "db", "stop"],
        env=_env(folder),
        capture_output=True,
        timeout=PATIENCE_SECONDS,
        check=False,
    )
    shutil.rmtree(folder, ignore_errors=True)


def _env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "AIGT_DATABASE_URL"}
    return {**env, "AIGT_HOME": str(home)}


def _postmaster(home: Path) -> int | None:
    pid_file = home / "pgdata" / "postmaster.pid"
    return int(pid_file.read_text().splitlines()[0]) if pid_file.exists() else None


def _until(condition: object, what: str, log: Path) -> None:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not callable(condition) or not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}; log:\n{log.read_text()[-4000:]}")
        time.sleep(0.2)


def _started(home: Path, log: Path, *command: str) -> subprocess.Popen[bytes]:
    with log.open("w") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "ai_goals_tracker.cli", *command],
            env=_env(home),
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _everything_started_by(process: subprocess.Popen[bytes], home: Path) -> list[psutil.Process]:
    """Its descendants (review helpers, warm jails, analyzers) and PostgreSQL's postmaster."""
    started = psutil.Process(process.pid).children(recursive=True)
    postmaster = _postmaster(home)
    assert postmaster is not None, "the embedded server is not running"
    return [*started, psutil.Process(postmaster)]


def _stop(process: subprocess.Popen[bytes], signals: list[signal.Signals], log: Path) -> int:
    for number in signals:
        process.send_signal(number)
    try:
        return process.wait(timeout=PATIENCE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"still running after {signals}; log:\n{log.read_text()[-4000:]}") from None


def _left_running(processes: list[psutil.Process]) -> list[str]:
    # A process that ended may linger a moment as a zombie of its parent: only live ones count.
    deadline = time.monotonic() + 30
    while True:
        alive = [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive or time.monotonic() > deadline:
            return [" ".join(p.cmdline()[:3]) for p in alive]
        time.sleep(0.2)


def _serve_until_healthy(home: Path, log: Path) -> tuple[subprocess.Popen[bytes], list[psutil.Process]]:
    port = free_port()
    process = _started(home, log, "serve", "--port", str(port))
    base_url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, f"aigt serve exited:\n{log.read_text()[-4000:]}"
        try:
            return httpx.get(f"{base_url}/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    # 200: the database answers and the in-process worker has registered (its helpers warmed up).
    _until(healthy, "aigt serve never became healthy", log)
    return process, _everything_started_by(process, home)


def _worker_until_registered(
    home: Path, log: Path, *options: str
) -> tuple[subprocess.Popen[bytes], list[psutil.Process]]:
    process = _started(home, log, "worker", *options)

    def registered() -> bool:
        assert process.poll() is None, f"aigt worker exited:\n{log.read_text()[-4000:]}"
        return "Worker running" in log.read_text() and _postmaster(home) is not None and _helpers_up(process)

    _until(registered, "aigt worker never started", log)
    return process, _everything_started_by(process, home)


def _helpers_up(process: subprocess.Popen[bytes]) -> bool:
    """The review helper processes a worker starts before its first job."""
    return any("sandbox_worker" in " ".join(child.cmdline()) for child in psutil.Process(process.pid).children())


@pytest.mark.parametrize("number", STOP_SIGNALS, ids=lambda number: number.name)
def test_a_signal_stops_serve_and_everything_it_started(home: Path, tmp_path: Path, number: signal.Signals) -> None:
    log = tmp_path / "serve.log"
    process, started = _serve_until_healthy(home, log)

    code = _stop(process, [number], log)

    assert code == 0, log.read_text()[-4000:]
    assert _left_running(started) == []
    assert _postmaster(home) is None


@pytest.mark.parametrize("number", STOP_SIGNALS, ids=lambda number: number.name)
def test_a_signal_stops_a_worker_and_everything_it_started(home: Path, tmp_path: Path, number: signal.Signals) -> None:
    log = tmp_path / "worker.log"
    process, started = _worker_until_registered(home, log)

    code = _stop(process, [number], log)

    assert code == 0, log.read_text()[-4000:]
    assert _left_running(started) == []
    assert _postmaster(home) is None


def test_a_worker_serves_its_own_metrics_until_it_stops(home: Path, tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    port = free_port()
    process, started = _worker_until_registered(home, log, "--metrics-port", str(port))

    scrape = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30)

    assert scrape.status_code == 200
    assert 'aigt_reviews_total{outcome="passed"} 0.0' in scrape.text
    assert _stop(process, [signal.SIGTERM], log) == 0
    assert _left_running(started) == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30)


def test_a_second_signal_stops_serve_at_once_and_still_leaves_nothing_running(home: Path, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    process, _ = _serve_until_healthy(home, log)
    base_url = _base_url(log)
    # A submission whose review runs long tests, its answer awaited (`?wait=`): a graceful stop
    # waits for that request to end.
    with httpx.Client(base_url=base_url, timeout=PATIENCE_SECONDS) as client:
        headers = _learner(client)
        task_id = _slow_tests_task(client, headers)
        waiting = threading.Thread(target=_submit_and_wait, args=(base_url, headers, task_id), daemon=True)
        waiting.start()
        _until(lambda: _test_runs_running(client) > 0, "the test run never started", log)
    # Now with the jail the test run started.
    started = _everything_started_by(process, home)

    process.send_signal(signal.SIGTERM)
    _until(lambda: "SIGTERM: stopping" in log.read_text(), "the first signal was not taken", log)
    code = _stop(process, [signal.SIGTERM], log)

    assert "stopping at once" in log.read_text()
    assert code == 128 + signal.SIGTERM
    assert _left_running(started) == []
    assert _postmaster(home) is None


def _base_url(log: Path) -> str:
    match = re.search(r"API on (http://\S+)", log.read_text())
    assert match is not None
    return match.group(1)


def _learner(client: httpx.Client) -> dict[str, str]:
    user = {"email": "signals@example.com", "username": "signals", "password": PASSWORD}
    assert client.post(f"{API}/auth/register", json=user).status_code == 201
    tokens = client.post(f"{API}/auth/login", data={"username": "signals", "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _slow_tests_task(client: httpx.Client, headers: dict[str, str]) -> str:
    goal = client.post(
        f"{API}/goals", json={"title": "Slow", "validation_criteria": {"criteria": [SLOW_TESTS]}}, headers=headers
    )
    assert goal.status_code == 201, goal.text
    task = client.post(
        f"{API}/tasks", json={"goal_id": goal.json()["id"], "title": "T", "task_type": "code"}, headers=headers
    )
    task_id: str = task.json()["id"]
    return task_id


def _submit_and_wait(base_url: str, headers: dict[str, str], task_id: str) -> None:
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(
            f"{base_url}{API}/tasks/{task_id}/snapshots?wait=30",
            json={"file_path": "work.py", "code_content": "print(1)\n"},
            headers=headers,
            timeout=PATIENCE_SECONDS,
        )


def _test_runs_running(client: httpx.Client) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith('aigt_queue_jobs{queue="tests",state="doing"}'):
            return float(line.rpartition(" ")[2])
    return 0.0


# A program stopped as `aigt worker` is (`run_until_stopped`), whose graceful stop takes long: what a
# second signal cuts short. Its exit hooks (the embedded server's stop, in `aigt`) must still run.
SLOW_TO_STOP = """
import asyncio, atexit, sys
from ai_goals_tracker.stopping import run_until_stopped

atexit.register(lambda: print("exit hooks ran", flush=True))

async def main():
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        print("stopping gracefully", flush=True)
        await asyncio.shield(asyncio.sleep(3600))

print("running", flush=True)
run_until_stopped(main())
"""


@pytest.mark.parametrize("number", STOP_SIGNALS, ids=lambda number: number.name)
def test_a_second_signal_cuts_a_workers_graceful_stop_short_after_its_exit_hooks(
    tmp_path: Path, number: signal.Signals
) -> None:
    log = tmp_path / "program.log"
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, "-c", SLOW_TO_STOP], stdout=output, stderr=subprocess.STDOUT)
    _until(lambda: "running" in log.read_text(), "the program never started", log)
    process.send_signal(number)
    _until(lambda: "stopping gracefully" in log.read_text(), "the first signal was not taken", log)

    code = _stop(process, [number], log)

    assert code == 128 + number
    assert "exit hooks ran" in log.read_text()
