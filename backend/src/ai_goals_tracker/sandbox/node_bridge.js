// The boundary between a goal's tests and the learner's code, for node:test (see docs/sandbox.md).
//
// The same file runs in both processes: the harness (the goal's tests and the reporter, trusted) and
// the learner's program (untrusted). They share nothing but fd 3, a connected AF_UNIX stream socket.
// Frames are a 4-byte big-endian length and UTF-8 JSON. Values cross as plain data (tagged, see
// `encode`); anything else stays where it lives and the other side gets a handle: a Proxy whose
// gets, sets, calls and constructions are requests over the socket. Requests are synchronous and
// reentrant: a side waiting for its reply serves the other side's requests meanwhile. Promises cross
// as promises: their outcome follows in a `settle` message, so both event loops keep running.
//
// The harness treats every frame as hostile: a size cap, strict decoding, and a broken or closed
// channel becomes an ordinary Error in the test that was talking to the learner, never a pass.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const net = require("node:net");
const util = require("node:util");

const { setImmediate: realSetImmediate } = require("node:timers");

const FD = 3;
const MAX_FRAME = 32 * 1024 * 1024;
const MAX_DEPTH = 400;
const MAX_NAME = 200;
const MAX_STACK = 4000;
const ENDED = "the learner's program ended";
const RUN_DIR = "/tmp/run";
const SCRATCH = "/tmp";
const MIRROR_BYTES = 16 * 1024 * 1024;
const MIRROR_FILES = 200;
const LINE = Symbol.for("aigt.learnerLine");
const { isNativeError, isPromise, isProxy, isTypedArray, isDate, isRegExp, isMap, isSet } = util.types;

const ERROR_TYPES = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};
const TYPED_ARRAYS = {
  Uint8Array,
  Int8Array,
  Uint8ClampedArray,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};
const WELL_KNOWN = new Map(
  Object.getOwnPropertyNames(Symbol)
    .filter((name) => typeof Symbol[name] === "symbol")
    .map((name) => [name, Symbol[name]]),
);
const WELL_KNOWN_NAMES = new Map([...WELL_KNOWN].map(([name, symbol]) => [symbol, name]));
// Keys the learner can never read or write on the harness's objects: they lead to the harness's
// prototypes and constructors (Function, and with it code run in the harness).
const BLOCKED_KEYS = new Set([
  "__proto__",
  "constructor",
  "prototype",
  "caller",
  "callee",
  "arguments",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
]);
// The harness's globals the learner's own use: a test that replaces `globalThis.fetch` or mocks the
// timers (`mock.timers`) is obeyed by the learner's code, as it would be in one process.
const FORWARDED_GLOBALS = [
  "fetch",
  "setTimeout",
  "clearTimeout",
  "setInterval",
  "clearInterval",
  "setImmediate",
  "clearImmediate",
];
// They would read the source of the tests' functions.
const SOURCE_READERS = new Set(["Function.prototype.toString", "Function.prototype.toLocaleString"]);
// The learner's console writes where the tests' does (a test may watch it with mock.method).
const FORWARDED_CONSOLE = ["log", "info", "warn", "error", "debug", "dir", "table", "trace"];
// The run's own variables (the report's marker among them) are never the learner's to read.
const HIDDEN_ENV = /^AIGT_/;
// Built-in functions of the harness that may cross as handles besides built-in prototypes' methods.
const CROSSING_BUILTINS = new Set([
  "Number",
  "String",
  "Boolean",
  "BigInt",
  "Date",
  "parseInt",
  "parseFloat",
  "isNaN",
  "isFinite",
  "encodeURIComponent",
  "decodeURIComponent",
  "encodeURI",
  "decodeURI",
  "Array.isArray",
  "Array.from",
  "Array.of",
  "Object.keys",
  "Object.values",
  "Object.entries",
  "Object.fromEntries",
  "String.fromCharCode",
  "Number.isInteger",
  "Number.isFinite",
  "Number.isNaN",
  "Number.parseFloat",
  "Number.parseInt",
  "JSON.stringify",
  "JSON.parse",
]);

const CONVERSIONS = new Set(["valueOf", "toString"]);

class ProtocolError extends Error {}

function hiddenIntrinsics() {
  const asyncFn = async function () {};
  const gen = function* () {};
  const asyncGen = async function* () {};
  return {
    AsyncFunction: asyncFn.constructor,
    GeneratorFunction: gen.constructor,
    AsyncGeneratorFunction: asyncGen.constructor,
    Generator: Object.getPrototypeOf(gen),
    AsyncGenerator: Object.getPrototypeOf(asyncGen),
    TypedArray: Object.getPrototypeOf(Uint8Array),
    IteratorPrototype: Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())),
    ArrayIteratorPrototype: Object.getPrototypeOf([][Symbol.iterator]()),
    GeneratorPrototype: Object.getPrototypeOf(gen.prototype),
    AsyncGeneratorPrototype: Object.getPrototypeOf(asyncGen.prototype),
  };
}

// Every object reachable from the process's globals in two steps, with its path ("Array.prototype.map").
function collectIntrinsics() {
  const paths = new Map();
  const add = (value, path) => {
    if ((typeof value === "object" && value !== null) || typeof value === "function") {
      if (!paths.has(value)) paths.set(value, path);
      return true;
    }
    return false;
  };
  const members = (owner, path) => {
    for (const key of Reflect.ownKeys(owner)) {
      let descriptor;
      try {
        descriptor = Object.getOwnPropertyDescriptor(owner, key);
      } catch {
        continue;
      }
      if (!descriptor) continue;
      const name = typeof key === "symbol" ? `[${String(key.description)}]` : key;
      for (const part of ["value", "get", "set"]) {
        if (descriptor[part] !== undefined) add(descriptor[part], `${path}.${name}`);
      }
    }
  };
  const roots = [["globalThis", globalThis], ...Object.entries(hiddenIntrinsics())];
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    // Lazy globals (fetch, crypto, navigator…) are left unloaded: loading them costs memory and time.
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
    if (descriptor && "value" in descriptor) roots.push([name, descriptor.value]);
  }
  for (const [name, value] of roots) {
    if (!add(value, name) && paths.get(value) !== name) continue;
    if (name === "globalThis") continue;
    members(value, name);
    const prototype = typeof value === "function" ? safeGet(value, "prototype") : undefined;
    if (prototype && (typeof prototype === "object" || typeof prototype === "function")) {
      add(prototype, `${name}.prototype`);
      members(prototype, `${name}.prototype`);
    }
  }
  add(Function.prototype, "Function.prototype");
  add(Object.prototype, "Object.prototype");
  return paths;
}

function safeGet(object, key) {
  try {
    return object[key];
  } catch {
    return undefined;
  }
}

function describe(value) {
  try {
    return util.inspect(value, { depth: 2, breakLength: Infinity, maxStringLength: 200, maxArrayLength: 20 });
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function isPlainObject(value) {
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (typeof key === "symbol" && descriptor.enumerable) return false;
    if (descriptor.get || descriptor.set) return false;
  }
  return true;
}

function isPlainArray(value) {
  if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) return false;
  for (const key of Reflect.ownKeys(value)) {
    if (key === "length") continue;
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor.get || descriptor.set) return false;
    if (typeof key === "symbol" || !/^(0|[1-9]\d*)$/.test(key)) return false;
  }
  return true;
}

