"""How much CPU `aigt` spends before it does anything: `aigt --help` and a group's help, against
the interpreter starting with Typer and Rich alone (what any Typer command line imports), measured
in the same run. The commands' own modules (the database, the HTTP client and its schemas, pyarrow,
the embedding model) are imported only by the command that runs."""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys

from benchmarks.targets import Section

RUNS = 7
COMMANDS = {
    "baseline: python -c 'import typer, rich.console'": [sys.executable, "-c", "import typer, rich.console"],
    "aigt --help": [sys.executable, "-m", "ai_goals_tracker.cli", "--help"],
    "aigt events archive --help": [sys.executable, "-m", "ai_goals_tracker.cli", "events", "archive", "--help"],
    "aigt goals list --help": [sys.executable, "-m", "ai_goals_tracker.cli", "goals", "list", "--help"],
}


def cpu_seconds(command: list[str]) -> float:
    """User and system CPU seconds of one run of `command`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run() -> Section:
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(RUNS):
        # Interleaved, so that a busy moment of the machine weighs on every command alike.
        for name, command in COMMANDS.items():
            samples[name].append(cpu_seconds(command))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    baseline = next(iter(medians.values()))
    rows = [f"| {name} | {median:.2f} | {median / baseline:.2f}x |" for name, median in medians.items()]
    return Section(
        "\n".join(
            [
                "## Command line start-up: CPU before the command does anything",
                "",
                f"Median of {RUNS} interleaved runs each, user + system CPU seconds.",
                "",
                "| command | CPU s | against the baseline |",
                "|---|---:|---:|",
                *rows,
            ]
        )
    )
