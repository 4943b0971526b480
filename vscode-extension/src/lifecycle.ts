// Start, complete and skip a task: the server walks it to the target status through the legal
// steps, in one request (and one transaction), an event per step.
import type { ApiClient, Task, TaskStatus } from "./api";

export type TaskAction = "start" | "complete" | "skip";

const TARGETS: Record<TaskAction, TaskStatus> = {
  start: "in_progress",
  complete: "completed",
  skip: "skipped",
};

export function moveTask(api: ApiClient, taskId: string, action: TaskAction): Promise<Task> {
  return api.moveTask(taskId, TARGETS[action]);
}
