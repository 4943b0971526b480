// Pure mappings, no server needed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Finding, Goal } from "../src/api";
import { levelFor, toDiagnostics } from "../src/diagnostics";
import { currentGoal, statusBarText } from "../src/status";
import { MapStore, TaskMemory, testsMarkdown } from "../src/submission";
import { suggestionChoices, suggestionsSummary } from "../src/suggestions";
import { progressLabel } from "../src/tree";

const finding = (overrides: Partial<Finding>): Finding => ({
  severity: "minor",
  rule: "unused-import",
  message: "os is imported but never used",
  file: "app.py",
  start_line: 3,
  end_line: 3,
  suggestion: null,
  ...overrides,
});

describe("diagnostics mapping", () => {
  it("maps critical and major to errors, minor to warnings, info to information", () => {
    assert.deepEqual(
      ["critical", "major", "minor", "info", "unheard-of"].map(levelFor),
      ["error", "error", "warning", "information", "hint"],
    );
  });

  it("turns one-based API lines into zero-based editor lines and adds the suggestion", () => {
    const [spec] = toDiagnostics([finding({ start_line: 4, end_line: 6, suggestion: "Remove it" })], 10);
    assert.equal(spec.startLine, 3);
    assert.equal(spec.endLine, 5);
    assert.equal(spec.message, "os is imported but never used\n→ Remove it");
    assert.equal(spec.code, "unused-import");
  });

  it("puts file-level findings on the first line and keeps lines inside the document", () => {
    const specs = toDiagnostics(
      [finding({ start_line: null, end_line: null }), finding({ start_line: 40, end_line: 45 })],
      12,
    );
    assert.deepEqual(
      specs.map((s) => [s.startLine, s.endLine]),
      [
        [0, 0],
        [11, 11],
      ],
    );
  });
});

describe("status bar and task memory", () => {
  const goal = (id: string, status: Goal["status"], progress: number): Goal => ({
    id,
    course_id: null,
    title: `Goal ${id}`,
    description: null,
    status,
    priority: "medium",
    progress_percentage: progress,
    ai_generated: false,
    validation_criteria: {},
  });

  it("shows the goal last worked on, else the first in progress", () => {
    const goals = [goal("a", "pending", 0), goal("b", "in_progress", 50), goal("c", "in_progress", 10)];
    assert.equal(currentGoal(goals)?.id, "b");
    assert.equal(currentGoal(goals, "c")?.id, "c");
    assert.equal(statusBarText(goals[1]), `$(target) Goal b ${progressLabel(50, 8)}`);
    assert.equal(progressLabel(50, 8), "████░░░░ 50%");
    assert.equal(statusBarText(undefined), "$(target) No goal in progress");
  });

  it("remembers a task per file and forgets it on request", async () => {
    const memory = new TaskMemory(new MapStore());
    await memory.remember("src/a.py", "tsk_1");
    await memory.remember("src/b.py", "tsk_2");
    assert.equal(memory.taskFor("src/a.py"), "tsk_1");
    await memory.forget("src/a.py");
    assert.equal(memory.taskFor("src/a.py"), undefined);
    assert.equal(memory.taskFor("src/b.py"), "tsk_2");
  });
});

describe("test criteria in the review panel", () => {
  it("lists each test with its message, escapes table cells, and gives the coverage", () => {
    const lines = testsMarkdown(
      [
        { criterion: "Totals add up", status: "needs_human", evidence: "" },
        {
          criterion: { check: "tests", framework: "pytest", code: "..." },
          status: "not_met",
          evidence: "1 of 2 test(s) fail",
          tests: [
            { name: "test_sum", status: "passed", message: null },
            { name: "test_empty", status: "failed", message: "assert a | b\nwhere" },
          ],
          coverage: 0.5,
        },
      ],
      0.5,
      "cart.py",
    );
    assert.deepEqual(lines, [
      "## Tests: 1 of 2 passed",
      "",
      "| | Test | Message |",
      "|---|---|---|",
      "| ✅ | test_sum |  |",
      "| ❌ | test_empty | assert a \\| b where |",
      "",
      "Coverage of `cart.py` by the goal's tests: **50%**",
      "",
    ]);
    assert.deepEqual(testsMarkdown([], null, "cart.py"), []);
  });
});

describe("goal suggestions", () => {
  const notice =
    "Only 1 of the 3 goals you asked for fit this course: the offline catalog has nothing closer. " +
    "For goals written for this course, configure an LLM (AIGT_LLM_BASE_URL and AIGT_LLM_MODEL) or write your own (aigt goals create).";
  const goal = {
    title: "React from scratch: components, props and state with useReducer",
    description: "Build a cart.",
    priority: "high",
    due_date: null,
    estimated_hours: 6,
    validation_criteria: { criteria: ["The reducer is pure", { check: "tests", framework: "node", code: "test()" }] },
    tasks: [{ title: "Learn React", description: null, task_type: "research", estimated_hours: 2 }],
    catalog_key: "react-state-usereducer-cart",
  };

  it("shows the notice when fewer goals fit than were asked for", () => {
    const summary = suggestionsSummary({
      course_id: "crs_1", source: "catalog", language: "en", goals: [goal], notice, warnings: [],
    });
    assert.equal(summary, `1 suggested goal, from the offline catalog. ${notice}`);
  });

  it("says only the notice when nothing fits", () => {
    const none = "The offline catalog has no goals close enough to this course. For goals written for this course, ...";
    const summary = suggestionsSummary({
      course_id: "crs_1", source: "catalog", language: "en", goals: [], notice: none, warnings: [],
    });
    assert.equal(summary, none);
  });

  it("lists each goal with its priority, hours, tasks and whether tests check it", () => {
    const [choice] = suggestionChoices({
      course_id: "crs_1", source: "catalog", language: "en", goals: [goal], notice: null, warnings: [],
    });
    assert.equal(choice.label, goal.title);
    assert.equal(choice.description, "high · ~6 h · 1 task · checked by tests");
    assert.equal(choice.goal, goal);
  });
});
