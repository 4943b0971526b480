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
# Asserts are how learners test their own code; `random` is fine for exercises.
IGNORED_RULES = ("S101", "S311")


@dataclass(frozen=True, slots=True)
class RuffIssue:
    code: str
    message: str
    line: int
    end_line: int
    has_fix: bool


class RuffFailed(Exception):
    pass


def ruff_command(stdin_filename: str) -> list[str]:
    return [
        *_ruff_executable(),
        "check",
        "--isolated",
        "--no-cache",
        "--quiet",
        "--exit-zero",
        "--output-format",
        "json",
        "--select",
        ",".join(LEARNER_RULES),
        "--ignore",
        ",".join(IGNORED_RULES),
        "--stdin-filename",
        stdin_filename,
        "-",
    ]


def run_ruff(code: str, stdin_filename: str, timeout: float) -> list[RuffIssue]:
    try:
        completed = subprocess.run(  # noqa: S603  (fixed argv, code goes through stdin)
            ruff_command(stdin_filename),
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
