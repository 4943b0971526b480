"""Hostile submissions through a real `aigt serve`: each attack ends `not_met` within the sandbox's
limits, nothing it attempted reaches the host, no process of it survives, and the server keeps
answering meanwhile."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import API, PASSWORD
from tests.sandbox import sandbox_uids_of

pytestmark = pytest.mark.slow

ATTACK_TESTS = """
import hostile


def test_attack_succeeds():
    assert hostile.attack()
"""

SOCKET_TO_API = """import json
import socket


def attack():
    body = json.dumps({{"email": "intruder@example.com", "username": "intruder", "password": "{password}"}})
    request = (
        "POST /api/v1/auth/register HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Type: application/json\\r\\n"
        f"Content-Length: {{len(body)}}\\r\\nConnection: close\\r\\n\\r\\n{{body}}"
    )
    with socket.create_connection(("127.0.0.1", {port}), timeout=3) as connection:
        connection.sendall(request.encode())
        return connection.recv(1000)
"""

READ_SECRETS = """def attack():
    with open("{secret}") as handle:
        return handle.read()
"""

WRITE_OUTSIDE = """import os


def attack():
    written = 0
    for folder in ({outside!r}, {site_packages!r}):
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "{name}"), "w") as handle:
            written += handle.write("escaped")
    return written
"""

FORK_BOMB = """import os


def attack():
    while True:
        try:
            os.fork()
        except OSError:
            pass
"""

ENDLESS_LOOP = """def attack():
    while True:
        pass
"""


def _server(port: int) -> tuple[int, dict[str, str]]:
    """The `aigt serve` process listening on `port` and its environment (the fixture keeps both to itself)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if f"AIGT_PORT={port}".encode() in environ and b"serve" in cmdline:
            variables = dict(item.decode().split("=", 1) for item in environ if b"=" in item)
            return int(entry.name), variables
    raise AssertionError(f"no aigt serve process on port {port}")


