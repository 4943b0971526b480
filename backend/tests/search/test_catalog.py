from __future__ import annotations

import ast
import json
import re
from collections import Counter
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from ai_goals_tracker.ai.embeddings import OfflineEmbeddings
from ai_goals_tracker.criteria import Regex
from ai_goals_tracker.search.catalog import (
    AREAS,
    TESTED_LANGUAGES,
    Catalog,
    CatalogGoal,
    LocalizedText,
    load_catalog,
    localize,
    parse_topic,
    resolve_locale,
    topic_files,
)

STRUCTURED_FORMS = {
    "defines": {"check", "name"},
    "imports": {"check", "module"},
    "regex": {"check", "pattern"},
    "max_complexity": {"check", "value"},
    "no_findings": {"check", "severity"},
    "tests": {"check", "framework", "code"},
}


@pytest.fixture(scope="module")
def catalog() -> list[CatalogGoal]:
    return load_catalog()


def _raw_goals() -> list[dict[str, Any]]:
    return [goal for area, text in topic_files().items() for goal in parse_topic(area, text)]


def test_every_entry_of_every_topic_file_matches_the_schema() -> None:
    problems: list[str] = []
    for goal in _raw_goals():
        try:
            CatalogGoal.model_validate(goal)
        except ValidationError as exc:
            problems.append(f"{goal.get('area')}/{goal.get('key')}: {exc}")
    assert not problems, "\n".join(problems)


def test_catalog_covers_what_developers_learn(catalog: list[CatalogGoal]) -> None:
    assert len(catalog) >= 150
    per_area = Counter(goal.area for goal in catalog)
    assert set(per_area) == set(AREAS)
    assert len(AREAS) >= 25
    assert min(per_area.values()) >= 5, per_area
    assert {goal.level for goal in catalog} == {"beginner", "intermediate", "advanced"}
    named = " ".join(tech.lower() for goal in catalog for tech in goal.technologies)
    for technology in (
        "pandas",
        "matplotlib",
        "jupyter",
        "scikit-learn",
        "react",
        "node.js",
        "go",
        "rust",
        "java",
        "mongodb",
        "redis",
        "bash",
        "kubernetes",
        "terraform",
        "github actions",
        "wcag",
    ):
        assert technology in named, technology


def test_every_goal_is_complete_in_both_languages(catalog: list[CatalogGoal]) -> None:
    for goal in catalog:
        assert 3 <= len(goal.tasks) <= 8, goal.key
        assert goal.technologies, goal.key
        texts = [goal.title, goal.description, *goal.criteria]
        texts += [text for task in goal.tasks for text in (task.title, task.description)]
        for text in texts:
            assert text.es.strip() and text.en.strip(), goal.key
        # A translation left as a copy of the original would pass the shape check but not the learner.
        assert goal.title.es != goal.title.en, goal.key
        assert goal.description.es != goal.description.en, goal.key
        assert all(0 < task.estimated_hours <= 40 for task in goal.tasks), goal.key


def test_every_goal_mixes_sentences_and_offline_checks(catalog: list[CatalogGoal]) -> None:
    for goal in catalog:
        kinds = {type(criterion) is LocalizedText for criterion in goal.validation_criteria}
        assert kinds == {True, False}, goal.key


def test_python_and_javascript_goals_carry_tests_that_import_the_submission(catalog: list[CatalogGoal]) -> None:
    tested = [goal for goal in catalog if goal.language in TESTED_LANGUAGES]
    assert len(tested) >= 60
    for goal in tested:
        assert goal.tests is not None and goal.solution is not None, goal.key
        criterion = localize(goal, "en")["validation_criteria"]["criteria"][-1]
        assert set(criterion) == {"check", "framework", "code"}, goal.key
        assert criterion["check"] == "tests" and criterion["framework"] == TESTED_LANGUAGES[goal.language][0]
        module = goal.solution.module
        if goal.tests.framework == "pytest":
            tree = ast.parse(goal.tests.code)
            imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
            imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
            assert module in imported, goal.key
            assert any(isinstance(node, ast.FunctionDef) and node.name.startswith("test_") for node in tree.body)
        else:
            assert f"require('./{module}')" in goal.tests.code, goal.key
            assert "require('node:test')" in goal.tests.code, goal.key
    untested = [goal.key for goal in catalog if goal.language not in TESTED_LANGUAGES and goal.tests is not None]
    assert not untested


def test_regex_checks_hold_on_the_reference_solutions(catalog: list[CatalogGoal]) -> None:
    # A check the reference solution fails would fail every correct submission too.
    for goal in catalog:
        if goal.solution is None:
            continue
        for check in goal.checks:
            if isinstance(check, Regex):
                assert re.search(check.pattern, goal.solution.code), (goal.key, check.pattern)


def test_structured_checks_use_exactly_the_review_forms(catalog: list[CatalogGoal]) -> None:
    seen: set[str] = set()
    for goal in catalog:
        for criterion in localize(goal, "en")["validation_criteria"]["criteria"]:
            if isinstance(criterion, dict):
                assert set(criterion) == STRUCTURED_FORMS[criterion["check"]], (goal.key, criterion)
                seen.add(criterion["check"])
    assert seen == set(STRUCTURED_FORMS)


