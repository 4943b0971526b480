"""`make bench`: every benchmark measures a ratio against a baseline run in the same process, on
the same machine, at the same time, and returns a markdown section. The report is printed and
written to `benchmarks/results/`.

Run one or a few by name: `python -m benchmarks api review`.
"""

from __future__ import annotations

import importlib
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

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


def main(selected: list[str]) -> int:
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
        f"- machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}",
        "",
    ]
    for name in names:
        print(f"== {name} ...", flush=True)
        began = time.perf_counter()
        section = importlib.import_module(BENCHMARKS[name]).run()
        sections += [section.rstrip(), "", f"_({name}: {time.perf_counter() - began:.0f} s)_", ""]
        print(section, flush=True)
    report = "\n".join(sections)
    RESULTS.mkdir(exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"report-{stamp}.md").write_text(report)
    (RESULTS / "latest.md").write_text(report)
    print(f"\nReport written to {RESULTS / f'report-{stamp}.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