def _processes() -> dict[int, tuple[int, int, str, bytes]]:
    """pid → (parent pid, real uid, command name, command line) for every process on the host."""
    found: dict[int, tuple[int, int, str, bytes]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        found[int(entry.name)] = (int(status["PPid"]), int(status["Uid"].split()[0]), status["Name"].strip(), cmdline)
    return found


def _left_behind(server_pid: int) -> list[tuple[int, int, str]]:
    """Sandbox processes of this server still alive: anything running as a sandbox uid, or bwrap and the
    limit tools under it, but for the warm jails waiting for their next run (see `_idle_warm_jails`)."""
    processes = _processes()
    descendants = {server_pid}
    for _ in range(10):  # parent links, followed a few levels down
        descendants |= {pid for pid, (parent, *_) in processes.items() if parent in descendants}
    own_uids = sandbox_uids_of(server_pid)
    idle = _idle_warm_jails(processes, descendants)
    return [
        (pid, uid, name)
        for pid, (_, uid, name, _) in processes.items()
        if (pid in descendants and name in ("bwrap", "prlimit", "setpriv") and pid not in idle) or uid in own_uids
    ]


def _idle_warm_jails(processes: dict[int, tuple[int, int, str, bytes]], among: set[int]) -> set[int]:
    """The bwrap processes of warm jails that hold nothing but their zygote: bwrap, the bwrap that is
    PID 1 inside, and one Python running `zygote_main.py`, which has no process under it."""
    children: dict[int, list[int]] = {}
    for pid, (parent, *_) in processes.items():
        children.setdefault(parent, []).append(pid)
    idle: set[int] = set()
    for outer in among:
        parent = processes.get(processes[outer][0])
        if processes[outer][2] != "bwrap" or (parent is not None and parent[2] == "bwrap"):
            continue
        inner = children.get(outer, [])
        zygotes = [pid for first in inner for pid in children.get(first, [])]
        if (
            len(inner) == 1
            and processes[inner[0]][2] == "bwrap"
            and len(zygotes) == 1
            and b"zygote_main.py" in processes[zygotes[0]][3]
            and not children.get(zygotes[0])
        ):
            idle |= {outer, inner[0]}
    return idle


async def _register(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await http.post(
        f"{API}/auth/register", json={"email": f"{username}@example.com", "username": username, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    tokens = (await http.post(f"{API}/auth/login", data={"username": username, "password": PASSWORD})).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def _reviewed_while_answering(
    http: httpx.AsyncClient, headers: dict[str, str], snapshot_ids: list[str]
) -> tuple[list[dict[str, Any]], int]:
    """Poll until every snapshot is reviewed; count the health checks answered while reviews ran."""
    for answered in range(600):
        snapshots = [(await http.get(f"{API}/snapshots/{sid}", headers=headers)).json() for sid in snapshot_ids]
        if all(s["validation_passed"] is not None for s in snapshots):
            return snapshots, answered
        health = await http.get("/health")
        assert health.status_code == 200
        await asyncio.sleep(0.5)
    raise AssertionError("the hostile submissions were never reviewed")


async def test_hostile_submissions_get_not_met_and_leave_nothing_behind(live_server: str, clean_live_db: None) -> None:
    port = int(live_server.rsplit(":", 1)[1])
    server_pid, environment = _server(port)
    secret_file = Path(environment["AIGT_HOME"]) / "secret_key"
    secret = secret_file.read_text().strip()
    assert secret  # the host can read it: only the sandbox stands in the way
    marker = f"escaped-{uuid.uuid4().hex}.txt"
    outside = Path(__file__).parent / "escapes"
    site_packages = next(p for p in map(Path, sys.path) if p.name == "site-packages")
    attacks = {
        "socket": SOCKET_TO_API.format(port=port, password=PASSWORD),
        "secret": READ_SECRETS.format(secret=secret_file),
        "write": WRITE_OUTSIDE.format(outside=str(outside), site_packages=str(site_packages), name=marker),
        "fork": FORK_BOMB,
        "loop": ENDLESS_LOOP,
    }

    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        headers = await _register(http, "attacker")
        criteria = {"criteria": [{"check": "tests", "framework": "pytest", "code": ATTACK_TESTS}]}
        goal = (
            await http.post(f"{API}/goals", json={"title": "Attack", "validation_criteria": criteria}, headers=headers)
        ).json()
        snapshot_ids = []
        for name, code in attacks.items():
            task = (
                await http.post(f"{API}/tasks", json={"goal_id": goal["id"], "title": name}, headers=headers)
            ).json()
            response = await http.post(
                f"{API}/tasks/{task['id']}/snapshots",
                json={"file_path": "hostile.py", "code_content": code},
                headers=headers,
            )
            assert response.status_code == 202, response.text
            snapshot_ids.append(response.json()["id"])

        snapshots, answered = await _reviewed_while_answering(http, headers, snapshot_ids)
        assert answered > 0  # the server answered while the attacks ran

        results = {name: s["metadata"]["review"]["criteria"][0] for name, s in zip(attacks, snapshots, strict=True)}
        for name, result in results.items():
            assert result["status"] == "not_met", (name, result)
        assert "test_attack_succeeds" in results["socket"]["evidence"]
        # The sandbox's network namespace has a loopback of its own, where nothing listens.
        assert "ConnectionRefusedError" in results["socket"]["evidence"]
        assert "FileNotFoundError" in results["secret"]["evidence"]
        assert "PermissionError" in results["write"]["evidence"]
        for name in ("fork", "loop"):
            assert "did not finish within the time limit" in results[name]["evidence"], results[name]
            assert "`test_attack_succeeds`" in results[name]["evidence"]
        assert all(secret not in str(snapshot) for snapshot in snapshots)

        intruder = await http.post(f"{API}/auth/login", data={"username": "intruder", "password": PASSWORD})
        assert intruder.status_code == 401
        assert (await http.get("/health")).json()["status"] == "ok"

    assert not (outside / marker).exists() and not outside.exists()
    assert not (site_packages / marker).exists()
    assert _left_behind(server_pid) == []
    assert secret_file.read_text().strip() == secret
