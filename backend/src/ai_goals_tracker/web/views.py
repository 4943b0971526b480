"""What the templates show, worked out from the stored rows: review states, criteria, code lines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ai_goals_tracker.models import CodeSnapshot, Task
from ai_goals_tracker.models.enums import TaskStatus, TaskType
from ai_goals_tracker.review.criteria import describe
from ai_goals_tracker.review.models import stored_judge


def task_actions(task: Task) -> list[str]:
    """The buttons a task shows. The rules themselves are the lifecycle's: a button whose change is
    illegal from here answers with the API's 409 message. A code task is completed by a passing
    review (docs/lifecycle.md), so it offers no "Complete" button (`submits_code` offers the form)."""
    if task.status is TaskStatus.COMPLETED:
        return []
    if task.status is TaskStatus.SKIPPED:
        return [TaskStatus.TODO.value]
    offered = (TaskStatus.IN_PROGRESS, TaskStatus.SKIPPED) if submits_code(task) else _OPEN_TASK_STEPS
    return [status.value for status in offered if status != task.status]


_OPEN_TASK_STEPS = (TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED, TaskStatus.SKIPPED)


def submits_code(task: Task) -> bool:
    """Whether the task is finished by submitting code for review, and still open for it."""
    return task.task_type is TaskType.CODE and task.status not in (TaskStatus.COMPLETED, TaskStatus.SKIPPED)


def review_decided_by(task: Task) -> str | None:
    """Who decided the task's last review, for its badge: "learner" or "owner" when a person judged one
    of its criteria, "check" when the review's checks (and model) decided it alone, "waiting" while
    criteria wait for a person; None without a review or while one runs."""
    result = task.validation_result if isinstance(task.validation_result, dict) else {}
    if result.get("status") == "awaiting_judgement":
        return "waiting" if task.status is TaskStatus.IN_REVIEW else None
    if not isinstance(result.get("passed"), bool):
        return None
    criteria = result.get("criteria")
    judges = {c.get("judged_by") for c in criteria if isinstance(c, dict)} if isinstance(criteria, list) else set()
    return "learner" if "learner" in judges else "owner" if "owner" in judges else "check"


ReviewState = Literal["passed", "failed", "pending", "awaiting_judgement", "not_reviewed"]


def review_state(snapshot: CodeSnapshot) -> ReviewState:
    """Passed or failed once a verdict is stored. Without one, a review that has finished (its record
    is in the metadata) either waits for a person to judge some criteria or could not judge the code:
    "not reviewed"; otherwise it is still running."""
    if snapshot.validation_passed is not None:
        return "passed" if snapshot.validation_passed else "failed"
    if snapshot.awaiting_judgement:
        return "awaiting_judgement"
    review = snapshot.meta.get("review") if isinstance(snapshot.meta, dict) else None
    return "not_reviewed" if isinstance(review, dict) and review.get("validated_at") else "pending"


@dataclass(frozen=True)
class CriterionRow:
    text: str
    status: str | None
    evidence: str | None = None
    # Who decided it: "check" (analyzers, tests), "llm", or a person ("learner", "owner"); None if nobody.
    judged_by: str | None = None
    note: str | None = None
    # Where a waiting criterion is judged: its snapshot and position in that review.
    judge_at: tuple[str, int] | None = None

    @property
    def shown_status(self) -> str:
        """The badge: a criterion nobody decided waits only while its review does; otherwise it stays undecided."""
        if self.status is None:
            return "unchecked"
        if self.status == "needs_human" and self.judge_at is None:
            return "undecided"
        return self.status

    @property
    def decided_by(self) -> str | None:
        """The label's key: checked, judged by the model, or confirmed/rejected by a person."""
        if self.status in (None, "needs_human") or self.judged_by is None:
            return None
        if self.judged_by in ("learner", "owner"):
            return f"{self.judged_by}.{self.status}"
        return self.judged_by


