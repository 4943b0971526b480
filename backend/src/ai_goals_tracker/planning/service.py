"""Suggesting goals for a course and saving the ones the learner accepts.

Offline, goals come from the catalog, and only those relevant to the course (at or above the
calibrated threshold): when fewer fit than were asked for, fewer come back with a notice saying so.
With an LLM configured the plan is written for the learner (their course, level, pace and focus,
in their language), grounded on the closest catalog goals and validated against `Plan`; any
failure falls back to the catalog with a warning event, so suggesting never fails because a
provider did. Suggestions are in the learner's preferred language, else in the course's own.
Nothing is saved until acceptance.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from ai_goals_tracker.ai.answers import useless_text
from ai_goals_tracker.ai.embeddings import EmbeddingProvider, entity_text
from ai_goals_tracker.ai.llm import LLMClient, LLMError, LLMInvalidOutput
from ai_goals_tracker.config import Settings
from ai_goals_tracker.db.engine import end_reads
from ai_goals_tracker.events.recorder import record_raw
from ai_goals_tracker.events.types import ChangeContext
from ai_goals_tracker.goals import service as goals_service
from ai_goals_tracker.goals.schemas import GoalCreate, GoalRead
from ai_goals_tracker.models import Course, User
from ai_goals_tracker.models.enums import EventType
from ai_goals_tracker.planning import repository
from ai_goals_tracker.planning.relevance import calibration, detect_locale, relevance_scores
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
from ai_goals_tracker.search.catalog import DEFAULT_LOCALE, CatalogGoal, Locale, localize, resolve_locale
from ai_goals_tracker.search.catalog_match import SAME_GOAL_SIMILARITY, as_matrix, catalog_vectors
from ai_goals_tracker.search.upkeep import entity_fields
from ai_goals_tracker.tasks import service as tasks_service
from ai_goals_tracker.tasks.schemas import TaskCreate, TaskRead

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam

logger = logging.getLogger(__name__)

# Goals compared against when skipping what the learner already has; older ones rarely matter.
MAX_OWN_GOALS = 500
# The LLM sees this many of the closest relevant catalog goals as examples of shape and scope.
GROUNDING_GOALS = 5
# Among relevant goals, those at the learner's level come first; relevance itself is not changed.
LEVEL_BONUS = 0.05
_LEVEL_RANK = {"beginner": 0, "intermediate": 1, "advanced": 2}
_LANGUAGE_NAMES = {"es": "Spanish (español)", "en": "English"}


def user_language(user: User) -> Locale | None:
    """The learner's preferred language, if they chose one."""
    preferences = user.meta.get("preferences") if isinstance(user.meta, dict) else None
    language = preferences.get("language") if isinstance(preferences, dict) else None
    return resolve_locale(language) if isinstance(language, str) and language.strip() else None


def suggestion_language(user: User, course: Course) -> Locale:
    """The learner's preferred language; without one, the language the course is written in."""
    chosen = user_language(user)
    if chosen is not None:
        return chosen
    return detect_locale(f"{course.title}\n{course.description or ''}") or DEFAULT_LOCALE


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
    goals = await repository.recent_goals(session, user_id, MAX_OWN_GOALS)
    missing: list[str] = []
    for goal in goals:
        texts = entity_text("goal", entity_fields(goal)) if goal.id not in stored else []
        if texts:
            missing.append(texts[0])
    vectors = list(stored.values()) + (await provider.embed(missing) if missing else [])
    return as_matrix(vectors)


def _level_adjustment(goal: CatalogGoal, request: SuggestRequest) -> float:
    if request.level is None:
        return 0.0
    distance = abs(_LEVEL_RANK[goal.level] - _LEVEL_RANK[request.level])
    return LEVEL_BONUS if distance == 0 else -LEVEL_BONUS * distance


def course_query(course: Course, focus: str | None) -> str:
    parts = entity_text("course", entity_fields(course))
    if focus:
        # The learner's own words say most about what they want: they lead the query.
        parts = [focus, *parts]
    return "\n".join(parts)


