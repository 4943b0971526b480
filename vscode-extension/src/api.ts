// Typed client for the AI Goals Tracker REST API. No `vscode` import: tested under plain node.
import { t } from "./l10n";

export type TaskStatus = "todo" | "in_progress" | "in_review" | "completed" | "failed" | "skipped";
export type GoalStatus = "pending" | "in_progress" | "completed" | "blocked" | "cancelled";
export type CourseStatus = "draft" | "active" | "completed" | "archived";
export type Severity = "critical" | "major" | "minor" | "info";

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface User {
  id: string;
  username: string;
  email: string;
  full_name: string | null;
  metadata: Record<string, unknown>;
}

export interface Course {
  id: string;
  title: string;
  description: string | null;
  status: CourseStatus;
  progress_percentage: number;
}

export type Criterion = string | ({ check: string } & Record<string, unknown>);

export interface Goal {
  id: string;
  course_id: string | null;
  title: string;
  description: string | null;
  status: GoalStatus;
  priority: string;
  progress_percentage: number;
  ai_generated: boolean;
  validation_criteria: { criteria?: Criterion[] } & Record<string, unknown>;
}

export interface TestOutcome {
  name: string;
  status: "passed" | "failed" | "skipped";
  message: string | null;
}

export interface SuggestedTask {
  title: string;
  description: string | null;
  task_type: string;
  estimated_hours: number;
}

export interface SuggestedGoal {
  title: string;
  description: string | null;
  priority: string;
  due_date: string | null;
  estimated_hours: number;
  validation_criteria: { criteria?: Criterion[] };
  tasks: SuggestedTask[];
  catalog_key: string | null;
}

export interface Suggestions {
  course_id: string;
  source: "llm" | "catalog";
  language: "es" | "en";
  goals: SuggestedGoal[];
  /** Why fewer goals than asked for came back (or none), and how to get more. */
  notice: string | null;
  warnings: string[];
}

export interface CriterionResult {
  criterion: Criterion;
  status: "met" | "not_met" | "needs_human";
  evidence: string;
  /** The criterion in one line, as the server renders it. */
  label?: string;
  /** A test criterion that ran: each test's outcome, and the line coverage of the file. */
  tests?: TestOutcome[] | null;
  coverage?: number | null;
}

export interface ValidationResult {
  passed: boolean;
  score: number;
  summary?: string;
  criteria?: CriterionResult[];
}

export interface Task {
  id: string;
  goal_id: string;
  title: string;
  description: string | null;
  task_type: string;
  status: TaskStatus;
  priority: number;
  estimated_hours: number | null;
  validation_result: ValidationResult | null;
  ai_feedback: string | null;
}

export interface Finding {
  type?: string;
  severity: Severity;
  rule: string;
  message: string;
  file: string;
  start_line: number | null;
  end_line: number | null;
  suggestion: string | null;
}

export interface Snapshot {
  id: string;
  task_id: string | null;
  file_path: string;
  language: string | null;
  validation_passed: boolean | null;
  review_status?: "pending" | "passed" | "failed" | "not_reviewed" | "awaiting_judgement";
  review_reason?: string | null;
  awaiting_criteria?: { index: number; label: string; reason: string }[];
  validation_score: number | null;
  validation_feedback: string | null;
  issues_found: Finding[];
  metadata?: { test_coverage?: number | null } & Record<string, unknown>;
  created_at: string;
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

/** Where tokens live between calls: VS Code's SecretStorage in the editor, memory in tests. */
export interface TokenStore {
  get(): Promise<Tokens | undefined>;
  set(tokens: Tokens): Promise<void>;
  clear(): Promise<void>;
}

export class MemoryTokenStore implements TokenStore {
  private tokens: Tokens | undefined;
  async get(): Promise<Tokens | undefined> {
    return this.tokens;
  }
  async set(tokens: Tokens): Promise<void> {
    this.tokens = tokens;
  }
  async clear(): Promise<void> {
    this.tokens = undefined;
  }
}

export type ApiErrorKind = "unreachable" | "unauthenticated" | "not_found" | "validation" | "conflict" | "other";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly kind: ApiErrorKind,
    readonly status?: number,
    readonly fields: { field: string; message: string }[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const CLIENT_NAME = "vscode_extension";
export const MAX_WAIT_SECONDS = 30;

type Query = Record<string, string | number | undefined>;

interface RequestOptions {
  query?: Query;
  json?: unknown;
  form?: Record<string, string>;
  auth?: boolean;
}

export class ApiClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly tokens: TokenStore,
    private readonly fetchImpl: typeof fetch = fetch,
    /** Sent as Accept-Language: the server's messages before sign-in, or for a learner without a preference. */
    private readonly language?: string,
  ) {
    this.baseUrl = baseUrl.trim().replace(/\/+$/, "");
  }