def _row(text: str, outcome: dict[str, Any] | None, snapshot_id: str | None, index: int | None) -> CriterionRow:
    if outcome is None:
        return CriterionRow(text=text, status=None)
    status = str(outcome.get("status"))
    judged_by = stored_judge(outcome.get("judged_by", "check"))
    waiting = status == "needs_human" and snapshot_id is not None and index is not None
    return CriterionRow(
        text=text,
        status=status,
        evidence=str(outcome.get("evidence") or ""),
        judged_by=None if status == "needs_human" or not isinstance(judged_by, str) else judged_by,
        note=outcome.get("note") if isinstance(outcome.get("note"), str) else None,
        judge_at=(snapshot_id, index) if waiting and snapshot_id is not None and index is not None else None,
    )


def _key(criterion: object) -> str:
    return json.dumps(criterion, sort_keys=True, ensure_ascii=False)


def goal_criteria(validation_criteria: dict[str, Any], tasks: Sequence[Task]) -> list[CriterionRow]:
    """Each criterion of a goal with the status its latest review among the goal's tasks gave it."""
    criteria = validation_criteria.get("criteria", [])
    if not isinstance(criteria, list):
        return []
    reviewed = [t for t in tasks if isinstance(t.validation_result, dict)]
    reviewed.sort(key=lambda task: str((task.validation_result or {}).get("validated_at", "")))
    # criterion -> (its latest outcome, where to judge it while its review waits for a person)
    last: dict[str, tuple[dict[str, Any], str | None, int]] = {}
    for task in reviewed:
        result = task.validation_result or {}
        waits = result.get("status") == "awaiting_judgement" and task.status is TaskStatus.IN_REVIEW
        snapshot_id = result.get("snapshot_id") if waits and isinstance(result.get("snapshot_id"), str) else None
        for index, outcome in enumerate(result.get("criteria", [])):
            if isinstance(outcome, dict):
                last[_key(outcome.get("criterion"))] = (outcome, snapshot_id, index)
    rows = []
    for criterion in criteria:
        if not isinstance(criterion, str | dict):
            continue
        found = last.get(_key(criterion))
        if found is None:
            rows.append(_row(describe(criterion), None, None, None))
        else:
            rows.append(_row(describe(criterion), *found))
    return rows


def snapshot_criteria(snapshot: CodeSnapshot) -> list[CriterionRow]:
    review = snapshot.meta.get("review") if isinstance(snapshot.meta, dict) else None
    outcomes = review.get("criteria", []) if isinstance(review, dict) else []
    waits = snapshot.id if snapshot.awaiting_judgement else None
    return [
        _row(str(o.get("label") or describe(o.get("criterion", ""))), o, waits, index)
        for index, o in enumerate(outcomes)
        if isinstance(o, dict)
    ]


@dataclass
class CodeLine:
    number: int
    text: str
    findings: list[int] = field(default_factory=list)
    worst: str | None = None


@dataclass(frozen=True)
class FindingView:
    index: int
    severity: str
    category: str
    message: str
    suggestion: str | None
    rule: str
    start_line: int | None
    end_line: int | None


_SEVERITY_RANK = {"info": 0, "minor": 1, "major": 2, "critical": 3}


def findings(issues: Sequence[dict[str, Any]]) -> list[FindingView]:
    views = []
    for index, issue in enumerate(issues, start=1):
        start = issue.get("start_line")
        end = issue.get("end_line")
        views.append(
            FindingView(
                index=index,
                severity=str(issue.get("severity", "info")),
                category=str(issue.get("category", "")),
                message=str(issue.get("message", "")),
                suggestion=issue.get("suggestion"),
                rule=str(issue.get("rule", "")),
                start_line=start if isinstance(start, int) else None,
                end_line=end if isinstance(end, int) else (start if isinstance(start, int) else None),
            )
        )
    return views


def code_lines(code: str, views: Sequence[FindingView]) -> list[CodeLine]:
    """The code by line, each marked with the findings that report it and the worst of their severities."""
    lines = [CodeLine(number=n, text=text) for n, text in enumerate(code.splitlines() or [""], start=1)]
    for view in views:
        if view.start_line is None:
            continue
        last = min(max(view.end_line or view.start_line, view.start_line), len(lines))
        for number in range(max(view.start_line, 1), last + 1):
            line = lines[number - 1]
            line.findings.append(view.index)
            if line.worst is None or _SEVERITY_RANK.get(view.severity, 0) > _SEVERITY_RANK.get(line.worst, 0):
                line.worst = view.severity
    return lines
