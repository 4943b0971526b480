// The `vscode` glue: commands, the tree view, diagnostics, the review panel and the status bar.
// Everything with logic lives in modules without `vscode` (api, tree, diagnostics, submission…).
import * as path from "node:path";
import * as vscode from "vscode";
import { ApiClient, ApiError, type Task, type TokenStore, type Tokens } from "./api";
import { type DiagnosticLevel, toDiagnostics } from "./diagnostics";
import { english, fromBundle, learnerLanguage, loadBundle, t, type Translate, useTranslator } from "./l10n";
import { moveTask, type TaskAction } from "./lifecycle";
import { currentGoal, statusBarText } from "./status";
import { rememberedOpenTask, reviewMarkdown, submitForReview, TaskMemory, taskChoices } from "./submission";
import { suggestionChoices, suggestionsSummary } from "./suggestions";
import { statusLabel, TreeModel, type TreeNode } from "./tree";

const SECRET_KEY = "aiGoalsTracker.tokens";
const LAST_GOAL_KEY = "aiGoalsTracker.lastGoalId";

class SecretTokenStore implements TokenStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}
  async get(): Promise<Tokens | undefined> {
    const raw = await this.secrets.get(SECRET_KEY);
    return raw ? (JSON.parse(raw) as Tokens) : undefined;
  }
  async set(tokens: Tokens): Promise<void> {
    await this.secrets.store(SECRET_KEY, JSON.stringify(tokens));
  }
  async clear(): Promise<void> {
    await this.secrets.delete(SECRET_KEY);
  }
}

const SEVERITIES: Record<DiagnosticLevel, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

class GoalsTreeProvider implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly model: () => TreeModel) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const item = new vscode.TreeItem(
      node.label,
      node.collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.iconPath = new vscode.ThemeIcon(node.icon);
    item.contextValue = node.contextValue;
    return item;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    try {
      return await this.model().children(node);
    } catch (error) {
      if (error instanceof ApiError && error.kind === "unauthenticated") return [];
      void vscode.window.showErrorMessage(describe(error));
      return [];
    }
  }
}

