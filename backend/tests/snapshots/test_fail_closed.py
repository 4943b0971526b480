"""Through the real API: what the review could not check is never a pass, and a review in progress
never keeps `aigt serve` from stopping."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import pytest

from ai_goals_tracker.config import Settings
from ai_goals_tracker.db import migrations
from tests.conftest import free_port
from tests.helpers import API, register_and_login
from tests.snapshots.helpers import run_reviews, submit, task_with_criteria

DANGER = "import os\n\n\ndef run(command):\n    os.system(command)\n    return eval(command)\n"

CRAFTED = {
    "unary-chain": "x = " + "-" * 1_000 + "1\n" + DANGER,
    "line-of-minus": "-" * 1_000 + "\n" + DANGER,
    "suppressed": DANGER.replace("os.system(command)", "os.system(command)  # noqa: S605  # nosec").replace(
        "eval(command)", "eval(command)  # noqa  # nosec B307"
    ),
    "file-wide-noqa": "# ruff: noqa\n" + DANGER,
    "fifty-thousand-lines": "x\n" * 50_000,
}


@pytest.mark.parametrize("name", list(CRAFTED))
async def test_crafted_submissions_never_pass(
    name: str, client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, f"crafty{name.replace('-', '')[:12]}")
    _, (task_id,) = await task_with_criteria(client, user, criteria=[])
    for file_path in ("app.py", "notebook.ipynb", "--help"):
        snapshot_id = (await submit(client, user, task_id, CRAFTED[name], file_path=file_path)).json()["id"]
        await run_reviews(settings, database_url, within_seconds=600)
        snapshot = (await client.get(f"{API}/snapshots/{snapshot_id}", headers=user.headers)).json()
        assert snapshot["review_status"] in ("failed", "not_reviewed"), (file_path, snapshot["review_status"])
        assert snapshot["validation_passed"] is not True
        assert "No security problems found" not in (snapshot["validation_feedback"] or "")
    task = (await client.get(f"{API}/tasks/{task_id}", headers=user.headers)).json()
    assert task["status"] != "completed"


async def test_too_large_a_file_answers_not_reviewed_in_the_learners_language(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    user = await register_and_login(client, "grande")
    preferences = {"metadata": {"preferences": {"language": "es"}}}
    assert (await client.patch(f"{API}/users/me", json=preferences, headers=user.headers)).status_code == 200
    _, (task_id,) = await task_with_criteria(client, user, criteria=[])
    snapshot_id = (await submit(client, user, task_id, "x\n" * 50_000)).json()["id"]
    await run_reviews(settings, database_url, within_seconds=600)
    snapshot = (await client.get(f"{API}/snapshots/{snapshot_id}", headers=user.headers)).json()
    assert snapshot["review_status"] == "not_reviewed"
    assert snapshot["validation_passed"] is None
    assert "demasiado grande para revisarlo" in snapshot["review_reason"]
    assert "Sin revisar" in snapshot["validation_feedback"]
    task = (await client.get(f"{API}/tasks/{task_id}", headers=user.headers)).json()
    assert task["status"] == "in_review"


def _slow_review_code() -> str:
    # bandit's line ranges make one 5,000-entry literal quadratic for it: a review that runs for minutes.
    body = ",\n".join(f'    "key_{n}": [{n}, {n * 2}, "value {n}"]' for n in range(5_000))
    return "LOOKUP = {\n" + body + "\n}\n"


@pytest.mark.slow
def test_ctrl_c_stops_serve_while_a_review_runs(scratch_database: Callable[[str], str], tmp_path: Path) -> None:
    dsn = scratch_database("ctrl_c")
    migrations.upgrade(dsn)
    port = free_port()
    env = {**os.environ, "AIGT_DATABASE_URL": dsn, "AIGT_HOME": str(tmp_path), "AIGT_PORT": str(port)}
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        serve = subprocess.Popen(
            [sys.executable, "-m", "ai_goals_tracker.cli", "serve"], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _answers(f"{base}/health"), "aigt serve did not start", log)
        with httpx.Client(base_url=base, timeout=60) as http:
            http.post(
                f"{API}/auth/register",
                json={"email": "stop@example.com", "username": "stopper", "password": "a long passphrase 42"},
            )
            token = http.post(f"{API}/auth/login", data={"username": "stopper", "password": "a long passphrase 42"})
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            goal = http.post(f"{API}/goals", json={"title": "Data"}, headers=headers).json()
            task = http.post(f"{API}/tasks", json={"goal_id": goal["id"], "title": "Big table"}, headers=headers).json()
            submitted = http.post(
                f"{API}/tasks/{task['id']}/snapshots",
                json={"file_path": "data.py", "code_content": _slow_review_code()},
                headers=headers,
            )
            assert submitted.status_code == 202
        # The review is running once a helper process of serve is busy with it.
        _wait_for(lambda: _busy_helper(serve.pid), "no review started", log)
        helpers = [child.pid for child in psutil.Process(serve.pid).children(recursive=True)]
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=120)
        assert serve.returncode is not None
        alive = [pid for pid in helpers if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
        assert alive == [], "processes left behind after Ctrl-C"
        assert "Waiting for job to finish" not in log.read_text() or "Aborting" in log.read_text()
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _busy_helper(pid: int) -> bool:
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if "sandbox_worker" in " ".join(child.cmdline()) and child.cpu_percent(interval=0.2) > 20:
                return True
        except psutil.NoSuchProcess:
            continue
    return False


def _wait_for(condition: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + 300
    while not condition():
        assert time.monotonic() < deadline, f"{what}; log:\n{log.read_text()[-3000:]}"
        time.sleep(0.3)
