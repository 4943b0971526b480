"""Offline feedback: markdown composed from this submission's findings and criteria, localized."""

from __future__ import annotations

from collections.abc import Sequence

from ai_goals_tracker.review.criteria import describe
from ai_goals_tracker.review.i18n import text
from ai_goals_tracker.review.models import (
    Category,
    CriterionResult,
    CriterionStatus,
    Finding,
    FindingType,
    Locale,
    ReviewOutcome,
    Severity,
)
from ai_goals_tracker.review.scoring import awaiting_judgement, blocking_findings

_STATUS_MARK = {CriterionStatus.MET: "✅", CriterionStatus.NOT_MET: "❌", CriterionStatus.NEEDS_HUMAN: "👀"}
_SEVERITY_ORDER = (Severity.CRITICAL, Severity.MAJOR, Severity.MINOR, Severity.INFO)


def compose_feedback(
    findings: Sequence[Finding],
    criteria: Sequence[CriterionResult],
    notes: Sequence[str],
    locale: Locale,
    max_per_severity: int,
) -> str:
    sections = [
        _went_well(findings, locale),
        _fix_first(findings, locale, max_per_severity),
        *(_by_severity(findings, severity, locale, max_per_severity) for severity in _SEVERITY_ORDER),
        _criteria(criteria, locale),
        _limits(findings, notes, locale),
    ]
    return "\n\n".join(section for section in sections if section)


def compose_summary(
    findings: Sequence[Finding],
    criteria: Sequence[CriterionResult],
    score: float,
    outcome: ReviewOutcome,
    locale: Locale,
) -> str:
    decided = [c for c in criteria if c.status is not CriterionStatus.NEEDS_HUMAN]
    met = sum(c.status is CriterionStatus.MET for c in decided)
    criteria_part = (
        text("summary.criteria", locale, met=met, total=len(decided))
        if decided
        else text("summary.no-criteria", locale)
    )
    comments = [f for f in findings if f.type is not FindingType.CELEBRATORY and f.category is not Category.LIMITS]
    essential = len(blocking_findings(comments))
    issues_part = text("summary.issues", locale, essential=essential, other=len(comments) - essential)
    judged = sum(c.judged_by_person for c in criteria)
    judged_part = f" {text('summary.judged', locale, judged=judged)}" if judged else ""
    waiting = awaiting_judgement(criteria)
    if outcome is ReviewOutcome.AWAITING_JUDGEMENT and waiting:
        labels = "; ".join(c.label or describe(c.criterion) for c in waiting)
        summary = text(
            "summary.awaiting",
            locale,
            score=score,
            criteria=criteria_part,
            issues=issues_part,
            waiting=len(waiting),
            labels=labels,
        )
        return summary + judged_part
    key = "summary.passed" if outcome is ReviewOutcome.PASSED else "summary.failed"
    return text(key, locale, score=score, criteria=criteria_part, issues=issues_part) + judged_part


def _went_well(findings: Sequence[Finding], locale: Locale) -> str:
    praise = [f"- {f.message}" for f in findings if f.type is FindingType.CELEBRATORY]
    return _section(f"✅ {text('went-well', locale)}", praise)


def _fix_first(findings: Sequence[Finding], locale: Locale, limit: int) -> str:
    essential = [f for f in blocking_findings(findings) if f.type is not FindingType.CELEBRATORY]
    return _section(f"🔴 {text('fix-first', locale)}", _bullets(essential, locale, limit, text("fix-first", locale)))


def _by_severity(findings: Sequence[Finding], severity: Severity, locale: Locale, limit: int) -> str:
    blocking = {id(f) for f in blocking_findings(findings)}
    rest = [
        f
        for f in findings
        if f.severity is severity
        and id(f) not in blocking
        and f.type is not FindingType.CELEBRATORY
        and f.category is not Category.LIMITS
    ]
    label = text(f"severity.{severity.value}", locale)
    return _section(label, _bullets(rest, locale, limit, label))


def _bullets(findings: Sequence[Finding], locale: Locale, limit: int, label: str) -> list[str]:
    lines = [_bullet(finding, locale) for finding in findings[:limit]]
    if len(findings) > limit:
        lines.append(f"- _{text('omitted', locale, count=len(findings) - limit, label=label.lower())}_")
    return lines


def _bullet(finding: Finding, locale: Locale) -> str:
    where = _where(finding, locale)
    hint = f" — {finding.suggestion}" if finding.suggestion else ""
    prefix = f"**{where}** (`{finding.rule}`): " if where else f"(`{finding.rule}`): "
    return f"- {prefix}{finding.message}{hint}"


def _where(finding: Finding, locale: Locale) -> str:
    if finding.start_line is None:
        return ""
    end = finding.end_line or finding.start_line
    if end == finding.start_line:
        return text("line", locale, line=finding.start_line)
    return text("lines", locale, start=finding.start_line, end=end)


def _criteria(criteria: Sequence[CriterionResult], locale: Locale) -> str:
    lines = [
        # The label is already in the learner's language; a result from before labels existed has none.
        f"- {_STATUS_MARK[c.status]} {c.label or describe(c.criterion)} — "
        f"{text(f'status.{c.status.value}', locale)}: {c.evidence}"
        for c in criteria
    ]
    return _section(text("criteria", locale), lines)


def _limits(findings: Sequence[Finding], notes: Sequence[str], locale: Locale) -> str:
    lines = [f"- {note}" for note in notes]
    lines += [f"- {f.message}" for f in findings if f.category is Category.LIMITS]
    return _section(text("limits", locale), lines)


def _section(title: str, lines: Sequence[str]) -> str:
    if not lines:
        return ""
    return f"### {title}\n" + "\n".join(lines)
