"""Suggesting goals for a course and saving the ones the learner accepts.

With an LLM configured the plan is written for the learner (their course, level, pace and focus,
in their language) and validated against `Plan`; any failure falls back to the offline catalog,
so suggesting never fails because a provider did. Nothing is saved until acceptance.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

import numpy as np
from openai.types.chat import ChatCompletionMessageParam
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.ai.embeddings import EmbeddingProvider, entity_text
from ai_goals_tracker.ai.llm import LLMClient, LLMError
from ai_goals_tracker.config import Settings
from ai_goals_tracker.db.engine import end_reads
from ai_goals_tracker.events.recorder import record_raw
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.goals import service as goals_service
from ai_goals_tracker.goals.schemas import GoalCreate, GoalRead
from ai_goals_tracker.models import Course, Goal, User
from ai_goals_tracker.models.enums import EventType
from ai_goals_tracker.planning.schemas import (
    Accepted,
    AcceptedGoal,
    AcceptRequest,
    Plan,
    PlannedGoal,
    Source,
    SuggestedGoal,
    SuggestedTask,
    Suggestions,
    SuggestRequest,
)
from ai_goals_tracker.search import repository as embeddings
from ai_goals_tracker.search.catalog import CatalogGoal, Locale, localize, resolve_locale
from ai_goals_tracker.search.catalog_match import SAME_GOAL_SIMILARITY, as_matrix, catalog_vectors
from ai_goals_tracker.search.upkeep import entity_fields
from ai_goals_tracker.tasks import service as tasks_service
from ai_goals_tracker.tasks.schemas import TaskCreate, TaskRead

logger = logging.getLogger(__name__)

# Goals compared against when skipping what the learner already has; older ones rarely matter.
MAX_OWN_GOALS = 500
# Shared technologies are a stronger signal than short names are to a sentence encoder: a goal
# about Docker should not outrank one about FastAPI for a FastAPI course because the wording is close.
TECHNOLOGY_BONUS = 0.04
MAX_TECHNOLOGY_BONUS = 0.12
LEVEL_BONUS = 0.05
_LEVEL_RANK = {"beginner": 0, "intermediate": 1, "advanced": 2}
_LANGUAGE_NAMES = {"es": "Spanish (español)", "en": "English"}


def user_language(user: User) -> Locale:
    preferences = user.meta.get("preferences") if isinstance(user.meta, dict) else None
    language = preferences.get("language") if isinstance(preferences, dict) else None
    return resolve_locale(language if isinstance(language, str) else None)


def technologies(course: Course) -> list[str]:
    value = course.meta.get("technologies") if isinstance(course.meta, dict) else None
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    return []


# Due dates ----------------------------------------------------------------------------------------


def _end_of_day(day: Any) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def schedule(hours: Sequence[float], request: SuggestRequest, now: datetime) -> tuple[int, list[datetime | None]]:
    """How many goals fit, and the due date of each, working through them in order.

    A weekly pace places each goal when its cumulative hours are done; a deadline alone spreads
    the goals over the time left in proportion to their hours. With both, goals that would start
    after the deadline are left out (the first one always stays) and due dates stop at the deadline.
    """
    deadline = _end_of_day(request.deadline) if request.deadline is not None else None
    if request.hours_per_week is None and deadline is None:
        return len(hours), [None] * len(hours)
    total = sum(hours) or 1.0
    due: list[datetime | None] = []
    done = 0.0
    for index, goal_hours in enumerate(hours):
        if request.hours_per_week is not None:
            if deadline is not None and index > 0 and now + timedelta(weeks=done / request.hours_per_week) >= deadline:
                return index, due
            done += goal_hours
            moment = now + timedelta(weeks=done / request.hours_per_week)
            if deadline is not None:
                moment = min(moment, deadline)
        else:
            assert deadline is not None
            done += goal_hours
            moment = now + (deadline - now) * (done / total)
        due.append(moment.replace(microsecond=0))
    return len(hours), due


# Offline: the catalog -----------------------------------------------------------------------------


async def _own_goal_vectors(session: AsyncSession, provider: EmbeddingProvider, user_id: str) -> np.ndarray[Any, Any]:
    """Vectors of the learner's goals: stored ones, and the rest (not embedded yet) computed now."""
    stored = await embeddings.stored_vectors(session, user_id, "goal", provider.model)
    goals = list(
        await session.scalars(
            select(Goal).where(Goal.user_id == user_id).order_by(Goal.created_at.desc()).limit(MAX_OWN_GOALS)
        )
    )
    missing: list[str] = []
    for goal in goals:
        texts = entity_text("goal", entity_fields(goal)) if goal.id not in stored else []
        if texts:
            missing.append(texts[0])
    vectors = list(stored.values()) + (await provider.embed(missing) if missing else [])
    return as_matrix(vectors)