  async health(): Promise<{ status: string }> {
    return this.call("GET", "/health", { auth: false }, false);
  }

  async login(username: string, password: string): Promise<User> {
    const pair = await this.call<Tokens>("POST", "/auth/login", { form: { username, password }, auth: false });
    await this.tokens.set({ access_token: pair.access_token, refresh_token: pair.refresh_token });
    return this.me();
  }

  async register(email: string, username: string, password: string): Promise<User> {
    return this.call("POST", "/auth/register", { json: { email, username, password }, auth: false });
  }

  async logout(): Promise<void> {
    try {
      if (await this.tokens.get()) await this.call("POST", "/auth/logout");
    } finally {
      await this.tokens.clear();
    }
  }

  async isSignedIn(): Promise<boolean> {
    return (await this.tokens.get()) !== undefined;
  }

  me(): Promise<User> {
    return this.call("GET", "/users/me");
  }

  listCourses(query: Query = {}): Promise<Page<Course>> {
    return this.call("GET", "/courses", { query: { limit: 200, ...query } });
  }

  createCourse(fields: Partial<Course> & { title: string }): Promise<Course> {
    return this.call("POST", "/courses", { json: fields });
  }

  listGoals(query: { course_id?: string; status?: string; limit?: number; offset?: number } = {}): Promise<Page<Goal>> {
    return this.call("GET", "/goals", { query: { limit: 200, ...query } });
  }

  getGoal(id: string): Promise<Goal> {
    return this.call("GET", `/goals/${encodeURIComponent(id)}`);
  }

  createGoal(fields: Record<string, unknown> & { title: string }): Promise<Goal> {
    return this.call("POST", "/goals", { json: fields });
  }

  suggestGoals(courseId: string, body: { count?: number; focus?: string; level?: string } = {}): Promise<Suggestions> {
    return this.call("POST", `/courses/${encodeURIComponent(courseId)}/goals/suggest`, { json: body });
  }

  acceptGoals(courseId: string, goals: SuggestedGoal[]): Promise<{ goals: Goal[] }> {
    return this.call("POST", `/courses/${encodeURIComponent(courseId)}/goals/accept`, { json: { goals } });
  }

  listTasks(query: { goal_id?: string; status?: string; limit?: number; offset?: number } = {}): Promise<Page<Task>> {
    return this.call("GET", "/tasks", { query: { limit: 200, ...query } });
  }

  getTask(id: string): Promise<Task> {
    return this.call("GET", `/tasks/${encodeURIComponent(id)}`);
  }

  createTask(fields: Record<string, unknown> & { goal_id: string; title: string }): Promise<Task> {
    return this.call("POST", "/tasks", { json: fields });
  }

  setTaskStatus(id: string, status: TaskStatus): Promise<Task> {
    return this.call("PATCH", `/tasks/${encodeURIComponent(id)}`, { json: { status } });
  }

  // The server takes the task to `status` through the legal path (POST /tasks/{id}/move).
  moveTask(id: string, status: TaskStatus): Promise<Task> {
    return this.call("POST", `/tasks/${encodeURIComponent(id)}/move`, { json: { status } });
  }

