"""The helper process behind `sandbox.Sandbox`: runs the functions it is sent, one at a time."""

from __future__ import annotations

import os
import sys
from multiprocessing.connection import Connection

_connection: Connection | None = None


def report_step(step: str) -> None:
    """Tell the parent which step runs now (a no-op outside a helper process)."""
    if _connection is not None:
        _connection.send(("step", step))


def _limit_memory(max_bytes: int) -> None:
    try:
        import resource  # POSIX only
    except ImportError:
        return
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))


# Reviews are batch work beside the requests a person waits on (in `aigt serve` the two share the
# machine): the helper, and the analyzers and test runs it starts, yield the CPU to those requests.
NICENESS = 5


def serve(conn: Connection, memory_limit_bytes: int) -> None:
    global _connection
    _connection = conn
    _limit_memory(memory_limit_bytes)
    os.nice(NICENESS)
    while True:
        try:
            function, args = conn.recv()
        except EOFError:
            return
        try:
            conn.send(("ok", function(*args)))
        except (Exception, RecursionError, MemoryError) as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":
    # Run from the imported module, not `__main__`: `report_step` must see the connection it sets.
    from ai_goals_tracker.review import sandbox_worker

    sandbox_worker.serve(Connection(int(sys.argv[1])), int(sys.argv[2]))
