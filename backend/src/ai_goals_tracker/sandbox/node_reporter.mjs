// Runs inside the sandbox, never in the server, in the harness process (the goal's tests; the learner's
// code runs in another process, see node_bridge.js): a node:test reporter that writes one
// `MARKER{json}` line per finished test (the marker comes from AIGT_REPORT_MARKER), as the pytest
// side does, then a `done` line. Suites are not reported themselves: their tests are, named
// "suite > test". A skipped or todo test is `skipped`, never `passed`. A failing test carries `line`:
// the line of the learner's file where the error it failed with was thrown, when the learner threw it.
import { types } from "node:util";

const marker = process.env.AIGT_REPORT_MARKER ?? "";
const MESSAGE_CHARS = 500;
const LINE = Symbol.for("aigt.learnerLine");

function shorten(text) {
  const trimmed = String(text).trim();
  return trimmed.length <= MESSAGE_CHARS ? trimmed : `${trimmed.slice(0, MESSAGE_CHARS - 1)}…`;
}

// The error a test failed with: node wraps it (ERR_TEST_FAILURE) with the original as `cause`.
function original(error) {
  if (error && typeof error === "object" && !types.isProxy(error) && error.code === "ERR_TEST_FAILURE") {
    return error.cause;
  }
  return error;
}

function message(error) {
  try {
    const cause = original(error);
    if (types.isProxy(cause)) return "the test threw an object of the learner's program";
    if (cause && typeof cause === "object" && typeof cause.message === "string") {
      const name = typeof cause.name === "string" && cause.name !== "Error" ? `${cause.name}: ` : "";
      return shorten(`${name}${cause.message}`);
    }
    return shorten(typeof cause === "string" ? cause : String(cause));
  } catch {
    return "the test failed with an error that cannot be described";
  }
}

function learnerLine(error) {
  try {
    let current = original(error);
    for (let depth = 0; depth < 5 && current && typeof current === "object" && !types.isProxy(current); depth += 1) {
      const line = Object.getOwnPropertyDescriptor(current, LINE)?.value;
      if (Number.isSafeInteger(line) && line > 0) return line;
      const cause = Object.getOwnPropertyDescriptor(current, "cause")?.value;
      current = cause;
    }
  } catch {
    // no line
  }
  return null;
}

function line(record) {
  return `${marker}${JSON.stringify(record)}\n`;
}

export default async function* reporter(source) {
  const suites = [];
  for await (const event of source) {
    const data = event.data ?? {};
    if (event.type === "test:start") {
      suites.length = data.nesting;
      suites.push(data.name);
      yield line({ event: "start", test: suites.join(" > ") });
      continue;
    }
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    suites.length = data.nesting;
    const name = [...suites, data.name].join(" > ");
    const error = data.details && data.details.error;
    if (data.details && data.details.type === "suite") {
      if (event.type === "test:fail" && error && error.failureType !== "subtestsFailed") {
        yield line({ event: "collection_error", message: message(error) });
      }
      continue;
    }
    const status = data.skip || data.todo ? "skipped" : event.type === "test:pass" ? "passed" : "failed";
    if (status !== "failed") {
      yield line({ event: "test", test: name, status, message: null });
      continue;
    }
    yield line({ event: "test", test: name, status, message: message(error), line: learnerLine(error) });
  }
  // Only a run that got here finished: one that exits early (process.exit in a test) never says so.
  yield line({ event: "done" });
}