/** The review's group: the second when the file is in the first (or in none), else the first. */
export function reviewColumn(fileColumn: vscode.ViewColumn | undefined): vscode.ViewColumn {
  return fileColumn === undefined || fileColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function activate(context: vscode.ExtensionContext): void {
  useTranslator((message, ...args) => vscode.l10n.t(message, ...args));
  const tokens = new SecretTokenStore(context.secrets);
  const memory = new TaskMemory(context.workspaceState);
  const diagnostics = vscode.languages.createDiagnosticCollection("aiGoalsTracker");
  const statusBar = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
  statusBar.command = "aiGoalsTracker.submitFile";
  statusBar.tooltip = t("AI Goals Tracker: current goal (click to submit the current file)");

  const settings = () => vscode.workspace.getConfiguration("aiGoalsTracker");
  const api = () =>
    new ApiClient(settings().get<string>("serverURL", "http://127.0.0.1:8000"), tokens, fetch, vscode.env.language);
  const tree = new GoalsTreeProvider(() => new TreeModel(api()));
  let panel: vscode.WebviewPanel | undefined;

  async function updateStatusBar(): Promise<void> {
    const client = api();
    if (!(await client.isSignedIn())) {
      statusBar.hide();
      return;
    }
    try {
      const goals = (await client.listGoals()).items;
      statusBar.text = statusBarText(currentGoal(goals, context.workspaceState.get<string>(LAST_GOAL_KEY)));
      statusBar.show();
    } catch {
      statusBar.hide();
    }
  }

  async function refreshAll(): Promise<void> {
    await vscode.commands.executeCommand("setContext", "aiGoalsTracker.signedIn", await api().isSignedIn());
    tree.refresh();
    await updateStatusBar();
  }

  async function guarded(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      const message = describe(error);
      if (error instanceof ApiError && error.kind === "unauthenticated") {
        const choice = await vscode.window.showErrorMessage(message, t("Sign in"));
        if (choice) await vscode.commands.executeCommand("aiGoalsTracker.signIn");
      } else {
        void vscode.window.showErrorMessage(message);
      }
    }
  }

  async function pickTask(remembered?: string): Promise<Task | undefined> {
    const client = api();
    const [tasks, goals] = await Promise.all([client.listTasks(), client.listGoals()]);
    const choices = taskChoices(tasks.items, goals.items, remembered);
    if (choices.length === 0) {
      void vscode.window.showInformationMessage(t("No open tasks: create goals and tasks first (aigt or the API)."));
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(choices, { placeHolder: t("Which task is this file for?") });
    return picked?.task;
  }

  async function taskAction(action: TaskAction, node?: TreeNode): Promise<void> {
    await guarded(async () => {
      const taskId = node?.kind === "task" ? node.id : (await pickTask())?.id;
      if (!taskId) return;
      const task = await moveTask(api(), taskId, action);
      await context.workspaceState.update(LAST_GOAL_KEY, task.goal_id);
      void vscode.window.showInformationMessage(`${task.title}: ${statusLabel(task.status)}`);
      await refreshAll();
    });
  }

  /** The review panel speaks the learner's language, as the review's own texts do; the editor's when unset. */
  async function learnersTranslator(): Promise<Translate> {
    const language = learnerLanguage((await api().me()).metadata);
    if (!language || language === vscode.env.language.split("-")[0]) return t;
    if (language === "en") return english;
    return fromBundle(loadBundle(context.extensionPath, language) ?? {});
  }

  /** Beside the submitted file, in the other of two editor groups: never a third group, never over the file. */
  function showReview(markdown: string, fileColumn: vscode.ViewColumn | undefined): void {
    const column = reviewColumn(fileColumn);
    if (!panel) {
      panel = vscode.window.createWebviewPanel("aiGoalsTracker.review", t("Review"), { viewColumn: column, preserveFocus: true }, {});
      panel.onDidDispose(() => (panel = undefined));
    }
    // The Markdown goes through VS Code's own renderer so the panel looks like any preview.
    void vscode.commands.executeCommand<string>("markdown.api.render", markdown).then((html) => {
      if (panel) panel.webview.html = `<!DOCTYPE html><html><body>${html}</body></html>`;
    });
    panel.reveal(column, true);
  }

  function closeReview(): void {
    panel?.dispose();
    panel = undefined;
  }

  async function submitFile(node?: TreeNode): Promise<void> {
    await guarded(async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) {
        void vscode.window.showWarningMessage(t("Open the file you want to submit first."));
        return;
      }
      const document = editor.document;
      const relative = vscode.workspace.asRelativePath(document.uri, false);
      const remembered = node?.kind === "task" ? undefined : await rememberedOpenTask(api(), memory, relative);
      const taskId = node?.kind === "task" ? node.id : (remembered?.id ?? (await pickTask())?.id);
      if (!taskId) return;
      await memory.remember(relative, taskId);
      const timeoutSeconds = settings().get<number>("reviewTimeoutSeconds", 120);
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: t("Reviewing {0}…", path.basename(relative)) },
        () => submitForReview(api(), taskId, { path: relative, content: document.getText() }, { timeoutSeconds }),
      );
      diagnostics.set(
        document.uri,
        toDiagnostics(outcome.snapshot.issues_found ?? [], document.lineCount).map((spec) => {
          const range = new vscode.Range(spec.startLine, 0, spec.endLine, document.lineAt(spec.endLine).text.length);
          const diagnostic = new vscode.Diagnostic(range, spec.message, SEVERITIES[spec.level]);
          diagnostic.source = spec.source;
          diagnostic.code = spec.code;
          return diagnostic;
        }),
      );
      if (outcome.task) await context.workspaceState.update(LAST_GOAL_KEY, outcome.task.goal_id);
      showReview(reviewMarkdown(outcome, await learnersTranslator()), editor.viewColumn);
      await refreshAll();
    });
  }

  async function pickCourse(): Promise<string | undefined> {
    const courses = (await api().listCourses()).items;
    if (courses.length === 0) {
      void vscode.window.showInformationMessage(t("No courses yet: create one first (aigt courses create)."));
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      courses.map((course) => ({ label: course.title, description: course.id, id: course.id })),
      { placeHolder: t("Suggest goals for which course?") },
    );
    return picked?.id;
  }

  async function suggestGoals(node?: TreeNode): Promise<void> {
    await guarded(async () => {
      const courseId = node?.kind === "course" ? node.id : await pickCourse();
      if (!courseId) return;
      const client = api();
      const suggestions = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: t("Suggesting goals…") },
        () => client.suggestGoals(courseId),
      );
      const summary = suggestionsSummary(suggestions);
      if (suggestions.goals.length === 0) {
        // Nothing fits: say so plainly, with how to get goals, instead of an empty picker.
        void vscode.window.showInformationMessage(summary);
        return;
      }
      if (suggestions.notice) void vscode.window.showInformationMessage(suggestions.notice);
      const picked = await vscode.window.showQuickPick(suggestionChoices(suggestions), {
        canPickMany: true,
        placeHolder: t("{0} Pick the goals to add.", summary),
        matchOnDetail: true,
      });
      if (!picked || picked.length === 0) return;
      const accepted = await client.acceptGoals(courseId, picked.map((choice) => choice.goal));
      const added = accepted.goals.length;
      void vscode.window.showInformationMessage(
        added === 1 ? t("Added 1 goal to the course.") : t("Added {0} goals to the course.", added),
      );
      await refreshAll();
    });
  }

  async function signIn(): Promise<void> {
    await guarded(async () => {
      const username = await vscode.window.showInputBox({ prompt: t("AI Goals Tracker username or email") });
      if (!username) return;
      const password = await vscode.window.showInputBox({ prompt: t("Password"), password: true });
      if (!password) return;
      const user = await api().login(username, password);
      void vscode.window.showInformationMessage(t("Signed in as {0}.", user.username));
      await refreshAll();
    });
  }

  async function signOut(): Promise<void> {
    await guarded(async () => {
      await api().logout();
      // Nothing of the learner who signed out stays on screen: diagnostics, review, tree, status bar.
      diagnostics.clear();
      closeReview();
      void vscode.window.showInformationMessage(t("Signed out of AI Goals Tracker."));
      await refreshAll();
    });
  }

  context.subscriptions.push(
    diagnostics,
    statusBar,
    vscode.window.registerTreeDataProvider("aiGoalsTracker.tree", tree),
    vscode.commands.registerCommand("aiGoalsTracker.signIn", signIn),
    vscode.commands.registerCommand("aiGoalsTracker.signOut", signOut),
    vscode.commands.registerCommand("aiGoalsTracker.refresh", refreshAll),
    vscode.commands.registerCommand("aiGoalsTracker.startTask", (node?: TreeNode) => taskAction("start", node)),
    vscode.commands.registerCommand("aiGoalsTracker.completeTask", (node?: TreeNode) => taskAction("complete", node)),
    vscode.commands.registerCommand("aiGoalsTracker.skipTask", (node?: TreeNode) => taskAction("skip", node)),
    vscode.commands.registerCommand("aiGoalsTracker.submitFile", submitFile),
    vscode.commands.registerCommand("aiGoalsTracker.suggestGoals", suggestGoals),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("aiGoalsTracker.serverURL")) void refreshAll();
    }),
  );
  void refreshAll();
}

export function deactivate(): void {}
