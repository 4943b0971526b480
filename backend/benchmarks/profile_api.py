"""Where a request's time goes: the API benchmark's load on one endpoint while py-spy samples the
server, then its top functions by own time and by cumulative time (share of all samples).

`python -m benchmarks.profile_api read|list|write [seconds]`; the collapsed stacks are kept in
`benchmarks/results/profile-<case>.txt` (input for any flame graph tool).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from benchmarks.api_bench import (
    CASES,
    HOST,
    ours_command,
    prepare,
    requests_for,
    server_process,
)
from benchmarks.loadgen import run_load
from benchmarks.support import embedded_database, free_port

RESULTS = Path(__file__).parent / "results"


def main(case_name: str, seconds: float) -> None:
    case = next(case for case in CASES if case.name == case_name)
    py_spy = str(Path(sys.executable).with_name("py-spy"))
    with tempfile.TemporaryDirectory(prefix="aigt-profile-") as tmp, embedded_database(Path(tmp)) as dsn:
        port = free_port()
        env = {"AIGT_DATABASE_URL": dsn, "AIGT_HOME": str(Path(tmp) / "home")}
        with server_process(ours_command(port), env, port) as pid:
            fixture = prepare(f"http://{HOST}:{port}")
            requests = requests_for(case, port, fixture, baseline=False)
            load = threading.Thread(
                target=lambda: asyncio.run(run_load(HOST, port, requests, seconds=seconds + 2, warmup=1)),
            )
            load.start()
            RESULTS.mkdir(exist_ok=True)
            output = RESULTS / f"profile-{case_name}.txt"
            record = [py_spy, "record", "--pid", str(pid), "--duration", f"{seconds:.0f}", "--rate", "250"]
            subprocess.run([*record, "--format", "raw", "--output", str(output)], check=True, capture_output=True)
            load.join()
    print(top(output.read_text()))
    print(f"collapsed stacks in {output}")


def top(collapsed: str, entries: int = 25) -> str:
    """The functions with the most samples, on top of the stack (own) and anywhere in it (cumulative)."""
    own: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        frames = stack.split(";")
        total += samples
        own[_short(frames[-1])] += samples
        for frame in {_short(frame) for frame in frames}:
            cumulative[frame] += samples
    lines = [f"{total} samples", "", "own %  function"]
    lines += [f"{100 * n / total:5.1f}  {frame}" for frame, n in own.most_common(entries)]
    lines += ["", "cumulative %  function"]
    lines += [f"{100 * n / total:5.1f}  {frame}" for frame, n in cumulative.most_common(entries * 2)]
    return "\n".join(lines)


def _short(frame: str) -> str:
    """`function (path/to/site-packages/pkg/module.py:12)` without the line and the path's prefix."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "read", float(sys.argv[2]) if len(sys.argv) > 2 else 8.0)
