"""ruff as a subprocess with JSON output and a rule selection chosen for learners."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Correctness (F), likely bugs (B), security (S), errors pylint is sure about (PLE), and the few style
# rules that catch real misunderstandings (comparisons to None/True, bare except, `not x in y`).
LEARNER_RULES = (
    "F",
    "B",
    "S",
    "PLE",
    "E711",
    "E712",
    "E713",
    "E714",
    "E721",
    "E722",
    "E741",
    "SIM102",
    "SIM103",
    "SIM108",
    "SIM110",
    "SIM118",
    "SIM210",
    "SIM211",
)
# Asserts are how learners test their own code; `random` is fine for exercises. Hard-coded passwords
# are the secret scanner's job (it knows names in Spanish and judges the value, not just the name).
IGNORED_RULES = ("S101", "S311", "S105", "S106", "S107")
# ruff decides how to parse by the file name (`.ipynb` is read as notebook JSON, `.pyi` as a stub):
# the learner's path must not choose that, so every submission is checked under this name.
STDIN_FILENAME = "submission.py"


@dataclass(frozen=True, slots=True)
class RuffIssue:
    code: str
    message: str
    line: int
    end_line: int
    has_fix: bool


class RuffFailed(Exception):
    pass


def ruff_command() -> list[str]:
    # --ignore-noqa: suppression comments in the submission (noqa, file-wide or per line) hide nothing.
    return [
        *_ruff_executable(),
        "check",
        "--isolated",
        "--no-cache",
        "--quiet",
        "--exit-zero",
        "--ignore-noqa",
        "--output-format",
        "json",
        "--select",
        ",".join(LEARNER_RULES),
        "--ignore",
        ",".join(IGNORED_RULES),
        "--stdin-filename",
        STDIN_FILENAME,
        "-",
    ]


def run_ruff(code: str, timeout: float) -> list[RuffIssue]:
    try:
        completed = subprocess.run(  # noqa: S603  (fixed argv, code goes through stdin)
            ruff_command(),
            input=code,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuffFailed(f"ruff exceeded {timeout:g} s") from exc
    except OSError as exc:
        raise RuffFailed(f"ruff could not start: {exc}") from exc
    if completed.returncode != 0:
        raise RuffFailed(completed.stderr.strip()[:500] or f"ruff exited with {completed.returncode}")
    return [_issue(item) for item in json.loads(completed.stdout or "[]") if item.get("code")]


def _issue(item: dict[str, Any]) -> RuffIssue:
    line = int(item["location"]["row"])
    return RuffIssue(
        code=str(item["code"]),
        message=str(item["message"]),
        line=line,
        end_line=int(item.get("end_location", {}).get("row", line)),
        has_fix=item.get("fix") is not None,
    )


def _ruff_executable() -> list[str]:
    # pip puts the ruff binary beside the interpreter; `python -m ruff` finds it elsewhere at a small cost.
    beside_python = Path(sys.executable).with_name("ruff")
    if beside_python.is_file():
        return [str(beside_python)]
    return [sys.executable, "-m", "ruff"]
