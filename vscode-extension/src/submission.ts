// "Submit current file for task…": remember the task per file, send the snapshot, wait for the
// review, and describe it in Markdown. No `vscode` import, so node's test runner drives it.
import {
  ApiError,
  MAX_WAIT_SECONDS,
  type ApiClient,
  type Criterion,
  type CriterionResult,
  type Goal,
  type Snapshot,
  type Task,
} from "./api";
import { t, type Translate } from "./l10n";
import { statusLabel } from "./tree";

/** The subset of VS Code's Memento used here (workspaceState satisfies it). */
export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

export class MapStore implements KeyValueStore {
  private readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.values.delete(key);
    else this.values.set(key, value);
  }
}

const MEMORY_KEY = "aiGoalsTracker.taskByFile";

/** Which task each workspace file was last submitted for, so the next submission skips the pick. */
export class TaskMemory {
  constructor(private readonly store: KeyValueStore) {}

  taskFor(file: string): string | undefined {
    return this.all()[file];
  }

  async remember(file: string, taskId: string): Promise<void> {
    await this.store.update(MEMORY_KEY, { ...this.all(), [file]: taskId });
  }

  async forget(file: string): Promise<void> {
    const { [file]: _dropped, ...rest } = this.all();
    await this.store.update(MEMORY_KEY, rest);
  }

  private all(): Record<string, string> {
    return this.store.get<Record<string, string>>(MEMORY_KEY) ?? {};
  }
}

/** The task remembered for `file` while it can still take a submission; forgotten otherwise. */
export async function rememberedOpenTask(api: ApiClient, memory: TaskMemory, file: string): Promise<Task | undefined> {
  const taskId = memory.taskFor(file);
  if (!taskId) return undefined;
  try {
    const task = await api.getTask(taskId);
    if (task.status !== "completed" && task.status !== "skipped") return task;
  } catch (error) {
    if (!(error instanceof ApiError && error.kind === "not_found")) throw error;
  }
  await memory.forget(file);
  return undefined;
}

export interface TaskChoice {
  task: Task;
  label: string;
  description: string;
}

/** Tasks one can submit code for, the remembered one first. */
export function taskChoices(tasks: Task[], goals: Goal[], rememberedId?: string): TaskChoice[] {
  const goalTitles = new Map(goals.map((goal) => [goal.id, goal.title]));
  return tasks
    .filter((task) => task.status !== "completed" && task.status !== "skipped")
    .sort((a, b) => Number(b.id === rememberedId) - Number(a.id === rememberedId) || b.priority - a.priority)
    .map((task) => ({
      task,
      label: task.title,
      description: `${goalTitles.get(task.goal_id) ?? task.goal_id} · ${statusLabel(task.status)}`,
    }));
}

export interface ReviewOutcome {
  snapshot: Snapshot;
  task: Task | undefined;
  goal: Goal | undefined;
  pending: boolean;
}

