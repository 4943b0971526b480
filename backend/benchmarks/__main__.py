"""`make bench`: every benchmark measures a ratio against a baseline run in the same process, on
the same machine, at the same time, and returns a markdown section with the targets it measured
(`benchmarks.targets`). The report ends with one table of every target, met or missed and by how
much; it is printed and written to `benchmarks/results/`.

Run one or a few by name: `python -m benchmarks api review`. `--check` (`make bench-check`) exits
with status 1 when a target is missed or a benchmark fails.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.targets import Section, Target, table

# name -> module exposing `run() -> str`
BENCHMARKS: dict[str, str] = {
    "api": "benchmarks.api_bench",
    "review": "benchmarks.review_bench",
    "search": "benchmarks.search_bench",
    "events": "benchmarks.events_bench",
    "sandbox": "benchmarks.sandbox_bench",
    "planning": "benchmarks.planning_bench",
    "web": "benchmarks.web_bench",
    "lifecycle": "benchmarks.lifecycle_bench",
    "load": "benchmarks.load_bench",
    "cli": "benchmarks.cli_bench",
}

RESULTS = Path(__file__).parent / "results"


def main(arguments: list[str]) -> int:
    check = "--check" in arguments
    selected = [argument for argument in arguments if argument != "--check"]
    names = selected or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    started = datetime.now(UTC)
    sections = [
        "# Benchmark report",
        "",
        f"- date: {started.isoformat(timespec='seconds')}",
        f"- machine: {platform.machine()}, {platform.processor() or 'cpu'}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        f"- load average (1, 5, 15 min) at start: {_load()}",
        "",
    ]
    targets: list[Target] = []
    for name in names:
        print(f"== {name} ...", flush=True)
        began = time.perf_counter()
        try:
            section: Section = importlib.import_module(BENCHMARKS[name]).run()
        except Exception:
            # A benchmark that cannot finish has shown nothing: its absence is a miss, not a pass.
            failure = traceback.format_exc()
            print(failure, flush=True)
            section = Section(
                f"## {name}\n\nFailed:\n\n```\n{failure}```", [Target(f"{name}: ran", None, "at least", 1)]
            )
        targets += section.targets
        sections += [
            section.markdown.rstrip(),
            "",
            f"_({name}: {time.perf_counter() - began:.0f} s; load average after: {_load()})_",
            "",
        ]
        print(section.markdown, flush=True)
    summary = table(targets)
    sections += [summary, ""]
    print(summary, flush=True)
    report = "\n".join(sections)
    RESULTS.mkdir(exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"report-{stamp}.md").write_text(report)
    (RESULTS / "latest.md").write_text(report)
    print(f"\nReport written to {RESULTS / f'report-{stamp}.md'}")
    return 1 if check and not all(target.met for target in targets) else 0


def _load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
