"""A Spanish-speaking learner on the command line: every sentence `aigt` prints for them is Spanish
(code, identifiers and file paths aside), `--json` is the same in both languages, and `--lang`
or the system locale decide where there is no preference."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from ai_goals_tracker.cli.main import app
from ai_goals_tracker.models.enums import CourseStatus, GoalPriority, GoalStatus, TaskStatus, TaskType
from tests.helpers import PASSWORD

pytestmark = pytest.mark.slow

# Words an English sentence cannot do without, and the product's own English vocabulary; none is Spanish.
ENGLISH = re.compile(
    r"\b(the|and|of|to|is|are|was|your|you|with|for|not|now|this|that|on|in|by|from|at|or|have|"
    r"created|updated|deleted|logged|accepted|suggested|found|passed|"
    r"score|goals?|tasks?|courses?|events?|hours|week|streak|activity|findings|severity|where|rule|"
    r"message|feedback|criteria|criterion|evidence|title|status|type|priority|estimated|actual|"
    r"usage|options|show|help)\b",
    re.IGNORECASE,
)
# What is not prose: ids, paths and URLs, e-mail addresses, `commands` and the `--options` they name.
NOT_PROSE = re.compile(
    r"\b(usr|crs|gol|tsk|cs|evt)_[0-9A-Za-z]+|https?://\S+|\S+@\S+|`[^`]*`|--[a-z-]+|\S+\.py(:\d+)?\b|\S*/\S*"
)
# Event types (`task.started`) and the values the API takes (`in_progress`, `high`, `code`) are
# identifiers, which a message or an option's help may name as they are.
VALUES = sorted(
    {value.value for enum in (TaskStatus, GoalStatus, CourseStatus, GoalPriority, TaskType) for value in enum}
)
DATA = re.compile(rf"\b[a-z]+\.[a-z_]+\b|\b({'|'.join(VALUES)})\b")


def english_in(output: str) -> list[str]:
    """The lines that still read as English once data is taken out."""
    lines = []
    for line in output.splitlines():
        prose = DATA.sub(" ", NOT_PROSE.sub(" ", line))
        if ENGLISH.search(prose):
            lines.append(line)
    return lines


class SpanishLearner:
    def __init__(self, server: str, config: Path) -> None:
        # No --lang and an English system: only the stored preference can make it Spanish.
        self.env = {
            "AIGT_SERVER": server,
            "AIGT_CONFIG_DIR": str(config),
            "COLUMNS": "200",
            "NO_COLOR": "1",
            "LANG": "C.UTF-8",
        }

    def __call__(self, *args: str, input: str | None = None, ok: bool = True) -> Result:
        result = CliRunner().invoke(app, list(args), input=input, env=self.env, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        # `--json` is for programs: the same keys and values in every language.
        if "--json" not in args:
            assert english_in(result.output) == [], f"aigt {' '.join(args)} printed English:\n{result.output}"
        return result


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return tmp_path / "config"


def register_spanish_learner(server: str, config: Path) -> SpanishLearner:
    # Before login the system locale decides: a Spanish terminal gets a Spanish confirmation.
    spanish_system = {"AIGT_SERVER": server, "AIGT_CONFIG_DIR": str(config), "LANG": "es_ES.UTF-8"}
    registered = CliRunner().invoke(
        app,
        ["register", "--username", "lucia", "--email", "lucia@example.com", "--password-stdin"],
        input=PASSWORD + "\n",
        env=spanish_system,
    )
    assert registered.exit_code == 0, registered.output
    assert "Cuenta lucia <lucia@example.com> registrada" in registered.stdout
    tokens = httpx.post(f"{server}/api/v1/auth/login", data={"username": "lucia", "password": PASSWORD}).json()
    httpx.patch(
        f"{server}/api/v1/users/me",
        json={"metadata": {"preferences": {"language": "es"}}},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ).raise_for_status()
    learner = SpanishLearner(server, config)
    learner("login", "--username", "lucia", "--password-stdin", input=PASSWORD + "\n")
    return learner


def test_a_spanish_learner_reads_every_command_in_spanish(
    live_server: str, config: Path, tmp_path: Path, clean_live_db: None
) -> None:
    aigt = register_spanish_learner(live_server, config)

    assert "lucia <lucia@example.com> en" in aigt("whoami").stdout
    course = json.loads(aigt("courses", "create", "Curso de Python", "--json").stdout)
    aigt("courses", "list")
    goal = json.loads(aigt("goals", "create", "Sumar una cesta", "--course", course["id"], "--json").stdout)
    aigt("goals", "show", goal["id"])
    task = json.loads(aigt("tasks", "create", goal["id"], "Escribir total()", "--estimate", "1", "--json").stdout)
    listed = aigt("tasks", "list", "--goal", goal["id"])
    assert "Título" in listed.stdout
    assert "por hacer" in listed.stdout
    started = aigt("task", "start", task["id"])
    assert "en curso" in started.stdout

    illegal = aigt("tasks", "update", task["id"], "--status", "todo", ok=False)
    assert illegal.exit_code == 7
    assert "Una tarea no puede pasar de in_progress a todo; desde in_progress se permite: in_review, skipped" in (
        illegal.stderr
    )
    missing = aigt("goals", "show", "gol_nothing", ok=False)
    assert "No se ha encontrado el objetivo" in missing.stderr

    source = tmp_path / "cesta.py"
    source.write_text('def total(prices: list[float]) -> float:\n    return eval("+".join(map(str, prices)))\n')
    reviewed = aigt("submit", task["id"], str(source), ok=False)
    assert reviewed.exit_code == 9, reviewed.output
    assert "✘ NO APROBADO" in reviewed.stdout
    assert "Hallazgos" in reviewed.stdout
    snapshot_id = re.search(r"\bcs_[0-9A-Za-z]+", reviewed.stdout)
    assert snapshot_id is not None
    aigt("review", snapshot_id.group(0), ok=False)

    aigt("search", "cesta")
    aigt("stats")
    aigt("events", "recent", "--limit", "5")
    aigt("logout")


def test_json_is_the_same_whatever_the_language(live_server: str, config: Path, clean_live_db: None) -> None:
    aigt = register_spanish_learner(live_server, config)
    aigt("courses", "create", "Curso", "--json")

    spanish = aigt("courses", "list", "--json").stdout
    english = CliRunner().invoke(app, ["--lang", "en", "courses", "list", "--json"], env=aigt.env).stdout

    assert json.loads(spanish) == json.loads(english)
    assert '"status": "active"' in spanish


def test_lang_overrides_the_preference(live_server: str, config: Path, clean_live_db: None) -> None:
    aigt = register_spanish_learner(live_server, config)

    english = CliRunner().invoke(app, ["--lang", "en", "courses", "list"], env=aigt.env)

    assert english.exit_code == 0, english.output
    assert "0 courses" in english.stdout


def test_help_is_in_the_learners_language() -> None:
    """`--help` is built before the arguments are parsed: run as a learner would, in a fresh process."""
    env = {**os.environ, "AIGT_LANG": "es", "COLUMNS": "200", "NO_COLOR": "1"}
    for command in (["--help"], ["submit", "--help"], ["tasks", "list", "--help"], ["stats", "--help"]):
        shown = subprocess.run(
            [sys.executable, "-m", "ai_goals_tracker.cli", *command],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        learner_part = shown.split("╭─ Aprendizaje")[-1] if command == ["--help"] else shown
        # Typer's bundled Click writes these two without gettext, so no catalog can reach them.
        ours = [line for line in learner_part.splitlines() if "Usage:" not in line and "Show this message" not in line]
        # The first column of a panel is a command's name (`courses`), which the learner types.
        ours = [re.sub(r"^│ [a-z]+ {2,}", "│ ", line) for line in ours]
        assert english_in("\n".join(ours)) == [], f"aigt {' '.join(command)} printed English:\n{shown}"
        assert "Opciones" in shown


def test_the_language_command_sets_the_preference_everything_follows(
    live_server: str, config: Path, clean_live_db: None
) -> None:
    env = {"AIGT_SERVER": live_server, "AIGT_CONFIG_DIR": str(config), "COLUMNS": "200", "LANG": "C.UTF-8"}

    def aigt(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(app, list(args), input=input, env=env, catch_exceptions=False)

    aigt("register", "--username", "pablo", "--email", "pablo@example.com", "--password-stdin", input=PASSWORD + "\n")
    assert aigt("login", "--username", "pablo", "--password-stdin", input=PASSWORD + "\n").exit_code == 0
    assert "You have not chosen a language" in aigt("language").stdout

    switched = aigt("language", "es")

    assert switched.stdout.strip() == "Tu idioma: español"
    assert json.loads(aigt("language", "--json").stdout) == {"language": "es"}
    assert "0 cursos" in aigt("courses", "list").stdout
    me = json.loads(aigt("whoami", "--json").stdout)
    assert me["metadata"]["preferences"]["language"] == "es"
    assert aigt("language", "fr").exit_code == 2