export interface SubmitOptions {
  timeoutSeconds: number;
  pollMilliseconds?: number;
  sleep?: (ms: number) => Promise<void>;
  onPending?: (snapshot: Snapshot) => void;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function isPending(snapshot: Snapshot): boolean {
  return (snapshot.review_status ?? (snapshot.validation_passed === null ? "pending" : "")) === "pending";
}

/** Send the file, let the server hold the answer up to 30 s (`?wait`), then poll until reviewed. */
export async function submitForReview(
  api: ApiClient,
  taskId: string,
  file: { path: string; content: string },
  options: SubmitOptions,
): Promise<ReviewOutcome> {
  const sleep = options.sleep ?? delay;
  const started = Date.now();
  const deadline = started + options.timeoutSeconds * 1000;
  let snapshot = await api.submitSnapshot(
    taskId,
    { file_path: file.path, code_content: file.content },
    Math.min(MAX_WAIT_SECONDS, options.timeoutSeconds),
  );
  while (isPending(snapshot) && Date.now() < deadline) {
    options.onPending?.(snapshot);
    await sleep(options.pollMilliseconds ?? 1000);
    snapshot = await api.getSnapshot(snapshot.id);
  }
  const task = snapshot.task_id ? await api.getTask(snapshot.task_id) : undefined;
  const goal = task ? await api.getGoal(task.goal_id) : undefined;
  return { snapshot, task, goal, pending: isPending(snapshot) };
}

function criterionText(criterion: Criterion): string {
  if (typeof criterion === "string") return criterion;
  const { check, ...rest } = criterion;
  const details = Object.entries(rest)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(", ");
  return `${check}(${details})`;
}

const CRITERION_MARKS = { met: "✅", not_met: "❌", needs_human: "❔" } as const;
const TEST_MARKS = { passed: "✅", failed: "❌", skipped: "➖" } as const;

/** Each test of the review's test criteria, then the coverage of the file by them. */
export function testsMarkdown(
  criteria: CriterionResult[],
  coverage: number | null | undefined,
  file: string,
  tr: Translate = t,
): string[] {
  const lines: string[] = [];
  for (const result of criteria) {
    const tests = result.tests ?? [];
    if (tests.length === 0) continue;
    const passed = tests.filter((test) => test.status === "passed").length;
    lines.push(
      `## ${tr("Tests: {0} of {1} passed", passed, tests.length)}`,
      "",
      `| | ${tr("Test")} | ${tr("Message")} |`,
      "|---|---|---|",
    );
    for (const test of tests) {
      lines.push(`| ${TEST_MARKS[test.status] ?? "·"} | ${cell(test.name)} | ${cell(test.message ?? "")} |`);
    }
    lines.push("");
  }
  if (coverage !== null && coverage !== undefined) {
    lines.push(tr("Coverage of `{0}` by the goal's tests: **{1}%**", file, Math.round(coverage * 100)), "");
  }
  return lines;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** The review panel, in `tr`'s language: the extension passes the learner's, like the review's own texts. */
export function reviewMarkdown(outcome: ReviewOutcome, tr: Translate = t): string {
  const { snapshot, task, goal } = outcome;
  const lines: string[] = [`# ${tr("Review of `{0}`", snapshot.file_path)}`, ""];
  if (task) lines.push(tr("Task **{0}** ({1}) — now *{2}*", task.title, task.id, statusLabel(task.status, tr)), "");
  if (outcome.pending) {
    lines.push(`⏳ ${tr("The review is still running. Run the submit command again later, or refresh.")}`);
    return lines.join("\n");
  }
  if (snapshot.review_status === "not_reviewed") {
    lines.push(`## ⚠️ ${tr("Not reviewed")}`, "", snapshot.review_reason ?? "", "");
    lines.push(tr("Nothing was decided about this file. Submit it again to get a verdict."));
    return lines.join("\n");
  }
  if (snapshot.review_status === "awaiting_judgement") {
    // Nothing failed, but some criteria were decided by nobody: the learner (or the goal's owner) confirms them.
    lines.push(`## ⏸️ ${tr("Awaiting your judgement")}`, "", snapshot.review_reason ?? "", "");
    for (const waiting of snapshot.awaiting_criteria ?? []) lines.push(`- ${waiting.label}: ${waiting.reason}`);
    lines.push("", tr("Confirm or reject each of them on the dashboard's review page, or with `aigt judge`."), "");
  } else {
    const score = Math.round((snapshot.validation_score ?? 0) * 100);
    const verdict = snapshot.validation_passed ? `✅ ${tr("Passed")}` : `❌ ${tr("Not passed")}`;
    lines.push(`## ${tr("{0} — score {1}%", verdict, score)}`, "");
  }
  const criteria = task?.validation_result?.criteria ?? [];
  if (criteria.length > 0) {
    lines.push(`## ${tr("Criteria")}`, "", `| | ${tr("Criterion")} | ${tr("Evidence")} |`, "|---|---|---|");
    for (const result of criteria) {
      const mark = CRITERION_MARKS[result.status] ?? "·";
      const label = result.label || criterionText(result.criterion);
      lines.push(`| ${mark} | ${cell(label)} | ${cell(result.evidence ?? "")} |`);
    }
    lines.push("");
  }
  lines.push(...testsMarkdown(criteria, snapshot.metadata?.test_coverage, snapshot.file_path, tr));
  const findings = snapshot.issues_found ?? [];
  lines.push(`## ${tr("Findings ({0})", findings.length)}`, "");
  if (findings.length > 0) {
    lines.push(
      `| ${tr("Severity")} | ${tr("Where")} | ${tr("Rule")} | ${tr("Message")} |`,
      "|---|---|---|---|",
    );
    for (const finding of findings) {
      const where = finding.start_line ? `${finding.file}:${finding.start_line}` : finding.file;
      const suggestion = finding.suggestion ? ` → ${finding.suggestion}` : "";
      const severity = severityLabel(finding.severity, tr);
      lines.push(`| ${severity} | ${cell(where)} | ${cell(finding.rule)} | ${cell(finding.message + suggestion)} |`);
    }
    lines.push("");
  }
  if (snapshot.validation_feedback) lines.push(`## ${tr("Feedback")}`, "", snapshot.validation_feedback, "");
  if (goal) lines.push(tr("Goal **{0}**: {1}% done", goal.title, Math.round(goal.progress_percentage)));
  return lines.join("\n");
}

function severityLabel(severity: string, tr: Translate): string {
  const labels: Record<string, string> = {
    critical: tr("critical"),
    major: tr("major"),
    minor: tr("minor"),
    info: tr("info"),
  };
  return labels[severity] ?? severity;
}