def test_regex_checks_match_the_code_they_are_written_for(catalog: list[CatalogGoal]) -> None:
    by_key = {goal.key: goal for goal in catalog}
    samples = {
        "fastapi-jwt-auth": 'oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/login")',
        "fastapi-crud-api": '@router.post("/items", status_code=201)',
        "docker-multistage-secure": "FROM python:3.12-slim AS build\nUSER app\nCOPY --from=build /venv /venv",
        "pgvector-semantic-search": (
            "embedding vector(512)\n"
            "CREATE INDEX ON docs USING hnsw (embedding vector_cosine_ops);\n"
            "ORDER BY embedding <=> $1"
        ),
    }
    for key, code in samples.items():
        patterns = [c.pattern for c in by_key[key].validation_criteria if isinstance(c, Regex)]
        assert patterns, key
        for pattern in patterns:
            assert re.search(pattern, code), (key, pattern)
    root_user = "FROM python:3.12-slim AS build\nUSER root"
    assert not re.search(r"(?m)^USER\s+(?!root\b)\w+", root_user)


def test_invalid_catalog_entries_are_rejected() -> None:
    goal = next(goal for goal in _raw_goals() if goal["language"] == "python")
    with pytest.raises(ValidationError, match="invalid regular expression"):
        CatalogGoal.model_validate({**goal, "checks": [{"check": "regex", "pattern": "def ("}]})
    with pytest.raises(ValidationError):
        CatalogGoal.model_validate({**goal, "tasks": goal["tasks"][:2]})
    with pytest.raises(ValidationError):
        CatalogGoal.model_validate({**goal, "checks": [{"check": "defines", "function": "login"}]})
    with pytest.raises(ValidationError, match="needs tests and a reference solution"):
        CatalogGoal.model_validate({key: value for key, value in goal.items() if key != "tests"})
    with pytest.raises(ValidationError, match="tests run with pytest"):
        CatalogGoal.model_validate({**goal, "tests": {**goal["tests"], "framework": "node"}})
    with pytest.raises(ValidationError, match="only python, javascript, typescript goals carry tests"):
        CatalogGoal.model_validate({**goal, "language": "go"})
    with pytest.raises(ValidationError, match="duplicate goal keys"):
        Catalog.model_validate({"goals": [goal, goal]})


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("es", "es"), ("es-MX", "es"), ("es_ES", "es"), ("en", "en"), ("en-GB", "en"), ("fr", "en"), (None, "en")],
)
def test_resolve_locale(locale: str | None, expected: str) -> None:
    assert resolve_locale(locale) == expected


def test_localize_shapes_a_suggestion(catalog: list[CatalogGoal]) -> None:
    goal = next(goal for goal in catalog if goal.key == "fastapi-jwt-auth")
    spanish = localize(goal, "es-ES")
    english = localize(goal, "en")

    assert set(spanish) == {"title", "description", "priority", "validation_criteria", "tasks"}
    assert spanish["title"] == goal.title.es
    assert english["title"] == goal.title.en
    assert spanish["priority"] == english["priority"] == goal.priority

    criteria = spanish["validation_criteria"]["criteria"]
    assert "Implementar login y registro" in criteria
    assert "Implement login and registration" in english["validation_criteria"]["criteria"]
    assert {"check": "defines", "name": "login"} in criteria
    assert {"check": "imports", "module": "jwt"} in criteria
    assert all(isinstance(item, str) or "check" in item for item in criteria)

    assert len(spanish["tasks"]) == len(goal.tasks)
    first = spanish["tasks"][0]
    assert set(first) == {"title", "description", "task_type", "estimated_hours"}
    assert first["title"] == goal.tasks[0].title.es
    assert english["tasks"][0]["description"] == goal.tasks[0].description.en
    # The suggestion must be plain JSON, as the API returns it.
    assert json.loads(json.dumps(spanish)) == spanish


def test_offline_model_matches_a_fastapi_course_to_api_and_postgres_goals(catalog: list[CatalogGoal]) -> None:
    encoder = OfflineEmbeddings()
    goals = encoder.encode_array([goal.search_text("en") for goal in catalog])
    relevant = {"fastapi", "sql"}

    def scores(query: str) -> np.ndarray[Any, np.dtype[np.float32]]:
        result: np.ndarray[Any, np.dtype[np.float32]] = goals @ encoder.encode_array([query])[0]
        return result

    # The Spanish title checks the cross-lingual case: a Spanish course against English goal texts.
    for query in (
        "FastAPI Master Course — Python, FastAPI, PostgreSQL",
        "Curso maestro de FastAPI — Python, FastAPI, PostgreSQL",
    ):
        order = [catalog[i] for i in np.argsort(-scores(query))]
        top5 = order[:5]
        assert "FastAPI" in order[0].technologies, (query, order[0].key)
        assert sum(goal.area in relevant for goal in top5) >= 3, [goal.key for goal in top5]
        for goal in top5:
            assert {"FastAPI", "PostgreSQL"} & set(goal.technologies), (query, goal.key)
        unrelated = {"algorithms", "javascript"}
        assert not [goal.key for goal in order[:10] if goal.area in unrelated], query

    course = scores("FastAPI Master Course — Python, FastAPI, PostgreSQL")
    by_area = {
        area: float(np.mean([score for goal, score in zip(catalog, course, strict=True) if goal.area == area]))
        for area in AREAS
    }
    assert by_area["fastapi"] > by_area["algorithms"] + 0.1
    assert by_area["fastapi"] > by_area["git"] + 0.1
