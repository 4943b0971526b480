"""Feedback memory: noticing that a learner keeps making the same mistake, and what to practise.

A finding recurs when one of the learner's earlier snapshots has a finding with the same rule, or
(for rules that differ between analyzers, and LLM findings) a message close in meaning. The note
names how many times it has happened and suggests the catalog goal that addresses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.ai.embeddings import EmbeddingProvider, OfflineEmbeddings
from ai_goals_tracker.models import CodeSnapshot
from ai_goals_tracker.review.models import Finding, FindingType, Locale, Severity
from ai_goals_tracker.search.catalog import CatalogGoal
from ai_goals_tracker.search.catalog_match import as_matrix, catalog_vectors

# Earlier snapshots looked at: recent habits matter, and the lookup stays bounded for prolific users.
HISTORY_SNAPSHOTS = 200
MAX_EARLIER_MESSAGES = 100
# Two finding messages this close describe the same problem in other words or the other language.
# Measured with the offline model on the review's messages: one message and its translation score
# 0.70, a paraphrase 0.77, while messages about different problems stay below 0.40.
SAME_PROBLEM_SIMILARITY = 0.65
_WORTH_REMEMBERING = frozenset({FindingType.ESSENTIAL, FindingType.ACTIONABLE})
# Where in the catalog the practice for each kind of finding lives.
_AREAS_BY_CATEGORY: dict[str, frozenset[str]] = {
    "security": frozenset({"security"}),
    "complexity": frozenset({"python", "algorithms"}),
    "bug": frozenset({"python", "testing"}),
    "style": frozenset({"python"}),
    "syntax": frozenset({"python"}),
}
_ORDINALS: dict[Locale, dict[int, str]] = {
    "en": {
        2: "second",
        3: "third",
        4: "fourth",
        5: "fifth",
        6: "sixth",
        7: "seventh",
        8: "eighth",
        9: "ninth",
        10: "tenth",
    },
    "es": {
        2: "segunda",
        3: "tercera",
        4: "cuarta",
        5: "quinta",
        6: "sexta",
        7: "séptima",
        8: "octava",
        9: "novena",
        10: "décima",
    },
}


@dataclass(frozen=True)
class Recurrence:
    finding: Finding
    times: int
    """Occurrences including this one."""


def ordinal(times: int, locale: Locale) -> str:
    word = _ORDINALS[locale].get(times)
    if word is not None:
        return word
    return f"{times}.ª" if locale == "es" else f"{times}th"


def _short(message: str, limit: int = 140) -> str:
    first = message.split(". ")[0].rstrip(".")
    return first if len(first) <= limit else first[: limit - 1] + "…"


def note_text(recurrence: Recurrence, goal: CatalogGoal | None, locale: Locale) -> str:
    nth = ordinal(recurrence.times, locale)
    problem = _short(recurrence.finding.message)
    if locale == "es":
        note = f"Error recurrente: es la {nth} vez que aparece en tus entregas ({problem})."
        if goal is not None:
            note += f" Para practicarlo, te sugerimos el objetivo «{goal.title.es}»."
        return note
    note = f"Recurring mistake: this is the {nth} time this shows up in your submissions ({problem})."
    if goal is not None:
        note += f' To practise it, try the goal "{goal.title.en}".'
    return note


def _as_finding(value: Finding | Mapping[str, Any]) -> Finding | None:
    if isinstance(value, Finding):
        return value
    try:
        return Finding.model_validate(value)
    except ValueError:
        return None


async def _earlier_issues(
    session: AsyncSession, user_id: str, exclude_snapshot_id: str | None
) -> list[tuple[str, list[dict[str, Any]]]]:
    query = (
        select(CodeSnapshot.id, CodeSnapshot.issues_found)
        .where(CodeSnapshot.user_id == user_id, CodeSnapshot.validation_passed.is_not(None))
        .order_by(CodeSnapshot.created_at.desc())
        .limit(HISTORY_SNAPSHOTS)
    )
    if exclude_snapshot_id is not None:
        query = query.where(CodeSnapshot.id != exclude_snapshot_id)
    rows = await session.execute(query)
    return [(snapshot_id, [i for i in issues if isinstance(i, dict)]) for snapshot_id, issues in rows]


async def _by_meaning(
    provider: EmbeddingProvider, current: Sequence[Finding], history: list[tuple[str, list[dict[str, Any]]]]
) -> dict[int, set[str]]:
    """For each current finding (by position), the earlier snapshots with a message of the same meaning."""
    earlier: dict[str, set[str]] = {}
    for snapshot_id, issues in history:
        for issue in issues:
            message = issue.get("message")
            if isinstance(message, str) and message and (message in earlier or len(earlier) < MAX_EARLIER_MESSAGES):
                earlier.setdefault(message, set()).add(snapshot_id)
    if not earlier or not current:
        return {}
    messages = list(earlier)
    vectors = as_matrix(await provider.embed([finding.message for finding in current] + messages))
    similarity = vectors[: len(current)] @ vectors[len(current) :].T
    matches: dict[int, set[str]] = {}
    for position in range(len(current)):
        for column in np.nonzero(similarity[position] >= SAME_PROBLEM_SIMILARITY)[0]:
            matches.setdefault(position, set()).update(earlier[messages[int(column)]])
    return matches


async def _practice_goal(provider: EmbeddingProvider, finding: Finding) -> CatalogGoal | None:
    vectors = await catalog_vectors(provider)
    [query] = await provider.embed([" ".join(part for part in (finding.message, finding.suggestion) if part)])
    scores = vectors.relevance(query)
    areas = _AREAS_BY_CATEGORY.get(str(finding.category))
    candidates = [i for i, goal in enumerate(vectors.goals) if areas is None or goal.area in areas]
    if not candidates:
        return None
    best = max(candidates, key=lambda index: float(scores[index]))
    return vectors.goals[best]


async def find_recurrence(
    session: AsyncSession,
    user_id: str,
    findings: Sequence[Finding | Mapping[str, Any]],
    *,
    exclude_snapshot_id: str | None = None,
    provider: EmbeddingProvider | None = None,
) -> Recurrence | None:
    """The current finding seen in the most earlier snapshots, if any was seen before."""
    current = [
        finding
        for finding in map(_as_finding, findings)
        if finding is not None and finding.type in _WORTH_REMEMBERING and finding.severity is not Severity.INFO
    ]
    if not current:
        return None
    history = await _earlier_issues(session, user_id, exclude_snapshot_id)
    if not history:
        return None
    seen: dict[int, set[str]] = {}
    for position, finding in enumerate(current):
        snapshots = {
            snapshot_id for snapshot_id, issues in history if any(i.get("rule") == finding.rule for i in issues)
        }
        if snapshots:
            seen[position] = snapshots
    unmatched = [position for position in range(len(current)) if position not in seen]
    if unmatched:
        meaning = await _by_meaning(provider or OfflineEmbeddings(), [current[p] for p in unmatched], history)
        for index, snapshots in meaning.items():
            seen[unmatched[index]] = snapshots
    if not seen:
        return None
    # The most frequent wins; among equals, the most severe.
    position = max(seen, key=lambda p: (len(seen[p]), current[p].severity.rank))
    return Recurrence(finding=current[position], times=len(seen[position]) + 1)


async def recurring_mistakes(
    session: AsyncSession,
    user_id: str,
    findings: Sequence[Finding | Mapping[str, Any]],
    locale: Locale,
    *,
    exclude_snapshot_id: str | None = None,
    provider: EmbeddingProvider | None = None,
) -> str | None:
    """A note for the feedback when a mistake in `findings` already appeared in earlier snapshots."""
    embedder = provider or OfflineEmbeddings()
    recurrence = await find_recurrence(
        session, user_id, findings, exclude_snapshot_id=exclude_snapshot_id, provider=embedder
    )
    if recurrence is None:
        return None
    return note_text(recurrence, await _practice_goal(embedder, recurrence.finding), locale)
