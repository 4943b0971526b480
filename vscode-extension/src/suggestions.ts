// How goal suggestions are presented: pure functions, tested without VS Code.
import type { Criterion, SuggestedGoal, Suggestions } from "./api";
import { t } from "./l10n";
import { priorityLabel } from "./tree";

export interface SuggestionChoice {
  label: string;
  description: string;
  detail: string;
  goal: SuggestedGoal;
}

function testCount(criteria: Criterion[]): number {
  return criteria.filter((criterion) => typeof criterion === "object" && criterion.check === "tests").length;
}

/** One QuickPick entry per suggested goal: title, then priority, hours and tasks, then what checks it. */
export function suggestionChoices(suggestions: Suggestions): SuggestionChoice[] {
  return suggestions.goals.map((goal) => {
    const criteria = goal.validation_criteria.criteria ?? [];
    const tests = testCount(criteria) > 0 ? t(" · checked by tests") : "";
    const tasks = goal.tasks.length === 1 ? t("1 task") : t("{0} tasks", goal.tasks.length);
    return {
      label: goal.title,
      description: `${priorityLabel(goal.priority)} · ~${goal.estimated_hours} h · ${tasks}${tests}`,
      detail: goal.description ?? "",
      goal,
    };
  });
}

/** What to tell the learner before they pick: how many goals and from where, and the notice when fewer fit. */
export function suggestionsSummary(suggestions: Suggestions): string {
  const count = suggestions.goals.length;
  const fromLlm = suggestions.source === "llm";
  let head = "";
  if (count === 1) head = fromLlm ? t("1 suggested goal, planned by the configured LLM.") : t("1 suggested goal, from the offline catalog.");
  else if (count > 1)
    head = fromLlm
      ? t("{0} suggested goals, planned by the configured LLM.", count)
      : t("{0} suggested goals, from the offline catalog.", count);
  return [head, ...suggestions.warnings, suggestions.notice ?? ""].filter((part) => part).join(" ");
}
