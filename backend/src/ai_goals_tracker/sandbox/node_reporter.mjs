// Runs inside the sandbox, never in the server: a node:test reporter that writes one
// `MARKER{json}` line per finished test (the marker comes from AIGT_REPORT_MARKER), as the
// pytest side does, then a `done` line. Suites are not reported themselves: their tests are, named "suite > test".
const marker = process.env.AIGT_REPORT_MARKER ?? "";
const MESSAGE_CHARS = 500;

function shorten(text) {
  const trimmed = String(text).trim();
  return trimmed.length <= MESSAGE_CHARS ? trimmed : `${trimmed.slice(0, MESSAGE_CHARS - 1)}…`;
}

function message(error) {
  const cause = error && error.cause !== undefined ? error.cause : error;
  if (cause && typeof cause === "object" && "message" in cause) {
    const name = cause.name && cause.name !== "Error" ? `${cause.name}: ` : "";
    return shorten(`${name}${cause.message}`);
  }
  return shorten(cause);
}

export default async function* reporter(source) {
  const suites = [];
  for await (const event of source) {
    const data = event.data ?? {};
    if (event.type === "test:start") {
      suites.length = data.nesting;
      suites.push(data.name);
      yield `${marker}${JSON.stringify({ event: "start", test: suites.join(" > ") })}\n`;
      continue;
    }
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    suites.length = data.nesting;
    const name = [...suites, data.name].join(" > ");
    if (data.details && data.details.type === "suite") {
      if (event.type === "test:fail" && data.details.error && data.details.error.failureType !== "subtestsFailed") {
        yield `${marker}${JSON.stringify({ event: "collection_error", message: message(data.details.error) })}\n`;
      }
      continue;
    }
    const status = data.skip || data.todo ? "skipped" : event.type === "test:pass" ? "passed" : "failed";
    const text = status === "failed" ? message(data.details && data.details.error) : null;
    yield `${marker}${JSON.stringify({ event: "test", test: name, status, message: text })}\n`;
  }
  // Only a run that got here finished: one that exits early (process.exit in a test) never says so.
  yield `${marker}${JSON.stringify({ event: "done" })}\n`;
}