  submitSnapshot(
    taskId: string,
    body: { file_path: string; code_content: string; language?: string },
    waitSeconds = 0,
  ): Promise<Snapshot> {
    const query: Query = waitSeconds > 0 ? { wait: Math.min(MAX_WAIT_SECONDS, Math.floor(waitSeconds)) } : {};
    return this.call("POST", `/tasks/${encodeURIComponent(taskId)}/snapshots`, { json: body, query });
  }

  getSnapshot(id: string): Promise<Snapshot> {
    return this.call("GET", `/snapshots/${encodeURIComponent(id)}`);
  }

  private async call<T>(method: string, path: string, options: RequestOptions = {}, prefixed = true): Promise<T> {
    const auth = options.auth ?? true;
    let tokens = auth ? await this.tokens.get() : undefined;
    if (auth && !tokens) throw new ApiError(t("Not signed in: run “AI Goals Tracker: Sign in”."), "unauthenticated", 401);
    let response = await this.send(method, path, options, prefixed, tokens);
    if (response.status === 401 && auth && tokens) {
      tokens = await this.refresh(tokens);
      if (tokens) response = await this.send(method, path, options, prefixed, tokens);
    }
    if (!response.ok) throw await toError(response, auth);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** Trade the refresh token for a new pair; undefined (and signed out) when the session is over. */
  private async refresh(tokens: Tokens): Promise<Tokens | undefined> {
    const response = await this.send("POST", "/auth/refresh", { json: { refresh_token: tokens.refresh_token } }, true);
    if (!response.ok) {
      await this.tokens.clear();
      return undefined;
    }
    const pair = (await response.json()) as Tokens;
    const fresh = { access_token: pair.access_token, refresh_token: pair.refresh_token };
    await this.tokens.set(fresh);
    return fresh;
  }

  private async send(
    method: string,
    path: string,
    options: RequestOptions,
    prefixed: boolean,
    tokens?: Tokens,
  ): Promise<Response> {
    const url = new URL(`${this.baseUrl}${prefixed ? "/api/v1" : ""}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { "X-Client": CLIENT_NAME, Accept: "application/json" };
    if (this.language) headers["Accept-Language"] = this.language;
    if (tokens) headers.Authorization = `Bearer ${tokens.access_token}`;
    let body: string | undefined;
    if (options.form) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(options.form).toString();
    } else if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    try {
      return await this.fetchImpl(url, { method, headers, body });
    } catch (error) {
      throw new ApiError(
        t(
          "Cannot reach the AI Goals Tracker server at {0} ({1}). Is `aigt serve` running? Check the aiGoalsTracker.serverURL setting.",
          this.baseUrl,
          errorText(error),
        ),
        "unreachable",
      );
    }
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : error.message;
  }
  return String(error);
}

async function toError(response: Response, auth: boolean): Promise<ApiError> {
  let detail: unknown;
  try {
    detail = ((await response.json()) as { detail?: unknown }).detail;
  } catch {
    detail = undefined;
  }
  const text = typeof detail === "string" ? detail : "";
  switch (response.status) {
    case 401:
      return new ApiError(
        auth
          ? t("Your session has ended ({0}); sign in again.", text || t("unauthorized"))
          : text || t("Wrong username or password."),
        "unauthenticated",
        401,
      );
    case 404:
      return new ApiError(text || t("Not found"), "not_found", 404);
    case 409:
      return new ApiError(text || t("Conflict"), "conflict", 409);
    case 422: {
      const fields = Array.isArray(detail)
        ? detail.map((item: { loc?: unknown[]; msg?: string }) => ({
            field: (item.loc ?? []).slice(1).join(".") || "request",
            message: item.msg ?? "",
          }))
        : [];
      const summary = fields.map((f) => `${f.field}: ${f.message}`).join("; ") || text;
      return new ApiError(t("The server refused the input: {0}", summary), "validation", 422, fields);
    }
    default:
      return new ApiError(
        t("The server answered {0}: {1}", response.status, text || response.statusText),
        "other",
        response.status,
      );
  }
}
