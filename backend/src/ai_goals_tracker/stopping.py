"""How `aigt serve` and `aigt worker` stop.

SIGTERM (systemd, Docker, Kubernetes, `timeout`), SIGINT (Ctrl-C) and SIGHUP (a closed terminal) all
ask for a graceful stop: no new requests or jobs, running jobs get a short grace and are then handed
back to the queue, and the process exits normally, so its exit hooks stop the embedded PostgreSQL it
started and the review helpers and warm jails it runs. A second signal stops at once: the exit hooks
run, and nothing is waited for.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import signal
from collections.abc import Coroutine
from typing import Any, NoReturn

logger = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def stop_now(signum: int) -> NoReturn:
    """The second signal: run the exit hooks (the embedded server's stop among them), then exit."""
    logger.warning("Second %s: stopping at once", signal.Signals(signum).name)
    atexit._run_exitfuncs()
    os._exit(128 + signum)


def announce_stop(signum: int) -> None:
    logger.warning("%s: stopping (send it again to stop at once)", signal.Signals(signum).name)


def run_until_stopped(main: Coroutine[Any, Any, None]) -> None:
    """Run `main` until it ends or a stop signal arrives; the first signal cancels it (its own
    clean-up is the graceful stop), a second one stops at once."""

    async def runner() -> None:
        task = asyncio.ensure_future(main)
        loop = asyncio.get_running_loop()
        received: list[int] = []

        def on_signal(signum: int) -> None:
            if received:
                stop_now(signum)
            received.append(signum)
            announce_stop(signum)
            task.cancel()

        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, on_signal, signum)
        try:
            await task
        except asyncio.CancelledError:
            if not received:
                raise
        finally:
            for signum in STOP_SIGNALS:
                loop.remove_signal_handler(signum)

    asyncio.run(runner())
