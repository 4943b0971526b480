"""The curated goal catalog that offline goal planning chooses from.

The catalog ships inside the package as one TOML file per topic (`<topic>.toml`). Every goal is
bilingual (es/en) and carries validation criteria that mix sentences for the learner with
structured checks the review pipeline runs offline. A goal whose submission is Python, JavaScript
or TypeScript also carries a test module (`{"check": "tests", ...}`) and a reference solution that
passes it, so an accepted suggestion can be verified without an LLM. `localize` turns a catalog
goal into the shape of an API goal suggestion.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from functools import lru_cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ai_goals_tracker.criteria import Defines, Imports, MaxComplexity, NoFindings, Regex, Tests

Area = Literal[
    "python",
    "fastapi",
    "data-analysis",
    "visualization",
    "notebooks",
    "machine-learning",
    "javascript",
    "typescript",
    "react",
    "node",
    "go",
    "rust",
    "java",
    "sql",
    "nosql",
    "linux-shell",
    "git",
    "testing",
    "ci-cd",
    "docker",
    "kubernetes",
    "cloud",
    "security",
    "accessibility",
    "performance",
    "algorithms",
    "system-design",
]
AREAS: tuple[Area, ...] = get_args(Area)
Level = Literal["beginner", "intermediate", "advanced"]
Priority = Literal["low", "medium", "high", "urgent"]
TaskType = Literal["code", "documentation", "testing", "research", "review", "deployment", "other"]
Locale = Literal["es", "en"]
LOCALES: tuple[Locale, ...] = get_args(Locale)
DEFAULT_LOCALE: Locale = "en"
# What the learner submits for a goal. Submissions in these languages are checked by running tests.
SubmissionLanguage = Literal[
    "python",
    "javascript",
    "typescript",
    "go",
    "rust",
    "java",
    "sql",
    "shell",
    "yaml",
    "dockerfile",
    "markdown",
    "html",
    "json",
    "hcl",
    "text",
]
TESTED_LANGUAGES: dict[str, tuple[Literal["pytest", "node"], tuple[str, ...]]] = {
    "python": ("pytest", (".py",)),
    "javascript": ("node", (".js", ".cjs")),
    "typescript": ("node", (".ts",)),
}


class _Strict(BaseModel):
    # Frozen because load_catalog hands out shared instances; extra="forbid" so a typo in a data
    # file fails the catalog test instead of silently dropping a field.
    model_config = ConfigDict(frozen=True, extra="forbid")


class LocalizedText(_Strict):
    es: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, locale: Locale) -> str:
        return self.es if locale == "es" else self.en


# The checks are the goals' own typed criteria: one definition for goals, the catalog and the planner.
StructuredCheck = Annotated[
    Defines | Imports | Regex | MaxComplexity | NoFindings | Tests, Field(discriminator="check")
]
# The checks that inspect code without running it.
StaticCheck = Annotated[Defines | Imports | Regex | MaxComplexity | NoFindings, Field(discriminator="check")]


class CatalogTask(_Strict):
    title: LocalizedText
    description: LocalizedText
    task_type: TaskType
    estimated_hours: float = Field(gt=0, le=40)


class Solution(_Strict):
    """A reference submission that passes the goal's tests: proof that the tests can be passed."""

    file_path: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*\.(py|js|cjs|ts)$")
    code: str = Field(min_length=1)

    @property
    def module(self) -> str:
        return PurePosixPath(self.file_path).stem


class CatalogGoal(_Strict):
    key: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    area: Area
    technologies: list[str] = Field(min_length=1)
    level: Level
    language: SubmissionLanguage
    title: LocalizedText
    description: LocalizedText
    priority: Priority
    criteria: list[LocalizedText] = Field(min_length=1)
    checks: list[StaticCheck] = Field(min_length=1)
    tests: Tests | None = None
    solution: Solution | None = None
    tasks: list[CatalogTask] = Field(min_length=3, max_length=8)

    @model_validator(mode="after")
    def _tested_languages_carry_tests(self) -> CatalogGoal:
        expected = TESTED_LANGUAGES.get(self.language)
        if expected is None:
            if self.tests is not None or self.solution is not None:
                raise ValueError(f"{self.key}: only {', '.join(TESTED_LANGUAGES)} goals carry tests")
            return self
        framework, suffixes = expected
        if self.tests is None or self.solution is None:
            raise ValueError(f"{self.key}: a {self.language} goal needs tests and a reference solution")
        if self.tests.framework != framework:
            raise ValueError(f"{self.key}: {self.language} tests run with {framework}")
        if not self.solution.file_path.endswith(suffixes):
            raise ValueError(f"{self.key}: a {self.language} solution is a {' or '.join(suffixes)} file")
        return self

    @property
    def validation_criteria(self) -> list[LocalizedText | StructuredCheck]:
        """Sentences first, then what runs offline: static checks, then the tests."""
        tests: list[LocalizedText | StructuredCheck] = [self.tests] if self.tests is not None else []
        return [*self.criteria, *self.checks, *tests]

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
    goals: list[CatalogGoal]

    @model_validator(mode="after")
    def _keys_are_unique(self) -> Catalog:
        counts = Counter(goal.key for goal in self.goals)
        duplicates = sorted(key for key, count in counts.items() if count > 1)
        if duplicates:
            raise ValueError(f"duplicate goal keys: {', '.join(duplicates)}")
        return self


def topic_files() -> dict[Area, str]:
    """The text of each topic's data file, by topic."""
    folder = resources.files(__package__)
    return {area: folder.joinpath(f"{area}.toml").read_text(encoding="utf-8") for area in AREAS}


def parse_topic(area: Area, text: str) -> list[dict[str, Any]]:
    """The raw goals of one topic file, each tagged with its topic."""
    data = tomllib.loads(text)
    goals: list[dict[str, Any]] = data.get("goals", [])
    return [{"area": area, **goal} for goal in goals]


@lru_cache(maxsize=1)
def _catalog() -> tuple[CatalogGoal, ...]:
    raw = [goal for area, text in topic_files().items() for goal in parse_topic(area, text)]
    return tuple(Catalog.model_validate({"goals": raw}).goals)


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