function containerKind(value) {
  if (value === null || typeof value !== "object" || isProxy(value)) return null;
  if (isPlainArray(value)) return "a";
  if (isMap(value) && Object.getPrototypeOf(value) === Map.prototype) return "m";
  if (isSet(value) && Object.getPrototypeOf(value) === Set.prototype) return "s";
  if (isDate(value) && Object.getPrototypeOf(value) === Date.prototype) return "d";
  if (isRegExp(value) && Object.getPrototypeOf(value) === RegExp.prototype) return "r";
  if (Buffer.isBuffer(value) && Object.getPrototypeOf(value) === Buffer.prototype) return "B";
  if (isTypedArray(value)) {
    const name = Object.keys(TYPED_ARRAYS).find((key) => Object.getPrototypeOf(value) === TYPED_ARRAYS[key].prototype);
    if (name) return "T";
  }
  if (isPlainObject(value)) return "o";
  return null;
}

function expectInt(value, what) {
  if (!Number.isSafeInteger(value) || value < 0) throw new ProtocolError(`bad ${what}`);
  return value;
}

function expectString(value, what, limit = MAX_FRAME) {
  if (typeof value !== "string" || value.length > limit) throw new ProtocolError(`bad ${what}`);
  return value;
}

function expectArray(value, what) {
  if (!Array.isArray(value)) throw new ProtocolError(`bad ${what}`);
  return value;
}

class Bridge {
  constructor(side) {
    this.side = side; // "harness" or "learner"
    this.strict = side === "harness";
    this.intrinsics = collectIntrinsics();
    this.handleProto = Object.freeze(Object.create(null));
    this.own = new Map(); // id -> own object given to the other side
    this.ownIds = new Map(); // own object -> id
    this.nextOwn = 1;
    this.remote = new Map(); // the other side's id -> proxy
    this.remoteIds = new WeakMap(); // proxy or error copy -> the other side's id
    this.ownPromises = new Map(); // promise -> pid
    this.nextPromise = 1;
    this.deferred = new Map(); // the other side's pid -> { resolve, reject, promise, originals }
    this.localPromiseIds = new WeakMap(); // a deferred's promise -> the other side's pid
    this.pending = new Set(); // request ids we wait for
    this.replies = new Map();
    this.nextRequest = 1;
    this.buffer = Buffer.alloc(0);
    this.framesSent = 0;
    this.framesReceived = 0;
    this.broken = null;
    this.peerBusy = true;
    this.decoder = new TextDecoder("utf-8", { fatal: true });
    this.readChunk = Buffer.alloc(64 * 1024);
    this.sleeper = new Int32Array(new SharedArrayBuffer(4));
    this.socket = new net.Socket({ fd: FD, readable: true, writable: true, allowHalfOpen: true });
    this.socket.on("data", (chunk) => this.onData(chunk));
    this.socket.on("end", () => this.fail(null));
    this.socket.on("error", (error) => this.fail(null, error));
    this.socket.unref();
    if (this.strict) this.updateRef();
  }

  // ---- frames ----

  fail(protocolError, ioError) {
    if (this.broken) return;
    const reason = protocolError
      ? `the learner's program broke the protocol: ${protocolError.message}`
      : ioError && ioError.code !== "EOF"
        ? `${ENDED} (${ioError.code || ioError.message})`
        : ENDED;
    this.broken = reason;
    if (this.side === "learner") process.exit(0);
    for (const entry of this.deferred.values()) if (!entry.settled) entry.reject(new Error(reason));
    this.peerBusy = false;
    this.updateRef();
    try {
      this.socket.destroy();
    } catch {
      // the socket is gone already
    }
  }

  check() {
    if (this.broken) throw new Error(this.broken);
  }

  updateRef() {
    if (!this.strict) return;
    if (this.peerBusy && !this.broken) this.socket.ref();
    else this.socket.unref();
  }

  send(message) {
    this.check();
    const body = Buffer.from(JSON.stringify(message), "utf8");
    if (body.length > MAX_FRAME) throw new RangeError("a value too large to cross between the tests and the learner's code");
    const frame = Buffer.alloc(4 + body.length);
    frame.writeUInt32BE(body.length, 0);
    body.copy(frame, 4);
    let offset = 0;
    let pause = 0.02;
    while (offset < frame.length) {
      let written = 0;
      try {
        written = fs.writeSync(FD, frame, offset, frame.length - offset);
      } catch (error) {
        if (error.code !== "EAGAIN") {
          this.fail(null, error);
          this.check();
        }
        // The other side is writing too: take in what it sent so that neither waits for the other.
        this.readAvailable();
        Atomics.wait(this.sleeper, 0, 0, pause);
        pause = Math.min(pause * 2, 2);
      }
      offset += written;
    }
    this.framesSent += 1;
    if (this.strict && !this.peerBusy) {
      this.peerBusy = true;
      this.updateRef();
    }
  }

  readAvailable() {
    let count;
    try {
      count = fs.readSync(FD, this.readChunk, 0, this.readChunk.length, null);
    } catch (error) {
      if (error.code === "EAGAIN") return false;
      this.fail(null, error);
      this.check();
    }
    if (count === 0) {
      this.fail(null);
      this.check();
    }
    this.buffer = Buffer.concat([this.buffer, this.readChunk.subarray(0, count)]);
    return true;
  }

  takeFrame() {
    if (this.buffer.length < 4) return undefined;
    const size = this.buffer.readUInt32BE(0);
    if (size > MAX_FRAME) throw new ProtocolError(`a frame of ${size} bytes`);
    if (this.buffer.length < 4 + size) return undefined;
    const body = this.buffer.subarray(4, 4 + size);
    this.buffer = this.buffer.subarray(4 + size);
    let message;
    try {
      message = JSON.parse(this.decoder.decode(body));
    } catch {
      throw new ProtocolError("a frame that is not UTF-8 JSON");
    }
    if (message === null || typeof message !== "object" || Array.isArray(message)) {
      throw new ProtocolError("a frame that is not a message");
    }
    this.framesReceived += 1;
    return message;
  }

  // Blocks until a frame arrives (the event loop does not run meanwhile): the socket is blocking
  // for the read, so the wait costs nothing and the frame is taken as soon as it is there.
  nextFrameSync() {
    for (;;) {
      this.check();
      let frame;
      try {
        frame = this.takeFrame();
      } catch (error) {
        this.fail(error);
        this.check();
      }
      if (frame !== undefined) return frame;
      if (this.readAvailable()) continue;
      const handle = this.socket._handle;
      if (!handle || typeof handle.setBlocking !== "function" || handle.setBlocking(true) !== 0) {
        Atomics.wait(this.sleeper, 0, 0, 0.2);
        continue;
      }
      try {
        this.readAvailable();
      } finally {
        if (!this.broken) handle.setBlocking(false);
      }
    }
  }

  // Frames read ahead while waiting for a reply are served once the event loop runs again.
  drainLater() {
    if (this.draining || this.buffer.length === 0 || this.pending.size > 0) return;
    this.draining = true;
    realSetImmediate(() => {
      this.draining = false;
      this.onData(Buffer.alloc(0));
    });
  }

