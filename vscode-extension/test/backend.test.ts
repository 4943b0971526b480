// The extension's logic against a real `aigt serve` (own embedded PostgreSQL, free port).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ApiClient, ApiError, MemoryTokenStore, type Course, type Goal, type Task } from "../src/api";
import { toDiagnostics } from "../src/diagnostics";
import { moveTask } from "../src/lifecycle";
import {
  MapStore,
  rememberedOpenTask,
  reviewMarkdown,
  submitForReview,
  TaskMemory,
  taskChoices,
} from "../src/submission";
import { TreeModel } from "../src/tree";
import { type Backend, startBackend } from "./backend";

const PASSWORD = "correct horse battery";

const SUBMISSION = [
  "import os",
  "",
  "",
  "def login(username, password):",
  '    query = "SELECT * FROM users WHERE name = \'" + username + "\'"',
  "    return eval(password)",
  "",
].join("\n");

const BASKET_TESTS = [
  "import basket",
  "",
  "",
  "def test_total_adds_prices():",
  "    assert basket.total([1, 2]) == 3",
  "",
  "",
  "def test_total_of_nothing_is_zero():",
  '    assert basket.total([]) == 0, "an empty basket costs nothing"',
  "",
].join("\n");

describe("against a real backend", { timeout: 600_000 }, () => {
  let backend: Backend;
  let tokens: MemoryTokenStore;
  let api: ApiClient;
  let course: Course;
  let goal: Goal;
  let tasks: Task[];

  before(async () => {
    backend = await startBackend();
    tokens = new MemoryTokenStore();
    api = new ApiClient(backend.url, tokens);
    await api.register("vera@example.com", "vera", PASSWORD);
    await api.login("vera", PASSWORD);
    course = await api.createCourse({ title: "FastAPI Master Course", status: "active" });
    goal = await api.createGoal({
      title: "Secure login",
      course_id: course.id,
      priority: "high",
      validation_criteria: { criteria: ["Passwords are never evaluated or logged", { check: "defines", name: "login" }] },
    });
    tasks = [];
    for (const [title, task_type] of [
      ["Write the login handler", "code"],
      ["Document the endpoint", "documentation"],
      ["Add a rate limit", "code"],
    ]) {
      tasks.push(await api.createTask({ goal_id: goal.id, title, task_type, estimated_hours: 1 }));
    }
    await api.createGoal({ title: "Read the asyncio docs" });
  });

  after(async () => {
    await backend?.stop();
  });

  it("signs in, and says who is signed in", async () => {
    const me = await api.me();
    assert.equal(me.username, "vera");
    assert.ok(await api.isSignedIn());
  });

  it("builds the tree: courses (and goals without one) → goals → tasks, with progress and icons", async () => {
    const model = new TreeModel(api);
    const roots = await model.children();
    assert.deepEqual(
      roots.map((node) => [node.kind, node.label]),
      [
        ["course", "FastAPI Master Course"],
        ["no-course", "Goals without a course"],
      ],
    );
    assert.equal(roots[0].description, "░░░░░░░░░░ 0%");
    const goals = await model.children(roots[0]);
    assert.deepEqual(
      goals.map((node) => [node.label, node.icon]),
      [["Secure login", "target"]],
    );
    const loose = await model.children(roots[1]);
    assert.deepEqual(
      loose.map((node) => node.label),
      ["Read the asyncio docs"],
    );
    const taskNodes = await model.children(goals[0]);
    assert.equal(taskNodes.length, 3);
    assert.ok(taskNodes.every((node) => node.icon === "circle-large-outline" && node.contextValue === "task:todo"));
  });

  it("starts, completes and skips tasks through the legal transitions, and progress rolls up", async () => {
    const started = await moveTask(api, tasks[0].id, "start");
    assert.equal(started.status, "in_progress");
    // A code task is completed by a passing review of its code, not by hand.
    await assert.rejects(
      moveTask(api, tasks[0].id, "complete"),
      (error: ApiError) => error.kind === "conflict" && /passing review/.test(error.message),
    );
    assert.equal((await api.getTask(tasks[0].id)).status, "in_progress");
    const completed = await moveTask(api, tasks[1].id, "complete");
    assert.equal(completed.status, "completed");
    const skipped = await moveTask(api, tasks[2].id, "skip");
    assert.equal(skipped.status, "skipped");
    // One of the two counted tasks is done; the skipped one does not count.
    const rolled = await api.getGoal(goal.id);
    assert.equal(rolled.progress_percentage, 50);
    assert.equal(rolled.status, "in_progress");
    const [courseNode] = await new TreeModel(api).children();
    assert.equal(courseNode.description, "█████░░░░░ 50%");
    const [goalNode] = await new TreeModel(api).children(courseNode);
    const icons = (await new TreeModel(api).children(goalNode)).map((node) => [node.label, node.icon]);
    assert.deepEqual(
      new Map(icons as [string, string][]),
      new Map([
        ["Write the login handler", "play-circle"],
        ["Document the endpoint", "pass-filled"],
        ["Add a rate limit", "debug-step-over"],
      ]),
    );
  });

  it("records the extension as the source of its changes", async () => {
    const response = await fetch(`${backend.url}/api/v1/events?entity_id=${tasks[0].id}`, {
      headers: { Authorization: `Bearer ${(await tokens.get())?.access_token}` },
    });
    const events = (await response.json()) as { items: { event_type: string; metadata: { source: string } }[] };
    assert.ok(events.items.some((event) => event.event_type === "task.started"));
    assert.ok(events.items.every((event) => event.metadata.source === "vscode_extension"));
  });

  it("submits a file, waits for the review, and maps findings to diagnostics and a Markdown report", async () => {
    const memory = new TaskMemory(new MapStore());
    const choices = taskChoices((await api.listTasks()).items, (await api.listGoals()).items);
    assert.deepEqual(
      choices.map((choice) => choice.label),
      ["Write the login handler"],
    );
    await memory.remember("src/auth.py", tasks[0].id);
    assert.equal((await rememberedOpenTask(api, memory, "src/auth.py"))?.id, tasks[0].id);

    const outcome = await submitForReview(
      api,
      tasks[0].id,
      { path: "src/auth.py", content: SUBMISSION },
      { timeoutSeconds: 120, pollMilliseconds: 500 },
    );
    assert.equal(outcome.pending, false, "the review finished");
    assert.equal(outcome.snapshot.validation_passed, false);
    assert.ok(outcome.snapshot.issues_found.length > 0);

    const specs = toDiagnostics(outcome.snapshot.issues_found, SUBMISSION.split("\n").length);
    const evalLine = specs.find((spec) => spec.startLine === 5 && spec.level === "error");
    assert.ok(evalLine, `an error on the eval line (0-based 5): ${JSON.stringify(specs)}`);
    const unusedImport = specs.find((spec) => spec.startLine === 0);
    assert.ok(unusedImport && unusedImport.level !== "error", "the unused import is not an error");

    const markdown = reviewMarkdown(outcome);
    assert.match(markdown, /^# Review of `src\/auth\.py`/);
    assert.match(markdown, /## ❌ Not passed — score \d+%/);
    assert.match(markdown, /## Criteria/);
    assert.match(markdown, /\| ✅ \| Defines login \|/);
    assert.match(markdown, /src\/auth\.py:6/);
    assert.match(markdown, /## Feedback/);
    assert.equal(outcome.task?.status, "failed");
  });

  it("shows each test of the goal's test module and the coverage in the review", async () => {
    const tested = await api.createGoal({
      title: "Sum a basket",
      validation_criteria: { criteria: [{ check: "tests", framework: "pytest", code: BASKET_TESTS }] },
    });
    const task = await api.createTask({ goal_id: tested.id, title: "Write total()" });
    const outcome = await submitForReview(
      api,
      task.id,
      { path: "basket.py", content: "def total(prices):\n    return sum(prices) or -1\n" },
      { timeoutSeconds: 240, pollMilliseconds: 500 },
    );
    assert.equal(outcome.pending, false, "the review finished");
    const markdown = reviewMarkdown(outcome);
    assert.match(markdown, /\| ❌ \| Passes the goal's pytest tests: test_total_adds_prices, test_total_of_nothing_is_zero \|/);
    assert.match(markdown, /## Tests: 1 of 2 passed/);
    assert.match(markdown, /\| ✅ \| test_total_adds_prices \| {2}\|/);
    assert.match(markdown, /\| ❌ \| test_total_of_nothing_is_zero \| AssertionError: an empty basket costs nothing/);
    assert.match(markdown, /Coverage of `basket\.py` by the goal's tests: \*\*100%\*\*/);
  });

  it("forgets the remembered task once it can no longer take submissions", async () => {
    const memory = new TaskMemory(new MapStore());
    await memory.remember("docs/api.md", tasks[1].id);
    assert.equal(await rememberedOpenTask(api, memory, "docs/api.md"), undefined);
    assert.equal(memory.taskFor("docs/api.md"), undefined);
  });

  it("refreshes an expired access token with the refresh token, transparently", async () => {
    const current = await tokens.get();
    assert.ok(current);
    await tokens.set({ ...current, access_token: "expired.or.garbage" });
    assert.equal((await api.me()).username, "vera");
    const fresh = await tokens.get();
    assert.notEqual(fresh?.access_token, "expired.or.garbage");
    assert.notEqual(fresh?.refresh_token, current.refresh_token, "the refresh token rotated");
  });

  it("tells apart not found, invalid input, illegal transitions and an unreachable server", async () => {
    await assert.rejects(api.getTask("tsk_missing"), (error: ApiError) => error.kind === "not_found");
    await assert.rejects(
      api.createTask({ goal_id: goal.id, title: "" }),
      (error: ApiError) => error.kind === "validation" && error.fields.some((field) => field.field === "title"),
    );
    await assert.rejects(
      api.setTaskStatus(tasks[1].id, "in_progress"),
      (error: ApiError) => error.kind === "conflict" && /allowed/.test(error.message),
    );
    const nowhere = new ApiClient("http://127.0.0.1:9", tokens);
    await assert.rejects(nowhere.me(), (error: ApiError) => error.kind === "unreachable");
  });

  it("signs out: the tokens are forgotten and stop working", async () => {
    const before = await tokens.get();
    await api.logout();
    assert.equal(await api.isSignedIn(), false);
    await assert.rejects(api.me(), (error: ApiError) => error.kind === "unauthenticated");
    const stale = new ApiClient(backend.url, new MemoryTokenStore());
    if (before) await (stale as unknown as { tokens: MemoryTokenStore }).tokens.set(before);
    await assert.rejects(stale.me(), (error: ApiError) => error.kind === "unauthenticated");
  });
});