async def _owned_catalog_keys(session: AsyncSession, user_id: str) -> set[str]:
    keys = await session.scalars(
        select(Goal.meta["catalog_key"].astext).where(Goal.user_id == user_id, Goal.meta.has_key("catalog_key"))
    )
    return {key for key in keys if key}


def _rank_adjustment(goal: CatalogGoal, course_technologies: set[str], request: SuggestRequest) -> float:
    shared = len(course_technologies & {tech.lower() for tech in goal.technologies})
    bonus = min(shared * TECHNOLOGY_BONUS, MAX_TECHNOLOGY_BONUS)
    if request.level is not None:
        distance = abs(_LEVEL_RANK[goal.level] - _LEVEL_RANK[request.level])
        bonus += LEVEL_BONUS if distance == 0 else -LEVEL_BONUS * distance
    return bonus


def course_query(course: Course, focus: str | None) -> str:
    parts = entity_text("course", entity_fields(course))
    if focus:
        # The learner's own words say most about what they want: they lead the query.
        parts = [focus, *parts]
    return "\n".join(parts)


async def choose_from_catalog(
    session: AsyncSession, provider: EmbeddingProvider, user: User, course: Course, request: SuggestRequest
) -> list[CatalogGoal]:
    """The catalog goals closest to the course, minus those the learner already has, easiest first."""
    await end_reads(session)
    vectors = await catalog_vectors(provider)
    [query] = await provider.embed([course_query(course, request.focus)])
    course_technologies = {tech.lower() for tech in technologies(course)}
    scores = vectors.relevance(query) + np.array(
        [_rank_adjustment(goal, course_technologies, request) for goal in vectors.goals], dtype=np.float32
    )
    owned = vectors.closest_owned(await _own_goal_vectors(session, provider, user.id))
    owned_keys = await _owned_catalog_keys(session, user.id)
    chosen: list[tuple[float, CatalogGoal]] = []
    for index in np.argsort(-scores):
        goal = vectors.goals[int(index)]
        if goal.key in owned_keys or owned[int(index)] >= SAME_GOAL_SIMILARITY:
            continue
        chosen.append((float(scores[int(index)]), goal))
        if len(chosen) == request.count:
            break
    # A plan reads in the order it is worked through: foundations first, then by relevance.
    chosen.sort(key=lambda item: (_LEVEL_RANK[item[1].level], -item[0]))
    return [goal for _, goal in chosen]


def _from_catalog(goal: CatalogGoal, locale: Locale, due_date: datetime | None) -> SuggestedGoal:
    localized = localize(goal, locale)
    return SuggestedGoal(
        title=localized["title"],
        description=localized["description"],
        priority=localized["priority"],
        due_date=due_date,
        estimated_hours=goal.estimated_hours,
        validation_criteria=localized["validation_criteria"],
        tasks=[SuggestedTask.model_validate(task) for task in localized["tasks"]],
        catalog_key=goal.key,
    )


async def _catalog_suggestions(
    session: AsyncSession,
    provider: EmbeddingProvider,
    user: User,
    course: Course,
    request: SuggestRequest,
    locale: Locale,
) -> list[SuggestedGoal]:
    goals = await choose_from_catalog(session, provider, user, course, request)
    fitting, due = schedule([goal.estimated_hours for goal in goals], request, datetime.now(UTC))
    return [_from_catalog(goal, locale, due_date) for goal, due_date in zip(goals[:fitting], due, strict=True)]


# With an LLM --------------------------------------------------------------------------------------


def plan_messages(
    course: Course, request: SuggestRequest, locale: Locale, existing_titles: Sequence[str]
) -> list[ChatCompletionMessageParam]:
    language = _LANGUAGE_NAMES[locale]
    system = (
        "You plan learning goals for a developer who learns by building. Write every title, description, "
        f"criterion and task in {language}. Each goal is one concrete, verifiable outcome that fits the course. "
        "`criteria` are 2-5 sentences a reviewer can check in the learner's code or repository. `checks` are "
        "0-4 checks run automatically on the submitted code, each one of: "
        '{"check": "defines", "name": <function or class>}, {"check": "imports", "module": <module>}, '
        '{"check": "regex", "pattern": <Python regular expression>}, {"check": "max_complexity", "value": <int>}, '
        '{"check": "no_findings", "severity": "info"|"minor"|"major"|"critical"}. '
        "Every goal has 3-8 tasks in the order to do them, each with a task_type (code, documentation, testing, "
        "research, review, deployment, other) and realistic estimated_hours for this learner. "
        "Do not repeat goals the learner already has. Order the goals as they should be worked through."
    )
    brief: dict[str, Any] = {
        "course": {
            "title": course.title,
            "description": course.description,
            "technologies": technologies(course),
        },
        "goals_wanted": request.count,
        "learner_level": request.level,
        "hours_per_week": request.hours_per_week,
        "deadline": request.deadline.isoformat() if request.deadline else None,
        "focus": request.focus,
        "existing_goals": list(existing_titles),
    }
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": json.dumps(brief, ensure_ascii=False)},
    ]


