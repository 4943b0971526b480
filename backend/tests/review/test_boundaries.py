"""`review` is a pure library: importing it loads nothing that reaches the database or a higher layer."""

from __future__ import annotations

import json
import subprocess
import sys

HIGHER_LAYERS = (
    "sqlalchemy",
    "psycopg",
    "procrastinate",
    "ai_goals_tracker.db",
    "ai_goals_tracker.models",
    "ai_goals_tracker.snapshots",
    "ai_goals_tracker.search",
    "ai_goals_tracker.tasks",
    "ai_goals_tracker.events",
    "ai_goals_tracker.jobs",
)


def test_review_imports_nothing_that_touches_the_database() -> None:
    # A fresh interpreter: this test process has long imported everything.
    probe = (
        "import json, pkgutil, importlib, sys\n"
        "import ai_goals_tracker.review as review\n"
        "for module in pkgutil.walk_packages(review.__path__, 'ai_goals_tracker.review.'):\n"
        "    importlib.import_module(module.name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True).stdout)
    leaked = [name for name in loaded if name.startswith(HIGHER_LAYERS)]
    assert leaked == []