  onData(chunk) {
    if (this.broken) return;
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      let frame;
      try {
        frame = this.takeFrame();
      } catch (error) {
        this.fail(error);
        return;
      }
      if (frame === undefined) return;
      try {
        this.dispatch(frame);
      } catch (error) {
        this.fail(new ProtocolError(error && error.message ? error.message : "a failure while serving"));
      }
      if (this.broken) return;
    }
  }

  dispatch(message) {
    try {
      if ("q" in message) this.serve(message);
      else if ("r" in message) this.acceptReply(message);
      else if ("s" in message) this.acceptSettle(message);
      else if ("i" in message) this.acceptIdle(message);
      else throw new ProtocolError("an unknown message");
    } catch (error) {
      if (error instanceof ProtocolError) this.fail(error);
      else if (!this.broken) throw error;
    }
  }

  acceptIdle(message) {
    const seen = expectInt(message.i, "idle count");
    if (seen === this.framesSent) {
      this.peerBusy = false;
      this.updateRef();
    }
  }

  acceptReply(message) {
    const id = expectInt(message.r, "reply id");
    if (!this.pending.has(id) || this.replies.has(id)) throw new ProtocolError("a reply nobody asked for");
    this.replies.set(id, message);
  }

  acceptSettle(message) {
    const pid = expectInt(message.s, "promise id");
    const entry = this.deferred.get(pid);
    if (!entry || entry.settled) throw new ProtocolError("a promise settled twice or never sent");
    // Kept: the same promise may be sent again (a cached result) and must be the settled one.
    entry.settled = true;
    const outcome = this.decodeOutcome(message, entry.originals);
    if (outcome.ok) entry.resolve(outcome.value);
    else entry.reject(outcome.value);
  }

  // ---- requests ----

  request(op, fields, originals = []) {
    this.check();
    const id = this.nextRequest++;
    this.pending.add(id);
    try {
      this.send({ q: id, op, ...fields });
      for (;;) {
        if (this.replies.has(id)) break;
        this.dispatch(this.nextFrameSync());
        this.check();
      }
    } finally {
      this.pending.delete(id);
      this.drainLater();
    }
    const reply = this.replies.get(id);
    this.replies.delete(id);
    if ((op === "call" || op === "new") && Number.isSafeInteger(reply.l) && reply.l > 0) this.lastLine = reply.l;
    const outcome = this.decodeOutcome(reply, originals);
    if (!outcome.ok) throw outcome.value;
    return outcome.value;
  }

  decodeOutcome(message, originals) {
    const context = this.decodeContext(originals);
    const hasValue = "v" in message;
    if (hasValue === "x" in message) throw new ProtocolError("an outcome that is neither a value nor an error");
    const value = this.decode(hasValue ? message.v : message.x, context, 0);
    if ("b" in message) {
      // The call's arguments as the callee left them: decoding them updated the originals in place.
      for (const item of expectArray(message.b, "copy-back")) this.decode(item, context, 0);
    }
    return { ok: hasValue, value: hasValue ? value : this.asError(value) };
  }

  asError(value) {
    if (value instanceof Error) return value;
    const error = new Error(`the code threw ${describe(value)}, which is not an Error`);
    error.thrown = value;
    return error;
  }

  serve(message) {
    const id = expectInt(message.q, "request id");
    const originals = new Map();
    let result;
    let args = [];
    let self;
    let before = [];
    try {
      const context = this.decodeContext([], originals);
      const op = expectString(message.op, "operation", 20);
      const free = op === "load" || op === "global" || op === "file" || op === "env" || op === "console";
      const target = free ? undefined : this.decode(message.t, context, 0);
      if (!free && !this.ownsObject(target)) throw new ProtocolError("a request on something not ours");
      switch (op) {
        case "load":
          if (this.strict) throw new ProtocolError("a load request");
          result = this.load();
          break;
        case "file":
          if (this.strict) throw new ProtocolError("a file request");
          result = this.writeMirrored(message);
          break;
        case "env":
          if (!this.strict) throw new ProtocolError("an environment request");
          result = this.serveEnv(message, context);
          break;
        case "console": {
          if (!this.strict) throw new ProtocolError("a console request");
          const name = expectString(message.n, "console method", 20);
          if (!FORWARDED_CONSOLE.includes(name)) throw new ProtocolError("a console method the learner cannot use");
          args = this.decodeList(message.a, context);
          Reflect.apply(console[name], console, args);
          result = undefined;
          break;
        }
        case "global": {
          if (!this.strict) throw new ProtocolError("a global request");
          const name = expectString(message.n, "global name", 40);
          if (!FORWARDED_GLOBALS.includes(name)) throw new ProtocolError("a global the learner cannot use");
          args = this.decodeList(message.a, context);
          before = this.fingerprints([self, ...args]);
          const given = name.startsWith("clear") && args[0] instanceof TimerHandle ? [timerOf(args[0])] : args;
          result = Reflect.apply(globalThis[name], globalThis, given);
          break;
        }
        case "call":
        case "new": {
          if (typeof target !== "function") throw new ProtocolError("a call on something not callable");
          self = op === "call" ? this.decode(message.h, context, 0) : undefined;
          args = this.decodeList(message.a, context);
          before = this.fingerprints([self, ...args]);
          if (!this.strict) this.calledLine = this.functionLine(target);
          result = op === "call" ? Reflect.apply(target, self, args) : Reflect.construct(target, args);
          break;
        }
        case "get":
          result = Reflect.get(target, this.key(message.k));
          break;
        case "set":
          result = Reflect.set(target, this.key(message.k), this.decode(message.v, context, 0));
          break;
        case "has":
          result = Reflect.has(target, this.key(message.k));
          break;
        case "del":
          result = Reflect.deleteProperty(target, this.key(message.k));
          break;
        case "keys":
          result = Reflect.ownKeys(target)
            .filter((key) => !(this.strict && BLOCKED_KEYS.has(key)))
            .map((key) => this.keyOut(key))
            .filter((key) => key !== null);
          break;
        case "desc": {
          const descriptor = Reflect.getOwnPropertyDescriptor(target, this.key(message.k));
          result = descriptor
            ? { e: Boolean(descriptor.enumerable), v: "value" in descriptor ? descriptor.value : Reflect.get(target, this.key(message.k)) }
            : null;
          break;
        }
        case "inst": {
          const value = this.decode(message.v, context, 0);
          result = typeof target === "function" && value instanceof target;
          break;
        }
        case "prim": {
          const hint = expectString(message.n, "hint", 10);
          if (this.strict && typeof target === "function") {
            // The tests' source stays theirs: a callback converts to its name only.
            result = hint === "number" ? NaN : `function ${target.name}() { [the tests' code] }`;
            break;
          }
          result = hint === "number" ? Number(target) : String(target);
          break;
        }
        default:
          throw new ProtocolError("an unknown operation");
      }
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      this.reply(id, { error }, this.changed([self, ...args], before), originals);
      return;
    }
    if (message.op === "load" && isPromise(result)) {
      // An ES module loads asynchronously: the harness's require waits for it.
      result.then(
        (value) => this.reply(id, { value }, [], originals),
        (error) => this.reply(id, { error }, [], originals),
      );
      return;
    }
    if (message.op === "global") result = this.wrapTimer(message.n, result);
    this.reply(id, { value: result }, this.changed([self, ...args], before), originals);
  }

  // What a call's arguments held before it, so that only those it changed are copied back (a copy
  // of an argument the code left alone must not undo what the caller's own callbacks did meanwhile).
  fingerprints(values) {
    return values.map((value) => {
      try {
        return this.fingerprint(value);
      } catch {
        return null;
      }
    });
  }

  changed(values, before) {
    return values.filter((value, index) => {
      if (before[index] === undefined || before[index] === null) return before[index] === null;
      try {
        return this.fingerprint(value) !== before[index];
      } catch {
        return true;
      }
    });
  }

  fingerprint(root) {
    if (!this.identities) {
      this.identities = new WeakMap();
      this.nextIdentity = 1;
    }
    const seen = new Map();
    const walk = (value, depth) => {
      if (depth > MAX_DEPTH) throw new RangeError("too deep");
      if (value === null) return "null";
      const type = typeof value;
      if (type === "number") return Object.is(value, -0) ? "n:-0" : `n:${value}`;
      if (type === "string") return JSON.stringify(value);
      if (type !== "object" && type !== "function") return `${type}:${String(value)}`;
      if (seen.has(value)) return `@${seen.get(value)}`;
      const kind = this.remoteIds.has(value) ? null : containerKind(value);
      if (kind === null) {
        if (!this.identities.has(value)) this.identities.set(value, this.nextIdentity++);
        return `#${this.identities.get(value)}`;
      }
      seen.set(value, seen.size);
      const next = depth + 1;
      switch (kind) {
        case "a":
          return `[${Array.from(value, (item) => walk(item, next)).join(",")}]`;
        case "o":
          return `{${Object.getPrototypeOf(value) === null ? "null" : ""}${Object.keys(value)
            .map((key) => `${JSON.stringify(key)}:${walk(value[key], next)}`)
            .join(",")}}`;
        case "m":
          return `M(${Array.from(value, ([key, item]) => `${walk(key, next)}=>${walk(item, next)}`).join(",")})`;
        case "s":
          return `S(${Array.from(value, (item) => walk(item, next)).join(",")})`;
        case "d":
          return `D${value.getTime()}`;
        case "r":
          return `R/${value.source}/${value.flags}`;
        default:
          return `B${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64")}`;
      }
    };
    return walk(root, 0);
  }

  key(encoded) {
    let key;
    if (typeof encoded === "string") key = expectString(encoded, "key", 10000);
    else if (Array.isArray(encoded) && encoded[0] === "y") key = this.decodeSymbol(encoded);
    else throw new ProtocolError("a bad key");
    if (this.strict && BLOCKED_KEYS.has(key)) {
      throw new TypeError(`the property ${String(key)} of the tests' objects is out of the learner's reach`);
    }
    return key;
  }

  keyOut(key) {
    if (typeof key === "string") return key;
    const name = WELL_KNOWN_NAMES.get(key);
    if (name) return ["y", "w", name];
    const registered = Symbol.keyFor(key);
    return registered === undefined ? null : ["y", "r", registered];
  }

  decodeSymbol(encoded) {
    if (encoded.length !== 3) throw new ProtocolError("a bad symbol");
    const name = expectString(encoded[2], "symbol", 1000);
    if (encoded[1] === "w") {
      if (!WELL_KNOWN.has(name)) throw new ProtocolError("an unknown symbol");
      return WELL_KNOWN.get(name);
    }
    if (encoded[1] === "r") return Symbol.for(name);
    if (encoded[1] === "u") return Symbol(name);
    throw new ProtocolError("a bad symbol");
  }

  reply(id, outcome, callArgs, originals) {
    const message = { r: id };
    let encoded;
    try {
      encoded = this.encodeOutcome(outcome, callArgs, originals);
    } catch (error) {
      encoded = this.encodeOutcome({ error: new TypeError(`the result cannot cross: ${error.message}`) }, [], new Map());
    }
    Object.assign(message, encoded);
    if (this.calledLine) message.l = this.calledLine;
    this.calledLine = null;
    this.send(message);
  }

  // Where the learner's function starts in the learner's file (null elsewhere): what a failed
  // assertion on its result points at. Read once per function, through the inspector.
  functionLine(fn) {
    if (!this.lines) this.lines = new WeakMap();
    if (this.lines.has(fn)) return this.lines.get(fn);
    let line = null;
    try {
      line = this.locate(fn);
    } catch {
      line = null;
    }
    this.lines.set(fn, line);
    return line;
  }

  locate(fn) {
    if (!this.inspector) {
      const inspector = require("node:inspector");
      const session = new inspector.Session();
      session.connect();
      // The learner's file is loaded by now: the debugger lists it as it starts, and is stopped
      // again at once (a debugger left on would slow the learner's code down).
      const file = this.file || "";
      const href = require("node:url").pathToFileURL(file).href;
      let script = null;
      const listen = (event) => {
        if (event.params.url === file || event.params.url === href) script = event.params.scriptId;
      };
      session.on("Debugger.scriptParsed", listen);
      session.post("Debugger.enable", () => {});
      session.post("Debugger.disable", () => {});
      session.removeListener("Debugger.scriptParsed", listen);
      this.inspector = { session, script };
    }
    const { session, script } = this.inspector;
    if (script === null) return null;
    const slot = Symbol.for("aigt.locate");
    globalThis[slot] = fn;
    let objectId = null;
    let location = null;
    try {
      session.post("Runtime.evaluate", { expression: "globalThis[Symbol.for('aigt.locate')]" }, (error, answer) => {
        objectId = error ? null : answer.result.objectId;
      });
      if (objectId) {
        session.post("Runtime.getProperties", { objectId, ownProperties: true }, (error, answer) => {
          const found = error ? null : (answer.internalProperties || []).find((p) => p.name === "[[FunctionLocation]]");
          location = found ? found.value.value : null;
        });
        session.post("Runtime.releaseObject", { objectId }, () => {});
      }
    } finally {
      delete globalThis[slot];
    }
    return location && location.scriptId === script ? location.lineNumber + 1 : null;
  }

  encodeOutcome(outcome, callArgs, originals) {
    const context = this.encodeContext(originals);
    const fields = {};
    if ("value" in outcome) fields.v = this.encode(outcome.value, context, 0);
    else fields.x = this.encodeThrown(outcome.error, context);
    if (originals.size) {
      fields.b = callArgs.filter((arg) => originals.has(arg)).map((arg) => this.encode(arg, context, 0));
    }
    return fields;
  }

  encodeThrown(error, context) {
    try {
      return this.encode(error, context, 0);
    } catch (problem) {
      return this.encode(new Error(`an error that cannot cross was thrown: ${problem.message}`), this.encodeContext(new Map()), 0);
    }
  }

  // ---- values ----

  encodeContext(originals) {
    return { seen: new Map(), count: 0, originals };
  }

  decodeContext(originals, record = null) {
    return { containers: [], originals, record };
  }

  ownsObject(value) {
    return ((typeof value === "object" && value !== null) || typeof value === "function") && !this.remoteIds.has(value);
  }

  encode(value, context, depth) {
    if (depth > MAX_DEPTH) throw new RangeError("a value nested too deeply to cross");
    switch (typeof value) {
      case "undefined":
        return ["u"];
      case "boolean":
      case "string":
        return value;
      case "number":
        if (Number.isNaN(value)) return ["n", "NaN"];
        if (value === Infinity) return ["n", "Infinity"];
        if (value === -Infinity) return ["n", "-Infinity"];
        if (Object.is(value, -0)) return ["n", "-0"];
        return value;
      case "bigint":
        return ["b", value.toString()];
      case "symbol": {
        const key = this.keyOut(value);
        return key === null ? ["y", "u", String(value.description ?? "")] : key;
      }
      default:
        break;
    }
    if (value === null) return null;
    if (this.remoteIds.has(value)) return ["R", this.remoteIds.get(value)];
    if (this.localPromiseIds.has(value)) return ["P", this.localPromiseIds.get(value)];
    if (context.seen.has(value)) return ["@", context.seen.get(value)];
    if (this.intrinsics.has(value)) return this.encodeIntrinsic(value);
    if (isPromise(value)) return ["p", this.promiseId(value)];
    if (isNativeError(value) || value instanceof Error) return this.encodeError(value, context, depth);
    const kind = typeof value === "object" ? containerKind(value) : null;
    if (kind === null) return this.encodeHandle(value);
    const index = context.count++;
    context.seen.set(value, index);
    const origin = context.originals.has(value) ? context.originals.get(value) : -1;
    const next = depth + 1;
    switch (kind) {
      case "a":
        return ["a", origin, Array.from(value, (item) => this.encode(item, context, next))];
      case "o": {
        const entries = [];
        for (const key of Object.keys(value)) entries.push(key, this.encode(value[key], context, next));
        return ["o", origin, Object.getPrototypeOf(value) === null ? 1 : 0, entries];
      }
      case "m": {
        const entries = [];
        for (const [key, item] of value) entries.push(this.encode(key, context, next), this.encode(item, context, next));
        return ["m", origin, entries];
      }
      case "s":
        return ["s", origin, Array.from(value, (item) => this.encode(item, context, next))];
      case "d": {
        const time = value.getTime();
        return ["d", origin, Number.isNaN(time) ? "NaN" : time];
      }
      case "r":
        return ["r", origin, value.source, value.flags];
      case "B":
        return ["B", origin, value.toString("base64")];
      case "T": {
        const name = Object.keys(TYPED_ARRAYS).find((key) => Object.getPrototypeOf(value) === TYPED_ARRAYS[key].prototype);
        return ["T", origin, name, Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64")];
      }
      default:
        throw new RangeError("unreachable");
    }
  }

  encodeIntrinsic(value) {
    const path = this.intrinsics.get(value);
    if (this.strict) {
      const method =
        /^[A-Za-z]+\.prototype\.[^.]+$/.test(path) && !BLOCKED_KEYS.has(path.split(".").pop()) && !SOURCE_READERS.has(path);
      if (typeof value !== "function" || !(method || CROSSING_BUILTINS.has(path))) {
        throw new TypeError(`${path} of the tests' process cannot be handed to the learner's code`);
      }
    }
    return this.encodeHandle(value);
  }

  encodeHandle(value) {
    let id = this.ownIds.get(value);
    if (id === undefined) {
      id = this.nextOwn++;
      this.ownIds.set(value, id);
      this.own.set(id, value);
    }
    let name = "";
    try {
      name = typeof value === "function" ? String(value.name ?? "") : String(Object.getPrototypeOf(value)?.constructor?.name ?? "");
    } catch {
      name = "";
    }
    return ["h", id, typeof value === "function" ? "f" : "o", name.slice(0, MAX_NAME)];
  }

  promiseId(promise) {
    let pid = this.ownPromises.get(promise);
    if (pid !== undefined) return pid;
    pid = this.nextPromise++;
    this.ownPromises.set(promise, pid);
    const settle = (outcome) => {
      if (this.broken) return;
      let fields;
      try {
        fields = this.encodeOutcome(outcome, [], new Map());
      } catch (error) {
        fields = this.encodeOutcome({ error: new TypeError(`the result cannot cross: ${error.message}`) }, [], new Map());
      }
      try {
        this.send({ s: pid, ...fields });
      } catch {
        // the other side is gone
      }
    };
    promise.then(
      (value) => settle({ value }),
      (error) => settle({ error }),
    );
    return pid;
  }

  encodeError(error, context, depth) {
    const id = this.encodeHandle(error)[1];
    const read = (key) => {
      try {
        return error[key];
      } catch {
        return undefined;
      }
    };
    let type = "Error";
    for (const [name, constructor] of Object.entries(ERROR_TYPES)) {
      if (name !== "Error" && error instanceof constructor) type = name;
    }
    const props = {};
    let keys = [];
    try {
      keys = Object.keys(error);
    } catch {
      keys = [];
    }
    for (const key of keys) {
      if (key === "stack" || key === "message") continue;
      const item = read(key);
      try {
        props[key] = this.encode(item, context, depth + 1);
      } catch {
        props[key] = describe(item).slice(0, 500);
      }
    }
    const code = read("code");
    if (!("code" in props) && (typeof code === "string" || typeof code === "number")) props.code = code;
    const cause = read("cause");
    const fields = {
      t: type,
      n: String(read("name") ?? "Error").slice(0, MAX_NAME),
      m: String(read("message") ?? ""),
      p: props,
      s: String(read("stack") ?? "").slice(0, MAX_STACK),
      l: this.side === "learner" ? learnerLine(read("stack")) : null,
    };
    if (cause !== undefined) {
      try {
        fields.c = this.encode(cause, context, depth + 1);
      } catch {
        fields.c = describe(cause).slice(0, 500);
      }
    }
    return ["e", id, fields];
  }

  decodeList(encoded, context) {
    return expectArray(encoded, "arguments").map((item) => this.decode(item, context, 0));
  }

  decode(encoded, context, depth) {
    if (depth > MAX_DEPTH) throw new ProtocolError("a value nested too deeply");
    if (encoded === null || typeof encoded === "string" || typeof encoded === "boolean") return encoded;
    if (typeof encoded === "number") return encoded;
    if (!Array.isArray(encoded) || encoded.length === 0) throw new ProtocolError("a bad value");
    const next = depth + 1;
    const tag = encoded[0];
    switch (tag) {
      case "u":
        return undefined;
      case "n": {
        const special = { NaN, Infinity, "-Infinity": -Infinity, "-0": -0 };
        if (encoded.length !== 2 || !Object.hasOwn(special, encoded[1])) throw new ProtocolError("a bad number");
        return special[encoded[1]];
      }
      case "b": {
        const text = expectString(encoded[1], "bigint", 100000);
        if (!/^-?\d+$/.test(text)) throw new ProtocolError("a bad bigint");
        return BigInt(text);
      }
      case "y":
        return this.decodeSymbol(encoded);
      case "@": {
        const index = expectInt(encoded[1], "reference");
        if (index >= context.containers.length) throw new ProtocolError("a bad reference");
        return context.containers[index];
      }
      case "R": {
        const id = expectInt(encoded[1], "handle");
        if (!this.own.has(id)) throw new ProtocolError("a handle we never gave");
        return this.own.get(id);
      }
      case "P": {
        const pid = expectInt(encoded[1], "promise");
        for (const [promise, own] of this.ownPromises) if (own === pid) return promise;
        throw new ProtocolError("a promise we never gave");
      }
      case "h":
        return this.decodeHandle(encoded);
      case "p":
        return this.decodePromise(encoded);
      case "e":
        return this.decodeError(encoded, context, next);
      default:
        return this.decodeContainer(encoded, context, next);
    }
  }

  decodeContainer(encoded, context, next) {
    const tag = encoded[0];
    const origin = encoded[1];
    if (!Number.isSafeInteger(origin) || origin < -1) throw new ProtocolError("a bad origin");
    let target;
    if (origin >= 0) {
      if (origin >= context.originals.length) throw new ProtocolError("a bad origin");
      target = context.originals[origin];
      if (containerKind(target) !== tag) throw new ProtocolError("a copy-back of another kind");
    }
    const index = context.containers.length;
    const frozen = target !== undefined && Object.isFrozen(target);
    switch (tag) {
      case "a": {
        const items = expectArray(encoded[2], "array");
        const array = frozen || target === undefined ? [] : target;
        context.containers.push(target ?? array);
        this.remember(context, array, index);
        const values = items.map((item) => this.decode(item, context, next));
        if (frozen) return target;
        array.length = 0;
        for (const value of values) array.push(value);
        return array;
      }
      case "o": {
        const entries = expectArray(encoded[3], "object");
        if (entries.length % 2 !== 0) throw new ProtocolError("a bad object");
        const object = frozen || target === undefined ? (encoded[2] === 1 ? Object.create(null) : {}) : target;
        context.containers.push(target ?? object);
        this.remember(context, object, index);
        const values = [];
        for (let i = 0; i < entries.length; i += 2) {
          values.push([expectString(entries[i], "key", 100000), this.decode(entries[i + 1], context, next)]);
        }
        if (frozen) return target;
        if (target !== undefined) for (const key of Object.keys(object)) delete object[key];
        for (const [key, value] of values) {
          Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
        }
        if (values.some(([key, value]) => CONVERSIONS.has(key) && this.remoteIds.has(value))) this.guardConversion(object);
        return object;
      }
      case "m":
      case "s": {
        const items = expectArray(encoded[2], "collection");
        if (tag === "m" && items.length % 2 !== 0) throw new ProtocolError("a bad map");
        const collection = frozen || target === undefined ? (tag === "m" ? new Map() : new Set()) : target;
        context.containers.push(target ?? collection);
        this.remember(context, collection, index);
        const values = items.map((item) => this.decode(item, context, next));
        if (frozen) return target;
        collection.clear();
        if (tag === "m") for (let i = 0; i < values.length; i += 2) collection.set(values[i], values[i + 1]);
        else for (const value of values) collection.add(value);
        return collection;
      }
      case "d": {
        const time = encoded[2] === "NaN" ? NaN : encoded[2];
        if (typeof time !== "number") throw new ProtocolError("a bad date");
        const date = target ?? new Date(time);
        if (target !== undefined && !frozen) target.setTime(time);
        context.containers.push(date);
        this.remember(context, date, index);
        return date;
      }
      case "r": {
        let regexp;
        try {
          regexp = new RegExp(expectString(encoded[2], "pattern", 100000), expectString(encoded[3], "flags", 20));
        } catch (error) {
          if (error instanceof ProtocolError) throw error;
          throw new ProtocolError("a bad regular expression");
        }
        const result = target ?? regexp;
        context.containers.push(result);
        this.remember(context, result, index);
        return result;
      }
      case "B":
      case "T": {
        const data = Buffer.from(expectString(encoded[tag === "B" ? 2 : 3], "bytes"), "base64");
        let result;
        if (tag === "B") {
          result = data;
        } else {
          const type = TYPED_ARRAYS[expectString(encoded[2], "typed array", 40)];
          if (!Object.hasOwn(TYPED_ARRAYS, encoded[2]) || data.length % type.BYTES_PER_ELEMENT !== 0) {
            throw new ProtocolError("a bad typed array");
          }
          const copy = new ArrayBuffer(data.length);
          new Uint8Array(copy).set(data);
          result = new type(copy);
        }
        if (target !== undefined && !frozen && target.byteLength === result.byteLength) {
          new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(
            new Uint8Array(result.buffer, result.byteOffset, result.byteLength),
          );
          result = target;
        } else if (target !== undefined) {
          result = target;
        }
        context.containers.push(result);
        this.remember(context, result, index);
        return result;
      }
      default:
        throw new ProtocolError("an unknown value tag");
    }
  }

  // Plain data whose valueOf or toString is the other side's function: == and + would call it and
  // let an object pass for a number or a string. They throw instead, as they do for handles;
  // String(x), Number(x) and explicit calls still reach the function.
  guardConversion(object) {
    Object.defineProperty(object, Symbol.toPrimitive, {
      configurable: true,
      value(hint) {
        if (hint === "default") {
          throw new TypeError("an object with its own valueOf or toString is not a primitive value: == and + do not convert it");
        }
        const order = hint === "string" ? ["toString", "valueOf"] : ["valueOf", "toString"];
        for (const name of order) {
          const method = this[name];
          if (typeof method !== "function") continue;
          const result = Reflect.apply(method, this, []);
          if (result === null || (typeof result !== "object" && typeof result !== "function")) return result;
        }
        throw new TypeError("Cannot convert object to primitive value");
      },
    });
  }

  // The arguments a request brought, by their place, for the copy-back after the call.
  remember(context, value, index) {
    if (context.record) context.record.set(value, index);
  }

  decodeHandle(encoded) {
    if (encoded.length !== 4) throw new ProtocolError("a bad handle");
    const id = expectInt(encoded[1], "handle");
    if (id === 0) throw new ProtocolError("a bad handle");
    const kind = encoded[2];
    if (kind !== "f" && kind !== "o") throw new ProtocolError("a bad handle kind");
    const name = expectString(encoded[3], "handle name", MAX_NAME);
    const known = this.remote.get(id);
    if (known) return known;
    const proxy = this.makeProxy(id, kind, name);
    this.remote.set(id, proxy);
    this.remoteIds.set(proxy, id);
    return proxy;
  }

  decodePromise(encoded) {
    if (encoded.length !== 2) throw new ProtocolError("a bad promise");
    const pid = expectInt(encoded[1], "promise");
    const known = this.deferred.get(pid);
    if (known) return known.promise;
    let resolve;
    let reject;
    const promise = new Promise((yes, no) => {
      resolve = yes;
      reject = no;
    });
    // No handler of ours: a rejection the code never looks at is reported as node reports any.
    this.deferred.set(pid, { resolve, reject, promise, originals: [], settled: false });
    this.localPromiseIds.set(promise, pid);
    return promise;
  }

  decodeError(encoded, context, next) {
    if (encoded.length !== 3) throw new ProtocolError("a bad error");
    const id = expectInt(encoded[1], "error id");
    const fields = encoded[2];
    if (fields === null || typeof fields !== "object" || Array.isArray(fields)) throw new ProtocolError("a bad error");
    const type = expectString(fields.t, "error type", 40);
    if (!Object.hasOwn(ERROR_TYPES, type)) throw new ProtocolError("a bad error type");
    const name = expectString(fields.n, "error name", MAX_NAME);
    const text = expectString(fields.m, "error message");
    const stack = expectString(fields.s, "error stack", MAX_STACK);
    const line = fields.l === null || fields.l === undefined ? null : expectInt(fields.l, "line");
    const props = fields.p;
    if (props === null || typeof props !== "object" || Array.isArray(props)) throw new ProtocolError("bad error properties");
    const error = new ERROR_TYPES[type](text);
    if (name !== error.name) Object.defineProperty(error, "name", { value: name, writable: true, configurable: true });
    for (const key of Object.keys(props)) {
      Object.defineProperty(error, key, { value: this.decode(props[key], context, next), writable: true, enumerable: true, configurable: true });
    }
    if ("c" in fields) Object.defineProperty(error, "cause", { value: this.decode(fields.c, context, next), writable: true, configurable: true });
    if (stack) {
      const where = this.side === "harness" ? "in the learner's program" : "in the tests";
      Object.defineProperty(error, "stack", { value: `${stack}\n    (thrown ${where})`, writable: true, configurable: true });
    }
    if (line !== null) Object.defineProperty(error, LINE, { value: line, configurable: true });
    if (id !== 0) {
      this.remoteIds.set(error, id);
    }
    return error;
  }

  makeProxy(id, kind, name) {
    const bridge = this;
    const peer = this.side === "harness" ? "learner" : "tests'";
    const label = `${name || "anonymous"} [${peer} ${kind === "f" ? "function" : "object"}]`;
    let target;
    if (kind === "f") {
      target = function () {}.bind(null);
      Object.defineProperty(target, "name", { value: label, configurable: true });
    } else {
      // Named so that assertion messages (which do not call custom inspectors) say what it is.
      const Named = { [label]: function () {} }[label];
      target = Object.create(Named.prototype);
    }
    Object.defineProperty(target, util.inspect.custom, { value: () => `[${label}]`, configurable: true });
    const ref = ["R", id];
    const keyOf = (key) => {
      if (typeof key === "string") return key;
      const encoded = bridge.keyOut(key);
      if (encoded === null) throw new TypeError(`a symbol of its own cannot be used as a key across the boundary`);
      return encoded;
    };
    const call = (op, fields, originals) => bridge.request(op, { t: ref, ...fields }, originals);
    const handler = {
      get(_target, key) {
        if (key === Symbol.toStringTag) return "Handle";
        if (key === util.inspect.custom) return () => `[${label}]`;
        if (key === Symbol.toPrimitive) {
          return (hint) => {
            if (hint === "default") {
              throw new TypeError(
                `the ${peer} ${kind === "f" ? "function" : "object"} ${name} is not a primitive value: ` +
                  "== and + do not convert it; use String(x) or Number(x)",
              );
            }
            return call("prim", { n: hint });
          };
        }
        if (key === Symbol.hasInstance && kind === "f") {
          return (value) => {
            if (!bridge.remoteIds.has(value)) return false;
            return call("inst", { v: ["R", bridge.remoteIds.get(value)] });
          };
        }
        return call("get", { k: keyOf(key) });
      },
      set(_target, key, value) {
        return Boolean(bridge.withArgs([value], (encoded) => call("set", { k: keyOf(key), v: encoded[0] })));
      },
      has(_target, key) {
        return Boolean(call("has", { k: keyOf(key) }));
      },
      deleteProperty(_target, key) {
        return Boolean(call("del", { k: keyOf(key) }));
      },
      ownKeys() {
        const keys = call("keys", {});
        if (!Array.isArray(keys) || !keys.every((key) => typeof key === "string" || typeof key === "symbol")) {
          throw new TypeError("the learner's object listed keys that are not keys");
        }
        return [...new Set(keys)];
      },
      getOwnPropertyDescriptor(_target, key) {
        const found = call("desc", { k: keyOf(key) });
        if (found === null || found === undefined) return undefined;
        return { value: found.v, writable: true, enumerable: Boolean(found.e), configurable: true };
      },
      defineProperty(_target, key, descriptor) {
        if (!("value" in descriptor)) return false;
        return handler.set(_target, key, descriptor.value);
      },
      getPrototypeOf() {
        return bridge.handleProto;
      },
      setPrototypeOf() {
        return false;
      },
      isExtensible() {
        return true;
      },
      preventExtensions() {
        return false;
      },
      apply(_target, self, args) {
        bridge.mirrorFiles(args);
        return bridge.withArgs([self, ...args], (encoded, originals) =>
          call("call", { h: encoded[0], a: encoded.slice(1) }, originals),
        );
      },
      construct(_target, args, newTarget) {
        if (newTarget !== proxy) throw new TypeError(`the ${peer} class ${name} cannot be extended across the boundary`);
        bridge.mirrorFiles(args);
        return bridge.withArgs(args, (encoded, originals) => call("new", { a: encoded }, originals));
      },
    };
    const proxy = new Proxy(target, handler);
    return proxy;
  }

  // Files the tests made under /tmp and name in a call (a path, or a path in an array or object
  // argument) are copied to the same path on the learner's side first: its /tmp is its own. Only
  // the tests' files travel, only that way, never the tests' own folder.
  mirrorFiles(args) {
    if (!this.strict) return;
    const paths = [];
    const consider = (value) => {
      if (typeof value === "string" && value.startsWith(`${SCRATCH}/`) && value.length < 4096) paths.push(value);
    };
    for (const arg of args) {
      consider(arg);
      const kind = containerKind(arg);
      if (kind === "a") arg.forEach(consider);
      else if (kind === "o") Object.values(arg).forEach(consider);
    }
    for (const given of paths) {
      let real;
      let stat;
      try {
        real = fs.realpathSync(given);
        stat = fs.statSync(real);
      } catch {
        continue;
      }
      if (!real.startsWith(`${SCRATCH}/`) || real === RUN_DIR || real.startsWith(`${RUN_DIR}/`)) continue;
      const files = stat.isDirectory() ? this.filesUnder(real) : stat.isFile() ? [[real, stat]] : [];
      const target = path.resolve(given);
      for (const [file, info] of files) {
        const key = `${info.size}:${info.mtimeMs}`;
        if (!this.mirrored) this.mirrored = new Map();
        if (this.mirrored.get(file) === key || info.size > MIRROR_BYTES) continue;
        const where = file === real ? target : path.join(target, path.relative(real, file));
        let data;
        try {
          data = fs.readFileSync(file);
        } catch {
          continue;
        }
        this.request("file", { p: where, d: data.toString("base64") });
        this.mirrored.set(file, key);
      }
    }
  }

  filesUnder(folder) {
    const found = [];
    let total = 0;
    const stack = [folder];
    while (stack.length && found.length < MIRROR_FILES) {
      const current = stack.pop();
      let entries;
      try {
        entries = fs.readdirSync(current, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const entry of entries) {
        const full = path.join(current, entry.name);
        if (full === RUN_DIR) continue;
        if (entry.isDirectory()) stack.push(full);
        else if (entry.isFile()) {
          const info = fs.statSync(full);
          total += info.size;
          if (total > MIRROR_BYTES || found.length >= MIRROR_FILES) return found;
          found.push([full, info]);
        }
      }
    }
    return found;
  }

  writeMirrored(message) {
    const where = expectString(message.p, "path", 4096);
    const data = Buffer.from(expectString(message.d, "file"), "base64");
    const resolved = path.resolve(where);
    if (resolved !== where || !where.startsWith(`${SCRATCH}/`) || where.startsWith(`${RUN_DIR}/`)) {
      throw new ProtocolError("a file outside the scratch folder");
    }
    fs.mkdirSync(path.dirname(where), { recursive: true });
    fs.writeFileSync(where, data);
    return true;
  }

  // Encodes a call's arguments, remembering the containers sent so that the copy-back finds them.
  withArgs(args, send) {
    const context = this.encodeContext(new Map());
    const encoded = args.map((arg) => this.encode(arg, context, 0));
    const originals = [];
    for (const [value, index] of context.seen) originals[index] = value;
    return send(encoded, originals);
  }

  // The tests' process.env, as the learner's code reads and writes it (a test sets a variable, then
  // calls the learner's config loader), without the run's own variables.
  serveEnv(message, context) {
    const action = expectString(message.a, "environment action", 10);
    if (action === "keys") return Object.keys(process.env).filter((key) => !HIDDEN_ENV.test(key));
    const name = expectString(message.n, "variable", 1000);
    if (HIDDEN_ENV.test(name)) return action === "has" ? false : undefined;
    switch (action) {
      case "get":
        return process.env[name];
      case "has":
        return Object.hasOwn(process.env, name);
      case "set":
        process.env[name] = String(this.decode(message.v, context, 0));
        return true;
      case "del":
        delete process.env[name];
        return true;
      default:
        throw new ProtocolError("an unknown environment action");
    }
  }

  // The harness's timers reach the learner as a small handle of their own, not as node's Timeout
  // (whose list links lead to every other timer of the harness).
  wrapTimer(name, result) {
    if (!name.startsWith("set") || result === null || typeof result !== "object") return result;
    return new TimerHandle(result);
  }

  // ---- the learner's side ----

  load() {
    if (this.loaded) return this.loaded;
    const file = this.file;
    let exports;
    try {
      exports = require(file);
    } catch (error) {
      if (error && error.code === "ERR_REQUIRE_ESM") {
        this.loaded = import(require("node:url").pathToFileURL(file).href).then((namespace) => moduleHandle(namespace));
        return this.loaded;
      }
      throw error;
    }
    this.loaded = moduleHandle(exports);
    return this.loaded;
  }
}

// The learner's module is always a handle: its exports are read live, as `require` would give them.
function moduleHandle(exports) {
  return (typeof exports === "object" && exports !== null) || typeof exports === "function" ? new Proxy(exports, {}) : exports;
}

const timers = new WeakMap();

function timerOf(handle) {
  return timers.get(handle);
}

class TimerHandle {
  constructor(timer) {
    timers.set(this, timer);
  }

  ref() {
    timers.get(this).ref?.();
    return this;
  }

  unref() {
    timers.get(this).unref?.();
    return this;
  }

  hasRef() {
    return Boolean(timers.get(this).hasRef?.());
  }

  refresh() {
    timers.get(this).refresh?.();
    return this;
  }

  [Symbol.toPrimitive]() {
    return Number(timers.get(this)[Symbol.toPrimitive]?.() ?? NaN);
  }
}

let learnerFile = null;

function learnerLine(stack) {
  if (!learnerFile || typeof stack !== "string") return null;
  for (const line of stack.split("\n")) {
    const index = line.indexOf(learnerFile);
    if (index < 0) continue;
    const match = /^:(\d+):\d+/.exec(line.slice(index + learnerFile.length));
    if (match) return Number(match[1]);
  }
  return null;
}

let harnessBridge = null;

function harness() {
  if (!harnessBridge) {
    harnessBridge = new Bridge("harness");
    markAssertions(harnessBridge);
  }
  return harnessBridge;
}

const ASSERTIONS = [
  "equal", "strictEqual", "deepEqual", "deepStrictEqual", "notEqual", "notStrictEqual", "notDeepEqual",
  "notDeepStrictEqual", "ok", "match", "doesNotMatch", "throws", "doesNotThrow", "rejects", "doesNotReject",
  "fail", "ifError",
];

// A failed assertion of the tests points at the learner's function they called last (the line it
// starts on), for the reporter's `line`. The assertion itself is node's, untouched.
function markAssertions(bridge) {
  const mark = (error) => {
    if (
      error instanceof Error &&
      error.code === "ERR_ASSERTION" &&
      bridge.lastLine &&
      !Object.getOwnPropertyDescriptor(error, LINE)
    ) {
      Object.defineProperty(error, LINE, { value: bridge.lastLine, configurable: true });
    }
    return error;
  };
  for (const name of ["node:assert", "node:assert/strict"]) {
    const module = require(name);
    for (const key of ASSERTIONS) {
      const original = module[key];
      if (typeof original !== "function" || original.aigtMarked) continue;
      const wrapped = {
        [key](...args) {
          let result;
          try {
            result = Reflect.apply(original, this, args);
          } catch (error) {
            throw mark(error);
          }
          return isPromise(result)
            ? result.catch((error) => {
                throw mark(error);
              })
            : result;
        },
      }[key];
      Object.defineProperty(wrapped, "aigtMarked", { value: true });
      try {
        module[key] = wrapped;
      } catch {
        // a frozen module keeps node's own
      }
    }
  }
}

// In the harness: the learner's module, as the tests' `require('./<stem>')` gives it.
function learnerModule() {
  const bridge = harness();
  return bridge.request("load", {});
}

// In the learner's process: serve the harness until it goes away.
function startLearner(file) {
  learnerFile = file;
  const bridge = new Bridge("learner");
  bridge.file = file;
  for (const name of FORWARDED_GLOBALS) {
    const forwarded = {
      [name](...args) {
        return bridge.withArgs(args, (encoded, originals) => bridge.request("global", { n: name, a: encoded }, originals));
      },
    }[name];
    Object.defineProperty(globalThis, name, { value: forwarded, writable: true, configurable: true, enumerable: true });
  }
  const env = (action, fields = {}) => bridge.request("env", { a: action, ...fields });
  const variables = new Proxy(Object.create(null), {
    get: (_target, key) => (typeof key === "string" ? env("get", { n: key }) : undefined),
    has: (_target, key) => typeof key === "string" && Boolean(env("has", { n: key })),
    set: (_target, key, value) => Boolean(env("set", { n: String(key), v: String(value) })),
    deleteProperty: (_target, key) => Boolean(env("del", { n: String(key) })),
    ownKeys: () => env("keys"),
    getOwnPropertyDescriptor: (_target, key) => {
      const value = typeof key === "string" ? env("get", { n: key }) : undefined;
      return value === undefined ? undefined : { value, writable: true, enumerable: true, configurable: true };
    },
    defineProperty: (_target, key, descriptor) => Boolean(env("set", { n: String(key), v: String(descriptor.value) })),
  });
  Object.defineProperty(process, "env", { value: variables, writable: true, enumerable: true, configurable: true });
  for (const name of FORWARDED_CONSOLE) {
    console[name] = (...args) => {
      bridge.withArgs(args, (encoded) => bridge.request("console", { n: name, a: encoded }));
    };
  }
  let lastIdle = -1;
  process.on("beforeExit", () => {
    // Nothing left to do here: say so (the harness lets its own process end if it has nothing
    // either), then wait for the next frame and keep the loop alive for what it brings.
    if (lastIdle !== bridge.framesReceived) {
      lastIdle = bridge.framesReceived;
      bridge.send({ i: bridge.framesReceived });
    }
    bridge.dispatch(bridge.nextFrameSync());
    realSetImmediate(() => {});
  });
}

module.exports = { learnerModule, startLearner, LINE };
