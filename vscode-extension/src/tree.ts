// The tree of courses → goals → tasks as plain nodes; the `vscode` glue renders them as TreeItems.
import type { ApiClient, Course, Goal, GoalStatus, Task, TaskStatus } from "./api";
import { t, type Translate } from "./l10n";

export type NodeKind = "course" | "goal" | "task" | "no-course";

export interface TreeNode {
  kind: NodeKind;
  id: string;
  label: string;
  description: string;
  /** A codicon id (https://code.visualstudio.com/api/references/icons-in-labels). */
  icon: string;
  /** Drives which context-menu commands apply (`task:todo`, `goal`, …). */
  contextValue: string;
  collapsible: boolean;
  tooltip: string;
}

const TASK_ICONS: Record<TaskStatus, string> = {
  todo: "circle-large-outline",
  in_progress: "play-circle",
  in_review: "loading",
  completed: "pass-filled",
  failed: "error",
  skipped: "debug-step-over",
};

const GOAL_ICONS: Record<GoalStatus, string> = {
  pending: "target",
  in_progress: "play-circle",
  completed: "pass-filled",
  blocked: "warning",
  cancelled: "circle-slash",
};

export function progressLabel(percentage: number, width = 10): string {
  const value = Math.max(0, Math.min(100, percentage));
  const filled = Math.round((value / 100) * width);
  return `${"█".repeat(filled)}${"░".repeat(width - filled)} ${Math.round(value)}%`;
}

/** A status as a learner reads it ("in progress", "en curso"); the API's value is what commands send. */
export function statusLabel(status: string, tr: Translate = t): string {
  const labels: Record<string, string> = {
    todo: tr("to do"),
    in_progress: tr("in progress"),
    in_review: tr("in review"),
    completed: tr("completed"),
    failed: tr("failed"),
    skipped: tr("skipped"),
    pending: tr("pending"),
    blocked: tr("blocked"),
    cancelled: tr("cancelled"),
    draft: tr("draft"),
    active: tr("active"),
    archived: tr("archived"),
  };
  return labels[status] ?? tr("unknown");
}

/** A task type as a learner reads it ("code", "código"), never the API's value. */
export function taskTypeLabel(taskType: string, tr: Translate = t): string {
  const labels: Record<string, string> = {
    code: tr("code"),
    documentation: tr("documentation"),
    testing: tr("testing"),
    research: tr("research"),
    review: tr("review"),
    deployment: tr("deployment"),
    other: tr("other"),
  };
  return labels[taskType] ?? tr("other");
}

export function priorityLabel(priority: string): string {
  const labels: Record<string, string> = { low: t("low"), medium: t("medium"), high: t("high"), urgent: t("urgent") };
  return labels[priority] ?? t("unknown");
}

export function courseNode(course: Course): TreeNode {
  return {
    kind: "course",
    id: course.id,
    label: course.title,
    description: progressLabel(course.progress_percentage),
    icon: course.status === "completed" ? "pass-filled" : "mortar-board",
    contextValue: "course",
    collapsible: true,
    tooltip: t("{0} — {1}, {2}% done", course.title, statusLabel(course.status), Math.round(course.progress_percentage)),
  };
}

export function goalNode(goal: Goal): TreeNode {
  return {
    kind: "goal",
    id: goal.id,
    label: goal.title,
    description: progressLabel(goal.progress_percentage),
    icon: GOAL_ICONS[goal.status] ?? "target",
    contextValue: "goal",
    collapsible: true,
    tooltip: goal.ai_generated
      ? t("{0} — {1}, priority {2}, suggested by AI", goal.title, statusLabel(goal.status), priorityLabel(goal.priority))
      : t("{0} — {1}, priority {2}", goal.title, statusLabel(goal.status), priorityLabel(goal.priority)),
  };
}

export function taskNode(task: Task): TreeNode {
  const score = task.validation_result ? t(" · score {0}%", Math.round(task.validation_result.score * 100)) : "";
  return {
    kind: "task",
    id: task.id,
    label: task.title,
    description: `${statusLabel(task.status)}${score}`,
    icon: TASK_ICONS[task.status] ?? "circle-large-outline",
    contextValue: `task:${task.status}`,
    collapsible: false,
    tooltip: t("{0} ({1}) — {2}", task.title, taskTypeLabel(task.task_type), statusLabel(task.status)),
  };
}

export const NO_COURSE_ID = "__no_course__";

/** Loads each level on demand, as a tree view expands. */
export class TreeModel {
  constructor(private readonly api: ApiClient) {}

  async children(parent?: TreeNode): Promise<TreeNode[]> {
    if (!parent) return this.roots();
    if (parent.kind === "course") {
      const goals = await this.api.listGoals({ course_id: parent.id });
      return goals.items.map(goalNode);
    }
    if (parent.kind === "no-course") {
      const goals = await this.allGoals();
      return goals.filter((goal) => goal.course_id === null).map(goalNode);
    }
    if (parent.kind === "goal") {
      const tasks = await this.api.listTasks({ goal_id: parent.id });
      return [...tasks.items].sort(byPriority).map(taskNode);
    }
    return [];
  }

  private async roots(): Promise<TreeNode[]> {
    const [courses, goals] = await Promise.all([this.api.listCourses(), this.allGoals()]);
    const nodes = courses.items.map(courseNode);
    if (goals.some((goal) => goal.course_id === null)) {
      nodes.push({
        kind: "no-course",
        id: NO_COURSE_ID,
        label: t("Goals without a course"),
        description: "",
        icon: "folder",
        contextValue: "no-course",
        collapsible: true,
        tooltip: t("Goals you set outside any course"),
      });
    }
    return nodes;
  }

  private async allGoals(): Promise<Goal[]> {
    return (await this.api.listGoals()).items;
  }
}

function byPriority(a: Task, b: Task): number {
  return b.priority - a.priority;
}
