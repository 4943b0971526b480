"""Runs inside the sandbox, never in the server: the boundary between a goal's tests and the learner's code.

The goal's tests (the *harness*) and the learner's module run in two processes with different uids and
namespaces, joined by one socket (fd 3 in each). This module is copied into both as `.aigt_bridge.py`:

- values cross as plain data: None, bools, numbers, strings, bytes, lists, tuples, dicts, sets, and a
  few standard value types (Decimal, Fraction, complex, dates and times, namedtuples; pandas frames and
  numpy arrays through Arrow and `.npy`, never pickle). Anything else crosses as a *handle*: the other
  side holds the object and every operation on the handle (attribute, call, operator, iteration) is a
  request across the socket. Handles of the learner's objects are never equal to plain data, so an
  object whose `__eq__` always says yes can never stand for a number, a string or a list;
- exceptions cross by their built-in type, arguments and plain attributes. A learner's own exception
  class is a new class on the harness side with the same name, based on its nearest built-in ancestor
  (never on BaseException alone, SystemExit or KeyboardInterrupt: those become Exception), so a
  `pytest.skip()` or `sys.exit()` from the learner's code is an error of the test, never a skip or an end;
- arguments the learner's code mutates in place (a list sorted, a dict filled) are copied back into the
  harness's own objects after the call;
- callbacks the tests pass to the learner's code are harness handles the learner can call; the learner
  reaches only their public names (no attribute with a leading underscore), so no handle leads from a
  callback to the harness's modules.

The harness decodes strictly: a frame it cannot read, an unknown tag or a reply out of turn is a
`BoundaryError` in the test that was running. Only the standard library is needed; pandas, numpy and
pyarrow are used where installed. Frames: 4-byte big-endian length, then UTF-8 JSON.
"""

from __future__ import annotations

import asyncio
import builtins
import collections
import contextlib
import datetime
import decimal
import fractions
import io
import json
import operator
import os
import socket
import struct
import sys
import threading
import types
import weakref
from typing import Any

CHANNEL_FD = 3
_MAX_FRAME = 64 * 1024 * 1024
_MAX_DEPTH = 200
_HEADER = struct.Struct(">I")

# Operators a handle forwards, by the `operator` function that computes them on the owner's side.
_BINARY = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
    "ge": operator.ge, "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "truediv": operator.truediv, "floordiv": operator.floordiv, "mod": operator.mod, "pow": operator.pow,
    "matmul": operator.matmul, "and": operator.and_, "or": operator.or_, "xor": operator.xor,
    "lshift": operator.lshift, "rshift": operator.rshift, "contains": operator.contains,
    "getitem": operator.getitem, "delitem": operator.delitem,
}  # fmt: skip
_UNARY = {
    "neg": operator.neg, "pos": operator.pos, "abs": operator.abs, "invert": operator.invert,
    "len": len, "str": str, "repr": repr, "bool": bool, "hash": hash, "int": int, "float": float,
    "index": operator.index, "iter": iter, "next": next, "dir": dir, "reversed": reversed,
}  # fmt: skip
# What a learner may do with a harness object it was given (a callback, a fake the tests made).
_LEARNER_MAY = {
    "call", "getattr", "setattr", "unary", "binary", "setitem", "invoke", "signature",
    "await_start", "await_poll", "await_cancel", "enter", "exit",
}  # fmt: skip
# What the learner's code may read of the dunders of a callback it was given: what `inspect` and
# frameworks (FastAPI's dependencies) need to call it, never a path to the tests' modules (`__globals__`)
# nor the constants of their code.
_DESCRIBED_DUNDERS = {"__name__", "__qualname__", "__module__", "__doc__", "__code__", "__defaults__", "__kwdefaults__"}
_BUILTIN_EXCEPTIONS = {
    name: value
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
}
# Raised on the other side, these would end or skip a test instead of failing it.
# (SystemExit crosses as itself: pytest reports a test that raises it as failed, and `pytest.raises(SystemExit)`
# around a learner's `main()` is how a command line is tested.)
_NEVER_RAISED_AS_IS = {"BaseException", "KeyboardInterrupt", "GeneratorExit", "BaseExceptionGroup"}


class BoundaryError(Exception):
    """The other side broke the protocol, or is gone: the call it was answering failed."""


class LearnerGone(BoundaryError):
    """The learner's program ended: every later call fails too."""


def _frame(message: dict[str, Any]) -> bytes:
    data = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    return _HEADER.pack(len(data)) + data


class Channel:
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.closed = False

    def send(self, message: dict[str, Any]) -> None:
        self.send_frame(_frame(message))

    def send_frame(self, data: bytes) -> None:
        if self.closed:
            raise LearnerGone("the learner's program has ended")
        try:
            self._sock.sendall(data)
        except OSError as exc:
            self.closed = True
            raise LearnerGone("the learner's program has ended") from exc

    def receive(self) -> dict[str, Any]:
        header = self._exactly(_HEADER.size)
        (size,) = _HEADER.unpack(header)
        if size > _MAX_FRAME:
            self.closed = True
            raise BoundaryError("the other side sent a message larger than the boundary allows")
        try:
            message = json.loads(self._exactly(size).decode("utf-8", "surrogatepass"))
        except (ValueError, RecursionError) as exc:
            self.closed = True
            raise BoundaryError("the other side sent something that is not a message") from exc
        if not isinstance(message, dict):
            self.closed = True
            raise BoundaryError("the other side sent something that is not a message")
        return message

    def _exactly(self, size: int) -> bytes:
        chunks: list[bytes] = []
        left = size
        while left:
            try:
                chunk = self._sock.recv(min(left, 1 << 20))
            except OSError:
                chunk = b""
            if not chunk:
                self.closed = True
                raise LearnerGone("the learner's program has ended")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)


