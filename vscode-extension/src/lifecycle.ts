// Start, complete and skip a task through the server's legal status changes.
import type { ApiClient, Task, TaskStatus } from "./api";

// The task lifecycle on the server allows one step at a time; "complete" means "all the way".
const ROAD_TO_COMPLETED: Record<TaskStatus, TaskStatus[]> = {
  todo: ["in_progress", "in_review", "completed"],
  in_progress: ["in_review", "completed"],
  in_review: ["completed"],
  failed: ["in_progress", "in_review", "completed"],
  skipped: ["todo", "in_progress", "in_review", "completed"],
  completed: [],
};

const ROAD_TO_STARTED: Record<TaskStatus, TaskStatus[]> = {
  todo: ["in_progress"],
  in_progress: [],
  in_review: [],
  failed: ["in_progress"],
  skipped: ["todo", "in_progress"],
  completed: [],
};

export type TaskAction = "start" | "complete" | "skip";

export function roadFor(action: TaskAction, status: TaskStatus): TaskStatus[] {
  if (action === "complete") return ROAD_TO_COMPLETED[status];
  if (action === "start") return ROAD_TO_STARTED[status];
  return status === "skipped" || status === "completed" ? [] : ["skipped"];
}

export async function moveTask(api: ApiClient, taskId: string, action: TaskAction): Promise<Task> {
  let task = await api.getTask(taskId);
  for (const status of roadFor(action, task.status)) {
    task = await api.setTaskStatus(taskId, status);
  }
  return task;
}
