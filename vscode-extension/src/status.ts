// The status bar's "current goal": the one you last worked on, else the first goal in progress.
import type { Goal } from "./api";
import { t } from "./l10n";
import { progressLabel } from "./tree";

export function currentGoal(goals: Goal[], lastGoalId?: string): Goal | undefined {
  return (
    goals.find((goal) => goal.id === lastGoalId) ??
    goals.find((goal) => goal.status === "in_progress") ??
    goals.find((goal) => goal.status === "pending")
  );
}

export function statusBarText(goal: Goal | undefined): string {
  if (!goal) return `$(target) ${t("No goal in progress")}`;
  return `$(target) ${truncate(goal.title, 30)} ${progressLabel(goal.progress_percentage, 8)}`;
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
