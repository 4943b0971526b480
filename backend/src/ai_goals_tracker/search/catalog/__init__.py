"""The curated goal catalog that offline goal planning chooses from.

`goals.json` ships inside the package: every goal is bilingual (es/en) and carries validation
criteria that mix sentences for the learner with structured checks the review pipeline runs
offline. `localize` turns a catalog goal into the shape of an API goal suggestion.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Area = Literal["python", "fastapi", "sql", "testing", "git", "docker", "javascript", "security", "algorithms"]
AREAS: tuple[Area, ...] = get_args(Area)
Level = Literal["beginner", "intermediate", "advanced"]
Priority = Literal["low", "medium", "high", "urgent"]
TaskType = Literal["code", "documentation", "testing", "research", "review", "deployment", "other"]
Severity = Literal["info", "minor", "major", "critical"]
Locale = Literal["es", "en"]
LOCALES: tuple[Locale, ...] = get_args(Locale)
DEFAULT_LOCALE: Locale = "en"


class _Strict(BaseModel):
    # Frozen because load_catalog hands out shared instances; extra="forbid" so a typo in the JSON
    # fails the catalog test instead of silently dropping a field.
    model_config = ConfigDict(frozen=True, extra="forbid")


class LocalizedText(_Strict):
    es: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, locale: Locale) -> str:
        return self.es if locale == "es" else self.en


class DefinesCheck(_Strict):
    check: Literal["defines"]
    name: str = Field(min_length=1)


class ImportsCheck(_Strict):
    check: Literal["imports"]
    module: str = Field(min_length=1)


class RegexCheck(_Strict):
    check: Literal["regex"]
    pattern: str = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
        return pattern


class MaxComplexityCheck(_Strict):
    check: Literal["max_complexity"]
    value: int = Field(ge=1)


class NoFindingsCheck(_Strict):
    check: Literal["no_findings"]
    severity: Severity


StructuredCheck = Annotated[
    DefinesCheck | ImportsCheck | RegexCheck | MaxComplexityCheck | NoFindingsCheck,
    Field(discriminator="check"),
]
Criterion = LocalizedText | StructuredCheck


class CatalogTask(_Strict):
    title: LocalizedText
    description: LocalizedText
    task_type: TaskType
    estimated_hours: float = Field(gt=0, le=40)


class CatalogGoal(_Strict):
    key: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    area: Area
    technologies: list[str] = Field(min_length=1)
    level: Level
    title: LocalizedText
    description: LocalizedText
    priority: Priority
    validation_criteria: list[Criterion] = Field(min_length=1)
    tasks: list[CatalogTask] = Field(min_length=3, max_length=8)

    @property
    def estimated_hours(self) -> float:
        return sum(task.estimated_hours for task in self.tasks)

    def search_text(self, locale: Locale = DEFAULT_LOCALE) -> str:
        """What the goal is embedded from when matching it against a course or the user's goals."""
        return "\n".join(
            (
                self.title.get(locale),
                self.description.get(locale),
                "Technologies: " + ", ".join(self.technologies),
            )
        )


class Catalog(_Strict):
    version: int
    goals: list[CatalogGoal]

    @model_validator(mode="after")
    def _keys_are_unique(self) -> Catalog:
        counts = Counter(goal.key for goal in self.goals)
        duplicates = sorted(key for key, count in counts.items() if count > 1)
        if duplicates:
            raise ValueError(f"duplicate goal keys: {', '.join(duplicates)}")
        return self


@lru_cache(maxsize=1)
def _catalog() -> tuple[CatalogGoal, ...]:
    raw = resources.files(__package__).joinpath("goals.json").read_text(encoding="utf-8")
    return tuple(Catalog.model_validate(json.loads(raw)).goals)


def load_catalog() -> list[CatalogGoal]:
    """Every catalog goal, parsed and validated once per process."""
    return list(_catalog())


def resolve_locale(locale: str | None) -> Locale:
    """`es`, `es-ES`, `es_MX` → `es`; anything that is not Spanish falls back to English."""
    if locale and locale.replace("_", "-").split("-", 1)[0].lower() == "es":
        return "es"
    return DEFAULT_LOCALE


def localize(goal: CatalogGoal, locale: str | None) -> dict[str, Any]:
    """The goal as an API suggestion in one language: criteria as strings, checks as dicts."""
    lang = resolve_locale(locale)
    criteria: list[str | dict[str, Any]] = [
        criterion.get(lang) if isinstance(criterion, LocalizedText) else criterion.model_dump()
        for criterion in goal.validation_criteria
    ]
    return {
        "title": goal.title.get(lang),
        "description": goal.description.get(lang),
        "priority": goal.priority,
        "validation_criteria": {"criteria": criteria},
        "tasks": [
            {
                "title": task.title.get(lang),
                "description": task.description.get(lang),
                "task_type": task.task_type,
                "estimated_hours": task.estimated_hours,
            }
            for task in goal.tasks
        ],
    }
