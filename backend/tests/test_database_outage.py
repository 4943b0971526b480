"""The embedded PostgreSQL SIGKILLed while learners write: `aigt serve` keeps running, answers JSON
503s during the outage, and once `aigt db start` brings the server back its worker reviews new
submissions and finishes the embeddings that were queued, without being restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import free_port
from tests.helpers import API, PASSWORD

# Bounds on waiting for something that must happen: failure guards, not performance budgets.
PATIENCE_SECONDS = 180


def _aigt(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ai_goals_tracker.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=PATIENCE_SECONDS,
        check=False,
    )
    assert done.returncode == 0, f"aigt {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def _eventually(condition: Callable[[], Any], what: str, log: Path) -> Any:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}; serve log:\n{log.read_text()[-4000:]}")
        time.sleep(0.3)


@contextmanager
def _serving(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "ai_goals_tracker.cli", "serve"], env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _status(base_url: str, path: str) -> int:
    try:
        return httpx.get(f"{base_url}{path}", timeout=5).status_code
    except httpx.HTTPError:
        return 0


class _Writer(threading.Thread):
    """Creates goals one after another and keeps every answer."""

    def __init__(self, client: httpx.Client, headers: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.client, self.headers = client, headers
        self.answers: list[httpx.Response] = []
        self.created: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        count = 0
        while not self.stop.is_set():
            count += 1
            body = {"title": f"Learn topic number {count}", "description": "Written while the database may be down"}
            try:
                response = self.client.post(f"{API}/goals", json=body, headers=self.headers)
            except httpx.HTTPError:
                continue
            self.answers.append(response)
            if response.status_code == 201:
                self.created.append(response.json()["id"])
            time.sleep(0.02)


@pytest.mark.slow
def test_serve_outlives_a_killed_database(tmp_path: Path) -> None:
    # PostgreSQL runs as pgserver's own unprivileged user: its folder cannot be under pytest's 0700 tmp.
    home = Path(tempfile.mkdtemp(prefix="aigt-outage-"))
    home.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if key != "AIGT_DATABASE_URL"}
    env.update(AIGT_HOME=str(home), AIGT_PORT=str(free_port()))
    base_url = f"http://127.0.0.1:{env['AIGT_PORT']}"
    log = tmp_path / "serve.log"
    _aigt("db", "start", env=env)
    try:
        dsn = _aigt("db", "url", env=env).strip()
        with _serving(env, log), httpx.Client(base_url=base_url, timeout=30) as client:
            _eventually(lambda: _status(base_url, "/health") == 200, "serve never became healthy", log)
            headers = _register(client)
            task_id = _task(client, headers)

            writer = _Writer(client, headers)
            writer.start()
            _eventually(lambda: len(writer.created) >= 3, "no goal was created before the kill", log)
            os.kill(_postmaster_pid(home), signal.SIGKILL)
            _eventually(
                lambda: any(answer.status_code == 503 for answer in writer.answers), "no 503 during the outage", log
            )
            outage = _status(base_url, "/health")
            _aigt("db", "start", env=env)
            created_before = len(writer.created)
            _eventually(lambda: len(writer.created) > created_before, "writes never succeeded again", log)
            writer.stop.set()
            writer.join()

            assert outage == 503
            for answer in writer.answers:
                assert answer.status_code in (201, 503), answer.text
                if answer.status_code == 503:
                    assert answer.headers["content-type"] == "application/json"
                    assert answer.json()["code"] == "service_unavailable"

            _eventually(lambda: _status(base_url, "/health") == 200, "the worker never came back", log)
            response = client.post(
                f"{API}/tasks/{task_id}/snapshots",
                json={"file_path": "hello.py", "code_content": 'def hello() -> str:\n    return "hello"\n'},
                headers=headers,
            )
            assert response.status_code in (200, 202), response.text
            url = f"{API}/snapshots/{response.json()['id']}"
            reviewed = _eventually(
                lambda: (body := client.get(url, headers=headers).json())["validation_passed"] is not None and body,
                "the new submission was never reviewed",
                log,
            )
            assert reviewed["validation_score"] is not None

            goals = set(writer.created)
            try:
                _eventually(lambda: _embedded(dsn, goals) == goals, "queued embeddings never finished", log)
            except AssertionError as exc:
                raise AssertionError(f"{len(_embedded(dsn, goals))} of {len(goals)}; {_jobs(dsn)}; {exc}") from None
    finally:
        with suppress(AssertionError):
            _aigt("db", "stop", env=env)


def _register(client: httpx.Client) -> dict[str, str]:
    user = {"email": "outage@example.com", "username": "outage", "password": PASSWORD}
    assert client.post(f"{API}/auth/register", json=user).status_code == 201
    tokens = client.post(f"{API}/auth/login", data={"username": "outage", "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _task(client: httpx.Client, headers: dict[str, str]) -> str:
    goal = client.post(f"{API}/goals", json={"title": "Say hello"}, headers=headers).json()
    task = client.post(
        f"{API}/tasks", json={"goal_id": goal["id"], "title": "Write hello()", "task_type": "code"}, headers=headers
    )
    assert task.status_code == 201, task.text
    task_id: str = task.json()["id"]
    return task_id


def _postmaster_pid(home: Path) -> int:
    return int((home / "pgdata" / "postmaster.pid").read_text().splitlines()[0])


def _jobs(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn, connect_timeout=5) as conn:
        return conn.execute(
            "SELECT task_name, status::text, count(*) FROM procrastinate_jobs GROUP BY 1, 2"
            " UNION ALL SELECT name, txid::text, 0 FROM event_followers"
        ).fetchall()


def _embedded(dsn: str, goals: set[str]) -> set[str]:
    try:
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            rows = conn.execute(
                "SELECT DISTINCT entity_id FROM embeddings WHERE entity_id = ANY(%s)", (list(goals),)
            ).fetchall()
    except psycopg.OperationalError:
        return set()
    return {row[0] for row in rows}