async def relevant_catalog_goals(
    session: AsyncSession, provider: EmbeddingProvider, user: User, course: Course, request: SuggestRequest
) -> list[CatalogGoal]:
    """Catalog goals relevant to the course that the learner does not have yet, best first.

    Relevant means at or above the threshold calibrated for this embedding model; the learner's
    level reorders them but never lets an irrelevant goal in.
    """
    await end_reads(session)
    vectors = await catalog_vectors(provider)
    query = course_query(course, request.focus)
    [query_vector] = await provider.embed([query])
    relevance = relevance_scores(vectors, query_vector, query, technologies(course))
    threshold = calibration(provider.model).threshold
    owned = vectors.closest_owned(await _own_goal_vectors(session, provider, user.id))
    owned_keys = await repository.owned_catalog_keys(session, user.id)
    ranked: list[tuple[float, CatalogGoal]] = []
    for index, goal in enumerate(vectors.goals):
        if relevance[index] < threshold or goal.key in owned_keys or owned[index] >= SAME_GOAL_SIMILARITY:
            continue
        ranked.append((float(relevance[index]) + _level_adjustment(goal, request), goal))
    ranked.sort(key=lambda item: -item[0])
    return [goal for _, goal in ranked]


def in_working_order(goals: Sequence[CatalogGoal]) -> list[CatalogGoal]:
    """A plan reads in the order it is worked through: foundations first, then by relevance."""
    return sorted(goals, key=lambda goal: _LEVEL_RANK[goal.level])


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


def _catalog_suggestions(
    relevant: Sequence[CatalogGoal], request: SuggestRequest, locale: Locale
) -> list[SuggestedGoal]:
    goals = in_working_order(relevant[: request.count])
    fitting, due = schedule([goal.estimated_hours for goal in goals], request, datetime.now(UTC))
    return [_from_catalog(goal, locale, due_date) for goal, due_date in zip(goals[:fitting], due, strict=True)]


_SHORTFALL = {
    "en": {
        "none": "The offline catalog has no goals close enough to this course.",
        "fewer": "Only {found} of the {asked} goals you asked for fit this course: the offline catalog has "
        "nothing closer.",
        "more": "For goals written for this course, configure an LLM (AIGT_LLM_BASE_URL and AIGT_LLM_MODEL) "
        "or write your own (aigt goals create).",
    },
    "es": {
        "none": "El catálogo sin conexión no tiene objetivos lo bastante cercanos a este curso.",
        "fewer": "Solo {found} de los {asked} objetivos que pediste {fit} con este curso: el catálogo sin "
        "conexión no tiene nada más cercano.",
        "more": "Para objetivos pensados para este curso, configura un LLM (AIGT_LLM_BASE_URL y AIGT_LLM_MODEL) "
        "o escribe los tuyos (aigt goals create).",
    },
}


def shortfall_notice(locale: Locale, found: int, asked: int) -> str | None:
    """The plain sentence shown when the catalog has fewer relevant goals than were asked for."""
    if found >= asked:
        return None
    texts = _SHORTFALL[locale]
    first = (
        texts["none"]
        if found == 0
        else texts["fewer"].format(found=found, asked=asked, fit="encaja" if found == 1 else "encajan")
    )
    return f"{first} {texts['more']}"


# With an LLM --------------------------------------------------------------------------------------


def _grounding(goals: Sequence[CatalogGoal], locale: Locale) -> list[dict[str, Any]]:
    """The closest catalog goals, as examples of the scope and checks wanted (test code left out)."""
    examples = []
    for goal in goals[:GROUNDING_GOALS]:
        localized = localize(goal, locale)
        criteria = localized["validation_criteria"]["criteria"]
        examples.append(
            {
                "title": localized["title"],
                "description": localized["description"],
                "criteria": [item for item in criteria if isinstance(item, str)],
                "checks": [item for item in criteria if isinstance(item, dict) and item.get("check") != "tests"],
                "has_tests": goal.tests is not None,
                "tasks": [task["title"] for task in localized["tasks"]],
            }
        )
    return examples