class Peer:
    """One side of the boundary: its objects the other side holds handles to, and the other side's handles."""

    def __init__(self, channel: Channel, side: str) -> None:
        self.channel = channel
        self.side = side  # "harness" or "learner"
        self.trusted = side == "harness"
        self._objects: dict[int, Any] = {}
        self._ids: dict[int, int] = {}
        self._proxies: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        self._strong: dict[int, Any] = {}
        self._exception_classes: dict[int, type[BaseException]] = {}
        self._next_request = 0
        self._lock = threading.RLock()
        self.gone: str | None = None
        # The learner's line that last returned or raised, for pointing a failed assertion at its code.
        self.last_line: int | None = None
        self.learner_file: str | None = None
        self.extra_ops: dict[str, Any] = {}
        self._sent_environment: dict[str, str] = dict(os.environ)
        self.last_reply_live = False
        self._main = threading.current_thread()
        self._arrived = threading.Condition()
        self._inbox: collections.deque[dict[str, Any]] = collections.deque()
        self._replies: dict[int, dict[str, Any]] = {}
        self._ended: LearnerGone | None = None
        self._reader: threading.Thread | None = None
        # Threads waiting for an answer that may serve a request meanwhile: a callback of the tests runs
        # on the thread that called into the learner's code (objects such as sqlite3's are bound to it).
        self._waiting_servers = 0
        self._sending = threading.Lock()
        # Coroutines the other side awaits, running on this side's own event loop (`await_start`).
        self._awaited: dict[int, Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- requests ------------------------------------------------------------------------------------

    def request(self, op: str, **fields: Any) -> Any:
        """Ask the other side and wait for its answer. While waiting, this thread answers what the other
        side asks meanwhile (a callback of the tests, a call back into the learner's code), when it may:
        on the tests' side any thread, on the learner's side its main thread only (other threads of the
        learner's code, an event loop of its own, just wait)."""
        if self.gone is not None:
            raise LearnerGone(self.gone)
        with self._lock:
            self._next_request += 1
            number = self._next_request
            if self.trusted:
                # The tests' environment (monkeypatch.setenv…) is the learner's too.
                environment = dict(os.environ)
                if environment != self._sent_environment:
                    fields["env"] = environment
                    self._sent_environment = environment
        serves = self.trusted or threading.current_thread() is self._main
        self._start_reading()
        with self._arrived:
            # Counted before the request leaves: a callback it causes is this thread's to run.
            self._waiting_servers += serves
        try:
            with self._sending:
                self.channel.send({"op": op, "rid": number, **fields})
            while True:
                with self._arrived:
                    while number not in self._replies and not (serves and self._inbox) and self._ended is None:
                        self._arrived.wait()
                    if number in self._replies:
                        message = self._replies.pop(number)
                        break
                    if self._ended is not None and not (serves and self._inbox):
                        raise self._ended
                    incoming = self._inbox.popleft()
                self._serve_one(incoming)
        except LearnerGone as exc:
            self.gone = str(exc)
            raise
        finally:
            with self._arrived:
                self._waiting_servers -= serves
                if self._inbox:
                    self._arrived.notify_all()
        return self._reply_value(message)

    def _start_reading(self) -> None:
        with self._arrived:
            if self._reader is None:
                self._reader = threading.Thread(target=self._read, name="boundary-reader", daemon=True)
                self._reader.start()
                if self.trusted:
                    # The learner's code may call back while no thread of the tests waits on it (its
                    # event loop awaiting the tests' coroutines): answered at once, not at the next call.
                    threading.Thread(target=self._serve_when_idle, name="boundary-server", daemon=True).start()

    def _read(self) -> None:
        """The one reader of the socket: answers go to the thread that asked, requests to the inbox."""
        while True:
            try:
                message = self.channel.receive()
            except BoundaryError as exc:
                with self._arrived:
                    self._ended = exc if isinstance(exc, LearnerGone) else LearnerGone(str(exc))
                    self._arrived.notify_all()
                return
            with self._arrived:
                if "op" in message:
                    self._inbox.append(message)
                elif type(message.get("rid")) is int:
                    self._replies[message["rid"]] = message
                else:
                    self._ended = LearnerGone("the other side answered something that is not an answer")
                    self._arrived.notify_all()
                    return
                self._arrived.notify_all()

    def _reply_value(self, message: dict[str, Any]) -> Any:
        self.last_reply_live = False
        line = message.get("line")
        if self.trusted and type(line) is int and line > 0:
            self.last_line = line
        if self.trusted:
            _replay_output(message)
        if "error" in message:
            raise self._decode_error(message["error"])
        if "mutated" in message:
            self._pending_mutations = message["mutated"]
        value = self.decode(message.get("value"))
        # Set once the value is read: reading it (hashing a key) may ask the other side again.
        self.last_reply_live = message.get("live") is True
        return value

    # -- serving ------------------------------------------------------------------------------------

    def _serve_when_idle(self) -> None:
        """The tests' side: requests that arrive while none of its threads waits on the other side."""
        while True:
            with self._arrived:
                while not (self._inbox and self._waiting_servers == 0) and self._ended is None:
                    self._arrived.wait()
                if self._ended is not None:
                    return
                incoming = self._inbox.popleft()
            try:
                self._serve_one(incoming)
            except LearnerGone:
                return

    def serve_forever(self) -> None:
        """Answer the other side's requests until the socket closes (the learner's main thread; on the
        tests' side, a thread of its own beside the ones waiting for answers)."""
        self._start_reading()
        while True:
            with self._arrived:
                while not self._inbox and self._ended is None:
                    self._arrived.wait()
                if not self._inbox:
                    return
                incoming = self._inbox.popleft()
            try:
                self._serve_one(incoming)
            except LearnerGone:
                return

    def _serve_one(self, message: dict[str, Any]) -> None:
        number = message.get("rid")
        op = message.get("op")
        environment = message.get("env")
        if not self.trusted and isinstance(environment, dict):
            os.environ.clear()
            os.environ.update({str(k): str(v) for k, v in environment.items()})
        try:
            if self.trusted and op not in _LEARNER_MAY:
                raise PermissionError(f"the tests' side does not answer {op!r}")
            reply = self._perform(str(op), message)
        except BaseException as exc:  # whatever the code did, the other side must hear of it
            if isinstance(exc, LearnerGone):
                raise
            reply = {"error": self._encode_error(exc)}
        reply["rid"] = number
        line = self._line_of_last_event()
        if line is not None:
            reply["line"] = line
        reply.update(self._output_since_last_reply())
        try:
            data = _frame(reply)
        except (TypeError, ValueError) as exc:
            data = _frame({"rid": number, "error": self._encode_error(exc)})
        with self._sending:
            self.channel.send_frame(data)

    def _line_of_last_event(self) -> int | None:
        return None

    def _output_since_last_reply(self) -> dict[str, Any]:
        return {}

    def _perform(self, op: str, message: dict[str, Any]) -> dict[str, Any]:
        if op in self.extra_ops:
            return {"value": self.encode(self.extra_ops[op](self, message))}
        target = self._own(message.get("target"))
        if op == "getattr":
            name = message.get("name")
            if self.trusted and name in _DESCRIBED_DUNDERS:
                return {"value": self.encode(_described(target, str(name)))}
            name = self._public(name)
            value = getattr(target, name)
            answer: dict[str, Any] = {"value": self.encode(value)}
            if not self.trusted and type(value) in (list, dict):
                answer["live"] = True
            return answer
        if op == "signature":
            return {"value": self.encode(_signature_of(target))}
        if op == "attr_update":
            # A list or dict the other side read as an attribute (`app.dependency_overrides`) and changed.
            container = getattr(target, self._public(message.get("name")))
            _update_in_place(container, self.decode(message.get("value")))
            return {"value": None}
        if op == "setattr":
            name = self._public(message.get("name"))
            setattr(target, name, self.decode(message.get("value")))
            return {"value": None}
        if op == "delattr":
            delattr(target, self._public(message.get("name")))
            return {"value": None}
        if op in ("call", "invoke"):
            raw_args, raw_kwargs = message.get("args") or [], message.get("kwargs") or {}
            args = [self.decode(value) for value in raw_args]
            kwargs = {str(key): self.decode(value) for key, value in raw_kwargs.items()}
            function = getattr(target, self._public(message.get("name"))) if op == "invoke" else target
            result = self._call(function, args, kwargs)
            reply: dict[str, Any] = {"value": self.encode(result)}
            mutated = self._mutations(raw_args, args, raw_kwargs, kwargs)
            if mutated:
                reply["mutated"] = mutated
            return reply
        if op == "unary":
            unary: Any = _UNARY[str(message.get("name"))]
            return {"value": self.encode(unary(target))}
        if op == "binary":
            function = _BINARY[str(message.get("name"))]
            left, right = target, self.decode(message.get("other"))
            if message.get("reflected"):
                left, right = right, left
            return {"value": self.encode(function(left, right))}
        if op == "setitem":
            target[self.decode(message.get("key"))] = self.decode(message.get("value"))
            return {"value": None}
        if op == "isinstance":
            return {"value": isinstance(self.decode(message.get("value")), target)}
        if op == "issubclass":
            candidate = self.decode(message.get("value"))
            return {"value": isinstance(candidate, type) and issubclass(candidate, target)}
        if op == "await_start":
            return {"value": self._start_awaiting(target)}
        if op == "await_poll":
            return {"value": self.encode(self._poll(message.get("token")))}
        if op == "await_cancel":
            token = message.get("token")
            future = self._awaited.pop(token, None) if type(token) is int else None
            if future is not None:
                future.cancel()
            return {"value": None}
        if op == "enter":
            return {"value": self.encode(target.__enter__())}
        if op == "exit":
            return {"value": self.encode(target.__exit__(None, None, None))}
        raise BoundaryError(f"unknown request {op!r}")

    def _call(self, function: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        return function(*args, **kwargs)

    def _start_awaiting(self, awaitable: Any) -> int:
        """Run what the other side awaits on this side's own event loop; it polls for the outcome, so
        that its own loop keeps running meanwhile (asyncio.gather, wait_for, semaphores hold)."""

        async def wait() -> Any:
            return await awaitable

        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="boundary-loop", daemon=True).start()
            token = len(self._awaited) + 1
            while token in self._awaited:
                token += 1
            self._awaited[token] = asyncio.run_coroutine_threadsafe(wait(), self._loop)
        return token

    def _poll(self, token: object) -> list[Any]:
        future = self._awaited.get(token) if type(token) is int else None
        if future is None or type(token) is not int:
            raise BoundaryError("nothing is awaited under that name")
        if not future.done():
            return [False, None]
        self._awaited.pop(token, None)
        return [True, future.result()]

    def _public(self, name: object) -> str:
        if not isinstance(name, str):
            raise BoundaryError("an attribute name must be a string")
        if self.trusted and name.startswith("_"):
            raise AttributeError(f"{name!r} is not reachable from the learner's code")
        return name

    def _mutations(
        self, raw_args: list[Any], args: list[Any], raw_kwargs: dict[str, Any], kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """The arguments the call changed in place, as they are now (by position, or by name)."""
        changed: dict[str, Any] = {}
        for key, raw, value in [
            *((str(index), raw_args[index], args[index]) for index in range(len(args))),
            *((f"={name}", raw_kwargs[name], kwargs[name]) for name in kwargs),
        ]:
            if isinstance(value, list | dict | set | bytearray):
                now = self.encode(value)
                if now != raw:
                    changed[key] = now
        return changed

    def apply_mutations(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        mutated = getattr(self, "_pending_mutations", None)
        self._pending_mutations = None
        if not mutated:
            return
        for key, encoded in mutated.items():
            if key.startswith("="):
                original = kwargs.get(key[1:])
            elif key.isdigit() and int(key) < len(args):
                original = args[int(key)]
            else:
                raise BoundaryError("the other side changed an argument it was not given")
            _update_in_place(original, self.decode(encoded))

    # -- values ------------------------------------------------------------------------------------

    def _own(self, reference: object) -> Any:
        if reference is None:
            return None
        if type(reference) is not int or reference not in self._objects:
            raise BoundaryError("no such object on this side")
        return self._objects[reference]

    def export(self, value: Any) -> int:
        key = id(value)
        number = self._ids.get(key)
        if number is None or self._objects.get(number) is not value:
            number = len(self._objects) + 1
            self._objects[number] = value
            self._ids[key] = number
        return number

    def encode(self, value: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise ValueError("the value is nested too deeply to cross the boundary")
        kind = type(value)
        if value is None or kind is bool or kind is str:
            return value
        if issubclass(kind, Handle) and _peer_of(value) is self:
            return {"$": "handle", "side": _other_side(self), "id": _id_of(value)}
        if kind is type and isinstance(vars(value).get("_aigt_handle"), int) and self.trusted:
            return {"$": "handle", "side": "learner", "id": vars(value)["_aigt_handle"]}
        if kind is int:
            return value if -(2**53) < value < 2**53 else {"$": "int", "v": str(value)}
        if kind is type and vars(builtins).get(value.__name__) is value:
            return {"$": "builtin", "v": str(getattr(value, "__name__", ""))}
        if kind not in (float, bytes, bytearray) and not issubclass(kind, Handle):
            for base in (str, int, float, bytes):
                if isinstance(value, base) and kind is not bool:
                    # A subclass of a plain type (quoted_name, IntEnum…) crosses as its plain value.
                    return self.encode(_plain(base, value), depth)
        if kind is float:
            return {"$": "float", "v": repr(value)}
        if kind is list or kind is _LiveList:
            return [self.encode(item, depth + 1) for item in value]
        if kind is dict or kind is _LiveDict:
            return {
                "$": "dict",
                "v": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()],
            }
        if kind is tuple:
            return {"$": "tuple", "v": [self.encode(item, depth + 1) for item in value]}
        if kind is set or kind is frozenset:
            return {"$": kind.__name__, "v": [self.encode(item, depth + 1) for item in value]}
        if kind is bytes or kind is bytearray:
            return {"$": kind.__name__, "v": value.hex()}
        if kind is complex:
            return {"$": "complex", "v": [repr(value.real), repr(value.imag)]}
        if kind is decimal.Decimal:
            return {"$": "decimal", "v": str(value)}
        if kind is fractions.Fraction:
            return {"$": "fraction", "v": [str(value.numerator), str(value.denominator)]}
        if kind in (datetime.datetime, datetime.date, datetime.time):
            return {"$": kind.__name__, "v": value.isoformat()}
        if kind is datetime.timedelta:
            return {"$": "timedelta", "v": [value.days, value.seconds, value.microseconds]}
        if kind is range:
            return {"$": "range", "v": [value.start, value.stop, value.step]}
        if kind in (collections.Counter, collections.OrderedDict, collections.defaultdict):
            items = [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()]
            return {"$": "counter" if kind is collections.Counter else "dict", "v": items}
        if isinstance(value, tuple) and hasattr(kind, "_fields") and all(isinstance(f, str) for f in kind._fields):
            fields = list(kind._fields)
            return {
                "$": "namedtuple",
                "name": kind.__name__,
                "fields": fields,
                "v": [self.encode(item, depth + 1) for item in value],
            }
        if isinstance(value, BaseException) and self.side == "learner":
            return {"$": "exception", "v": self._encode_error(value)}
        data = _encode_data(value)
        if data is not None:
            return data
        return self._handle(value)

    def _handle(self, value: Any) -> dict[str, Any]:
        kind = type(value)
        described: dict[str, Any] = {
            "$": "handle",
            "side": self.side,
            "id": self.export(value),
            "name": getattr(kind, "__qualname__", "object"),
            "classes": [
                [getattr(c, "__module__", "") or "", getattr(c, "__qualname__", "")] for c in kind.__mro__[:16]
            ],
        }
        if isinstance(value, type) and issubclass(value, BaseException):
            described["kind"] = "exception_class"
            bases = [c.__name__ for c in value.__mro__ if _BUILTIN_EXCEPTIONS.get(c.__name__) is c]
            described["base"] = bases[0] if bases else "Exception"
            described["name"] = value.__name__
            parent = value.__mro__[1] if len(value.__mro__) > 1 else None
            if parent is not None and _BUILTIN_EXCEPTIONS.get(parent.__name__) is not parent:
                described["parent"] = self._handle(parent)
        elif isinstance(value, type):
            described["kind"] = "class"
            described["name"] = value.__qualname__
        elif isinstance(value, types.CoroutineType) or (hasattr(kind, "__await__") and not isinstance(value, type)):
            described["kind"] = "awaitable"
        elif _is_asgi_app(value):
            described["kind"] = "asgi"
        elif callable(value):
            described["kind"] = "callable"
        else:
            described["kind"] = "object"
        return described

    def decode(self, value: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise BoundaryError("a value nested too deeply")
        if value is None or isinstance(value, bool | str):
            return value
        if type(value) is int:
            return value
        if type(value) is float:
            return value
        if isinstance(value, list):
            return [self.decode(item, depth + 1) for item in value]
        if not isinstance(value, dict):
            raise BoundaryError("an unknown value")
        tag = value.get("$")
        body = value.get("v")
        try:
            if tag == "int":
                return int(str(body))
            if tag == "float":
                return float(str(body))
            if tag in ("dict", "counter"):
                pairs = {self.decode(k, depth + 1): self.decode(v, depth + 1) for k, v in _pairs(body)}
                return collections.Counter(pairs) if tag == "counter" else pairs
            if tag == "tuple":
                return tuple(self.decode(item, depth + 1) for item in _items(body))
            if tag == "set":
                return {self.decode(item, depth + 1) for item in _items(body)}
            if tag == "frozenset":
                return frozenset(self.decode(item, depth + 1) for item in _items(body))
            if tag == "bytes":
                return bytes.fromhex(str(body))
            if tag == "bytearray":
                return bytearray.fromhex(str(body))
            if tag == "complex":
                real, imag = _items(body)
                return complex(float(str(real)), float(str(imag)))
            if tag == "decimal":
                return decimal.Decimal(str(body))
            if tag == "fraction":
                numerator, denominator = _items(body)
                return fractions.Fraction(int(str(numerator)), int(str(denominator)))
            if tag == "datetime":
                return datetime.datetime.fromisoformat(str(body))
            if tag == "date":
                return datetime.date.fromisoformat(str(body))
            if tag == "time":
                return datetime.time.fromisoformat(str(body))
            if tag == "timedelta":
                days, seconds, micro = (int(part) for part in _items(body))
                return datetime.timedelta(days=days, seconds=seconds, microseconds=micro)
            if tag == "range":
                start, stop, step = (int(part) for part in _items(body))
                return range(start, stop, step)
            if tag == "namedtuple":
                return _namedtuple(value, [self.decode(item, depth + 1) for item in _items(body)])
            if tag == "exception":
                return self._decode_error(body)
            if tag in _DATA_DECODERS:
                return _DATA_DECODERS[tag](value)
            if tag == "handle":
                return self._decode_handle(value)
            if tag == "builtin":
                found = vars(builtins).get(str(body))
                if isinstance(found, type):
                    return found
        except BoundaryError:
            raise
        except (TypeError, ValueError, OverflowError, decimal.InvalidOperation) as exc:
            raise BoundaryError(f"a value that cannot be read ({tag})") from exc
        raise BoundaryError(f"an unknown value ({str(tag)[:40]})")

    def _decode_handle(self, value: dict[str, Any]) -> Any:
        side, number = value.get("side"), value.get("id")
        if type(number) is not int:
            raise BoundaryError("a handle without a number")
        if side == self.side:
            return self._own(number)
        kind = value.get("kind")
        if kind == "exception_class" and self.trusted:
            return self._exception_class(number, value)
        proxy = self._proxies.get(number)
        if proxy is None:
            cls = _PROXY_CLASSES.get(str(kind), Handle)
            proxy = object.__new__(cls)
            _init_handle(proxy, self, number, value)
            self._proxies[number] = proxy
            if kind in ("class", "exception_class"):
                self._strong[number] = proxy
        if kind == "awaitable":
            return _awaitable(proxy)
        return proxy

    def _exception_class(self, number: int, value: dict[str, Any]) -> type[BaseException]:
        """The harness's stand-in for an exception class of the learner's: same name, a built-in base."""
        known = self._exception_classes.get(number)
        if known is not None:
            return known
        base_name = str(value.get("base") or "Exception")
        base: type[BaseException] = _BUILTIN_EXCEPTIONS.get(base_name, Exception)
        if base_name in _NEVER_RAISED_AS_IS or not issubclass(base, Exception | SystemExit):
            base = Exception
        parent = value.get("parent")
        if (
            isinstance(parent, dict)
            and parent.get("kind") == "exception_class"
            and type(parent.get("id")) is int
            and parent["id"] != number
            and len(self._exception_classes) < 1000
        ):
            base = self._exception_class(parent["id"], parent)
        name = str(value.get("name") or "LearnerError")[:100]
        namespace: dict[str, Any] = {"__module__": "learner", "_aigt_handle": number}
        library = _library_exception(value.get("classes"))
        if library is not None:
            # Raised by a library in the learner's process (pydantic's ValidationError…): the tests'
            # `pytest.raises(ThatError)` recognises it.
            namespace["__class__"] = property(_constant(library))
        created = type(name, (base,), namespace)
        self._exception_classes[number] = created
        return created

    # -- exceptions ------------------------------------------------------------------------------------

    def _encode_error(self, exc: BaseException) -> dict[str, Any]:
        kind = type(exc)
        builtin = next((c.__name__ for c in kind.__mro__ if _BUILTIN_EXCEPTIONS.get(c.__name__) is c), "Exception")
        error: dict[str, Any] = {"base": builtin, "name": kind.__name__, "message": _safe_str(exc)[:2000]}
        try:
            error["args"] = [self.encode(arg) for arg in exc.args]
        except Exception:
            error["args"] = [_safe_str(exc)[:2000]]
        attributes: dict[str, Any] = {}
        for key, attribute in list(getattr(exc, "__dict__", {}).items())[:32]:
            if isinstance(key, str) and not key.startswith("__"):
                with contextlib.suppress(Exception):  # an attribute that cannot cross is left behind
                    attributes[key] = self.encode(attribute)
        error["attributes"] = attributes
        if _BUILTIN_EXCEPTIONS.get(kind.__name__) is not kind:
            try:
                error["class"] = self._handle(kind)
            except Exception:
                error.pop("class", None)
        error["lines"] = self._lines_of(exc)
        if kind.__name__ == "ValidationError" and kind.__module__.startswith("pydantic") and hasattr(exc, "errors"):
            try:
                error["pydantic"] = self.encode(
                    {"title": getattr(exc, "title", ""), "errors": exc.errors(include_url=False, include_context=True)}
                )
            except Exception:
                error.pop("pydantic", None)
        return error

    def _lines_of(self, exc: BaseException) -> list[int]:
        return []

    def _pydantic_error(self, error: dict[str, Any]) -> BaseException | None:
        """pydantic's ValidationError, rebuilt from its plain errors where the tests' side has pydantic."""
        core = sys.modules.get("pydantic_core")
        if error.get("pydantic") is None or core is None:
            return None
        try:
            data = self.decode(error["pydantic"])
            lines = [
                {
                    "type": str(item["type"]),
                    "loc": tuple(item.get("loc", ())),
                    "input": item.get("input"),
                    **({"ctx": item["ctx"]} if isinstance(item.get("ctx"), dict) else {}),
                }
                for item in data["errors"]
            ]
            rebuilt: BaseException = core.ValidationError.from_exception_data(str(data.get("title") or ""), lines)
        except Exception:  # an error type this pydantic does not know: the stand-in will do
            return None
        return rebuilt

    def _decode_error(self, error: object) -> BaseException:
        if not isinstance(error, dict):
            return BoundaryError("an error that cannot be read")
        base_name = str(error.get("base") or "Exception")
        name = str(error.get("name") or base_name)
        try:
            args = tuple(self.decode(arg) for arg in _items(error.get("args") or []))
        except BoundaryError:
            args = (str(error.get("message") or ""),)
        rebuilt = self._pydantic_error(error) if self.trusted else None
        if rebuilt is not None:
            return rebuilt
        cls: type[BaseException]
        described = error.get("class")
        if isinstance(described, dict) and described.get("kind") == "exception_class" and self.trusted:
            cls = self._exception_class(int(described.get("id") or 0), described)
        else:
            cls = _BUILTIN_EXCEPTIONS.get(name, Exception)
            if self.trusted and (name in _NEVER_RAISED_AS_IS or not issubclass(cls, Exception | SystemExit)):
                cls = _stand_in(name)
        if not args and error.get("message"):
            args = (str(error["message"]),)
        try:
            exc = cls(*args)
        except Exception:
            exc = cls(str(error.get("message") or ""))
        attributes = error.get("attributes")
        if isinstance(attributes, dict):
            for key, attribute in attributes.items():
                if isinstance(key, str) and not key.startswith("_"):
                    try:
                        setattr(exc, key, self.decode(attribute))
                    except (BoundaryError, AttributeError, TypeError):
                        continue
        lines = error.get("lines")
        if isinstance(lines, list) and lines and all(type(line) is int for line in lines):
            exc._aigt_lines = lines  # type: ignore[attr-defined]
        return exc


def _described(target: Any, name: str) -> Any:
    if name == "__code__":
        code = getattr(target, "__code__", None)
        if code is None:
            raise AttributeError(name)
        fields = ("co_flags", "co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_name", "co_varnames")
        summary = types.SimpleNamespace(**{field: getattr(code, field) for field in fields})
        summary.co_qualname, summary.co_filename, summary.co_firstlineno = code.co_name, "<tests>", 1
        return summary
    if name == "__doc__":
        return getattr(target, "__doc__", None)
    return getattr(target, name)


def _signature_of(target: Any) -> list[list[Any]]:
    """A callable's parameters as plain data: [name, kind, has default, default]."""
    import inspect

    parameters = []
    for parameter in inspect.signature(target).parameters.values():
        has_default = parameter.default is not inspect.Parameter.empty
        parameters.append(
            [parameter.name, int(parameter.kind), has_default, parameter.default if has_default else None]
        )
    return parameters


def _signature_from(parameters: object) -> Any:
    import inspect

    if not isinstance(parameters, list):
        raise BoundaryError("a signature that cannot be read")
    made = []
    for entry in parameters:
        if not (isinstance(entry, list) and len(entry) == 4 and isinstance(entry[0], str) and type(entry[1]) is int):
            raise BoundaryError("a signature that cannot be read")
        name, kind, has_default, default = entry
        made.append(
            inspect.Parameter(
                name, inspect._ParameterKind(kind), default=default if has_default else inspect.Parameter.empty
            )
        )
    return inspect.Signature(made)


def _constant(value: type) -> Any:
    def get(self: object) -> type:
        return value

    return get


def _library_exception(classes: object) -> type | None:
    """The first library exception class (not the learner's, not builtins, never one that skips or
    ends a test) of an exception's classes that the tests' side has too."""
    if not isinstance(classes, list):
        return None
    for entry in classes:
        if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(part, str) for part in entry)):
            continue
        module, qualname = entry
        if (module, qualname) in _INSPECTABLE:
            continue
        found = _library_class(module, qualname)
        if (
            found is not None
            and issubclass(found, Exception)
            and not any(word in found.__name__ for word in ("Skip", "XFail", "Exit", "Outcome"))
        ):
            return found
    return None


_OUTPUT_CHARS = 1 << 20


def _replay_output(message: dict[str, Any]) -> None:
    """What the learner's code printed and logged during the call, where the tests look for it
    (capsys, capfd's Python side, caplog)."""
    for key, stream in (("out", sys.stdout), ("err", sys.stderr)):
        text = message.get(key)
        if isinstance(text, str) and text:
            stream.write(text[:_OUTPUT_CHARS])
    records = message.get("logs")
    if not isinstance(records, list):
        return
    import logging

    for record in records[:1000]:
        if not (isinstance(record, list) and len(record) == 4):
            continue
        level, name, text, trace = record
        if type(level) is not int or not isinstance(name, str) or not isinstance(text, str):
            continue
        logger = logging.getLogger(name[:200] or None)
        if not logger.isEnabledFor(level):
            continue
        made = logger.makeRecord(logger.name, level, "(learner)", 0, text[:_OUTPUT_CHARS], (), None)
        if isinstance(trace, str) and trace:
            made.exc_text = trace[:_OUTPUT_CHARS]
            made.exc_info = (Exception, Exception(trace.strip().splitlines()[-1][:500]), None)
        logger.handle(made)


def _plain(base: type, value: Any) -> Any:
    """The value of a subclass of str, int, float or bytes as an instance of that type itself."""
    if base is float:
        return float.__float__(value)
    return base.__new__(base, value)


_stand_ins: dict[str, type[Exception]] = {}


def _stand_in(name: str) -> type[Exception]:
    """An ordinary Exception named after one that would end or skip a test if raised as itself."""
    if name not in _stand_ins:
        _stand_ins[name] = type(name[:100] or "LearnerError", (Exception,), {"__module__": "learner"})
    return _stand_ins[name]


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception:
        return type(value).__name__


def _pairs(body: object) -> list[tuple[Any, Any]]:
    if not isinstance(body, list) or not all(isinstance(pair, list) and len(pair) == 2 for pair in body):
        raise BoundaryError("a mapping that cannot be read")
    return [(pair[0], pair[1]) for pair in body]


def _items(body: object) -> list[Any]:
    if not isinstance(body, list):
        raise BoundaryError("a sequence that cannot be read")
    return body


_namedtuple_classes: dict[tuple[str, tuple[str, ...]], type] = {}


def _namedtuple(value: dict[str, Any], items: list[Any]) -> tuple[Any, ...]:
    fields = value.get("fields")
    if not isinstance(fields, list) or not all(isinstance(f, str) and f.isidentifier() for f in fields):
        raise BoundaryError("a named tuple that cannot be read")
    name = str(value.get("name") or "Record")
    key = (name if name.isidentifier() else "Record", tuple(fields))
    if key not in _namedtuple_classes:
        _namedtuple_classes[key] = collections.namedtuple(key[0], key[1])
    made: tuple[Any, ...] = _namedtuple_classes[key](*items)
    return made


def _update_in_place(original: Any, now: Any) -> None:
    if isinstance(original, list) and isinstance(now, list):
        original[:] = now
    elif (isinstance(original, dict) and isinstance(now, dict)) or (isinstance(original, set) and isinstance(now, set)):
        original.clear()
        original.update(now)
    elif isinstance(original, bytearray) and isinstance(now, bytes | bytearray):
        original[:] = now


def _is_asgi_app(value: object) -> bool:
    if not callable(value) or isinstance(value, type | types.FunctionType | types.MethodType):
        return False
    return any(
        getattr(c, "__module__", "").split(".")[0] in ("starlette", "fastapi")
        and c.__name__ in ("Starlette", "FastAPI")
        for c in type(value).__mro__
    )


# -- data libraries: frames and arrays cross as Arrow and .npy, never as pickles -----------------------


def _encode_data(value: Any) -> dict[str, Any] | None:
    module = type(value).__module__.split(".")[0]
    if module == "numpy":
        return _encode_numpy(value)
    if module == "pandas":
        return _encode_pandas(value)
    return None


def _encode_numpy(value: Any) -> dict[str, Any] | None:
    numpy = sys.modules.get("numpy")
    if numpy is None or not isinstance(value, numpy.ndarray | numpy.generic) or value.dtype.hasobject:
        return None
    buffer = io.BytesIO()
    numpy.save(buffer, numpy.asarray(value), allow_pickle=False)
    return {"$": "ndarray" if isinstance(value, numpy.ndarray) else "npscalar", "v": buffer.getvalue().hex()}


def _encode_pandas(value: Any) -> dict[str, Any] | None:
    pandas = sys.modules.get("pandas")
    if pandas is None:
        return None
    try:
        import pyarrow as pa
    except ImportError:
        return None
    if isinstance(value, pandas.Series):
        frame, tag, name = value.to_frame(name="__aigt_series__"), "series", value.name
    elif isinstance(value, pandas.DataFrame):
        frame, tag, name = value, "dataframe", None
    else:
        return None
    period = None
    if isinstance(frame.index, pandas.PeriodIndex):
        period = frame.index.freqstr
        frame = frame.copy()
        frame.index = frame.index.to_timestamp()
    try:
        table = pa.Table.from_pandas(frame, preserve_index=None)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    except Exception:  # columns Arrow cannot type (mixed objects): the frame crosses as a handle
        return None
    encoded: dict[str, Any] = {"$": tag, "v": sink.getvalue().to_pybytes().hex(), "period": period}
    if tag == "series":
        if name is not None and not isinstance(name, str | int | float | bool):
            return None
        encoded["name"] = name
    return encoded


def _decode_ndarray(value: dict[str, Any]) -> Any:
    import numpy

    loaded = numpy.load(io.BytesIO(bytes.fromhex(str(value.get("v")))), allow_pickle=False)
    return loaded if value.get("$") == "ndarray" else loaded[()]


def _decode_pandas(value: dict[str, Any]) -> Any:
    import pyarrow as pa

    reader = pa.ipc.open_stream(pa.py_buffer(bytes.fromhex(str(value.get("v")))))
    frame = reader.read_all().to_pandas()
    period = value.get("period")
    if isinstance(period, str) and period:
        frame.index = frame.index.to_period(period)
    if value.get("$") == "series":
        series = frame["__aigt_series__"]
        series.name = value.get("name")
        return series
    return frame


_DATA_DECODERS = {
    "ndarray": _decode_ndarray,
    "npscalar": _decode_ndarray,
    "dataframe": _decode_pandas,
    "series": _decode_pandas,
}


# -- handles: the other side's objects ------------------------------------------------------------------


def _init_handle(proxy: Any, peer: Peer, number: int, described: dict[str, Any]) -> None:
    object.__setattr__(proxy, "_aigt_peer", peer)
    object.__setattr__(proxy, "_aigt_id", number)
    object.__setattr__(proxy, "_aigt_kind", str(described.get("kind") or "object"))
    object.__setattr__(proxy, "_aigt_name", str(described.get("name") or "object")[:200])
    classes = described.get("classes")
    object.__setattr__(proxy, "_aigt_classes", classes if isinstance(classes, list) else [])


def _peer_of(proxy: Any) -> Peer:
    peer: Peer = object.__getattribute__(proxy, "_aigt_peer")
    return peer


def _id_of(proxy: Any) -> int:
    number: int = object.__getattribute__(proxy, "_aigt_id")
    return number


def _other_side(peer: Peer) -> str:
    return "learner" if peer.side == "harness" else "harness"


def _encode_for(peer: Peer, value: Any) -> Any:
    return peer.encode(value)


def _ask(proxy: Any, op: str, **fields: Any) -> Any:
    peer = _peer_of(proxy)
    return peer.request(op, target=_id_of(proxy), **fields)


def _call(proxy: Any, op: str, name: str | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    peer = _peer_of(proxy)
    fields: dict[str, Any] = {
        "args": [_encode_for(peer, arg) for arg in args],
        "kwargs": {str(key): _encode_for(peer, value) for key, value in kwargs.items()},
    }
    if name is not None:
        fields["name"] = name
    result = peer.request(op, target=_id_of(proxy), **fields)
    peer.apply_mutations(args, kwargs)
    return result


def _binary(name: str, reflected: bool = False) -> Any:
    def operation(self: Any, other: Any) -> Any:
        peer = _peer_of(self)
        if peer.trusted and name in ("eq", "ne", "lt", "le", "gt", "ge") and not isinstance(other, Handle):
            # A learner's object is never equal to, or ordered against, plain data: that is how an
            # always-equal object would stand in for the value the test expects.
            return NotImplemented
        return _ask(self, "binary", name=name, other=_encode_for(peer, other), reflected=reflected)

    return operation


def _unary(name: str) -> Any:
    def operation(self: Any) -> Any:
        return _ask(self, "unary", name=name)

    return operation


def _typed_unary(name: str, kind: type) -> Any:
    def operation(self: Any) -> Any:
        value = _ask(self, "unary", name=name)
        if type(value) is not kind and not (kind is int and type(value) is bool):
            raise TypeError(f"{name}() of the learner's object returned {type(value).__name__}, not {kind.__name__}")
        return value

    return operation


class _Live:
    """A list or dict read as an attribute of the learner's object (`app.dependency_overrides`): the
    changes the tests make to it are written back to the object."""

    _aigt_plain: type

    def __init__(self, items: Any, owner: Any, name: str) -> None:
        super().__init__(items)  # type: ignore[call-arg]
        self._aigt_owner, self._aigt_attribute = owner, name

    def _aigt_sync(self) -> None:
        plain = self._aigt_plain(self)
        _ask(self._aigt_owner, "attr_update", name=self._aigt_attribute, value=_peer_of(self._aigt_owner).encode(plain))


class _LiveList(_Live, list):  # type: ignore[type-arg]
    _aigt_plain = list


class _LiveDict(_Live, dict):  # type: ignore[type-arg]
    _aigt_plain = dict


def _synced(method_name: str, base: type) -> Any:
    method = getattr(base, method_name)

    def changed(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        self._aigt_sync()
        return result

    return changed


for _name in ("__setitem__", "__delitem__", "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"):
    if hasattr(list, _name):
        setattr(_LiveList, _name, _synced(_name, list))
for _name in ("__setitem__", "__delitem__", "pop", "popitem", "clear", "update", "setdefault"):
    setattr(_LiveDict, _name, _synced(_name, dict))


class Handle:
    """An object of the other side; every operation on it is a request across the boundary."""

    __slots__ = ("__weakref__", "_aigt_classes", "_aigt_id", "_aigt_kind", "_aigt_name", "_aigt_peer")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_aigt_"):
            raise AttributeError(name)
        peer = _peer_of(self)
        value = _ask(self, "getattr", name=name)
        if peer.trusted and peer.last_reply_live:
            if type(value) is list:
                return _LiveList(value, self, name)
            if type(value) is dict:
                return _LiveDict(value, self, name)
        return value

    @property
    def __signature__(self) -> Any:
        return _signature_from(_ask(self, "signature"))

    # The class's own `__module__` and `__doc__` would answer for the object: ask the other side.
    @property
    def __module__(self) -> Any:  # type: ignore[override]
        return _ask(self, "getattr", name="__module__")

    @property
    def __doc__(self) -> Any:  # type: ignore[override]
        return _ask(self, "getattr", name="__doc__")

    def __setattr__(self, name: str, value: Any) -> None:
        _ask(self, "setattr", name=name, value=_encode_for(_peer_of(self), value))

    def __delattr__(self, name: str) -> None:
        _ask(self, "delattr", name=name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _call(self, "call", None, args, kwargs)

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        """The library class the object is of, when the tests' side has that library too (so that
        `isinstance(figure.axes[0], matplotlib.axes.Axes)` holds); otherwise the handle's own class."""
        for module, qualname in object.__getattribute__(self, "_aigt_classes"):
            if not isinstance(module, str) or not isinstance(qualname, str):
                continue
            found = _library_class(module, qualname)
            if found is not None:
                return found
        return type(self)

    def __repr__(self) -> str:
        text = _ask(self, "unary", name="repr")
        return text if isinstance(text, str) else f"<{object.__getattribute__(self, '_aigt_name')}>"

    __str__ = _typed_unary("str", str)
    __len__ = _typed_unary("len", int)
    __bool__ = _typed_unary("bool", bool)
    __hash__ = _typed_unary("hash", int)
    __int__ = _typed_unary("int", int)
    __index__ = _typed_unary("index", int)
    __float__ = _typed_unary("float", float)
    __neg__ = _unary("neg")
    __pos__ = _unary("pos")
    __abs__ = _unary("abs")
    __invert__ = _unary("invert")
    __reversed__ = _unary("reversed")
    __eq__ = _binary("eq")
    __ne__ = _binary("ne")
    __lt__ = _binary("lt")
    __le__ = _binary("le")
    __gt__ = _binary("gt")
    __ge__ = _binary("ge")
    __add__, __radd__ = _binary("add"), _binary("add", True)
    __sub__, __rsub__ = _binary("sub"), _binary("sub", True)
    __mul__, __rmul__ = _binary("mul"), _binary("mul", True)
    __truediv__, __rtruediv__ = _binary("truediv"), _binary("truediv", True)
    __floordiv__, __rfloordiv__ = _binary("floordiv"), _binary("floordiv", True)
    __mod__, __rmod__ = _binary("mod"), _binary("mod", True)
    __pow__, __rpow__ = _binary("pow"), _binary("pow", True)
    __matmul__, __rmatmul__ = _binary("matmul"), _binary("matmul", True)
    __and__, __rand__ = _binary("and"), _binary("and", True)
    __or__, __ror__ = _binary("or"), _binary("or", True)
    __xor__, __rxor__ = _binary("xor"), _binary("xor", True)
    __lshift__, __rlshift__ = _binary("lshift"), _binary("lshift", True)
    __rshift__, __rrshift__ = _binary("rshift"), _binary("rshift", True)

    def __getitem__(self, key: Any) -> Any:
        return _ask(self, "binary", name="getitem", other=_encode_for(_peer_of(self), key))

    def __setitem__(self, key: Any, value: Any) -> None:
        peer = _peer_of(self)
        _ask(self, "setitem", key=_encode_for(peer, key), value=_encode_for(peer, value))

    def __delitem__(self, key: Any) -> None:
        _ask(self, "binary", name="delitem", other=_encode_for(_peer_of(self), key))

    def __contains__(self, item: Any) -> bool:
        found = _ask(self, "binary", name="contains", other=_encode_for(_peer_of(self), item))
        return bool(found) if isinstance(found, bool) else False

    def __iter__(self) -> Any:
        iterator = _ask(self, "unary", name="iter")
        if isinstance(iterator, Handle):
            return iterator
        return iter(iterator)

    def __next__(self) -> Any:
        return _ask(self, "unary", name="next")

    def __enter__(self) -> Any:
        return _ask(self, "enter")

    def __exit__(self, *exc_info: object) -> Any:
        return _ask(self, "exit")

    def __dir__(self) -> list[str]:
        names = _ask(self, "unary", name="dir")
        return [name for name in names if isinstance(name, str)] if isinstance(names, list) else []

    def __instancecheck__(self, instance: Any) -> bool:
        answer = _ask(self, "isinstance", value=_encode_for(_peer_of(self), instance))
        return answer is True

    def __subclasscheck__(self, subclass: Any) -> bool:
        answer = _ask(self, "issubclass", value=_encode_for(_peer_of(self), subclass))
        return answer is True


class AsgiHandle(Handle):
    """A learner's ASGI application (FastAPI, Starlette): each HTTP request crosses whole."""

    __slots__ = ()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        kind = scope.get("type")
        if kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    _ask(self, "asgi_lifespan", phase="startup")
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    _ask(self, "asgi_lifespan", phase="shutdown")
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if kind != "http":
            raise BoundaryError(f"only HTTP requests reach the learner's application, not {kind!r}")
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        plain_scope = {
            key: scope[key]
            for key in ("type", "http_version", "method", "scheme", "path", "raw_path", "root_path", "query_string",
                        "headers", "client", "server")
            if key in scope
        }  # fmt: skip
        plain_scope["headers"] = [(bytes(k), bytes(v)) for k, v in scope.get("headers", [])]
        for key in ("client", "server"):
            if plain_scope.get(key) is not None:
                plain_scope[key] = tuple(plain_scope[key])
        messages = _ask(self, "asgi_http", scope=_peer_of(self).encode(plain_scope), body=body.hex())
        if not isinstance(messages, list):
            raise BoundaryError("the learner's application answered something that is not a response")
        for message in messages:
            if not isinstance(message, dict) or message.get("type") not in (
                "http.response.start",
                "http.response.body",
            ):
                raise BoundaryError("the learner's application answered something that is not a response")
            await send(message)


_PROXY_CLASSES: dict[str, type] = {"asgi": AsgiHandle}


_POLL_SECONDS = 0.002


def _awaitable(proxy: Any) -> Any:
    """A coroutine of this side standing for the other side's awaitable: it runs there, on its own loop,
    and this one polls for the outcome, so this side's event loop keeps running other tasks meanwhile."""

    async def settle() -> Any:
        peer = _peer_of(proxy)
        token = _ask(proxy, "await_start")
        try:
            while True:
                outcome = peer.request("await_poll", token=token)
                if not (isinstance(outcome, list) and len(outcome) == 2):
                    raise BoundaryError("an answer that is not an outcome")
                if outcome[0] is True:
                    return outcome[1]
                await asyncio.sleep(_POLL_SECONDS)
        except asyncio.CancelledError:
            with contextlib.suppress(BoundaryError):
                peer.request("await_cancel", token=token)
            raise

    return settle()


_NOT_A_LIBRARY = ("builtins", "learner", "pytest", "_pytest", "aigt_bridge", "unittest")
# What `inspect` asks of functions and classes: a handle of one may say it is one (never a number,
# a string or a container: those cross as values, and a handle claiming to be one could fool
# comparisons such as pytest.approx's).
_INSPECTABLE = {
    ("builtins", "function"): types.FunctionType,
    ("builtins", "method"): types.MethodType,
    ("builtins", "builtin_function_or_method"): types.BuiltinFunctionType,
    ("builtins", "generator"): types.GeneratorType,
    ("builtins", "async_generator"): types.AsyncGeneratorType,
    ("builtins", "code"): types.CodeType,
    ("builtins", "type"): type,
    ("abc", "ABCMeta"): type,
    ("enum", "EnumMeta"): type,
    ("enum", "EnumType"): type,
}


def _library_class(module: str, qualname: str) -> type | None:
    """The class `module.qualname` where the tests' side has imported that module already: found by
    looking into namespaces only (no module `__getattr__` runs, nothing is imported)."""
    if (module, qualname) in _INSPECTABLE:
        return _INSPECTABLE[(module, qualname)]
    if module.split(".")[0] in _NOT_A_LIBRARY:
        return None
    loaded = sys.modules.get(module)
    if loaded is None or isinstance(loaded, LearnerModule):
        return None
    found: Any = loaded
    for part in qualname.split("."):
        if not part.isidentifier() or not isinstance(found, type | types.ModuleType):
            return None
        found = vars(found).get(part)
    return found if isinstance(found, type) and found.__module__ == module else None


class LearnerModule(types.ModuleType):
    """The learner's module as the tests import it: its names are handles (functions, classes) and data."""

    def __init__(self, name: str, peer: Peer, names: dict[str, Any]) -> None:
        super().__init__(name)
        object.__setattr__(self, "_aigt_peer", peer)
        for key, value in names.items():
            super().__setattr__(key, value)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        peer: Peer = object.__getattribute__(self, "_aigt_peer")
        return peer.request("module_getattr", name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        peer: Peer = object.__getattribute__(self, "_aigt_peer")
        peer.request("module_setattr", name=name, value=_encode_for(peer, value))
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        peer: Peer = object.__getattribute__(self, "_aigt_peer")
        peer.request("module_delattr", name=name)
        if name in self.__dict__:
            super().__delattr__(name)


def open_channel() -> Channel:
    return Channel(socket.socket(fileno=CHANNEL_FD))