def _from_plan(goal: PlannedGoal, due_date: datetime | None) -> SuggestedGoal:
    criteria: list[Any] = [line.strip() for line in goal.criteria if line.strip()]
    criteria += [check.model_dump() for check in goal.checks]
    return SuggestedGoal(
        title=goal.title.strip(),
        description=goal.description.strip() or None,
        priority=goal.priority,
        due_date=due_date,
        estimated_hours=round(sum(task.estimated_hours for task in goal.tasks), 2),
        validation_criteria={"criteria": criteria},
        tasks=[
            SuggestedTask(
                title=task.title.strip(),
                description=task.description.strip() or None,
                task_type=task.task_type,
                estimated_hours=task.estimated_hours,
            )
            for task in goal.tasks
        ],
    )


async def _llm_suggestions(
    session: AsyncSession, client: LLMClient, user: User, course: Course, request: SuggestRequest, locale: Locale
) -> list[SuggestedGoal]:
    titles = list(
        await session.scalars(
            select(Goal.title).where(Goal.user_id == user.id).order_by(Goal.created_at.desc()).limit(100)
        )
    )
    await end_reads(session)
    plan = await client.complete_structured(plan_messages(course, request, locale, titles), Plan)
    goals = plan.goals[: request.count]
    fitting, due = schedule(
        [sum(task.estimated_hours for task in goal.tasks) for goal in goals], request, datetime.now(UTC)
    )
    return [_from_plan(goal, due_date) for goal, due_date in zip(goals[:fitting], due, strict=True)]


async def suggest(
    session: AsyncSession,
    settings: Settings,
    provider: EmbeddingProvider,
    user: User,
    course: Course,
    request: SuggestRequest,
    context: ChangeContext,
) -> Suggestions:
    locale = user_language(user)
    source: Source = "catalog"
    warnings: list[str] = []
    goals: list[SuggestedGoal] | None = None
    client = LLMClient.from_settings(settings)
    if client is not None:
        try:
            goals = await _llm_suggestions(session, client, user, course, request, locale)
            source = "llm"
        except LLMError as exc:
            logger.warning("Goal planning fell back to the catalog: %s", exc)
            warnings.append(f"The AI planner was unavailable ({exc}); these goals come from the offline catalog.")
        finally:
            await client.aclose()
    if goals is None:
        goals = await _catalog_suggestions(session, provider, user, course, request, locale)
    suggestions = Suggestions(course_id=course.id, source=source, language=locale, goals=goals, warnings=warnings)
    await record_raw(
        session,
        EventType.AI_GOAL_SUGGESTED,
        entity_type="course",
        entity_id=course.id,
        payload={"request": request.model_dump(mode="json"), **suggestions.model_dump(mode="json")},
        context=context,
        user_id=user.id,
    )
    return suggestions


async def accept(
    session: AsyncSession, user: User, course: Course, request: AcceptRequest, context: ChangeContext
) -> Accepted:
    """Save the chosen goals in the course with their tasks (`ai_generated`), each with its events."""
    accepted: list[AcceptedGoal] = []
    for choice in request.goals:
        metadata = {"catalog_key": choice.catalog_key} if choice.catalog_key else {}
        goal = await goals_service.create(
            session,
            user,
            GoalCreate(
                title=choice.title,
                description=choice.description,
                course_id=course.id,
                priority=choice.priority,
                validation_criteria=choice.validation_criteria,
                due_date=choice.due_date,
                metadata=metadata,
            ),
            context,
            ai_generated=True,
        )
        tasks = []
        for position, chosen in enumerate(choice.tasks):
            tasks.append(
                await tasks_service.create(
                    session,
                    user,
                    TaskCreate(
                        goal_id=goal.id,
                        title=chosen.title,
                        description=chosen.description,
                        task_type=chosen.task_type,
                        # Higher is more important: the first task of the plan comes first.
                        priority=len(choice.tasks) - position,
                        estimated_hours=chosen.estimated_hours,
                    ),
                    context,
                )
            )
        await session.refresh(goal)
        accepted.append(
            AcceptedGoal(
                **GoalRead.model_validate(goal).model_dump(),
                tasks=[TaskRead.model_validate(task) for task in tasks],
            )
        )
    return Accepted(goals=accepted)
