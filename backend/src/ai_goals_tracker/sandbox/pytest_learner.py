"""Runs inside the sandbox, never in the server: the learner's side of a pytest run.

Copied into the learner's own jail as `.aigt_learner.py` and run as `python -I -B .aigt_learner.py MODULE`
with the socket to the tests' side on fd 3. It imports the learner's module when the tests import it,
answers each request of the tests' side (see `bridge.py`), and measures the module's line coverage.
Everything here is the learner's to change: nothing it says is believed beyond the values it returns.
Only the standard library and coverage.py may be imported here (pandas and numpy where installed).
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import logging
import os
import sys
import threading
import types
from typing import Any


def _bridge() -> Any:
    loaded = sys.modules.get("aigt_bridge")
    if loaded is not None:
        return loaded
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".aigt_bridge.py")
    specification = importlib.util.spec_from_file_location("aigt_bridge", path)
    assert specification is not None and specification.loader is not None
    module = importlib.util.module_from_spec(specification)
    sys.modules["aigt_bridge"] = module
    specification.loader.exec_module(module)
    return module


bridge = _bridge()


class LearnerPeer(bridge.Peer):  # type: ignore[misc,name-defined]
    """The learner's side: its module, the lines its functions start at, and its ASGI applications."""

    def __init__(self, channel: Any, path: str) -> None:
        super().__init__(channel, "learner")
        self.path = path
        self.module: types.ModuleType | None = None
        self.line: int | None = None
        self.measured: Any = None
        self.apps = AppRunner()
        # What the learner's code prints and logs goes back with each answer (`bridge._replay_output`).
        self.out, self.err = io.StringIO(), io.StringIO()
        sys.stdout, sys.stderr = self.out, self.err
        self.logs: list[list[Any]] = []
        forwarder = _Forwarder(self.logs)
        logging.getLogger().addHandler(forwarder)
        logging.getLogger().setLevel(1)
        self.extra_ops = {
            "import": LearnerPeer.import_module,
            "module_getattr": LearnerPeer.module_getattr,
            "module_setattr": LearnerPeer.module_setattr,
            "module_delattr": LearnerPeer.module_delattr,
            "coverage": LearnerPeer.coverage,
            "asgi_http": LearnerPeer.asgi_http,
            "asgi_lifespan": LearnerPeer.asgi_lifespan,
        }

    def _call(self, function: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        code = getattr(getattr(function, "__func__", function), "__code__", None)
        if code is None and isinstance(function, type):
            code = getattr(getattr(function, "__init__", None), "__code__", None)
        if code is not None and code.co_filename == self.path:
            self.line = code.co_firstlineno
        return function(*args, **kwargs)

    def _output_since_last_reply(self) -> dict[str, Any]:
        sent: dict[str, Any] = {}
        for key, buffer in (("out", self.out), ("err", self.err)):
            text = buffer.getvalue()
            if text:
                sent[key] = text
                buffer.seek(0)
                buffer.truncate()
        if self.logs:
            sent["logs"] = self.logs[:]
            self.logs.clear()
        return sent

    def _line_of_last_event(self) -> int | None:
        line, self.line = self.line, None
        return line

    def _lines_of(self, exc: BaseException) -> list[int]:
        lines: list[int] = []
        trace = exc.__traceback__
        while trace is not None:
            if trace.tb_frame.f_code.co_filename == self.path:
                lines.append(trace.tb_lineno)
            trace = trace.tb_next
        if lines:
            self.line = lines[-1]
        return lines

    def import_module(self, message: dict[str, Any]) -> dict[str, Any]:
        name = os.path.splitext(os.path.basename(self.path))[0]
        before = set(sys.modules)
        if self.module is None:
            self._start_coverage()
            specification = importlib.util.spec_from_file_location(name, self.path)
            assert specification is not None and specification.loader is not None
            module = importlib.util.module_from_spec(specification)
            sys.modules[name] = module
            try:
                specification.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(name, None)
                raise
            self.module = module
        names = {
            key: value
            for key, value in vars(self.module).items()
            if not key.startswith("__")
            and (callable(value) or isinstance(value, type))
            and not isinstance(value, types.ModuleType)
        }
        # The libraries the module loaded: the tests' side loads them too, as one process would have.
        loaded = sorted(module for module in set(sys.modules) - before if module != name)[:500]
        return {"names": names, "loaded": loaded}

    def _module(self) -> types.ModuleType:
        if self.module is None:
            raise ImportError("the learner's module is not imported")
        return self.module

    def module_getattr(self, message: dict[str, Any]) -> Any:
        return getattr(self._module(), str(message.get("name")))

    def module_setattr(self, message: dict[str, Any]) -> None:
        setattr(self._module(), str(message.get("name")), self.decode(message.get("value")))

    def module_delattr(self, message: dict[str, Any]) -> None:
        delattr(self._module(), str(message.get("name")))

    def _start_coverage(self) -> None:
        try:
            import coverage
            import coverage.collector
        except ImportError:
            return
        if hasattr(coverage.collector, "short_stack"):
            coverage.collector.short_stack = lambda *args, **kwargs: ""
        self.measured = coverage.Coverage(data_file=None, include=[self.path], config_file=False)
        self.measured.set_option("run:disable_warnings", ["no-data-collected", "module-not-imported"])
        self.measured.start()

    def coverage(self, message: dict[str, Any]) -> float | None:
        if self.measured is None:
            return None
        self.measured.stop()
        try:
            _, statements, _, missing, _ = self.measured.analysis2(self.path)
        except Exception:
            return None
        if not statements:
            return None
        return round((len(statements) - len(missing)) / len(statements), 4)

    def asgi_http(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        app = self._own(message.get("target"))
        scope = self.decode(message.get("scope"))
        body = bytes.fromhex(str(message.get("body") or ""))
        return self.apps.http(app, scope, body)

    def asgi_lifespan(self, message: dict[str, Any]) -> None:
        self.apps.lifespan(self._own(message.get("target")), str(message.get("phase")))


class _Forwarder(logging.Handler):
    def __init__(self, records: list[list[Any]]) -> None:
        super().__init__(level=1)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        trace = record.exc_text
        if record.exc_info and not trace:
            trace = logging.Formatter().formatException(record.exc_info)
        if len(self.records) < 1000:
            self.records.append([record.levelno, record.name, record.getMessage(), trace or ""])


class AppRunner:
    """The learner's ASGI applications run on one event loop of their own, as a server would run them."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._lifespans: dict[int, tuple[asyncio.Queue[Any], asyncio.Queue[Any], dict[str, Any]]] = {}

    def _run(self, coroutine: Any) -> Any:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            threading.Thread(target=self._loop.run_forever, daemon=True, name="learner-app").start()
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def http(self, app: Any, scope: dict[str, Any], body: bytes) -> list[dict[str, Any]]:
        scope = {**scope, "asgi": {"version": "3.0"}, "extensions": {}}
        state = self._lifespans.get(id(app))
        if state is not None:
            scope["state"] = dict(state[2])
        messages: list[dict[str, Any]] = self._run(self._serve(app, scope, body))
        return messages

    async def _serve(self, app: Any, scope: dict[str, Any], body: bytes) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        done = asyncio.Event()
        sent_body = False

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            messages.append(dict(message))
            if message.get("type") == "http.response.body" and not message.get("more_body"):
                done.set()

        try:
            await app(scope, receive, send)
        finally:
            done.set()
        return messages

    def lifespan(self, app: Any, phase: str) -> None:
        if phase == "startup":
            inbox: asyncio.Queue[Any] | None = None
            outbox: asyncio.Queue[Any] | None = None
            state: dict[str, Any] = {}

            async def start() -> Any:
                nonlocal inbox, outbox
                inbox, outbox = asyncio.Queue(), asyncio.Queue()
                scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
                self._tasks.add(asyncio.ensure_future(app(scope, inbox.get, outbox.put)))
                await inbox.put({"type": "lifespan.startup"})
                return await outbox.get()

            answer = self._run(start())
            assert inbox is not None and outbox is not None
            self._lifespans[id(app)] = (inbox, outbox, state)
            if answer.get("type") == "lifespan.startup.failed":
                raise RuntimeError(answer.get("message") or "the application did not start")
            return
        queues = self._lifespans.pop(id(app), None)
        if queues is None:
            return

        async def stop() -> Any:
            await queues[0].put({"type": "lifespan.shutdown"})
            return await queues[1].get()

        self._run(stop())


def main(path: str) -> int:
    peer = LearnerPeer(bridge.open_channel(), os.path.abspath(path))
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    peer.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