def plan_messages(
    course: Course,
    request: SuggestRequest,
    locale: Locale,
    existing_titles: Sequence[str],
    closest: Sequence[CatalogGoal] = (),
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
        "catalog_examples": _grounding(closest, locale),
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


def fitted_plan_messages(
    course: Course,
    request: SuggestRequest,
    locale: Locale,
    existing_titles: Sequence[str],
    closest: Sequence[CatalogGoal],
    budget_chars: int,
) -> list[ChatCompletionMessageParam]:
    """`plan_messages` within the client's prompt budget: fewer examples, then fewer existing titles."""
    examples = min(len(closest), GROUNDING_GOALS)
    titles = list(existing_titles)
    while True:
        messages = plan_messages(course, request, locale, titles, closest[:examples])
        if sum(len(str(message.get("content") or "")) for message in messages) <= budget_chars:
            return messages
        if examples > 0:
            examples -= 1
        elif titles:
            titles = titles[: len(titles) // 2]
        else:
            return messages  # the client refuses it with the reason


def useless_plan(plan: Plan, locale: Locale) -> str | None:
    """Why a schema-valid plan says nothing a learner can use (empty or symbol titles, another language)."""
    for number, goal in enumerate(plan.goals, start=1):
        texts = [(goal.title, 1), *((criterion, 2) for criterion in goal.criteria)]
        texts += [(task.title, 1) for task in goal.tasks]
        for value, min_words in texts:
            problem = useless_text(value, locale, min_words=min_words)
            if problem is not None:
                return f"goal {number} has a text that is {problem}: {value[:80]!r}"
        prose = " ".join([goal.title, goal.description, *goal.criteria, *(task.title for task in goal.tasks)])
        language = useless_text(prose, locale)
        if language is not None:
            return f"goal {number} is {language}"
    return None


async def _llm_suggestions(
    session: AsyncSession,
    client: LLMClient,
    user: User,
    course: Course,
    request: SuggestRequest,
    locale: Locale,
    closest: Sequence[CatalogGoal],
) -> list[SuggestedGoal]:
    titles = await repository.recent_goal_titles(session, user.id, 100)
    await end_reads(session)
    budget = client.prompt_budget_chars(Plan)
    messages = fitted_plan_messages(course, request, locale, titles, closest, budget)
    plan = await client.complete_structured(messages, Plan)
    problem = useless_plan(plan, locale)
    if problem is not None:
        raise LLMInvalidOutput(f"the plan is not usable: {problem}")
    goals = plan.goals[: request.count]
    fitting, due = schedule(
        [sum(task.estimated_hours for task in goal.tasks) for goal in goals], request, datetime.now(UTC)
    )
    return [_from_plan(goal, due_date) for goal, due_date in zip(goals[:fitting], due, strict=True)]


async def _record_fallback(
    session: AsyncSession, user: User, course: Course, reason: str, context: ChangeContext
) -> None:
    """A warning event: the configured LLM gave no usable plan, so the catalog answered instead."""
    await record_raw(
        session,
        EventType.SYSTEM_WARNING,
        entity_type="course",
        entity_id=course.id,
        payload={"component": "planner", "warning": "llm_plan_rejected", "reason": reason, "fallback": "catalog"},
        context=context,
        user_id=user.id,
    )


async def suggest(
    session: AsyncSession,
    settings: Settings,
    provider: EmbeddingProvider,
    user: User,
    course: Course,
    request: SuggestRequest,
    context: ChangeContext,
) -> Suggestions:
    locale = suggestion_language(user, course)
    relevant = await relevant_catalog_goals(session, provider, user, course, request)
    source: Source = "catalog"
    warnings: list[str] = []
    goals: list[SuggestedGoal] | None = None
    client = LLMClient.from_settings(settings)
    if client is not None:
        try:
            goals = await _llm_suggestions(session, client, user, course, request, locale, relevant)
            source = "llm"
        except LLMError as exc:
            logger.warning("Goal planning fell back to the catalog: %s", exc)
            warnings.append(f"The AI planner was unavailable ({exc}); these goals come from the offline catalog.")
            await _record_fallback(session, user, course, str(exc), context)
        finally:
            await client.aclose()
    notice = None
    if goals is None:
        goals = _catalog_suggestions(relevant, request, locale)
        notice = shortfall_notice(locale, min(len(relevant), request.count), request.count)
    suggestions = Suggestions(
        course_id=course.id, source=source, language=locale, goals=goals, notice=notice, warnings=warnings
    )
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
        # The roll-up of each new task read the goal afresh under its lock: `goal` is current.
        accepted.append(
            AcceptedGoal(
                **GoalRead.model_validate(goal).model_dump(),
                tasks=[TaskRead.model_validate(task) for task in tasks],
            )
        )
    return Accepted(goals=accepted)
