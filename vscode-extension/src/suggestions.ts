// How goal suggestions are presented: pure functions, tested without VS Code.
import type { Criterion, SuggestedGoal, Suggestions } from "./api";

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
    const tests = testCount(criteria) > 0 ? " · checked by tests" : "";
    return {
      label: goal.title,
      description: `${goal.priority} · ~${goal.estimated_hours} h · ${goal.tasks.length} tasks${tests}`,
      detail: goal.description ?? "",
      goal,
    };
  });
}

/** What to tell the learner before they pick: how many goals and from where, and the notice when fewer fit. */
export function suggestionsSummary(suggestions: Suggestions): string {
  const count = suggestions.goals.length;
  const source = suggestions.source === "llm" ? "planned by the configured LLM" : "from the offline catalog";
  const head = count > 0 ? `${count} suggested goal${count === 1 ? "" : "s"}, ${source}.` : "";
  return [head, ...suggestions.warnings, suggestions.notice ?? ""].filter((part) => part).join(" ");
}
